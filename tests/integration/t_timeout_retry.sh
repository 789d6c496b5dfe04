#!/bin/bash
# [pool] timeout_retries: a job that ran past its time limit on a stuck
# (stopped) worker is given to another worker instead of being recorded
# as timed out, and runs there; nothing is lost or run twice.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2 inflight=4 kill_timeout=1s \
	extra_pool="job_timeout = 1s\ntimeout_retries = 1"
sed -i 's/\\n/\n/g' "$CONF"
start_daemon
expect_workers 2
# Both stopped while the jobs go in, so worker 0 is handed some (the
# master may fill the worker it saw active first); worker 1 then runs on.
kill -STOP "${pids[@]}"
gen_ids r 200 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 200
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) -gt 0 ]]' 10 "the stopped worker to hold jobs"
kill -CONT "${pids[1]}"
wait_for 'dlog_has "past its limit of 1.0 s"' 10 "the master to stop the stuck worker"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
j=$(status_json)
[[ $(jget "$j" tasks.log.timed_out) == 0 ]] || fail "a job was recorded timed out: $j"
[[ $(jget "$j" tasks.log.done) == 200 ]] || fail "not all 200 jobs ran: $j"
check_ids r 200 once
