#!/bin/bash
# A job source's counters in status (text and JSON) and metrics, printed
# by the generic code from the source's stats op (daemon/source.h): the
# Redis source's lines keep their exact form.  One entry runs, one is
# rejected (dead-lettered).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

start_redis
write_inst a workers=1 extra="$(redis_section stream=jobs)"
start_inst a
wait_for '[[ $(istat a redis.connected) == 1 ]]' 10 "instance a connected"
rcli XADD jobs '*' task noop >/dev/null
rcli XADD jobs '*' task nosuchtask >/dev/null
wait_for '[[ $(istat a redis.acked) == 2 ]]' 20 "both entries acknowledged"

text=$(ipctl a status) || fail "status failed"
want="redis: connected, entries: 2 read, 2 acked, 0 claimed, 1 dead-lettered, 0 reconnects"
grep -qxF "$want" <<<"$text" || fail "no line '$want' in the status: $text"

json=$(ipctl a status --json) || fail "status --json failed"
want='"redis":{"connected":1,"read":2,"acked":2,"claimed":0,"dead_lettered":1,"reconnects":0}'
grep -qF "$want" <<<"$json" || fail "no '$want' in the JSON status: $json"

metrics=$(ipctl a metrics) || fail "metrics failed"
want=$'# HELP poold_redis_connected Whether poold is connected to Redis (1) or not (0).
# TYPE poold_redis_connected gauge
poold_redis_connected 1
# HELP poold_redis_read_total Stream entries read (XREADGROUP).
# TYPE poold_redis_read_total counter
poold_redis_read_total 2
# HELP poold_redis_acked_total Stream entries acknowledged (XACK).
# TYPE poold_redis_acked_total counter
poold_redis_acked_total 2
# HELP poold_redis_claimed_total Idle entries of other consumers claimed.
# TYPE poold_redis_claimed_total counter
poold_redis_claimed_total 0
# HELP poold_redis_dead_lettered_total Entries moved to the dead-letter stream.
# TYPE poold_redis_dead_lettered_total counter
poold_redis_dead_lettered_total 1
# HELP poold_redis_reconnects_total Connections to Redis made again after a loss.
# TYPE poold_redis_reconnects_total counter
poold_redis_reconnects_total 0'
[[ $metrics == *"$want"* ]] || fail "the Redis metrics differ: $(grep redis <<<"$metrics")"
stop_inst a || fail "instance a did not stop cleanly"
true
