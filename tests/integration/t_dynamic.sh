#!/bin/bash
# [pool] mode = dynamic under load: the pool grows while jobs wait (one
# worker, then twice as many each second, up to max_workers), shrinks to
# min_workers once workers have been idle for idle_timeout, and runs
# every job exactly once through it all.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=1000000
write_config workers=1 inflight=1 \
	extra_pool="mode = dynamic\nmin_workers = 1\nmax_workers = 6\nidle_timeout = 1s"
sed -i 's/\\n/\n/g' "$CONF"
start_daemon
gen_ids d "$N" >"$T/jobs.in"
bg_sh '"$POOLCTL" -c "$CONF" submit - <"$T/jobs.in" 2>>"$T/client-submit.log"'
submit=$BG_PID
peak=0
while alive "$submit" || (($(stat_of jobs.done) < N)); do
	r=$(stat_of workers.ready) || r=0
	((r > peak)) && peak=$r
	(($(stat_of jobs.done) >= N)) && break
	sleep 0.2
done
wait_exit "$submit" 60 || fail "the submitter did not finish"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
log "peak of $peak workers"
((peak == 6)) || fail "the pool peaked at $peak workers, not max_workers 6"
dlog_has "dynamic: .* starting 1 more workers \\(2 in all\\)" || fail "growth did not start with one"
dlog_has "starting 2 more workers \\(4 in all\\)" || fail "the spawn rate did not double"
wait_for '[[ $(stat_of workers.ready) == 1 && $(stat_of workers.wanted) == 1 ]]' 15 \
	"the pool to shrink back to min_workers"
dlog_has "dynamic: retired" || fail "no retirement was logged"
check_ids d "$N" once
[[ $(stat_of restarts) == 0 ]] || fail "workers died"
true
