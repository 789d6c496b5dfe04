#!/bin/bash
# redis-server goes away for a few seconds while poold holds entries it
# read (its workers are stopped, so hundreds are queued and in flight)
# and comes back on the same port with its data (SHUTDOWN SAVE, then a
# restart from the same directory).  Meanwhile the held jobs finish and
# FIFO jobs keep flowing.  poold logs the loss once and the return once,
# counts the reconnection, sends the acknowledgements it kept, and every
# one of the 20,000 Redis jobs runs exactly once.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

N=20000
F=2000
start_redis
write_config workers=2 extra="$(redis_section stream=jobs claim_idle=1s)"
start_daemon
wait_for '[[ $(stat_of redis.connected) == 1 ]]' 10 "poold connected to Redis"

expect_workers 2
kill -STOP "${pids[@]}"
AT_EXIT=("kill -CONT ${pids[*]} 2>/dev/null; true" "${AT_EXIT[@]}")
gen_ids o "$N" >"$T/redis.in"
pctl submit --redis - <"$T/redis.in" || fail "poolctl submit --redis - exited $?"
wait_for '(( $(stat_of jobs.queued) + $(stat_of jobs.in_flight) >= 200 ))' 10 \
	"poold to hold 200 entries"
held=$(($(stat_of jobs.queued) + $(stat_of jobs.in_flight)))

t0=$(now_us)
stop_redis save
wait_for 'dlog_has "master: redis: connection lost: .*; reconnecting"' 5 "the loss to be logged"
log "redis-server stopped with $held jobs held by poold"
kill -CONT "${pids[@]}"

# FIFO jobs while Redis is away, and the held jobs finish.
gen_ids f "$F" >"$T/fifo.in"
pctl submit - <"$T/fifo.in" || fail "poolctl submit - exited $?"
wait_for '[[ $(grep -c " f-" "$JOBLOG") -ge '"$F"' ]]' 20 "the FIFO jobs to run while Redis is down"
wait_for '[[ $(stat_of jobs.queued) == 0 && $(stat_of jobs.in_flight) == 0 ]]' 10 \
	"the held jobs to finish"
[[ $(stat_of redis.connected) == 0 ]] || fail "status says connected while redis-server is down"
(($(grep -c " o-" "$JOBLOG") == $(stat_of redis.read))) || fail "jobs read and logged differ"
while (($(now_us) - t0 < 3000000)); do
	sleep 0.1
done

start_redis
down_ms=$((($(now_us) - t0) / 1000))
wait_for 'dlog_has "master: redis: reconnected to redis://127.0.0.1:'"$REDIS_PORT"' after"' 15 \
	"poold to reconnect"
log "redis-server was down for $down_ms ms"
wait_for '[[ $(stat_of redis.connected) == 1 ]]' 5 "status to say connected"

group_field() {
	rcli XINFO GROUPS jobs | awk -v k="$1" 'prev == k { print; exit } { prev = $0 }'
}
wait_for '[[ $(group_field lag) == 0 && $(group_field pending) == 0 ]]' 60 \
	"every entry delivered and acknowledged"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids o "$N" once
check_ids f "$F" once
j=$(status_json)
(($(jget "$j" redis.reconnects) >= 1)) || fail "reconnects is not at least 1: $j"
(($(jget "$j" redis.acked) == N)) || fail "acked is not $N: $j"
[[ $(jget "$j" jobs.failed) == 0 ]] || fail "failed jobs: $j"
lost=$(grep -c "master: redis: connection lost" "$DLOG")
back=$(grep -c "master: redis: reconnected" "$DLOG")
((lost == 1 && back == 1)) || fail "$lost 'connection lost' and $back 'reconnected' lines, not one each"
log "$(jget "$j" redis.read) read, $(jget "$j" redis.acked) acked, $(jget "$j" redis.reconnects) reconnects"
