#!/bin/bash
# [pool] max_jobs_per_worker: a worker is replaced after about that many
# jobs (up to 10% more, at random), gracefully: nothing is lost, nothing
# runs twice, and a recycled worker is not counted as a crash.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2 inflight=16 extra_pool="max_jobs_per_worker = 200"
start_daemon
expect_workers 2
first=("${pids[@]}")
gen_ids r 3000 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 3000
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids r 3000 once
j=$(status_json)
rec=$(jget "$j" recycled)
# 3000 jobs, at most 220 per process: at least 3000/220 - 2 = 11 recycles.
((rec >= 11)) || fail "only $rec workers were recycled: $j"
[[ $(jget "$j" restarts) == 0 ]] || fail "recycling counted as restarts: $j"
dlog_has "early deaths" && fail "a recycled worker was treated as an early death"
expect_workers 2
for p in "${first[@]}"; do
	alive "$p" && fail "worker $p ran past max_jobs_per_worker"
done
true
