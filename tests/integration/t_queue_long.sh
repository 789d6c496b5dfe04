#!/bin/bash
# The built-in queue "long" (inflight 1) out of the box: a long job never
# holds up short ones while a worker is idle.  Two workers; one `net` job
# that takes [net] timeout (10 s, to a listener whose accept queue is full:
# tests/tools/stall_listen.c), then 400 `log` jobs at once.  Every log job
# must be done while the net job still runs: none was queued in the busy
# worker's pipe behind it (before queues, about half of them were, and
# waited the full 10 s while the other worker sat idle).  Then a long job
# B submitted while both workers are busy (one with the long job A, the
# other, stopped, with a short one) waits in the master, not in A's
# worker's pipe (seen with FIONREAD from outside poold), and starts on the
# other worker as soon as that one is free, while A still runs.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${STALL_LISTEN:-} ]] || fail "STALL_LISTEN must name tests/tools/stall_listen (run through ctest)"
bg_run "$STALL_LISTEN" >"$T/stall.port"
wait_for '[[ -s $T/stall.port ]]' 10 "stall_listen's port"
PORT=$(<"$T/stall.port")

write_config workers=2 net_timeout=10s
start_daemon
{
	echo "net 127.0.0.1:$PORT"
	gen_ids s 400
} | pctl submit - || fail "poolctl submit - exited $?"
wait_for 'grep -q " s-400$" "$JOBLOG" && [[ $(grep -c " s-" "$JOBLOG") == 400 ]]' 20 "the 400 log jobs"
# From the jobs' own timestamps: the 400 lines span less than 3 s of the
# net job's 10 s (before queues, the ones behind it came 10 s later).
span=$(awk '$3 ~ /^s-/ { split($1, t, "T"); split(t[2], h, ":"); s = h[1] * 3600 + h[2] * 60 + h[3]
	if (min == "" || s < min) min = s; if (s > max) max = s } END { printf "%.3f", max - min }' "$JOBLOG")
log "the 400 log jobs span $span s"
awk -v s="$span" 'BEGIN { exit !(s < 3) }' || fail "the log jobs span $span s: some waited behind the long job"
check_ids s 400 once
pctl_wait 20 # the net job fails (timed out): exit 1 is expected

net() { echo "net 127.0.0.1:$PORT" | pctl submit - || fail "poolctl submit - exited $?"; }
net # A
wait_for '[[ $(stat_of jobs.in_flight) == 1 ]]' 10 "A in flight"
j=$(status_json)
mapfile -t inf < <(slots_field "$j" in_flight)
mapfile -t spid < <(slots_field "$j" pid)
if [[ ${inf[0]} == 1 ]]; then wa=${spid[0]} wb=${spid[1]}; else wa=${spid[1]} wb=${spid[0]}; fi
kill_worker STOP "$wb"
fifo_send "log c-1"
wait_for '[[ $(stat_of jobs.in_flight) == 2 ]]' 10 "c-1 on the stopped worker"
net # B: both workers busy
wait_for '[[ $(stat_of queues.long.queued) == 1 ]]' 10 "B held in the master"
a_bytes=$(pipe_bytes "$wa") || fail "cannot read the pipes of worker $wa"
((a_bytes == 0)) || fail "$a_bytes bytes wait in the pipe of A's worker: B was queued behind A"
kill_worker CONT "$wb"
# B runs beside A: 2 net jobs in flight at once, well before A's 10 s end.
wait_for '[[ $(stat_of queues.long.running) == 2 ]]' 5 "B running on the freed worker beside A"
log "B held in the master while both workers were busy, then ran beside A"
pctl_wait 30
true
