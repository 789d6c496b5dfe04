#!/bin/bash
# `poolctl wait ID...` in a real terminal (tmux): one progress line
# (ended / total, failures, rate, ETA) drawn in place while the jobs run,
# replaced by the summary at the end, exit 1 naming the failed job; with
# --no-progress, or on a pipe, only the summary (no carriage return, no
# escape sequence).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need tmux tmux
closed_port 127.0.0.1
write_config workers=1 inflight=1
start_daemon
expect_workers 1
w=${pids[0]}

# One job ends before the wait starts, so the rate (and an ETA) is known
# at the first poll; the others queue behind a stopped worker.
first=$(pctl submit log p-0) || fail "submit exited $?"
pctl wait --timeout 20s "$first" >/dev/null || fail "wait on $first exited $?"
kill -STOP "$w"
ids=("$first")
for i in $(seq 1 10); do ids+=("$(pctl submit log "p-$i")"); done
bad=$(pctl submit net "127.0.0.1:$CLOSED_PORT") || fail "submit net exited $?"
ids+=("$bad")
n=${#ids[@]}

S=poold-wait-$$
tmux -L "$S" new-session -d -s "$S" -x 100 -y 20 \
	"$POOLCTL -c $CONF wait --timeout 60s ${ids[*]}; echo exit=\$?; exec sleep 300"
server=$(tmux -L "$S" display-message -p '#{pid}') || fail "no tmux server"
AT_EXIT+=("kill $server")
screen() { tmux -L "$S" capture-pane -p -t "$S"; }
wait_for "screen | grep -Eq '^1/$n ended, 0 failed, [0-9.]+/s, ETA [0-9]+s'" 10 "the progress line"
screen >"$T/screen1"
[[ $(grep -c 'ended,' "$T/screen1") == 1 ]] || fail "more than one progress line: $(cat "$T/screen1")"
kill -CONT "$w"
wait_for "screen | grep -q '^exit='" 30 "wait to end"
screen >"$T/screen2"
grep -q '^exit=1$' "$T/screen2" || fail "wait did not exit 1: $(cat "$T/screen2")"
grep -Eq "^waited $n failed 1 in " "$T/screen2" || fail "no summary: $(cat "$T/screen2")"
grep -q "^job $bad failed" "$T/screen2" || fail "the failed job is not named: $(cat "$T/screen2")"
grep -q 'ended,' "$T/screen2" && fail "the progress line was not replaced by the summary: $(cat "$T/screen2")"
[[ $(head -1 "$T/screen2") == "waited $n failed 1 in "* ]] ||
	fail "the summary is not where the progress line was: $(cat "$T/screen2")"

# --no-progress in the terminal, and a pipe: the summary only.
tmux -L "$S" new-window -t "$S" \
	"$POOLCTL -c $CONF wait --no-progress ${ids[*]}; echo exit=\$?; exec sleep 300"
wait_for "screen | grep -q '^exit='" 20 "wait --no-progress to end"
screen | grep -q 'ended,' && fail "--no-progress drew progress: $(screen)"
pctl wait "${ids[@]}" >"$T/pipe.out"
grep -q $'[\r\033]' "$T/pipe.out" && fail "progress drawn on a pipe: $(od -c "$T/pipe.out" | head -3)"
grep -Eq "^waited $n failed 1 in " "$T/pipe.out" || fail "pipe summary: $(cat "$T/pipe.out")"
true
