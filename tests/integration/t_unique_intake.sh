#!/bin/bash
# Unique keys on every intake (issue 14): with `unique = until-done` on
# the queue "long", a job that failed keeps its key=, and the same key sent
# again through Redis, the POSIX message queue and the FIFO is counted as
# deduplicated, never run and never refused: the Redis entry is
# acknowledged (not pending, not dead-lettered), the message queue and
# the FIFO count no rejection.  The socket answers the holder's id.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

[[ -n ${MQTOOL:-} ]] || fail "MQTOOL must be set (run through ctest)"
MQ=/poold-test-$$-$RANDOM
AT_EXIT+=("\"$MQTOOL\" unlink $MQ")
closed_port 127.0.0.1
probe=(net "127.0.0.1:$CLOSED_PORT")

start_redis
write_inst a workers=1 extra="$(redis_section stream=jobs consumer=a)
[control]
mqueue = $MQ
[queue.long]
unique = until-done"
start_inst a
wait_for '[[ $(istat a redis.connected) == 1 ]]' 10 "instance a connected to Redis"

id=$(ipctl a submit key=probe "${probe[@]}") || fail "submit exited $?"
wait_for "ipctl a job $id 2>/dev/null | grep -q '^state: failed'" 20 "job $id failed"
[[ $(ipctl a submit key=probe "${probe[@]}") == "$id" ]] ||
	fail "the socket did not answer the holder's id $id"

ipctl a submit --redis key=probe "${probe[@]}" || fail "submit --redis exited $?"
wait_for '[[ $(istat a jobs.deduplicated) == 2 ]]' 20 "the Redis entry deduplicated"
wait_for '[[ $(rcli XPENDING jobs poold | head -1) == 0 ]]' 10 "the Redis entry acknowledged"
[[ $(rcli XLEN jobs:dead) == 0 ]] || fail "the duplicate was dead-lettered: $(rcli XRANGE jobs:dead - +)"

ipctl a submit --mq key=probe "${probe[@]}" || fail "submit --mq exited $?"
wait_for '[[ $(istat a jobs.deduplicated) == 3 ]]' 20 "the mqueue message deduplicated"
[[ $(istat a mqueue.rejected) == 0 ]] || fail "the mqueue duplicate was counted as rejected"

ipctl a submit --fifo key=probe "${probe[@]}" || fail "submit --fifo exited $?"
wait_for '[[ $(istat a jobs.deduplicated) == 4 ]]' 20 "the FIFO line deduplicated"
[[ $(istat a jobs.rejected) == 0 ]] || fail "the FIFO duplicate was counted as rejected"
[[ $(istat a jobs.accepted) == 1 ]] || fail "accepted $(istat a jobs.accepted) jobs, not 1"
[[ $(istat a jobs.keys) == 1 ]] || fail "$(istat a jobs.keys) keys held, not 1"
grep -q "redis job key=probe deduplicated: job $id holds the key" "$T/daemon-a.log" ||
	fail "no deduplication line for the Redis entry"
log "Redis, mqueue and FIFO duplicates of failed job $id: deduplicated, none refused"
true
