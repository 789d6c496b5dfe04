#!/bin/bash
# A `log` writer stopped (SIGSTOP, a debugger) while it holds the workers'
# write lock must not stall every other worker's log jobs: the others wait
# a bounded time for the lock, then write without it (checking the file's
# end before each line) until it is free again.  The fault tool stops the
# first writer of the job log just before its write, lock held.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
write_config workers=2
LD_PRELOAD=$FAULT_INJECT FAULT_STOP_PATH=jobs.log FAULT_STOP_MARK=$T/stopped start_daemon
expect_workers 2

# stopped_worker: the pid of a worker in state T (stopped), if any.
stopped_worker() {
	local p
	for p in $(workers_pids); do
		[[ $(proc_field "$p" 1) == T ]] && echo "$p" && return 0
	done
	return 0
}

fifo_send "log s-0 written by the worker that stops"
wait_for '[[ -e $T/stopped ]]' 30 "the fault tool to stop a writer"
wait_for '[[ -n $(stopped_worker) ]]' 30 "a worker in state T"
stopped=$(stopped_worker)

# The other worker keeps writing while the lock's holder is stopped.
gen_ids s 40 >"$T/jobs.in"
while read -r l; do fifo_send "$l"; done <"$T/jobs.in"
wait_for '[[ $(stat_of tasks.log.done) -ge 5 ]]' 60 \
	"log jobs to end while worker $stopped is stopped holding the lock"
[[ -d /proc/$stopped ]] || fail "the stopped worker $stopped is gone"

kill -CONT "$stopped"
wait_for '[[ $(stat_of tasks.log.done) == 41 ]]' 60 "every log job once the writer continues"
joblog_check '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z job=[0-9]+ s-[0-9]+( written by the worker that stops)?$'
((JOBLOG_BAD == 0)) || fail "$JOBLOG_BAD torn, glued or foreign lines in the log: $(head -c 400 "$JOBLOG")"
IDS_LOG=$T/joblog.whole check_ids s 40 once
true
