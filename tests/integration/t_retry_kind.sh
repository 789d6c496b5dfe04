#!/bin/bash
# Retries per kind (issue 14): `retry`, `backoff` and `retry_on` in a
# [kind.NAME] or [module.NAME] section win over its queue's, key by key.
#   - A kind with retry = 2, backoff = 1s in a queue with retry = 0: a job
#     exiting 75 runs 3 times, each attempt at least 1 s after the one
#     before ended (the script's own clock), then is buried.
#   - A kind with retry = 0 in a queue that retries: run once, failed.
#   - A kind with only retry_on = any in a queue with retry = 2: a plain
#     failure (exit 1) is retried twice (count from the queue).
#   - The shipped checksum module with retry = 1, retry_on = any: a job on
#     a file that is not there is tried twice, then buried.
#   - A reload that changes only these keys keeps the workers and applies
#     to the next failure: a job already retrying under retry = 2 is
#     buried after 2 attempts once a reload says retry = 1; the kind that
#     said retry = 0 now takes its queue's; the module's retry = 2 now
#     gives 3 attempts.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$POOLD")
[[ -f $BUILD/modules/checksum.so ]] || fail "no $BUILD/modules/checksum.so (built with poold)"

cat >"$T/job.sh" <<EOS
#!/bin/sh
# job.sh NAME RC GATE: one write per attempt (name, start and end times by
# the attempt's own clock, exit code), then exits RC.  With GATE "gate",
# attempt N first waits (bounded) for the file gate.NAME.N.
start=\$(date +%s.%N)
n=\$((\$(grep -c "^\$1 " "$T/attempts.log" 2>/dev/null) + 1))
i=0
while [ "\$3" = gate ] && [ ! -e "$T/gate.\$1.\$n" ] && [ \$i -lt 6000 ]; do sleep 0.05; i=\$((i + 1)); done
echo "try again later" >&2
printf '%s %s %s %s\n' "\$1" "\$start" "\$(date +%s.%N)" "\$2" >>"$T/attempts.log"
exit \$2
EOS
chmod +x "$T/job.sh"

# config OWN_RETRY NORETRY_LINE MODULE_RETRY: the kinds and queues, with
# [kind.own]'s retry, [kind.noretry]'s own retry line (or none) and
# [module.checksum]'s retry.
config() {
	write_config workers=2 extra="[kind.own]
code = 1001
exec = $T/job.sh {1:word} {2:enum:1|75} {3:enum:go|gate}
retry = $1
backoff = 1s
[kind.noretry]
code = 1002
exec = $T/job.sh {1:word} {2:enum:1|75} {3:enum:go|gate}
$2
[kind.anyfail]
code = 1003
exec = $T/job.sh {1:word} {2:enum:1|75} {3:enum:go|gate}
retry_on = any
[module.checksum]
file = $BUILD/modules/checksum.so
code = 2020
retry = $3
retry_on = any
backoff = 100ms
[queue.own]
kinds = own
retry = 0
[queue.re]
kinds = noretry anyfail
retry = 2
backoff = 100ms"
}
config 2 "retry = 0" 1
start_daemon

attempts() { grep -c "^$1 " "$T/attempts.log" 2>/dev/null; }
state_of() { pctl job "$1" | sed -n 's/^state: //p'; }

a=$(pctl submit own a 75 go) || fail "submit own"
b=$(pctl submit noretry b 75 go) || fail "submit noretry"
c=$(pctl submit anyfail c 1 go) || fail "submit anyfail"
d=$(pctl submit checksum sha256 "$T/not-there") || fail "submit checksum"

wait_for '[[ $(state_of '"$a"') == buried ]]' 30 "own job a buried"
[[ $(attempts a) == 3 ]] || fail "[kind.own] retry = 2 in a queue with retry = 0: a ran $(attempts a) times, not 3"
awk '$1 == "a" { if (prev != "" && $2 - prev < 1.0) { print "gap " $2 - prev; bad = 1 }
	prev = $3 } END { exit bad }' "$T/attempts.log" || fail "a retry of a came before [kind.own] backoff = 1s"
pctl job "$a" | grep -q "^reason: buried after 3 attempts; the last: temporary failure: exit 75" ||
	fail "no burial reason: $(pctl job "$a")"
log "[kind.own] retry = 2, backoff = 1s over [queue.own] retry = 0: 3 runs, >= 1 s apart, buried"

wait_for '[[ $(state_of '"$b"') == failed ]]' 30 "noretry job b failed"
[[ $(attempts b) == 1 ]] || fail "[kind.noretry] retry = 0 in a queue with retry = 2: b ran $(attempts b) times"
log "[kind.noretry] retry = 0 over [queue.re] retry = 2: 1 run, failed"

wait_for '[[ $(state_of '"$c"') == buried ]]' 30 "anyfail job c buried"
[[ $(attempts c) == 3 ]] || fail "[kind.anyfail] retry_on = any, [queue.re] retry = 2: c (exit 1) ran $(attempts c) times, not 3"
log "[kind.anyfail] retry_on = any with its queue's retry = 2: exit 1 run 3 times, buried"

wait_for '[[ $(state_of '"$d"') == buried ]]' 30 "checksum job d buried"
rec=$(pctl job "$d")
[[ $(grep -c "^  attempt [12] at " <<<"$rec") == 2 ]] || fail "the checksum job was not tried twice: $rec"
log "[module.checksum] retry = 1, retry_on = any: a failed checksum tried twice, buried"

# ---- a reload of these keys alone: workers kept, the next failure -------
expect_workers 2
before=${pids[*]}
e=$(pctl submit own e 75 gate) || fail "submit own e"
wait_for '[[ $(state_of '"$e"') == running\ * ]]' 30 "job e running"
touch "$T/gate.e.1"
wait_for '[[ $(attempts e) == 1 && $(state_of '"$e"') == retrying ]]' 30 "job e retrying"
from=$(dlog_lines)
config 1 "" 2
kill -HUP "$MASTER_PID"
wait_for 'dlog_since '"$from"' "reload: .* read"' 30 "the reload"
dlog_since "$from" "replacing every worker" && fail "a change of the retry keys replaced the workers"
touch "$T/gate.e.2"
wait_for '[[ $(state_of '"$e"') == buried ]]' 30 "job e buried"
[[ $(attempts e) == 2 ]] || fail "after the reload to retry = 1, e ran $(attempts e) times, not 2"
h=$(pctl submit noretry h 75 go) || fail "submit noretry h"
wait_for '[[ $(state_of '"$h"') == buried ]]' 30 "noretry job h buried"
[[ $(attempts h) == 3 ]] || fail "[kind.noretry] without retry now: h ran $(attempts h) times, not 3 (its queue's)"
d2=$(pctl submit checksum sha256 "$T/not-there") || fail "submit checksum"
wait_for '[[ $(state_of '"$d2"') == buried ]]' 30 "checksum job d2 buried"
rec=$(pctl job "$d2")
[[ $(grep -c "^  attempt [123] at " <<<"$rec") == 3 ]] || fail "[module.checksum] retry = 2 now: not tried 3 times: $rec"
expect_workers 2
[[ ${pids[*]} == "$before" ]] || fail "the workers changed at the reload: $before -> ${pids[*]}"
log "reload: retry keys applied to the next failure, workers kept"
true
