#!/bin/bash
# Faults, real where they can be: a full disk (a 1 MiB tmpfs) and an EIO
# (injected, since no real disk here fails on demand) during a backup fail
# the job with the reason, leave no temp file and keep the old backup; a
# full task pipe (EAGAIN: a stopped worker and big jobs) is backpressure,
# not loss; fork failing (injected: root cannot be given an RLIMIT_NPROC)
# makes the slot back off while the pool keeps serving.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"
((EUID == 0)) || { log "SKIP: mounting a tmpfs needs root"; exit 0; }
SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=1m tmpfs "$SMALL" || { log "SKIP: cannot mount a tmpfs"; exit 0; }
AT_EXIT+=("umount '$SMALL'")
# ASan must come first among preloaded libraries; with the tool first it
# refuses unless told the order does not matter here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
BACKUP_DIR=$SMALL/backups
write_config workers=2 inflight=64
# Only the daemon (and the workers it forks) gets the faults.  Its first
# fork makes the spawner, whose clones of the workers count on from 2.
LD_PRELOAD=$FAULT_INJECT FAULT_EIO_PATH=eio-here FAULT_FORK_FROM=4 FAULT_FORK_COUNT=3 \
	start_daemon

# No room: a small file fits, then a 3 MiB one does not (refused before
# it is written, by the free-space check).
echo "v1" >"$ALLOW_DIR/doc.txt"
fifo_send "backup $ALLOW_DIR/doc.txt"
wait_for '[[ $(stat_of tasks.backup.done) == 1 ]]' 10 "the first backup"
head -c 3145728 /dev/urandom >"$ALLOW_DIR/doc.txt"
fifo_send "backup $ALLOW_DIR/doc.txt"
wait_for '[[ $(stat_of tasks.backup.failed) == 1 ]]' 10 "the backup to fail on the full disk"
dlog_has "no room for $ALLOW_DIR/doc.txt: 3145728 bytes to write" ||
	fail "the reason (no room on the backup file system) is not in the log"
no_backup_tmp "$SMALL" || fail "a temp file was left on the full disk"
[[ $(cat "$SMALL/backups$ALLOW_DIR/doc.txt/@latest") == v1 ]] || fail "the old backup was damaged"

# EIO, injected into the copy of a file whose temporary (named after it)
# has eio-here in its name.
echo "data" >"$ALLOW_DIR/eio-here.txt"
fifo_send "backup $ALLOW_DIR/eio-here.txt"
wait_for '[[ $(stat_of tasks.backup.failed) == 2 ]]' 10 "the backup to fail with EIO"
dlog_has "Input/output error" || fail "the reason EIO is not in the log"
no_backup_tmp "$SMALL" || fail "a temp file was left after EIO"
pctl_wait && fail "poolctl wait exited 0 after two failed backups"
grep -q "failed 2" "$T/wait.out" || fail "wait did not report the two failures: $(cat "$T/wait.out")"

# EAGAIN: stop a worker and give it more than its pipe holds.  Both are
# stopped while the jobs go in (else the master may fill the one it saw
# active and give the other none), then the second continues.
expect_workers 2
kill -STOP "${pids[@]}"
text=$(head -c 3000 /dev/zero | tr '\0' 'p')
for i in $(seq 1 200); do echo "log big-$i $text"; done | pctl submit - ||
	fail "poolctl submit - exited $?"
wait_accepted 200
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) -gt 0 ]]' 10 "the stopped worker to hold jobs"
kill -CONT "${pids[1]}"
# Until every job the stopped worker does not hold has ended: what it holds
# then is all it was given (a pipe's worth written, the rest kept back).
settled() {
	local j
	j=$(status_json) || return 1
	held=$(slot_field "$j" 0 in_flight)
	(($(jget "$j" jobs.done) + $(jget "$j" jobs.failed) + held == $(jget "$j" jobs.accepted)))
}
wait_for settled 60 "the jobs the running worker was given to end"
log "the stopped worker holds $held big log jobs"
((held > 0)) || fail "the stopped worker holds no job; the test proves nothing"
kill -CONT "${pids[0]}"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(grep -c ' big-[0-9]* p' "$JOBLOG") == 200 ]] || fail "not all 200 big log jobs ran once"

# fork failing: forks 4 to 6 fail (the spawner's and the 2 workers' at start succeed).
expect_workers 2
kill -KILL "${pids[0]}"
wait_for 'dlog_has "cannot start a worker"' 10 "a failed fork to be reported"
fifo_send "log after-fork-failure"
wait_for 'grep -q " after-fork-failure$" "$JOBLOG"' 10 "the pool to keep serving"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 30 "the slot to come back after its back-off"
alive "$MASTER_PID" || fail "the master died"
true
