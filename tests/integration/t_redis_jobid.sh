#!/bin/bash
# A Redis job is addressable like any other: its options (key=) travel in
# the entry's task field as on a FIFO line; `poolctl job` finds it by
# key and shows its stream entry ID beside its local id.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

start_redis
write_inst a workers=1 extra="$(redis_section stream=jobs consumer=a)"
start_inst a
wait_for '[[ $(istat a redis.connected) == 1 ]]' 10 "instance a connected to Redis"

ipctl a submit --redis key=from-redis/1 log via-redis || fail "submit --redis exited $?"
eid=$(rcli XRANGE jobs - + | head -1)
[[ $eid =~ ^[0-9]+-[0-9]+$ ]] || fail "no entry in the stream: $eid"
[[ $(rcli XRANGE jobs - + | grep -c '^key=from-redis/1 log$') == 1 ]] ||
	fail "the key is not in the task field: $(rcli XRANGE jobs - +)"
wait_for "ipctl a job key=from-redis/1 2>/dev/null | grep -q '^state: done$'" 20 "the Redis job done"
out=$(ipctl a job key=from-redis/1) || fail "job key=from-redis/1 exited $?"
grep -q "^redis entry: $eid$" <<<"$out" || fail "the stream entry ID $eid is not shown: $out"
grep -Eq '^job [0-9]+$' <<<"$out" || fail "no local id: $out"
ipctl a job key=from-redis/1 --json | grep -q "\"redis_id\":\"$eid\"" ||
	fail "json: $(ipctl a job key=from-redis/1 --json)"
true
