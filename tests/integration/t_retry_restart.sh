#!/bin/bash
# Retries survive a crash of the master (issue 14): a job that failed
# once (exit 75) and waits out a 3 s back-off when the master is
# SIGKILLed is held again after the restart until the same due time
# (its next attempt starts at least 5 s after the first one ended, by the
# job's own clock), keeps its count (3 attempts in all for retry = 2, not
# a fresh 2 retries) and the first attempt's reason; twice, the second
# time from the journal the first restart compacted.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/job.sh" <<EOS
#!/bin/sh
start=\$(date +%s.%N)
echo "down for now" >&2
printf '%s %s %s\n' "\$1" "\$start" "\$(date +%s.%N)" >>"$T/attempts.log"
exit 75
EOS
chmod +x "$T/job.sh"

write_config workers=1 extra="[kind.flaky]
code = 1001
exec = $T/job.sh {1:word}
[queue.flaky]
kinds = flaky
retry = 2
backoff = 5s"
start_daemon

attempts() { grep -c "^$1 " "$T/attempts.log" 2>/dev/null; }
state_of() { pctl job "$1" | sed -n 's/^state: //p'; }

# crash: SIGKILL the master, wait for its worker to go, start again.
crash() {
	local s=${SESSIONS[${#SESSIONS[@]} - 1]}
	kill -KILL "$MASTER_PID"
	daemon_exit 10
	wait_for '[[ -z $(session_procs '"$s"') ]]' 20 "the old worker to exit"
	start_daemon
}

# retrying_after_crash: d holds its first attempt's reason after a
# restart, and is retrying unless its second attempt ran meanwhile.
retrying_after_crash() {
	local rec
	rec=$(pctl job "$d") || fail "poolctl job $d after the restart"
	[[ $(attempts d) -gt 1 ]] || grep -q "^state: retrying$" <<<"$rec" ||
		fail "d is not retrying after the restart: $rec"
	grep -q "^  attempt 1 at .*: temporary failure: exit 75: down for now$" <<<"$rec" ||
		fail "the first attempt's reason was lost: $rec"
}

d=$(pctl submit flaky d) || fail "submit d"
wait_for '[[ $(attempts d) == 1 && $(state_of '"$d"') == retrying ]]' 10 "job d retrying"
crash
retrying_after_crash
# Again: the journal now is the one the restart compacted.
[[ $(attempts d) == 1 ]] || log "note: d's second attempt ran before the second crash"
crash
retrying_after_crash

wait_for '[[ $(state_of '"$d"') == buried ]]' 30 "d buried"
[[ $(attempts d) == 3 ]] || fail "d ran $(attempts d) times, not 3: the retry count was not kept"
awk '$1 == "d" { if (prev != "" && $2 - prev < 5.0) { print "gap " $2 - prev; bad = 1 }
	prev = $3 } END { exit bad }' "$T/attempts.log" ||
	fail "an attempt came before its 5 s back-off: $(cat "$T/attempts.log")"
pctl job "$d" | grep -q "^failed attempts: 3$" || fail "not 3 failed attempts kept: $(pctl job "$d")"
true
