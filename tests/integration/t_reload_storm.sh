#!/bin/bash
# A reload storm: 25 HUPs 0 to 25 ms apart, alternating the worker count,
# while jobs stream in; afterwards the pool has the last count and has run
# every job exactly once.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20000
write_config workers=2
start_daemon
gen_ids h "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" 20
submit=$BG_PID
seed=${POOLD_TEST_SEED:-$RANDOM}
RANDOM=$seed
log "seed $seed (POOLD_TEST_SEED=$seed repeats the pauses between HUPs)"
for i in $(seq 1 25); do
	write_config workers=$((i % 2 ? 5 : 3))
	kill -HUP "$MASTER_PID"
	sleep "0.0$((RANDOM % 26))"
done
wait_for '[[ $(stat_of workers.ready) == 5 && $(stat_of workers.wanted) == 5 ]]' 20 \
	"the last count, 5 workers"
wait_exit "$submit" 60 || fail "the submitter did not finish"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids h "$N" once
alive "$MASTER_PID" || fail "the master died in the storm"
[[ $(stat_of restarts) == 0 ]] || fail "workers died in the storm"
true
