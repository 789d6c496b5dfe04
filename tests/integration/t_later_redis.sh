#!/bin/bash
# Delayed jobs from a Redis stream: an entry with in= or at= is not left
# pending in the group until it is due; it is journaled (fsync = always:
# synced) and then acknowledged, and shows as scheduled.  After a SIGKILL
# of the master it comes back from the journal (the stream has nothing
# pending to hand out again) and runs once, not before its due time.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"
# shellcheck source=later_lib.sh
. "$(dirname "$0")/later_lib.sh"

LONG=$(awk -v k="$TIME_SCALE" 'BEGIN { printf "%d", 10 * k }')
ALOG=$(inst_dir a)/jobs.log

start_redis
write_inst a workers=1 journal_fsync=always extra="$(redis_section stream=jobs consumer=a)"
start_inst a
wait_for '[[ $(istat a redis.connected) == 1 ]]' 10 "instance a connected to Redis"

ipctl a submit --redis log now-1 || fail "submit --redis exited $?"
ipctl a submit --redis key=r1 "in=${LONG}" log later-1 || fail "submit --redis in= exited $?"
ipctl a submit --redis key=r2 "at=$(($(date +%s) + LONG))" log later-2 ||
	fail "submit --redis at= exited $?"
wait_for '[[ $(istat a jobs.scheduled) == 2 ]]' 10 "both delayed entries scheduled"
# Journaled, then acknowledged: nothing stays pending while they wait.
wait_for '[[ $(rcli XPENDING jobs poold | head -1) == 0 ]]' 10 "no entry pending"
due1=$(job_due ipctl a job key=r1)
due2=$(job_due ipctl a job key=r2)
awk -v d="$due1" -v n="$(date +%s.%N)" 'BEGIN { exit !(n < d) }' ||
	fail "the entries stayed pending until their due time (or LONG is too short)"
ipctl a job key=r1 | grep -q '^state: scheduled' || fail "r1: $(ipctl a job key=r1)"
ipctl a job key=r1 | grep -Eq '^redis entry: [0-9]+-[0-9]+$' || fail "r1 lost its entry ID"
grep -q ' later-' "$ALOG" && fail "a delayed job ran early"

# SIGKILL: the journal has them, the stream does not.
kill_inst a
[[ $(rcli XPENDING jobs poold | head -1) == 0 ]] || fail "entries pending after the kill"
start_inst a
wait_for '[[ $(istat a redis.connected) == 1 ]]' 10 "instance a connected again"
[[ $(istat a jobs.scheduled) == 2 ]] || fail "not scheduled after the restart: $(istat a jobs.scheduled)"
wait_for "ipctl a job key=r1 | grep -q '^state: done$' && ipctl a job key=r2 | grep -q '^state: done$'" \
	$((LONG * 3 + 30)) "both delayed jobs done"
on_time "$ALOG" "$due1" later-1
on_time "$ALOG" "$due2" later-2
[[ $(grep -c ' now-1$' "$ALOG") == 1 ]] || fail "now-1 ran $(grep -c ' now-1$' "$ALOG") times"
[[ $(rcli XPENDING jobs poold | head -1) == 0 ]] || fail "entries pending at the end"
[[ $(istat a redis.claimed) == 0 ]] || fail "entries were claimed again: $(istat a redis.claimed)"
