#!/bin/bash
# `poolctl top` in a real terminal (tmux): it shows the pool's counters
# and each worker with the job it runs, refreshes every second from the
# shared scoreboard, and keeps showing it while the master is stopped
# (it reads shared memory, not the master).  Then, without a terminal
# (`top -n 1` prints one screen): each queue with its jobs queued and
# running, its cap, whether it is paused and its rate, and each token's
# units in use of its count, beside status --json and metrics (each
# metric one group, as the text format wants).
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tmux tmux
write_config workers=2 extra="[queue.gpuq]\nkinds = noop\nconcurrency = 2\nneeds = gpu\nrate = 250\nburst = 10\n[token.gpu]\ncount = 3"
start_daemon
expect_workers 2
stuck=${pids[0]}
# Both stopped while the jobs go in, so worker 0 is handed some (the
# master may fill the worker it saw active first); worker 1 then runs on.
kill -STOP "${pids[@]}"
gen_ids t 40 | pctl submit - || fail "poolctl submit - exited $?"
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) -gt 0 ]]' 10 "the stopped worker to hold jobs"
kill -CONT "${pids[1]}"
wait_for '[[ $(stat_of jobs.done) -ge 1 ]]' 10 "some jobs done"
j=$(status_json)
# shellcheck disable=SC2034 # used in a wait_for condition
done_now=$(jget "$j" jobs.done)
held=$(slot_field "$j" 0 in_flight)

# tmux runs top in a server of its own (a daemon, in its own session): its
# pid is kept, and the server is ended at exit by that pid, whether or not
# it is still there (it ends by itself once top exits).
S=poold-top-$$
tmux -L "$S" new-session -d -s "$S" -x 110 -y 30 "$POOLCTL -c $CONF top" ||
	fail "tmux new-session exited $?"
TMUX_PID=$(tmux -L "$S" display-message -p '#{pid}') || fail "tmux does not give its server's pid"
[[ $TMUX_PID =~ ^[0-9]+$ ]] || fail "tmux gave '$TMUX_PID' as its server's pid"
stop_tmux() { # (runs in the EXIT trap: returns 1 rather than fail)
	alive "$TMUX_PID" || return 0
	kill -TERM "$TMUX_PID"
	for _ in $(seq 200); do
		alive "$TMUX_PID" || return 0
		sleep 0.05
	done
	echo "$TEST_NAME: the tmux server $TMUX_PID did not exit within 10 s of TERM" >&2
	return 1
}
AT_EXIT+=(stop_tmux)
screen() { tmux -L "$S" capture-pane -p -t "$S"; }
on_screen() { grep -Eq -- "$1" < <(screen); }
wait_for 'on_screen "^WORKER"' 30 "top to draw its table"
# The scoreboard is rewritten ten times a second, so top's first screen may
# predate the last jobs; it must show them within a refresh or two.
wait_for 'on_screen "jobs: 40 accepted, $done_now done"' 30 "top to show the totals"
screen >"$T/screen1"
grep -Eq "^ +0 +$stuck busy +$held +[0-9]+ log " "$T/screen1" ||
	fail "top does not show worker 0 busy with $held log jobs: $(cat "$T/screen1")"
grep -Eq "^ +1 +${pids[1]} idle " "$T/screen1" || fail "top does not show worker 1 idle: $(cat "$T/screen1")"

# It refreshes: the running time of the stuck job grows.
t1=$(awk '$1 == 0 { print $7 }' "$T/screen1")
[[ $t1 =~ ^[0-9.]+s$ ]] || fail "no running time for worker 0 on the screen: $(cat "$T/screen1")"
grew() {
	t2=$(awk '$1 == 0 { print $7 }' < <(screen))
	[[ $t2 =~ ^[0-9.]+s$ ]] && awk -v a="${t1%s}" -v b="${t2%s}" 'BEGIN { exit !(b > a) }'
}
wait_for grew 30 "the running time of worker 0's job to grow past $t1 on top's screen"

# The master stopped: top still draws (from shared memory) and says so
# (once the scoreboard is more than 2 s old).
kill -STOP "$MASTER_PID"
wait_for 'on_screen "master not updating"' 30 "top to notice the stalled master"
kill -CONT "$MASTER_PID"
kill -CONT "$stuck"
pctl_wait || fail "poolctl wait exited $?"

# Queues and tokens: both workers stopped, 5 noop jobs in [queue.gpuq]
# (cap 2, one unit of [token.gpu] each): 2 handed out, 3 held; paused.
expect_workers 2
kill -STOP "${pids[@]}"
for _ in 1 2 3 4 5; do fifo_send noop; done
wait_for '[[ $(stat_of queues.gpuq.running) == 2 && $(stat_of queues.gpuq.queued) == 3 ]]' 10 \
	"2 gpuq jobs handed out and 3 queued"
pctl pause gpuq >/dev/null || fail "poolctl pause gpuq exited $?"
top_has() { # top_has ERE...: one screen of top -n 1 has a line for each
	local re
	pctl top -n 1 >"$T/top.out" || return 1
	for re in "$@"; do grep -Eq -- "$re" "$T/top.out" || return 1; done
}
wait_for 'top_has "^QUEUE +STATE +QUEUED +RUNNING +CAP +RATE$" "^default +running +0 +0 +- +-$" \
	"^gpuq +PAUSED +3 +2 +2 +250/s burst 10$" "^TOKEN +IN USE +COUNT$" "^gpu +2 +3$"' 10 \
	"top to show the paused queue at its cap and the token in use"
log "top: $(grep -E "^(gpuq|gpu) " "$T/top.out" | tr -s ' ' | paste -sd ';')"
j=$(status_json)
[[ $(jget "$j" queues.gpuq.concurrency) == 2 && $(jget "$j" queues.gpuq.rate) == 250* &&
	$(jget "$j" queues.gpuq.state) == *paused* ]] || fail "status --json does not show gpuq's cap, rate and pause"
[[ $(jget "$j" tokens.gpu.in_use) == 2 && $(jget "$j" tokens.gpu.count) == 3 ]] ||
	fail "status --json does not show 2 of 3 gpu units in use"
pctl metrics >"$T/metrics.out"
# The text format wants each metric as one group: every sample under its
# own # TYPE line (a histogram's _bucket, _sum, _count too), none twice.
awk '/^# TYPE / { fam = $3; if (seen[fam]++) { print "family " fam " twice"; bad = 1 } next }
	/^#/ { next }
	{ split($1, a, "{"); n = a[1]
	  if (n != fam && n != fam "_bucket" && n != fam "_sum" && n != fam "_count") {
		print "sample " n " under # TYPE " fam; bad = 1 } }
	END { exit bad }' "$T/metrics.out" >"$T/groups.out" ||
	fail "metrics not grouped by family: $(head -3 "$T/groups.out")"
for line in 'poold_queue_paused{queue="gpuq"} 1' 'poold_queue_running{queue="gpuq"} 2' \
	'poold_queue_concurrency{queue="gpuq"} 2' 'poold_queue_rate{queue="gpuq"} 250' \
	'poold_token_free{token="gpu"} 1' 'poold_token_count{token="gpu"} 3'; do
	grep -qxF "$line" "$T/metrics.out" || fail "metrics lack '$line'"
done
pctl status | grep -q "gpuq PAUSED, 3 queued, 2 running (cap 2) (rate 250/s, burst 10)" ||
	fail "status does not show gpuq: $(pctl status | grep queues)"
pctl status | grep -q "default: 0 queued, 0 running;" ||
	fail "status shows a queue without a cap wrongly: $(pctl status | grep queues)"
pctl resume gpuq >/dev/null || fail "poolctl resume gpuq exited $?"
kill -CONT "${pids[@]}"
pctl_wait || fail "poolctl wait exited $?"
wait_for 'top_has "^gpuq +running +0 +0 +2 " "^gpu +0 +3$"' 10 "top to show gpuq drained and the token free"
