#!/bin/bash
# The built-in queue "long" (inflight 1) out of the box: a long job never
# holds up short ones while a worker is idle.  Two workers; one `net` job
# that takes [net] timeout (6 s, to a listener whose accept queue is full:
# tests/tools/stall_listen.c), then 400 `log` jobs at once.  Every log job
# must be done while the net job still runs: none was queued in the busy
# worker's pipe behind it (before queues, about half of them were, and
# waited the full 6 s while the other worker sat idle).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${STALL_LISTEN:-} ]] || fail "STALL_LISTEN must name tests/tools/stall_listen (run through ctest)"
bg_run "$STALL_LISTEN" >"$T/stall.port"
wait_for '[[ -s $T/stall.port ]]' 10 "stall_listen's port"
PORT=$(<"$T/stall.port")

write_config workers=2 net_timeout=6s
start_daemon
{
	echo "net 127.0.0.1:$PORT"
	gen_ids s 400
} | pctl submit - || fail "poolctl submit - exited $?"
wait_for 'grep -q " s-400$" "$JOBLOG" && [[ $(grep -c " s-" "$JOBLOG") == 400 ]]' 20 "the 400 log jobs"
# From the jobs' own timestamps: the 400 lines span less than half the
# net job's 6 s (before queues, the ones behind it came 6 s later).
span=$(awk '$3 ~ /^s-/ { split($1, t, "T"); split(t[2], h, ":"); s = h[1] * 3600 + h[2] * 60 + h[3]
	if (min == "" || s < min) min = s; if (s > max) max = s } END { printf "%.3f", max - min }' "$JOBLOG")
log "the 400 log jobs span $span s"
awk -v s="$span" 'BEGIN { exit !(s < 3) }' || fail "the log jobs span $span s: some waited behind the long job"
check_ids s 400 once
pctl_wait 20 # the net job fails (timed out): exit 1 is expected
true
