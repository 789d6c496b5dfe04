#!/bin/bash
# The sd_notify(3) protocol, checked against a notify socket the test
# listens on itself (tests/tools/notify_listen, whose lines "MS PID TEXT"
# are appended to $DLOG, so the order of its lines and the daemon's own
# log lines is the order in which things happened):
#
#   - READY=1 only once every worker said hello (after the "ready:" line
#     and the workers' "ready" debug lines), and only once;
#   - STATUS= about every second, with workers, queued and done;
#   - WATCHDOG=1 about every WATCHDOG_USEC/2 while the pool is healthy;
#     none while the master is stopped; none for more than a second while
#     every worker is stopped with jobs pending (and the daemon says so),
#     and again after SIGCONT;
#   - HUP: RELOADING=1 with a MONOTONIC_USEC= of now, then READY=1 (also
#     when the new file is bad);
#   - TERM: STOPPING=1, then EXTEND_TIMEOUT_USEC= while the drain makes
#     progress and none while it does not;
#   - every datagram comes from the master;
#   - an abstract socket (NOTIFY_SOCKET=@name) works, and WATCHDOG_PID
#     naming another process turns the watchdog off;
#   - a NOTIFY_SOCKET nobody listens on costs one warning, nothing more.
#
# Without NOTIFY_SOCKET nothing is sent at all: every other test runs so.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${NOTIFY_LISTEN:-} ]] ||
	fail "NOTIFY_LISTEN must name tests/tools/notify_listen (run through ctest)"
NOTIFY_LISTEN=$(realpath -e "$NOTIFY_LISTEN") || fail "no $NOTIFY_LISTEN"

WATCHDOG_US=600000 # pings expected every 300 ms

# ---- helpers ----------------------------------------------------------

# listen NAME: starts notify_listen on NAME (a path or @abstract) with its
# output appended to $DLOG; sets NL_START_MS, its CLOCK_MONOTONIC start.
NLISTENERS=0
listen() {
	local err
	NLISTENERS=$((NLISTENERS + 1))
	err=$T/listen-$NLISTENERS.err
	bg_run "$NOTIFY_LISTEN" "$1" 300 >>"$DLOG" 2>"$err"
	wait_for "grep -q 'listening on' '$err'" 10 "notify_listen to bind $1"
	NL_START_MS=$(sed -n 's/.*(CLOCK_MONOTONIC \([0-9]*\) ms)$/\1/p' "$err")
	[[ $NL_START_MS =~ ^[0-9]+$ ]] || fail "cannot read the listener's start time from $err"
}

# notify_since FROM: the datagrams logged after line FROM of $DLOG, as
# "MS PID TEXT" (newlines in TEXT shown as '|').
notify_since() {
	tail -n +"$(($1 + 1))" "$DLOG" | grep -E '^[0-9]+ [0-9]+ ' || true
}

# texts_since FROM ERE: the TEXT of the datagrams after FROM that match
# ERE (anchored at the start of TEXT), one per line.
texts_since() {
	notify_since "$1" | sed -E 's/^[0-9]+ [0-9]+ //' | grep -E "^($2)" || true
}

# times_since FROM ERE: the MS of the same datagrams, one per line.
times_since() {
	notify_since "$1" | awk -v re="^($2)" '{ t = $0; sub(/^[0-9]+ [0-9]+ /, "", t) } t ~ re { print $1 }'
}

# count_since FROM ERE: how many datagrams after FROM match ERE.
count_since() {
	texts_since "$1" "$2" | wc -l
}

# events_since FROM: the datagrams after FROM other than the periodic
# WATCHDOG=1 and STATUS= ones, TEXT only.
events_since() {
	texts_since "$1" 'READY=|RELOADING=|STOPPING=|EXTEND_TIMEOUT_USEC=|MAINPID=|ERRNO=|BUSERROR='
}

# ticks_since FROM: one line per periodic STATUS= after FROM, as
# "MS STATE DONE EXTENDS": the state (running, stopping), the jobs ended
# so far, and how many EXTEND_TIMEOUT_USEC= followed before the next one.
ticks_since() {
	notify_since "$1" | awk '
		{ t = $0; sub(/^[0-9]+ [0-9]+ /, "", t) }
		t ~ /^STATUS=[a-z]+: [0-9]+ workers \(/ {
			if (n++) print ms, state, done, ext
			ms = $1; ext = 0
			state = substr(t, 8, index(t, ":") - 8)
			match(t, /, [0-9]+ done,/); done = substr(t, RSTART + 2, RLENGTH - 8) + 0
		}
		t ~ /^EXTEND_TIMEOUT_USEC=/ { ext++ }
		END { if (n) print ms, state, done, ext }'
}

# gaps TIMES...: the differences between consecutive numbers on stdin.
gaps() {
	awk 'NR > 1 { print $1 - prev } { prev = $1 }'
}

# check_gaps WHAT MIN MAX: fails unless every gap (stdin) is in [MIN, MAX]
# milliseconds, MAX scaled by POOLD_TEST_TIME_SCALE.
check_gaps() {
	local what=$1 min=$2 max bad
	max=$(awk -v m="$3" -v k="$TIME_SCALE" 'BEGIN { printf "%d", m * k }')
	bad=$(awk -v lo="$min" -v hi="$max" '$1 < lo || $1 > hi' | tr '\n' ' ')
	[[ -z $bad ]] || fail "$what: gaps of $bad ms, outside ${min}..${max} ms"
}

# only_from FROM PID: every datagram after FROM was sent by PID (the master).
only_from() {
	local others
	others=$(notify_since "$1" | awk -v p="$2" '$2 != p' | head -3)
	[[ -z $others ]] || fail "datagrams not sent by the master ($2): $others"
}

# all_workers SIG: sends SIG to every worker of the master.
all_workers() {
	local p
	for p in $(workers_pids); do
		kill_worker "$1" "$p"
	done
}

# A wrapper that sets WATCHDOG_PID to its own pid and execs poold, as
# systemd sets WATCHDOG_PID to the main pid of the service.
export REAL_POOLD=$POOLD
WRAP=$T/poold-watchdog-pid
cat >"$WRAP" <<'EOF'
#!/bin/bash
export WATCHDOG_PID=$$
exec "$REAL_POOLD" "$@"
EOF
chmod +x "$WRAP"

# ---- 1. start: READY=1 after every worker said hello ----------------------

listen "$T/notify.sock"
write_config workers=3 level=debug shutdown_timeout=60s
from=$(dlog_lines)
POOLD=$WRAP NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=$WATCHDOG_US start_daemon
start_from=$from
wait_for '(($(count_since '"$from"' READY=1) > 0))' 5 "READY=1 on the notify socket"
dlog_has 'systemd watchdog every 0\.6 s' || fail "the master does not say it pings a watchdog"
expect_workers 3

# Where READY=1 is among the daemon's lines: after "ready:" and after the
# hello of each of the three workers.
tail -n +"$((from + 1))" "$DLOG" | awk '
	/^[0-9]+ [0-9]+ READY=1/ { if (!r) r = NR; next }
	/^master: ready: 3 workers/ { if (!l) l = NR; next }
	/^master: worker\[[0-9]+\]: ready$/ { if (!r) hello[$2] = 1 }
	END {
		n = 0; for (k in hello) n++
		if (!r) { print "no READY=1"; exit 1 }
		if (!l || l > r) { print "READY=1 came before the master logged \"ready: 3 workers\""; exit 1 }
		if (n != 3) { print "READY=1 came after the hello of " n " workers, not 3"; exit 1 }
	}' >"$T/order.out" || fail "$(cat "$T/order.out")"
[[ $(texts_since "$from" 'READY=1') == 'READY=1|STATUS=running: 3 workers' ]] ||
	fail "the first READY=1 datagram is '$(texts_since "$from" 'READY=1')'"
only_from "$from" "$MASTER_PID"

# ---- 2. STATUS= every second, WATCHDOG=1 every 0.3 s ------------------------

gen_ids s 100 | pctl submit - || fail "poolctl submit - exited $?"
pctl_wait 30 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
from=$(dlog_lines)
wait_for '(($(count_since '"$from"' "STATUS=running: 3 workers \\(") >= 4))' 8 \
	"four periodic STATUS= lines"
status_re='STATUS=running: 3 workers \([0-9]+ busy, [0-9]+ idle\), [0-9]+ queued, [0-9]+ done, [0-9]+ jobs/s$'
bad=$(texts_since "$from" 'STATUS=' | grep -Ev "^$status_re" | head -3)
[[ -z $bad ]] || fail "STATUS= lines not of the expected form: $bad"
texts_since "$from" 'STATUS=' | tail -1 | grep -q ' 0 queued, 100 done, ' ||
	fail "the last STATUS= does not say 0 queued, 100 done: $(texts_since "$from" 'STATUS=' | tail -1)"
times_since "$from" 'STATUS=' | gaps | check_gaps "STATUS= lines" 0 1500
smean=$(times_since "$from" 'STATUS=' | gaps | awk '{ s += $1; n++ } END { printf "%d", s / n }')
((smean >= 800)) || fail "STATUS= every $smean ms on average, not about 1000"

pings=$(count_since "$from" 'WATCHDOG=1$')
((pings >= 8)) || fail "only $pings WATCHDOG=1 in 3 s of STATUS= lines (one every 0.3 s expected)"
# The times are those the listener read the datagrams at: on a busy
# machine it may read two at once, so "too often" is judged on the mean
# over the window, which that jitter does not move.  "Too rarely" allows
# a gap late by as much as the master's loop was late with its 1 s
# STATUS= tick in the same window (measured), so load cannot fail it but
# a missed ping still does.
late=$(times_since "$from" 'STATUS=' | gaps | awk '$1 > m { m = $1 } END { printf "%d", (m > 1000 ? m - 1000 : 0) }')
times_since "$from" 'WATCHDOG=1$' | gaps | check_gaps "WATCHDOG=1 pings" 0 $((550 + late))
mean=$(times_since "$from" 'WATCHDOG=1$' | gaps | awk '{ s += $1; n++ } END { printf "%d", s / n }')
((mean >= 250 && mean <= 400 + late)) ||
	fail "WATCHDOG=1 every $mean ms on average, not about 300 (the loop was up to $late ms late)"
log "STATUS= every second and WATCHDOG=1 every $mean ms (the loop up to $late ms late)"

# A wedged master sends nothing: its timers do not run.
from=$(dlog_lines)
kill -STOP "$MASTER_PID"
sleep 1.3
kill -CONT "$MASTER_PID"
wait_for '(($(count_since '"$from"' "WATCHDOG=1$") >= 2))' 5 "WATCHDOG=1 again after the master's SIGCONT"
gap=$(times_since "$start_from" 'WATCHDOG=1$' | gaps | sort -n | tail -1)
((gap >= 1100)) || fail "the longest gap between WATCHDOG=1 is $gap ms although the master was stopped for 1.3 s"

# ---- 3. HUP: RELOADING=1, MONOTONIC_USEC=, READY=1 --------------------------

write_config workers=2 shutdown_timeout=60s # also back to level info
from=$(dlog_lines)
kill -HUP "$MASTER_PID"
wait_for '(($(count_since '"$from"' READY=1) > 0))' 5 "READY=1 after HUP"
mapfile -t ev < <(events_since "$from")
((${#ev[@]} == 2)) || fail "after HUP: ${#ev[@]} events, not RELOADING then READY: ${ev[*]}"
[[ ${ev[0]} =~ ^RELOADING=1\|MONOTONIC_USEC=([0-9]+)\|STATUS=reloading$ ]] ||
	fail "the first event after HUP is '${ev[0]}', not RELOADING=1|MONOTONIC_USEC=...|STATUS=reloading"
mono_ms=$((BASH_REMATCH[1] / 1000 - NL_START_MS))
at_ms=$(times_since "$from" RELOADING=1)
((mono_ms - at_ms <= 50 && at_ms - mono_ms <= 500)) ||
	fail "MONOTONIC_USEC= is ${mono_ms} ms into the listener's time, the datagram came at $at_ms ms"
[[ ${ev[1]} == 'READY=1|STATUS=running: 2 workers' ]] ||
	fail "the second event after HUP is '${ev[1]}', not READY=1|STATUS=running: 2 workers"
dlog_has 'reload: .* 2 workers \(was 3\)' || fail "the master did not log the reload"
wait_for '(($(count_since '"$from"' "STATUS=running: 2 workers \\(") > 0))' 5 \
	"a STATUS= with 2 workers after the reload"
wait_for '[[ $(workers_pids | wc -l) == 2 ]]' 10 "2 workers after the reload"

# A bad file: the same two messages, and the old configuration kept.
write_config workers=2 shutdown_timeout=60s extra_pool="bogus = 1"
from=$(dlog_lines)
kill -HUP "$MASTER_PID"
wait_for '(($(count_since '"$from"' READY=1) > 0))' 5 "READY=1 after a HUP with a bad file"
write_config workers=2 shutdown_timeout=60s
mapfile -t ev < <(events_since "$from")
if ((${#ev[@]} != 2)) || [[ ${ev[0]} != RELOADING=1\|MONOTONIC_USEC=*\|STATUS=reloading ||
	${ev[1]} != 'READY=1|STATUS=running: 2 workers' ]]; then
	fail "after HUP with a bad file: events ${ev[*]}, not RELOADING then READY"
fi
dlog_has 'reload failed, keeping the running configuration' ||
	fail "the master did not log the failed reload"

# ---- 4. the watchdog stops while the pool is wedged -------------------------

all_workers STOP
gen_ids w 2000 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 2100
from=$(dlog_lines)
wait_for 'dlog_has "watchdog: [0-9]+ jobs unfinished and none ended for .* not pinging systemd"' 5 \
	"the master to log that it stops pinging the watchdog"
stalled=$(dlog_lines)
# One master sends both, in order, on one datagram socket: a ping sent
# before the line above reaches the listener before the STATUS= that
# follows the line, however late the listener reads.  So at most that one
# ping in flight before the first STATUS= after the line, and none after
# it for three ticks (over two seconds).
wait_for '(($(count_since '"$stalled"' "STATUS=") >= 3))' 10 "STATUS= lines while the pool is wedged"
notify_since "$stalled" | awk '
	{ t = $0; sub(/^[0-9]+ [0-9]+ /, "", t) }
	t ~ /^STATUS=/ { st++ }
	t ~ /^WATCHDOG=1$/ { if (st) after++; else before++ }
	END { printf "%d %d\n", before, after }' >"$T/stalled.pings"
read -r stalled_before stalled_after <"$T/stalled.pings"
((stalled_before <= 1)) || fail "$stalled_before WATCHDOG=1 after the master said it stopped pinging"
((stalled_after == 0)) ||
	fail "WATCHDOG=1 sent while every worker is stopped with jobs pending"
last_ping=$(times_since "$start_from" 'WATCHDOG=1$' | tail -1)
last_status=$(times_since "$stalled" 'STATUS=' | tail -1)
((last_status - last_ping > 1000)) ||
	fail "only $((last_status - last_ping)) ms without WATCHDOG=1 (more than 1000 expected)"
texts_since "$stalled" 'STATUS=' | tail -1 | grep -Eq ', [1-9][0-9]* queued, ' ||
	fail "STATUS= does not show the queued jobs: $(texts_since "$stalled" 'STATUS=' | tail -1)"
log "no WATCHDOG=1 for $((last_status - last_ping)) ms while the workers are stopped"

from=$(dlog_lines)
all_workers CONT
wait_for 'dlog_has "watchdog: jobs end again; pinging systemd"' 5 \
	"the master to log that it pings again"
wait_for '(($(count_since '"$from"' "WATCHDOG=1$") >= 2))' 5 "WATCHDOG=1 again after SIGCONT"
pctl_wait 60 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids w 2000 once

# ---- 5. TERM: STOPPING=1, EXTEND_TIMEOUT_USEC= while the drain progresses ---

N=5000
all_workers STOP
gen_ids d "$N" | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted $((N + 2100)) 60
from=$(dlog_lines)
master=$MASTER_PID
kill -TERM "$MASTER_PID"
wait_for '(($(count_since '"$from"' STOPPING=1) > 0))' 5 "STOPPING=1 after TERM"
mapfile -t ev < <(events_since "$from")
[[ ${ev[0]} =~ ^STOPPING=1\|STATUS=stopping:\ [0-9]+\ queued,\ [0-9]+\ unfinished$ ]] ||
	fail "the first event after TERM is '${ev[0]}', not STOPPING=1|STATUS=stopping: ..."
# Let the drain progress in bursts: with the master stopped, the workers
# run only the jobs they hold (at most inflight each) and then wait; with
# the workers stopped again, the master takes in their completions.  Each
# burst ends a bounded number of jobs, however fast or slow the machine.
expect_workers 2
for _ in 1 2 3; do
	for p in "${pids[@]}"; do is_worker "$p" || fail "worker $p is gone"; done
	kill -STOP "$MASTER_PID"
	kill -CONT "${pids[@]}"
	sleep 0.3
	kill -STOP "${pids[@]}"
	kill -CONT "$MASTER_PID"
	mark=$(dlog_lines)
	wait_for '(($(count_since '"$mark"' "STATUS=stopping: ") >= 2))' 5 \
		"two STATUS= lines after a burst of the drain"
done
texts_since "$mark" 'STATUS=' | tail -1 | grep -Eq ', [1-9][0-9]* queued, ' ||
	fail "the drain ended during the bursts (raise N): $(texts_since "$mark" 'STATUS=' | tail -1)"
# Each STATUS= tick is followed by EXTEND_TIMEOUT_USEC= exactly when it
# is a tick of the stop and jobs ended since the tick before.
ticks_since "$start_from" >"$T/ticks"
awk '
	NR > 1 && $2 == "stopping" { want = $3 != done; progress += want; quiet += !want }
	NR > 1 && $2 == "running" { want = 0 }
	NR > 1 && $4 != want { printf "tick at %d ms (%s, %d done, %d before): %d EXTEND_TIMEOUT_USEC=\n", $1, $2, $3, done, $4; bad = 1 }
	{ done = $3 }
	END {
		if (progress < 2 || quiet < 2) { printf "%d ticks of the stop with progress, %d without: need 2 of each\n", progress, quiet; bad = 1 }
		exit bad
	}' "$T/ticks" >"$T/ticks.out" || fail "$(cat "$T/ticks.out")"
extends=$(count_since "$from" 'EXTEND_TIMEOUT_USEC=')
bad=$(texts_since "$from" 'EXTEND_TIMEOUT_USEC=' | grep -Ev '^EXTEND_TIMEOUT_USEC=[1-9][0-9]*$')
[[ -z $bad ]] || fail "malformed EXTEND_TIMEOUT_USEC= datagram: $bad"
all_workers CONT
daemon_exit 120
((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC after TERM"
dlog_has 'were not finished' && fail "the master says some jobs were not finished"
bad=$(events_since "$from" | grep -Ev '^(STOPPING=1\||EXTEND_TIMEOUT_USEC=)')
[[ -z $bad ]] || fail "events other than STOPPING and EXTEND_TIMEOUT_USEC after TERM: $bad"
(($(count_since "$start_from" READY=1) == 3)) ||
	fail "$(count_since "$start_from" READY=1) READY=1 in all (start and two HUPs: 3)"
only_from "$start_from" "$master"
log "drain: $extends EXTEND_TIMEOUT_USEC= in $(awk '$2 == "stopping"' "$T/ticks" | wc -l) ticks; one after each with progress"
check_ids d "$N" once

# ---- 6. an abstract socket; WATCHDOG_PID of another process -----------------

name=@poold-test-$$-$RANDOM
listen "$name"
write_config workers=2
from=$(dlog_lines)
# This shell's pid: never the master's.
NOTIFY_SOCKET=$name WATCHDOG_USEC=$WATCHDOG_US WATCHDOG_PID=$$ start_daemon
wait_for '(($(count_since '"$from"' READY=1) > 0))' 5 "READY=1 on the abstract socket $name"
wait_for '(($(count_since '"$from"' "STATUS=running: 2 workers \\(") >= 2))' 5 \
	"two STATUS= lines on the abstract socket"
(($(count_since "$from" 'WATCHDOG=1') == 0)) || fail "WATCHDOG=1 sent although WATCHDOG_PID=$$"
grep -q 'systemd watchdog every' < <(tail -n +"$((from + 1))" "$DLOG") &&
	fail "the master says it pings a watchdog although WATCHDOG_PID=$$"
only_from "$from" "$MASTER_PID"
mark=$(dlog_lines)
stop_daemon
((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC after TERM"
[[ $(events_since "$mark") == STOPPING=1\|STATUS=stopping:\ 0\ queued,\ 0\ unfinished ]] ||
	fail "after TERM on the abstract socket: '$(events_since "$mark")'"

# ---- 7. nobody listening: one warning, nothing else -------------------------

from=$(dlog_lines)
NOTIFY_SOCKET=$T/nobody.sock WATCHDOG_USEC=$WATCHDOG_US start_daemon
pctl submit noop || fail "poolctl submit exited $?"
pctl_wait 30 || fail "poolctl wait exited $?"
# A STATUS= (every second) and a few WATCHDOG=1 go nowhere: wait until the
# master's loop, which runs those timers, answers with an uptime past 2 s.
wait_for 'awk -v u="$(stat_of uptime_seconds)" '"'"'BEGIN { exit !(u >= 2.2) }'"'"'' 30 \
	"the master to be up for 2.2 s"
stop_daemon
((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC without a notify listener"
warnings=$(tail -n +"$((from + 1))" "$DLOG" | grep -c 'notify socket')
((warnings == 1)) || fail "$warnings 'notify socket' warnings without a listener, not 1"
