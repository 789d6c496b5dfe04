#!/bin/bash
# Retries of failed jobs (issue 14): a [queue.NAME] with retry = 2 and
# backoff = 1s..2s runs a job that exits 75 (a temporary failure) three
# times, each attempt at least 1 s after the previous one ended (measured
# from the job script's own timestamps), shows it `retrying` between
# attempts, then buries it with every attempt's reason; `poolctl kick`
# brings it back (as a new job) once the script works.  A plain failure
# (exit 1) is not retried, and `poolctl retry ID` queues it again.  A
# built-in kind's transient error (net: connection refused) is a
# temporary failure too.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/job.sh" <<EOS
#!/bin/sh
# One write per attempt: name, start and end times (the attempt's own
# clock), so the spacing is measured by the job, not by poold.
start=\$(date +%s.%N)
case \$2 in
temp) rc=75 ;;
fail) rc=1 ;;
flip) if [ -e "$T/fixed" ]; then rc=0; else rc=75; fi ;;
esac
echo "try again later" >&2
printf '%s %s %s %s\n' "\$1" "\$start" "\$(date +%s.%N)" "\$rc" >>"$T/attempts.log"
exit \$rc
EOS
chmod +x "$T/job.sh"

write_config workers=2 extra="[kind.flaky]
code = 1001
exec = $T/job.sh {1:word} {2:enum:temp|fail|flip}
[queue.flaky]
kinds = flaky
retry = 2
backoff = 1s..2s
[queue.long]
retry = 1
backoff = 100ms"
start_daemon

attempts() { grep -c "^$1 " "$T/attempts.log" 2>/dev/null; }
state_of() { pctl job "$1" | sed -n 's/^state: //p'; }

a=$(pctl submit flaky a flip) || fail "submit a"
b=$(pctl submit flaky b fail) || fail "submit b"
c=$(pctl submit flaky c flip) || fail "submit c"

# Between attempts the job is `retrying`: in its record, in the listing,
# in status.
wait_for '[[ $(attempts a) -ge 1 && $(state_of '"$a"') == retrying ]]' 10 "job a retrying"
pctl jobs --state retrying | grep -q "^$a " || fail "jobs --state retrying does not list $a"
# `wait ID` waits through the retries, until the job is buried.
pctl wait "$a" >"$T/wait-a.out" 2>&1 && fail "wait $a exited 0 for a job that was buried"
[[ $(state_of "$a") == buried ]] || fail "wait $a returned while a was $(state_of "$a")"

wait_for '[[ $(state_of '"$a"') == buried && $(state_of '"$c"') == buried ]]' 30 "a and c buried"
[[ $(attempts a) == 3 ]] || fail "job a ran $(attempts a) times, not 3 (1 + retry 2)"
[[ $(attempts b) == 1 ]] || fail "exit 1 (not a temporary failure) was retried: $(attempts b) runs"
[[ $(state_of "$b") == failed ]] || fail "job b is $(state_of "$b"), not failed"

# Each attempt starts at least the back-off's lower bound (1 s) after the
# previous one ended.
awk '$1 == "a" { if (prev != "" && $2 - prev < 1.0) { print "gap " $2 - prev; bad = 1 }
	prev = $3 } END { exit bad }' "$T/attempts.log" || fail "a retry came before 1 s"

# Every attempt's reason, then the burial.
rec=$(pctl job "$a") || fail "poolctl job $a"
[[ $(grep -c "^  attempt [123] at .*: temporary failure: exit 75: try again later$" <<<"$rec") == 3 ]] ||
	fail "the three attempts' reasons are not all shown: $rec"
grep -q "^failed attempts: 3$" <<<"$rec" || fail "no count of failed attempts: $rec"
grep -q "^reason: buried after 3 attempts; the last: temporary failure: exit 75" <<<"$rec" ||
	fail "no burial reason: $rec"
j=$(status_json)
[[ $(jget "$j" jobs.retries) == 4 ]] || fail "not 4 retries counted (a and c twice each): $j"
[[ $(jget "$j" jobs.buried) == 2 ]] || fail "not 2 jobs buried: $j"
[[ $(jget "$j" jobs.retrying) == 0 ]] || fail "retrying is not 0 at the end: $j"
# Queue wait counts from the end of each back-off (at least 1 s), not
# from the first acceptance: the pool's wait, not the retry's.
w=$(jget "$j" tasks.flaky.wait_p99_us)
[[ -n $w ]] && ((w < 1000000)) || fail "flaky's wait p99 is '$w' us: the back-off counted as queue wait"
pctl metrics | grep -q '^poold_job_retries_total 4$' || fail "metrics do not count the retries"

# kick: the buried jobs, the first buried first, come back as new jobs;
# c works now.
touch "$T/fixed"
first=$(sed -n 's/^master: job \([0-9]*\) flaky buried .*/\1/p' "$DLOG" | head -n 1)
[[ $first == "$a" ]] && second=$c || second=$a
out=$(pctl kick 1) || fail "poolctl kick 1 exited $?"
[[ $out =~ ^job\ $first:\ queued\ again\ as\ job\ ([0-9]+)$ ]] ||
	fail "kick 1 did not kick $first, the first buried: $out"
[[ $first == "$c" ]] && c2=${BASH_REMATCH[1]}
out=$(pctl kick) || fail "poolctl kick exited $?"
[[ $out =~ ^job\ $second:\ queued\ again\ as\ job\ ([0-9]+)$ ]] || fail "kick did not kick $second: $out"
[[ $second == "$c" ]] && c2=${BASH_REMATCH[1]}
pctl wait "$c2" >/dev/null || fail "the kicked job $c2 did not succeed"
[[ $(attempts c) == 4 ]] || fail "c ran $(attempts c) times, not 3 + 1 after the kick"
pctl job "$c" | grep -q "^queued again as: job $c2$" || fail "c's record does not name its copy"
[[ $(pctl kick) == "no buried job kept to kick" ]] || fail "a second kick found jobs"

# retry ID: a failed job, once; not a job that is still queued or done.
out=$(pctl retry "$b") || fail "poolctl retry $b exited $?"
[[ $out =~ ^job\ $b:\ queued\ again\ as\ job\ ([0-9]+)$ ]] || fail "retry $b: $out"
b2=${BASH_REMATCH[1]}
pctl wait "$b2" >/dev/null && fail "the copy of b succeeded"
[[ $(attempts b) == 2 ]] || fail "b ran $(attempts b) times after retry, not 2"
pctl retry "$b" 2>"$T/err" && fail "a second retry of $b was taken"
grep -q "already queued again as job $b2" "$T/err" || fail "no reason for the refusal: $(cat "$T/err")"
pctl retry "$c2" 2>"$T/err" && fail "a done job was retried"
grep -q "done, not buried or failed" "$T/err" || fail "no reason: $(cat "$T/err")"

# A retrying job can be cancelled: taken from its back-off, never run again.
e=$(pctl submit flaky e temp) || fail "submit e"
wait_for '[[ $(state_of '"$e"') == retrying ]]' 10 "job e retrying"
pctl cancel "$e" | grep -q "^job $e: cancelled$" || fail "cancel $e did not cancel it at once"
[[ $(state_of "$e") == cancelled ]] || fail "e is $(state_of "$e") after its cancel"
j=$(status_json)
[[ $(jget "$j" jobs.retrying) == 0 && $(jget "$j" jobs.scheduled) == 0 ]] ||
	fail "the cancelled job is still held: $j"

# net: a refused connection is retried ([queue.long] retry = 1).
closed_port 127.0.0.1
n=$(pctl submit net "127.0.0.1:$CLOSED_PORT") || fail "submit net"
wait_for '[[ $(state_of '"$n"') == buried ]]' 10 "the refused net job buried"
rec=$(pctl job "$n")
[[ $(grep -c "^  attempt [12] at .*: 127.0.0.1:$CLOSED_PORT: Connection refused$" <<<"$rec") == 2 ]] ||
	fail "the net job was not tried twice: $rec"
true
