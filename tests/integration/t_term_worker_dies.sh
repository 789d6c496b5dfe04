#!/bin/bash
# A worker that dies during a graceful stop, while it holds jobs and well
# within [pool] shutdown_timeout: its jobs are still run (the product's
# "a job whose worker dies is given to another worker" holds during the
# drain too), and the master exits 0 with nothing lost.
#
# Both workers are stopped (SIGSTOP) while the jobs go in, so that each
# is handed a full batch (the master fills the workers it saw active
# first, and one quick worker could otherwise take every job); then B
# continues and finishes the rest while A holds its batch; then TERM (the
# queue is empty, so every slot is retiring) and SIGKILL to A.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=200
write_config workers=2 inflight=64 shutdown_timeout=30s
start_daemon

expect_workers 2
a=${pids[0]} b=${pids[1]}
kill_worker STOP "$a"
kill_worker STOP "$b"
gen_ids d "$N" | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted "$N"
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) -gt 0 && $(slot_field "$(status_json)" 1 in_flight) -gt 0 ]]' \
	10 "both stopped workers to hold jobs"
kill -CONT "$b"
wait_for 'j=$(status_json) && [[ $(jget "$j" jobs.queued) == 0 &&
	$(( $(jget "$j" jobs.done) + $(jget "$j" jobs.in_flight) )) == '"$N"' ]]' 10 \
	"every job done or in flight"
j=$(status_json)
log "before TERM: $(jget "$j" jobs.done) done, $(jget "$j" jobs.in_flight) held by the stopped worker"
(($(jget "$j" jobs.in_flight) > 0)) || fail "the stopped worker holds no job; the test proves nothing"

master=$MASTER_PID
kill -TERM "$master"
wait_for 'dlog_has "signal TERM: stopping"' 10 "the master to log that it is stopping"
kill_worker KILL "$a"
daemon_exit 40
((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC, not 0"
dlog_has 'were not finished' && fail "the master lost the jobs of a worker that died during the drain: $(grep 'were not finished' "$DLOG")"
check_ids d "$N" atleast
