#!/bin/bash
# [pool] job_timeout: a stopped (SIGSTOP) worker stalls only the jobs it
# holds; once the running one is past its limit the worker gets TERM (and
# KILL after kill_timeout), that job is recorded as timed out, the others
# it held run on another worker, and the slot gets a new worker.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2 inflight=4 kill_timeout=1s extra_pool="job_timeout = 1s"
start_daemon
expect_workers 2
stuck=${pids[0]}
# Both stopped while the jobs go in, so the stuck one is handed some (the
# master may fill the worker it saw active first); the other one then
# runs the rest.
kill -STOP "${pids[@]}"
gen_ids t 200 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 200
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) -gt 0 ]]' 10 "the stopped worker to hold jobs"
kill -CONT "${pids[1]}"
wait_for 'dlog_has "past its limit of 1.0 s"' 10 "the master to stop the stuck worker"
pctl_wait 60
rc=$?
((rc == 1)) || fail "poolctl wait exited $rc, not 1 (a job timed out): $(cat "$T/wait.out")"
grep -q "^waited [0-9]* failed 1$" "$T/wait.out" || fail "wait did not report the timed-out job: $(cat "$T/wait.out")"
j=$(status_json)
[[ $(jget "$j" tasks.log.timed_out) == 1 ]] || fail "not exactly one job timed out: $j"
[[ $(jget "$j" tasks.log.done) == 199 ]] || fail "the other 199 jobs did not all run: $j"
alive "$stuck" && fail "the stuck worker $stuck is still there"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 10 "the slot to get a new worker"
# Every id but the timed-out one is in the log, once.
grep -q "job .* log timed out on worker\[.\]: ran past its time limit" "$T/daemon.log" ||
	fail "the timed-out job is not logged with its reason"
n=$(awk '$3 ~ /^t-/' "$JOBLOG" | wc -l)
((n == 199)) || fail "$n lines in the log, not 199"
