#!/bin/bash
# Entries that must not run, or not again, end in the dead-letter stream
# with their reason, and are acknowledged:
#   - not a valid job (unknown task, no task field): at once, "rejected";
#   - a job that failed: after its outcome is recorded, "failed";
#   - an entry whose consumers keep dying while they hold it: each time
#     the poold holding it is SIGKILLed, the next one claims it after
#     claim_idle; once it has been delivered max_attempts (3) times it is
#     moved instead ("delivered 3 times"), and never runs.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

start_redis

# inst NAME: writes and starts an instance with consumer name NAME.
inst() {
	write_inst "$1" workers=1 extra="$(redis_section stream=jobs consumer="$1" claim_idle=1s max_attempts=3)"
	start_inst "$1"
	wait_for "[[ \$(istat $1 redis.connected) == 1 ]]" 10 "instance $1 connected to Redis"
}

# dead_field INDEX FIELD: a field of the INDEX-th (from 1) dead letter
# (a Lua script: field values may look like anything).
dead_field() {
	rcli EVAL "local e = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', ARGV[1])[tonumber(ARGV[1])]
		if not e then return nil end
		for i = 1, #e[2], 2 do if e[2][i] == ARGV[2] then return e[2][i + 1] end end
		return nil" 1 jobs:dead "$1" "$2"
}

inst a
rcli XADD jobs '*' task bogus args x id bad-1 >/dev/null
rcli XADD jobs '*' text 'no task here' >/dev/null
rcli XADD jobs '*' task backup args /nonexistent/file id fail-1 >/dev/null
wait_for '[[ $(istat a redis.dead_lettered) == 3 ]]' 10 "three dead letters"
[[ $(rcli XLEN jobs:dead) == 3 ]] || fail "jobs:dead holds $(rcli XLEN jobs:dead) entries, not 3"
[[ $(dead_field 1 outcome) == rejected && $(dead_field 1 reason) == "unknown task 'bogus'" &&
	$(dead_field 1 id) == bad-1 && $(dead_field 1 task) == bogus ]] ||
	fail "bad dead letter for the unknown task: $(rcli XRANGE jobs:dead - + COUNT 1 | tr '\n' ' ')"
[[ $(dead_field 2 outcome) == rejected && $(dead_field 2 reason) == "no task field" &&
	$(dead_field 2 text) == "no task here" ]] ||
	fail "bad dead letter for the entry without a task"
[[ $(dead_field 3 outcome) == failed && $(dead_field 3 reason) == *"not under any [backup] allow root"* &&
	$(dead_field 3 args) == /nonexistent/file && $(dead_field 3 id) == fail-1 ]] ||
	fail "bad dead letter for the failed job: $(rcli XRANGE jobs:dead - + | tr '\n' ' ')"
entry=$(dead_field 1 entry)
[[ $entry =~ ^[0-9]+-[0-9]+$ ]] || fail "the dead letter does not name its entry: '$entry'"
[[ $(rcli XPENDING jobs poold | head -1) == 0 ]] || fail "entries still pending after dead-lettering"
grep -q "master: redis: entry $entry id bad-1 rejected: unknown task 'bogus'; moved to jobs:dead" \
	"$T/daemon-a.log" || fail "the rejection was not logged"

# The poison entry: each poold holding it is killed before its worker
# can run it (the workers are stopped), three deliveries in all.
mapfile -t w < <(inst_workers a)
kill -STOP "${w[@]}"
poison=$(rcli XADD jobs '*' task log args poison-1 id poison)
wait_for '[[ $(istat a redis.read) == 4 ]]' 10 "instance a to read the poison entry"
prev=a
for next in b c d; do
	inst "$next"
	mapfile -t w < <(inst_workers "$next")
	kill -STOP "${w[@]}"
	log "killing instance $prev, which holds the entry (delivered $(rcli XPENDING jobs poold - + 10 | sed -n 4p) times)"
	kill_inst "$prev"
	[[ $next == d ]] && break
	wait_for "[[ \$(istat $next redis.claimed) == 1 ]]" 10 "instance $next to claim the entry"
	prev=$next
done
wait_for '[[ $(istat d redis.dead_lettered) == 1 ]]' 10 "instance d to move the entry to jobs:dead"
[[ $(istat d redis.claimed) == 0 ]] || fail "instance d claimed the entry to run it"
[[ $(dead_field 4 entry) == "$poison" && $(dead_field 4 reason) == "delivered 3 times" &&
	$(dead_field 4 outcome) == undeliverable && $(dead_field 4 args) == poison-1 &&
	$(dead_field 4 id) == poison ]] ||
	fail "bad dead letter for the poison entry: $(rcli XRANGE jobs:dead "$poison" + | tr '\n' ' ')"
[[ $(rcli XPENDING jobs poold | head -1) == 0 ]] || fail "the poison entry is still pending"
grep -q "master: redis: entry $poison delivered 3 times; moved to jobs:dead" "$T/daemon-d.log" ||
	fail "instance d did not log the move"
if grep -qs poison-1 "$T"/inst-*/jobs.log; then
	fail "the poison entry ran"
fi
mapfile -t w < <(inst_workers d)
kill -CONT "${w[@]}"
stop_inst d || fail "instance d did not stop cleanly"
