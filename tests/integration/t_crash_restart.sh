#!/bin/bash
# The journal: the master is SIGKILLed in the middle of 100,000 jobs and
# started again; every job it had accepted runs after the restart
# (at-least-once: some run twice), and with the FIFO held open meanwhile
# (as poold.socket does) no line written by the client is lost either
# (`poolctl submit --fifo -`: the FIFO path, whose lines outlive a master).
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=100000
write_config workers=2 journal_fsync=interval
start_daemon
# Hold the FIFO open, as systemd's socket unit would: lines written while
# no poold runs wait in the kernel instead of being dropped.
exec 9<>"$FIFO"

gen_ids c "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" 100 --fifo
submit=$BG_PID
wait_for '(( $(stat_of jobs.accepted) >= 30000 ))' 20 "30,000 jobs accepted"
# Stop the workers so that accepted jobs pile up unfinished, then kill
# the master with thousands queued and in flight.
expect_workers 2
kill -STOP "${pids[@]}"
wait_for '(( $(stat_of jobs.queued) >= 5000 ))' 20 "5,000 jobs queued"
live=$(($(stat_of jobs.queued) + $(stat_of jobs.in_flight)))
kill -KILL "$MASTER_PID"
daemon_exit 10
kill -CONT "${pids[@]}"
log "master killed with about $live jobs unfinished"
# The old workers see EOF on their pipes and leave on their own.
wait_for '[[ -z $(session_procs "${SESSIONS[0]}") ]]' 20 "the old workers to exit"

start_daemon
dlog_has "unfinished jobs of a previous run queued again" ||
	fail "the restarted daemon replayed nothing from the journal"
wait_exit "$submit" 180 || fail "the submitter did not finish"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
exec 9>&-
check_ids c "$N" atleast
j=$(status_json)
((  $(jget "$j" replayed) > 0 )) || fail "status shows no replayed jobs: $j"
true
