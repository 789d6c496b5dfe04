#!/bin/bash
# Job priorities in the master's queue: with one worker held (SIGSTOP),
# 20 jobs of priority 0 and then 2,000 of priority 9 arrive through the
# message queue; once the worker runs again the priority-9 jobs go first,
# yet no priority-0 job waits behind more than 513 others (the bound
# daemon/queue.c states for level 0 against level 9: 2^9 + 1), and each
# level keeps its own order.  Then the job option pri= through the FIFO,
# across a SIGKILL of the master: the journal keeps each job's priority,
# so after the restart the pri=9 jobs run before the older pri=0 ones.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${MQTOOL:-} ]] || fail "MQTOOL must be set (run through ctest)"
MQ=/poold-test-$$-$RANDOM
AT_EXIT+=("\"$MQTOOL\" unlink $MQ")

write_config workers=1 inflight=1 extra="[control]\nmqueue = $MQ"
start_daemon
expect_workers 1
kill_worker STOP "${pids[0]}"
fifo_send "log hold"
wait_accepted 1
gen_ids lo 20 | "$POOLCTL" -c "$CONF" submit --mq --priority 0 - || fail "submit --mq lo"
gen_ids hi 2000 | "$POOLCTL" -c "$CONF" submit --mq --priority 9 - || fail "submit --mq hi"
wait_accepted 2021
kill_worker CONT "${pids[0]}"
pctl_wait
check_ids lo 20 once
check_ids hi 2000 once

awk '{ print $3 }' "$JOBLOG" >"$T/order"
[[ $(sed -n 2p "$T/order") == hi-1 ]] || fail "the first job after the held one is $(sed -n 2p "$T/order"), not hi-1"
# Gaps: other jobs run while a priority-0 job was waiting (all were
# queued before the worker ran again, so from the start on).
awk '
	/^lo-/ { n = substr($0, 4); if (n != ++lo) bad = "lo out of order at " $0
		if (since > worst) worst = since; since = 0; next }
	/^hi-/ { n = substr($0, 4); if (n != ++hi) bad = "hi out of order at " $0
		if (lo < 20) since++ }
	END { if (bad != "") { print bad; exit 1 } print worst }' "$T/order" >"$T/gap" ||
	fail "$(cat "$T/gap")"
worst=$(cat "$T/gap")
log "priority 9 first; a priority-0 job waited behind at most $worst others"
((worst <= 513)) || fail "a priority-0 job waited behind $worst jobs (bound 513)"
((worst >= 400)) || fail "a priority-0 job waited behind only $worst jobs: not weighted"

# pri= through the FIFO, kept by the journal across a SIGKILL.
expect_workers 1
kill_worker STOP "${pids[0]}"
fifo_send "log k-hold"
wait_accepted 2022
{
	seq -f 'log k-lo%g' 1 3
	seq -f 'pri=9 log k-hi%g' 1 3
} | pctl submit --fifo - || fail "submit --fifo with pri= failed"
wait_accepted 2028
kill -KILL "$MASTER_PID"
wait_exit "$MASTER_PID" 10 || fail "the master did not die of SIGKILL"
kill -KILL "${pids[0]}" # its stopped worker, of our daemon's session
MASTER_PID=
start_daemon
dlog_has "unfinished jobs of a previous run queued again" || fail "nothing replayed after SIGKILL"
pctl_wait || fail "poolctl wait after the restart"
order=$(awk '$3 ~ /^k-/ { printf "%s ", $3 }' "$JOBLOG")
log "after SIGKILL and restart: $order"
[[ $order == *"k-hi1 k-hi2 k-hi3 "*"k-lo1 k-lo2 k-lo3 "* ]] ||
	fail "order after the restart '$order': the pri=9 jobs did not go first"
[[ $(grep -c " k-" "$JOBLOG") == 7 ]] || fail "not every k- job ran once"
true
