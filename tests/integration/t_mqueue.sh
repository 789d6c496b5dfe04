#!/bin/bash
# The POSIX message-queue intake ([control] mqueue): the queue's mode and
# owner; jobs from `poolctl submit --mq` and the C example; messages taken
# highest priority first while the pool is at its queue limit; a full
# queue refuses a non-blocking sender (EAGAIN) and blocks a blocking one
# until there is room; a hostile sender (NUL, invalid UTF-8, empty,
# embedded newline, random bytes, an oversized message) is refused without
# touching the jobs around it; at a stop, what the queue holds is taken
# in (journaled) and runs after the restart; what is sent while poold is
# down runs at the next start.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${MQTOOL:-} && -n ${MQ_SEND_EXAMPLE:-} ]] || fail "MQTOOL and MQ_SEND_EXAMPLE must be set (run through ctest)"
MQ=/poold-test-$$-$RANDOM
AT_EXIT+=("\"$MQTOOL\" unlink $MQ")
log "message queue $MQ"

write_config workers=1 queue_limit=1 shutdown_timeout=1s kill_timeout=1s extra="[control]\nmqueue = $MQ"
start_daemon

# Mode and owner as the FIFO's: 0620, ours; nobody else may send.
st=$("$MQTOOL" stat "$MQ") || fail "no message queue $MQ"
[[ $st == "mode=0620 uid=$(id -u) maxmsg=10 msgsize=4096 curmsgs=0" ]] || fail "queue: $st"
if [[ $(id -u) == 0 ]]; then
	rc=0
	setpriv --reuid=65534 --regid=65534 --clear-groups "$MQTOOL" send "$MQ" 0 </dev/null 2>>"$T/client.log" || rc=$?
	((rc == 13)) || fail "uid 65534 was not refused (EACCES) by mode 0620: exit $rc"
fi

# Plain submission, both ways.
"$POOLCTL" -c "$CONF" submit --mq log m-1 || fail "submit --mq"
"$MQ_SEND_EXAMPLE" "$MQ" 0 "log m-2" || fail "the C example"
wait_for 'grep -q " m-2$" "$JOBLOG"' 10 "the two mqueue jobs"
check_ids m 2 once

# Hold the pool at its queue limit: one job, on a stopped worker.
expect_workers 1
kill_worker STOP "${pids[0]}"
fifo_send "log hold"
wait_for '[[ $(stat_of jobs.accepted) == 3 ]]' 10 "the held job accepted"
send() { printf '%s' "$2" | "$MQTOOL" send "$MQ" "$1" "${3:-}"; }
send 0 "log p-0a"
send 5 "log p-5"
send 9 "log p-9a"
send 3 "log p-3"
send 9 "log p-9b"
send 0 "log p-0b"
for i in 1 2 3 4; do send 1 "log f-$i" || fail "send f-$i"; done
[[ $("$MQTOOL" stat "$MQ") == *curmsgs=10 ]] || fail "the queue does not hold 10 messages: $("$MQTOOL" stat "$MQ")"
rc=0
send 1 "log f-x" nb 2>>"$T/client.log" || rc=$?
((rc == 11)) || fail "a non-blocking send to the full queue gave exit $rc, not EAGAIN (11)"
bg_sh "exec '$MQTOOL' send '$MQ' 1 <<<'log f-5'"
sender=$BG_PID
# The blocking sender sleeps in the kernel's queue wait (wq_sleep), not done.
wait_for '[[ $(cat /proc/$sender/wchan 2>/dev/null) == wq_sleep ]]' 10 \
	"the blocking sender to wait in mq_send"
[[ $("$MQTOOL" stat "$MQ") == *curmsgs=10 ]] || fail "the full queue changed while the pool was held"
kill_worker CONT "${pids[0]}"
wait_exit "$sender" 20 || fail "the blocked sender did not finish once there was room"
wait_for 'grep -q " p-0b$" "$JOBLOG"' 20 "every queued message to run"
order=$(awk '$3 ~ /^(hold|p-|f-)/ { printf "%s ", $3 }' "$JOBLOG")
want="hold p-9a p-9b p-5 p-3 f-1 f-2 f-3 f-4 f-5 p-0a p-0b "
[[ $order == "$want" ]] || fail "run order '$order', not '$want'"
grep -q " f-x$" "$JOBLOG" && fail "the refused non-blocking message ran"

# A hostile sender: each message is refused alone.
printf 'log a\0b' | "$MQTOOL" send "$MQ" 0
printf 'log \xff\xfe' | "$MQTOOL" send "$MQ" 0
printf '' | "$MQTOOL" send "$MQ" 0
printf 'log h-1\nlog h-2' | "$MQTOOL" send "$MQ" 0
head -c 4096 /dev/urandom | "$MQTOOL" send "$MQ" 0
rc=0
head -c 5000 /dev/zero | tr '\0' x | "$MQTOOL" send "$MQ" 0 2>>"$T/client.log" || rc=$?
((rc == 90)) || fail "a 5000-byte message was not refused by the kernel (EMSGSIZE): exit $rc"
send 0 "log h-ok"
wait_for 'grep -q " h-ok$" "$JOBLOG"' 10 "the good message after the hostile ones"
[[ $(stat_of mqueue.rejected) == 5 ]] || fail "mqueue.rejected is $(stat_of mqueue.rejected), not 5"
grep -Eq " h-[12]$" "$JOBLOG" && fail "a message with a newline inside ran as jobs"
dlog_has 'rejected mqueue message "log a\\x00b": NUL byte' || fail "the NUL message's rejection is not logged"
dlog_has 'rejected mqueue message .*invalid UTF-8' || fail "the invalid UTF-8 rejection is not logged"

# A stop takes in what the queue holds (journaled), with the pool held.
expect_workers 1
kill_worker STOP "${pids[0]}"
fifo_send "log sh-0"
wait_for 'grep -q "\"queued\":0" <<<"$(status_json)" && [[ $(stat_of jobs.in_flight) == 1 ]]' 10 "sh-0 on the held worker"
for i in 1 2 3; do send 0 "log s-$i"; done
[[ $("$MQTOOL" stat "$MQ") == *curmsgs=3 ]] || fail "the held pool took messages: $("$MQTOOL" stat "$MQ")"
stop_daemon
[[ $("$MQTOOL" stat "$MQ") == *curmsgs=0 ]] || fail "the stop left messages in the queue: $("$MQTOOL" stat "$MQ")"
start_daemon
wait_for 'grep -q " s-3$" "$JOBLOG"' 10 "the messages taken at the stop, after the restart"
check_ids s 3 once

# Sent while poold is down: waits in the queue for the next start.
stop_daemon
send 0 "log d-1"
start_daemon
wait_for 'grep -q " d-1$" "$JOBLOG"' 10 "the message sent while poold was down"
alive "$MASTER_PID" || fail "the master died"
true
