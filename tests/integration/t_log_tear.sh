#!/bin/bash
# A `log` writer killed in its write: the kernel stops a write(2) to a
# regular file between two pages when SIGKILL is pending, leaving the
# start of the line without its newline (t_chaos saw one at a 4 KiB
# boundary).  The fault tool reproduces that state exactly: the first
# write to the job log writes half its bytes and SIGKILLs the worker.  The
# fragment must stay on a line of its own: the job's retry and every later
# line from any worker start a new line, nothing is glued onto it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
write_config workers=2
LD_PRELOAD=$FAULT_INJECT FAULT_TEAR_PATH=jobs.log FAULT_TEAR_MARK=$T/torn start_daemon

fifo_send "log t-0 the first line, torn by its writer's death"
wait_for '[[ $(stat_of tasks.log.done) == 1 ]]' 30 "the torn job's retry"
[[ -e $T/torn ]] || fail "the fault tool never tore a write"
gen_ids t 20 >"$T/jobs.in"
while read -r l; do fifo_send "$l"; done <"$T/jobs.in"
wait_for '[[ $(stat_of tasks.log.done) == 21 ]]' 30 "20 more log jobs"

joblog_check '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z job=[0-9]+ t-[0-9]+( the first line, torn by its writer.s death)?$'
((JOBLOG_BAD == 0)) || fail "$JOBLOG_BAD torn, glued or foreign lines in the log: $(head -c 400 "$JOBLOG")"
((JOBLOG_FRAGMENTS == 1)) || fail "$JOBLOG_FRAGMENTS fragments, want the 1 the fault left"
IDS_LOG=$T/joblog.whole check_ids t 20 once
true
