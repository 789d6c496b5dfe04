#!/bin/bash
# A module whose init fails in one worker only (issue 12): that worker
# says so in its hello and the master gives the module's jobs to the
# other worker, so every one of them succeeds there, while the refusing
# worker goes on serving the other kinds.  The test module's init fails
# in the first worker that creates $POOLD_TEST_REFUSE_FILE, and only
# there.  (A kind that no worker can run: t_module's mbadinit.)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
need cc build-essential
cc -shared -fPIC -Wall -Wextra -Wno-unused-parameter -Werror -I"$SRC/common/include" \
	-o "$T/half.so" "$SRC/tests/modules/mod_half.c" >"$T/cc.log" 2>&1 || fail "cc: $(cat "$T/cc.log")"

export POOLD_TEST_REFUSE_FILE=$T/refused
write_config workers=2 level=debug \
	extra="[module.half]\nfile = $T/half.so\ncode = 2100"
start_daemon
expect_workers 2
[[ -s $T/refused ]] || fail "no worker's init failed"
bad=$(cat "$T/refused")
dlog_has "worker\[[01]\]: module half: init of mhalf failed: the device of worker pid $bad is missing; this worker takes no mhalf jobs" ||
	fail "the init failure was not logged"
bad_slot=$(grep -o "worker\[[01]\]: module half: init of mhalf failed" "$DLOG" | head -1 | tr -dc 0-9 | head -c1)

seed=${POOLD_TEST_SEED:-$RANDOM}
log "seed $seed"
n=$(awk -v s="$seed" 'BEGIN { srand(s); print 200 + int(rand() * 300) }')
awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) { print "mhalf " i; print "noop"; print "noop" } }' >"$T/jobs"
stream_jobs "$T/jobs" 2
wait_exit "$BG_PID" 60 || fail "the submitter did not finish"
wait_accepted $((3 * n)) 60
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.mhalf.failed) == 0 ]] ||
	fail "$(stat_of tasks.mhalf.failed) mhalf jobs failed: $(grep -m1 'mhalf failed' "$DLOG")"
[[ $(stat_of tasks.mhalf.done) == "$n" ]] || fail "mhalf jobs done: $(stat_of tasks.mhalf.done), not $n"
[[ $(stat_of tasks.noop.done) == $((2 * n)) ]] || fail "noop jobs done: $(stat_of tasks.noop.done)"
ran=$(grep -c "mhalf ok on worker\[[01]\]: ran in pid" "$DLOG")
((ran == n)) || fail "$ran mhalf successes logged, not $n"
grep -q "mhalf ok on worker\[$bad_slot\]\|mhalf ok on worker\[[01]\]: ran in pid $bad\$" "$DLOG" &&
	fail "an mhalf job ran on the refusing worker[$bad_slot] (pid $bad)"
# The refusing worker serves the other kinds.  Fill dispatch may have
# given every noop above to the busier worker; with that one stopped, it
# holds at most [pool] inflight (128) of these 400 and the rest must go
# to the refusing worker.
good_pid=$(slot_field "$(status_json)" $((1 - bad_slot)) pid)
[[ -n $good_pid ]] || fail "no pid for worker[$((1 - bad_slot))]"
kill_worker STOP "$good_pid"
awk 'BEGIN { for (i = 0; i < 400; i++) print "noop" }' >"$T/noops"
stream_jobs "$T/noops" 1
wait_for "grep -q 'noop ok on worker\[$bad_slot\]' '$DLOG'" 60 \
	"a noop job on the refusing worker[$bad_slot] while worker[$((1 - bad_slot))] is stopped"
kill_worker CONT "$good_pid"
wait_exit "$BG_PID" 60 || fail "the noop submitter did not finish"
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.noop.done) == $((2 * n + 400)) ]] || fail "noop jobs done: $(stat_of tasks.noop.done)"
dlog_has "no worker can run" && fail "the master said no worker can run mhalf"
log "ok: $n mhalf jobs on the worker whose init succeeded, worker[$bad_slot] served noop"
