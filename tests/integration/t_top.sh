#!/bin/bash
# `poolctl top` in a real terminal (tmux): it shows the pool's counters
# and each worker with the job it runs, refreshes every second from the
# shared scoreboard, and keeps showing it while the master is stopped
# (it reads shared memory, not the master).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tmux tmux
write_config workers=2
start_daemon
expect_workers 2
stuck=${pids[0]}
kill -STOP "$stuck"
gen_ids t 40 | pctl submit - || fail "poolctl submit - exited $?"
wait_for '[[ $(stat_of jobs.done) -ge 1 ]]' 10 "some jobs done"
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) -gt 0 ]]' 10 "the stopped worker to hold jobs"
j=$(status_json)
# shellcheck disable=SC2034 # used in a wait_for condition
done_now=$(jget "$j" jobs.done)
held=$(slot_field "$j" 0 in_flight)

S=poold-top-$$
tmux -L "$S" new-session -d -s "$S" -x 110 -y 30 "$POOLCTL -c $CONF top"
AT_EXIT+=("tmux -L '$S' kill-server")
screen() { tmux -L "$S" capture-pane -p -t "$S"; }
wait_for 'screen | grep -q "^WORKER"' 10 "top to draw its table"
# The scoreboard is rewritten ten times a second, so top's first screen may
# predate the last jobs; it must show them within a refresh or two.
wait_for 'screen | grep -q "jobs: 40 accepted, $done_now done"' 5 "top to show the totals"
screen >"$T/screen1"
grep -Eq "^ +0 +$stuck busy +$held +[0-9]+ log " "$T/screen1" ||
	fail "top does not show worker 0 busy with $held log jobs: $(cat "$T/screen1")"
grep -Eq "^ +1 +${pids[1]} idle " "$T/screen1" || fail "top does not show worker 1 idle: $(cat "$T/screen1")"

# It refreshes: the running time of the stuck job grows.
t1=$(awk '$1 == 0 { print $7 }' "$T/screen1")
sleep 2.2
t2=$(screen | awk '$1 == 0 { print $7 }')
[[ ${t1%s} < ${t2%s} || ${#t2} -gt ${#t1} ]] || fail "top did not refresh ($t1 then $t2)"

# The master stopped: top still draws (from shared memory) and says so.
kill -STOP "$MASTER_PID"
sleep 3.2
s=$(screen)
[[ $s == *"master not updating"* ]] || fail "top does not notice a stalled master: $s"
kill -CONT "$MASTER_PID"
kill -CONT "$stuck"
pctl_wait || fail "poolctl wait exited $?"
true
