#!/bin/bash
# [queue.NAME] concurrency: a cap of 2 on `log` jobs with 4 workers.
#   - With every worker stopped (SIGSTOP), 10 jobs submitted: exactly 2
#     frames are in the workers' task pipes (read with FIONREAD through
#     /proc/PID/fd, not from poold's counters), the other 8 stay queued;
#     once the workers run, all 10 run once.
#   - 10,000 jobs of a kind that records its own run (tests/modules/
#     mod_span.c: job id, CLOCK_MONOTONIC start and end): each runs once,
#     and from those timestamps (not from poold's counters) at no instant
#     did more than 2 run, while 2,000 jobs of the same code in a queue
#     without a cap overlapped 3 or more at once (the check can see it);
#     the queue's running_max agrees.
#   - [token.lock] count = 1 needed by two queues: 1,000 jobs of both,
#     interleaved, never overlap (the same timestamps), and once all
#     ended the token is free again.
#   - poolctl pause QUEUE holds its jobs (status, metrics), resume lets
#     them go; an unknown queue is an error.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need python3 python3
[[ -n ${MOD_SPAN:-} ]] || fail "MOD_SPAN must name tests/modules/mod_span.so (run through ctest)"
write_config workers=4 extra="[queue.capped]\nkinds = log span\nconcurrency = 2\n[module.span]\nfile = $MOD_SPAN\ncode = 3001\n[token.lock]\ncount = 1\n[queue.qa]\nkinds = span3\nneeds = lock\n[queue.qb]\nkinds = span4\nneeds = lock"
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

# Most jobs that ran at once, from the spans' own "ID START END" lines:
# starts and ends in time order (an end first at a tie), a running count.
max_overlap() {
	awk '{ print $2, 1; print $3, -1 }' "$1" | sort -k1,1n -k2,2n |
		awk '{ n += $2; if (n > m) m = n } END { print m + 0 }'
}
span_check() { # span_check FILE COUNT: each of COUNT jobs recorded once
	[[ $(wc -l <"$1") == "$2" && $(awk '{ print $1 }' "$1" | sort -u | wc -l) == "$2" ]] ||
		fail "$1: $(wc -l <"$1") lines, not $2 jobs once each"
	awk '!($3 > $2) { exit 1 }' "$1" || fail "$1: a span that ends before it starts"
}
for _ in $(seq 2000); do echo "span2 $T/free.spans"; done | pctl submit - ||
	fail "poolctl submit - exited $?"
pctl_wait 120 || fail "poolctl wait: $(cat "$T/wait.out")"
span_check "$T/free.spans" 2000
free=$(max_overlap "$T/free.spans")
log "2,000 jobs without a cap: at most $free ran at once"
((free >= 3)) || fail "without a cap at most $free jobs ran at once: the check cannot see a cap broken"
for _ in $(seq 10000); do echo "span $T/capped.spans"; done | pctl submit - ||
	fail "poolctl submit - exited $?"
pctl_wait 120 || fail "poolctl wait: $(cat "$T/wait.out")"
span_check "$T/capped.spans" 10000
most=$(max_overlap "$T/capped.spans")
max=$(stat_of queues.capped.running_max)
log "10,000 jobs under concurrency 2: at most $most ran at once (their timestamps); running_max $max"
((most <= 2)) || fail "$most jobs of the capped queue ran at once (cap 2)"
((most == 2)) || fail "never 2 jobs of the capped queue at once: the cap was not reached"
[[ $max == 2 ]] || fail "running_max is $max, not 2"
for _ in $(seq 500); do echo "span3 $T/lock.spans"; echo "span4 $T/lock.spans"; done | pctl submit - ||
	fail "poolctl submit - exited $?"
pctl_wait 120 || fail "poolctl wait: $(cat "$T/wait.out")"
span_check "$T/lock.spans" 1000
most=$(max_overlap "$T/lock.spans")
log "1,000 jobs of two queues needing [token.lock] (count 1): at most $most ran at once"
((most == 1)) || fail "$most jobs holding [token.lock] (count 1) ran at once"
[[ $(stat_of tokens.lock.free) == 1 ]] || fail "[token.lock] not free after its jobs: $(stat_of tokens.lock.free)"

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
