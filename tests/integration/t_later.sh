#!/bin/bash
# Delayed jobs (in=, at=): accepted at once and shown as scheduled with
# their due time (job, jobs --state, status, metrics, top); never run
# before their due time and run within a tolerance after it, measured from
# the job log's own timestamp; a cancel of a scheduled job holds; after a
# master SIGKILL, and after a TERM stop, each scheduled job runs exactly
# once, not before its due time (the journal keeps the absolute due time,
# also through the compaction at the next start); the stop does not wait
# for them.  Bad values are refused with a reason.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# shellcheck source=later_lib.sh
. "$(dirname "$0")/later_lib.sh"

# Far enough ahead that the checks before the kill are done long before.
LONG=$(awk -v k="$TIME_SCALE" 'BEGIN { printf "%d", 12 * k }')

# due ID: the job's due time.
due() {
	job_due pctl job "$1"
}

write_config workers=2
start_daemon
# kill_restart: SIGKILL the master, wait for its workers to leave, start
# it again on the same journal.
kill_restart() {
	local w workers
	workers=$(workers_pids)
	stop_daemon KILL
	for w in $workers; do
		wait_for "! alive $w" 10 "worker $w to notice its master gone"
	done
	start_daemon
	expect_workers 2
}

expect_workers 2

# Refused with a reason, by poolctl and by the daemon (through the FIFO).
pctl submit in=5x log bad 2>"$T/bad.err" && fail "in=5x was accepted"
grep -q "in must be a duration" "$T/bad.err" || fail "in=5x: $(<"$T/bad.err")"
pctl submit at=2026-12-01T10:00:00+01:00 log bad 2>"$T/bad.err" && fail "an offset was accepted"
grep -q "UTC" "$T/bad.err" || fail "at= with an offset: $(<"$T/bad.err")"
fifo_send "in=1 at=1796119200 log bad"
wait_for "grep -q 'in= and at= given together' '$DLOG'" 10 "the FIFO line refused"

# A short delay runs on time.
short=$(pctl submit in=1.5s log short-1) || fail "submit in=1.5s exited $?"
short_due=$(due "$short")
pctl wait --timeout 60s "$short" >/dev/null || fail "wait for job $short exited $?"
on_time "$JOBLOG" "$short_due" short-1
# Its queue wait counts from its due time: not the 1.5 s it was held.
w=$(jget "$(status_json)" tasks.log.wait_p99_us)
[[ -n $w ]] && ((w < 1000000)) || fail "log's wait p99 is '$w' us: the hold counted as queue wait"

# Long delays, in every form, and one to cancel.
now=$(date +%s)
ids=()
ids+=("$(pctl submit "in=${LONG}s" log long-1)") || fail "submit in= exited $?"
ids+=("$(pctl submit key=k2 "in=$((LONG * 1000))ms" log long-2)") || fail "submit in=ms exited $?"
ids+=("$(pctl submit "at=$(date -u -d "@$((now + LONG))" +%Y-%m-%dT%H:%M:%SZ)" log long-3)") ||
	fail "submit at=ISO exited $?"
ids+=("$(pctl submit "at=$((now + LONG)).25" log long-4)") || fail "submit at=unix exited $?"
fifo_send "in=${LONG} log long-5"
wait_for "pctl jobs --state scheduled | grep -q long-5" 10 "the FIFO's delayed job scheduled"
ids+=("$(pctl jobs --state scheduled | awk '/long-5/ { print $1 }')")
# The longest line: its in= is journaled as the longer at=S.mmm.
tags=(long-1 long-2 long-3 long-4 long-5 "long-6-$(printf 'x%.0s' $(seq 1 4070))")
ids+=("$(pctl submit "in=${LONG}" log "${tags[5]}")") || fail "submit of the longest line exited $?"
gone=$(pctl submit "in=${LONG}" log cancelled-1) || fail "submit exited $?"
for id in "${ids[@]}" "$gone"; do
	pctl job "$id" | grep -Eq '^state: scheduled, due [0-9T:.-]+Z \(in [0-9.]+ s\)$' ||
		fail "job $id is not shown scheduled: $(pctl job "$id")"
done
declare -A dues=()
for id in "${ids[@]}"; do
	dues[$id]=$(due "$id")
	[[ -n ${dues[$id]} ]] || fail "job $id has no due time: $(pctl job "$id" --json)"
done
[[ $(pctl jobs --state scheduled | grep -c ' scheduled ') == 7 ]] ||
	fail "jobs --state scheduled: $(pctl jobs --state scheduled)"
[[ $(stat_of jobs.scheduled) == 7 ]] || fail "status: $(status_json)"
pctl status | grep -q '7 scheduled' || fail "status text: $(pctl status)"
pctl metrics | grep -q '^poold_jobs_scheduled 7$' || fail "metrics: $(pctl metrics | grep sched)"
wait_for "pctl top -n 1 | grep -q ', 7 scheduled,'" 10 "top to show 7 scheduled"
[[ $(stat_of jobs.queued) == 0 ]] || fail "scheduled jobs counted as queued: $(status_json)"

out=$(pctl cancel "$gone") || fail "cancel of scheduled job $gone exited $?"
[[ $out == "job $gone: cancelled" ]] || fail "cancel said '$out'"
dlog_has "job $gone log cancelled while scheduled" || fail "the log does not say job $gone was scheduled"
pctl job "$gone" | grep -q '^state: cancelled$' || fail "job $gone is not cancelled"
[[ $(stat_of jobs.scheduled) == 6 ]] || fail "after the cancel: $(status_json)"

# SIGKILL the master: they come back scheduled, with the same due times.
kill_restart
[[ $(stat_of jobs.scheduled) == 6 ]] || fail "after the restart: $(status_json)"
for id in "${ids[@]}"; do
	pctl job "$id" | grep -q '^state: scheduled' || fail "job $id after the restart: $(pctl job "$id")"
	awk -v a="${dues[$id]}" -v b="$(due "$id")" 'BEGIN { exit !(a - b < 0.002 && b - a < 0.002) }' ||
		fail "job $id was due at ${dues[$id]}, after the restart at $(due "$id")"
done
pctl job key=k2 | grep -q '^state: scheduled' || fail "the key was lost in the journal"
pctl job "$gone" 2>/dev/null | grep -q scheduled && fail "the cancelled job $gone came back"

pctl wait --timeout "$((LONG * 4 + 60))s" "${ids[@]}" >/dev/null || fail "wait exited $?"
for i in 0 1 2 3 4 5; do
	on_time "$JOBLOG" "${dues[${ids[i]}]}" "${tags[i]}"
done
grep -q cancelled-1 "$JOBLOG" && fail "the cancelled job ran"
[[ $(stat_of jobs.scheduled) == 0 ]] || fail "still scheduled: $(status_json)"

# TERM with a scheduled job: the stop does not wait for it, it does not
# run early, and it runs once after the next start.
term=$(pctl submit "in=${LONG}" log term-1) || fail "submit exited $?"
term_due=$(due "$term")
stop_daemon TERM
[[ $DAEMON_RC == 0 ]] || fail "the master exited $DAEMON_RC after TERM"
awk -v d="$term_due" -v n="$(date +%s.%N)" 'BEGIN { exit !(n < d) }' ||
	fail "the stop waited for the scheduled job (due $term_due)"
grep -q "1 scheduled jobs (in=, at=) not yet due; kept in the journal" "$DLOG" ||
	fail "the stop does not say the scheduled job is kept"
grep -q term-1 "$JOBLOG" && fail "the scheduled job ran at the stop"
start_daemon
expect_workers 2
pctl job "$term" | grep -q '^state: scheduled' || fail "job $term after the TERM: $(pctl job "$term")"
# The start compacted the journal: the scheduled job is in the new file.
kill_restart
pctl job "$term" | grep -q '^state: scheduled' || fail "job $term lost by the compaction"
pctl wait --timeout "$((LONG * 2 + 60))s" "$term" >/dev/null || fail "wait exited $?"
on_time "$JOBLOG" "$term_due" term-1
