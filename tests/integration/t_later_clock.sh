#!/bin/bash
# Delayed jobs when the wall clock is set (the master's CLOCK_REALTIME
# shifted through tests/tools/fault_inject.c, the monotonic clock not):
# set forward past a job's due time, the job runs within about a second
# (the timer looks at the wall clock at least every second), not after the
# monotonic delay; set back, a job does not run before its due time by the
# wall clock.  Neither loses a job.  Times are the master's own (the job's
# record: started against due).
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"
SHIFT=$T/clock-shift
# ASan must come first among preloaded libraries; with the tool first it
# refuses to start unless told not to check.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

# set_clock SECONDS: the master's wall clock is shifted by SECONDS from now on.
set_clock() {
	echo "$1" >"$SHIFT.tmp" || fail "cannot write $SHIFT.tmp"
	mv -f "$SHIFT.tmp" "$SHIFT" || fail "cannot rename $SHIFT.tmp"
}

# field ID NAME: a number from `poolctl job ID --json`.
field() {
	pctl job "$1" --json | grep -o "\"$2\":[0-9.]*" | cut -d: -f2
}

set_clock 0
write_config workers=1
LD_PRELOAD=$FAULT_INJECT FAULT_CLOCK_FILE=$SHIFT start_daemon
expect_workers 1

# Forward: due in 10 minutes; the clock jumps 15 minutes ahead.
fwd=$(pctl submit in=600 log fwd-1) || fail "submit exited $?"
pctl job "$fwd" | grep -q '^state: scheduled' || fail "job $fwd: $(pctl job "$fwd")"
t0=$(now_us)
set_clock 900
pctl wait --timeout 120s "$fwd" >/dev/null || fail "wait for job $fwd exited $?"
took=$((($(now_us) - t0) / 1000))
log "set 900 s forward: job $fwd ran $took ms later"
((took < $(scale_us 30) / 1000)) || fail "job $fwd ran $took ms after the jump"
awk -v d="$(field "$fwd" due)" -v s="$(field "$fwd" started)" 'BEGIN { exit !(s >= d) }' ||
	fail "job $fwd started before its due time"

# Back: due in 3 s by the wall clock, which goes 6 s back.
back=$(pctl submit in=3 log back-1) || fail "submit exited $?"
due=$(field "$back" due)
set_clock 894
pctl wait --timeout 120s "$back" >/dev/null || fail "wait for job $back exited $?"
started=$(field "$back" started)
awk -v d="$due" -v s="$started" 'BEGIN { exit !(s >= d) }' ||
	fail "job $back started at $started, before its due time $due by the wall clock"
log "set 6 s back: job $back due $due started $started"
[[ $(grep -c ' fwd-1$' "$JOBLOG") == 1 && $(grep -c ' back-1$' "$JOBLOG") == 1 ]] ||
	fail "each job must run once: $(cat "$JOBLOG")"
[[ $(stat_of jobs.scheduled) == 0 ]] || fail "still scheduled: $(status_json)"
