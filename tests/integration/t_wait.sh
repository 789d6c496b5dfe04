#!/bin/bash
# `poolctl wait` as scripts use it: with nothing to wait for it returns 0
# at once; with --timeout it gives up (exit 75) while a job cannot end;
# and `poolctl submit --fifo - <jobs && poolctl wait` returns only once every job
# that submit sent has ended -- also when the daemon's queue is full and
# part of them still sits in the FIFO, unread (backpressure).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=1 inflight=1 queue_limit=10
start_daemon

pctl_wait 10 || fail "poolctl wait with no jobs exited $?"
grep -q '^waited 0 failed 0$' "$T/wait.out" || fail "unexpected reply: $(cat "$T/wait.out")"

# A job that cannot end (its worker is stopped): --timeout gives up.
w=$(workers_pids)
kill_worker STOP "$w"
fifo_send noop
wait_accepted 1
pctl wait --timeout 500ms >"$T/wait.out" 2>>"$T/client.log"
rc=$?
((rc == 75)) || fail "poolctl wait --timeout 500ms on a stuck job exited $rc, not 75"
kill_worker CONT "$w"
pctl_wait 10 || fail "poolctl wait after the worker continued exited $?"

# submit --fifo, then wait: 2,000 lines fit in the FIFO's pipe buffer, so submit
# returns while the daemon (10 jobs queued at most) has read few of them.
# The worker is stopped until the wait request is in, so that this is so
# however fast the machine.
N=2000
kill_worker STOP "$w"
gen_ids r "$N" | pctl submit --fifo - || fail "poolctl submit --fifo - exited $?"
bg_sh 'exec timeout 60 "$POOLCTL" -c "$CONF" wait >"$T/wait-bg.out" 2>>"$T/client.log"'
waiter=$BG_PID
# Until the daemon has read the wait request (poolctl sleeps on its reply,
# nothing unread on the socket); no guess at how long that takes.
wait_for '[[ -n $(session_comm "$waiter" poolctl) ]]' 30 "poolctl wait to start"
# shellcheck disable=SC2034 # used in the wait_for condition
wpid=$(session_comm "$waiter" poolctl)
wait_for 'ctl_request_taken "$wpid" || ! alive "$wpid"' 30 "the wait request to reach the daemon"
alive "$waiter" || fail "poolctl wait returned while the worker was stopped: $(cat "$T/wait-bg.out")"
kill_worker CONT "$w"
wait_exit "$waiter" 60 || fail "poolctl wait did not return"
((WAIT_RC == 0)) || fail "poolctl wait exited $WAIT_RC ($(cat "$T/wait-bg.out"))"
# None of the N jobs could end before the call (the worker was stopped), so
# the wait is for all of them: "waited N".
grep -q "^waited $N failed 0\$" "$T/wait-bg.out" ||
	fail "poolctl wait after 'poolctl submit -' of $N jobs did not wait for all of them: $(head -1 "$T/wait-bg.out") (the rest was still unread in the FIFO)"
j=$(status_json)
accepted=$(jget "$j" tasks.log.accepted) done=$(jget "$j" tasks.log.done)
((accepted == N && done == N)) ||
	fail "poolctl wait returned after 'poolctl submit -' of $N jobs with only $done done and $accepted accepted ($(cat "$T/wait-bg.out")); the rest was still unread in the FIFO"
check_ids r "$N" once
