#!/bin/bash
# Live scaling under load: `poolctl scale N|+K|-K` and TTIN/TTOU change
# the pool without losing or repeating a job; HUP applies the file again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20000
write_config workers=2
start_daemon
gen_ids s "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" 20
submit=$BG_PID

ready_is() { [[ $(stat_of workers.ready) == "$1" && $(stat_of workers.wanted) == "$1" ]]; }
pctl scale 5 >"$T/scale.out" || fail "poolctl scale 5 exited $?"
grep -q "workers 5 (was 2)" "$T/scale.out" || fail "scale 5 replied: $(cat "$T/scale.out")"
wait_for 'ready_is 5' 10 "5 workers"
pctl scale -3 >/dev/null || fail "poolctl scale -3 exited $?"
wait_for 'ready_is 2' 10 "2 workers after scale -3"
kill -TTIN "$MASTER_PID"
wait_for 'ready_is 3' 10 "3 workers after TTIN"
kill -TTOU "$MASTER_PID"
wait_for 'ready_is 2' 10 "2 workers after TTOU"
pctl scale +2 >/dev/null || fail "poolctl scale +2 exited $?"
wait_for 'ready_is 4' 10 "4 workers after scale +2"
# A reload reads the file again: back to its 2 workers.
kill -HUP "$MASTER_PID"
wait_for 'ready_is 2' 10 "2 workers after HUP"

pctl scale 0 >/dev/null || fail "poolctl scale 0 exited $?"
wait_for 'ready_is 1' 10 "scale 0 to stop at 1 worker"
pctl scale x >/dev/null 2>&1 && fail "poolctl scale x was accepted"
wait_exit "$submit" 60 || fail "the submitter did not finish"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids s "$N" once
[[ $(stat_of restarts) == 0 ]] || fail "a worker died while scaling"
true
