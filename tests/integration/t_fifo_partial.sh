#!/bin/bash
# Half lines: a writer that leaves an unfinished line in the FIFO and
# closes does not get it glued onto another writer's later line.  Once
# the line has sat unfinished for the grace (1 s), it is discarded,
# counted as rejected and logged with its beginning, and a line written
# afterwards runs exactly as written.  A slow writer that splits one line
# into two writes well within the grace still gets its line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
start_daemon
echo data >"$ALLOW_DIR/x"

# ---- an abandoned "log " ------------------------------------------------------
fifo_send_raw 'log '
wait_for '[[ $(stat_of jobs.rejected) == 1 ]]' 20 "the unfinished line to be rejected"
dlog_has 'rejected FIFO line "log ": unfinished line' ||
	fail "the discarded line was not logged with its text: $(grep 'rejected FIFO' "$DLOG")"
fifo_send "backup $ALLOW_DIR/x"
wait_accepted 1
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.backup.done) == 1 ]] || fail "the backup line did not run as a backup"
[[ $(stat_of tasks.log.accepted) == 0 ]] || fail "a log job was made of another writer's line"
cmp -s "$ALLOW_DIR/x" "$BACKUP_DIR$ALLOW_DIR/x/@latest" || fail "no backup of $ALLOW_DIR/x"

# ---- a slow writer: one line in two writes, 0.2 s apart ---------------------------
timeout 10 bash -c 'exec 3>"$1"; printf "log split-" >&3; sleep 0.2; printf "line\n" >&3' \
	slow "$FIFO" || fail "the slow writer failed"
wait_accepted 2
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
grep -q ' split-line$' "$JOBLOG" || fail "a line written in two parts within the grace was lost"
[[ $(stat_of jobs.rejected) == 1 ]] || fail "the slow writer's line was rejected"
true
