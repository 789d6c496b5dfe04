#!/bin/bash
# A graceful stop that runs past shutdown_timeout keeps the jobs it could
# not finish in the journal, and the next start runs them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2 shutdown_timeout=1s kill_timeout=1s
start_daemon
expect_workers 2
kill -STOP "${pids[@]}"
gen_ids k 500 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 500
stop_daemon TERM 20
((DAEMON_RC == 0)) || fail "the master exited $DAEMON_RC, not 0"
dlog_has "unfinished jobs kept in" || fail "the master did not say it kept the unfinished jobs"

start_daemon
dlog_has "500 unfinished jobs of a previous run queued again" ||
	fail "the restarted daemon did not queue the 500 jobs again"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids k 500 once
