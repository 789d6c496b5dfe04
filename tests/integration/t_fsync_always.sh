#!/bin/bash
# [journal] fsync = always without the loop waiting for the disk: the
# master's event loop (its main thread) never calls fdatasync or fsync;
# the sync thread does (group commit), and every job still runs, once.
# strace -f, attached to the running master, lists which thread synced.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need strace strace
N=3000
write_config workers=2 journal_fsync=always
start_daemon
bg_run strace -f -qq -e trace=fdatasync,fsync -o "$T/strace.out" -p "$MASTER_PID"
tracer=$BG_PID
# strace prints nothing until the first traced call: wait until it is
# attached to every thread of the master (TracerPid in their status).
wait_for '! grep -L "^TracerPid:[[:space:]]*$tracer\$" /proc/$MASTER_PID/task/*/status | grep -q .' \
	10 "strace attached to every thread of the master"

gen_ids f "$N" >"$T/jobs.in"
pctl submit - <"$T/jobs.in" || fail "poolctl submit - exited $?"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids f "$N" once
kill -INT "$tracer"
wait_exit "$tracer" 10 || fail "strace did not end"

syncs=$(grep -c 'fdatasync\|fsync' "$T/strace.out" || true)
in_loop=$(grep -cE "^$MASTER_PID +(fdatasync|fsync)" "$T/strace.out" || true)
log "syncs while $N jobs ran: $syncs; by the event loop's thread: $in_loop"
((syncs > 0)) || fail "no sync at all with fsync = always: $(head -5 "$T/strace.out")"
((in_loop == 0)) || fail "the event loop called fdatasync $in_loop times: $(grep -E "^$MASTER_PID " "$T/strace.out" | head -3)"
((syncs < N)) || fail "$syncs syncs for $N jobs: no group commit"
true
