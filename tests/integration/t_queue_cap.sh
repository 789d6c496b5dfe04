#!/bin/bash
# [queue.NAME] concurrency: a cap of 2 on `log` jobs with 4 workers.
#   - With every worker stopped (SIGSTOP), 10 jobs submitted: exactly 2
#     frames are in the workers' task pipes (read with FIONREAD through
#     /proc/PID/fd, not from poold's counters), the other 8 stay queued;
#     once the workers run, all 10 run once.
#   - 10,000 jobs: each runs once, and the queue's running_max is 2.
#   - poolctl pause QUEUE holds its jobs (status, metrics), resume lets
#     them go; an unknown queue is an error.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
write_config workers=4 extra="[queue.capped]\nkinds = log\nconcurrency = 2"
start_daemon
wait_for '[[ $(stat_of workers.ready) == 4 ]]' 10 "4 ready workers"
expect_workers 4
kill -STOP "${pids[@]}"
seq -f 'log c-%02g' 1 10 | pctl submit - || fail "poolctl submit - exited $?"
wait_for '[[ $(stat_of queues.capped.queued) == 8 && $(stat_of queues.capped.running) == 2 ]]' 10 \
	"8 jobs queued and 2 handed out"
# Bytes waiting in each stopped worker's pipes: a frame is 16 bytes of
# header and 4 of text ("c-01").
# The counters move when the jobs are handed out, the bytes when the
# master's write to the worker follows at the end of its loop iteration.
wait_for 'bytes=$(pipe_bytes "${pids[@]}") && ((bytes >= 40))' 10 "2 frames in the workers' pipes"
bytes=$(pipe_bytes "${pids[@]}") || fail "cannot read the workers' pipes"
log "bytes in the stopped workers' pipes: $bytes"
((bytes == 40)) || fail "$bytes bytes in the workers' pipes, not 2 frames of 20 (cap 2)"
kill -CONT "${pids[@]}"
pctl_wait || fail "poolctl wait: $(cat "$T/wait.out")"
[[ $(seq -f 'c-%02g' 1 10 | sort) == $(awk '$3 ~ /^c-/ { print $3 }' "$JOBLOG" | sort) ]] ||
	fail "the 10 capped jobs did not run once each"

gen_ids k 10000 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 10010 60
pctl_wait 120 || fail "poolctl wait: $(cat "$T/wait.out")"
check_ids k 10000 once
max=$(stat_of queues.capped.running_max)
log "10,000 jobs under concurrency 2: running_max $max"
[[ $max == 2 ]] || fail "running_max is $max, not 2"

# Pause and resume.
pctl pause capped >"$T/pause.out" || fail "poolctl pause capped exited $?"
[[ $(cat "$T/pause.out") == "queue capped paused" ]] || fail "pause said: $(cat "$T/pause.out")"
gen_ids p 5 | pctl submit - || fail "poolctl submit - exited $?"
wait_for '[[ $(stat_of queues.capped.queued) == 5 ]]' 10 "5 jobs held by the pause"
pctl status | grep -q "capped PAUSED, 5 queued" || fail "status does not show the paused queue"
pctl metrics | grep -qx 'poold_queue_paused{queue="capped"} 1' || fail "metrics do not show the pause"
grep -q " p-" "$JOBLOG" && fail "a job of the paused queue ran"
pctl resume capped >/dev/null || fail "poolctl resume capped exited $?"
pctl_wait || fail "poolctl wait after resume"
check_ids p 5 once
rc=0
pctl pause nosuch >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "pause of an unknown queue succeeded"
true
