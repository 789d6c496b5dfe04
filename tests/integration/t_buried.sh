#!/bin/bash
# A job whose worker dies while running it is retried up to
# [pool] max_attempts and then buried with the reason; the jobs queued
# behind it on the same worker never ran, are not charged an attempt, and
# run on the next worker.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=1 inflight=8 extra_pool="max_attempts = 1"
start_daemon
expect_workers 1
kill -STOP "${pids[0]}"
gen_ids b 5 | pctl submit - || fail "poolctl submit - exited $?"
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) == 5 ]]' 10 "the worker to hold all 5 jobs"
kill -KILL "${pids[0]}"
pctl_wait && fail "poolctl wait exited 0 although a job was buried"
grep -q "failed 1" "$T/wait.out" || fail "wait did not report one failure: $(cat "$T/wait.out")"
j=$(status_json)
[[ $(jget "$j" tasks.log.buried) == 1 ]] || fail "not exactly one job buried: $j"
[[ $(jget "$j" tasks.log.done) == 4 ]] || fail "the four others did not run: $j"
dlog_has "buried after 1 attempts; its worker killed by signal 9" ||
	fail "the buried job's reason is not in the log"
# The buried job is the first one the worker held (b-1).
n=$(grep -c ' b-[2-5]$' "$JOBLOG")
((n == 4)) || fail "$n of b-2..b-5 in the log, not 4"
grep -q ' b-1$' "$JOBLOG" && fail "the buried job b-1 ran anyway"
true
