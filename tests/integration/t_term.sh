#!/bin/bash
# TERM while jobs are queued: the master stops reading the FIFO, finishes
# every accepted job, stops its workers and exits 0; nothing is left
# running; the FIFO stays (it may come from a .socket unit) and the status
# socket is removed.
#
# The workers are stopped (SIGSTOP) while the jobs come in, so that jobs
# are still queued when TERM arrives, and continued after it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20000
write_config workers=2 shutdown_timeout=60s
start_daemon

expect_workers 2
for p in "${pids[@]}"; do
	kill_worker STOP "$p"
done

gen_ids q "$N" | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted "$N"
j=$(status_json)
(($(jget "$j" jobs.queued) > 0)) || fail "no job is queued before TERM: $j"
log "before TERM: $(jget "$j" jobs.queued) queued, $(jget "$j" jobs.in_flight) in flight"

master=$MASTER_PID
kill -TERM "$master"
wait_for 'dlog_has "signal TERM: stopping"' 10 "the master to log that it is stopping"
grep -q '"state":"stopping"' <<<"$(status_json)" || fail "status does not say stopping: $(status_json)"

# The FIFO is closed at once, and the socket takes no job: a new job is
# refused, not lost, with exit 69 (unavailable, not a bad job) either way.
pctl submit --fifo noop 2>>"$T/client.log"
rc=$?
((rc == 69)) || fail "poolctl submit --fifo during the stop exited $rc, not 69 (daemon unavailable)"
pctl submit noop 2>"$T/submit.err"
rc=$?
((rc == 69)) || fail "poolctl submit during the stop exited $rc, not 69: $(<"$T/submit.err")"
grep -q "refused: unavailable: poold is stopping" "$T/submit.err" || fail "submit said: $(<"$T/submit.err")"

for p in "${pids[@]}"; do
	kill -CONT "$p"
done
daemon_exit 60 # not stop_daemon: a second TERM would skip the drain
((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC after TERM, not 0"
dlog_has 'were not finished' && fail "the master says some jobs were not finished"
dlog_has '^master: stopped$' || fail "the master did not log 'stopped'"

check_ids q "$N" once
[[ -p $FIFO ]] || fail "the FIFO $FIFO is gone after the stop"
[[ -e $SOCK ]] && fail "the status socket $SOCK is still there after the stop"
left=$(session_procs "$master")
[[ -z $left ]] || fail "processes of the daemon left after it exited: $left"
