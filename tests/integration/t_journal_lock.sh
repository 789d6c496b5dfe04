#!/bin/bash
# One poold per journal (issue 15, item 3).  A second poold with its own
# FIFO and socket but the same [journal] file is refused at start (exit
# 73, "in use by another poold (pid N)") before it touches anything: it
# replays none of the first's jobs and does not compact its file.  The
# lock lives on JOURNAL.lock, so the first's compactions (by rename) do
# not weaken it; it dies with the master even while its workers still
# live (they do not inherit it), so a restart after a crash is not
# refused.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

J=$RUN/journal
write_config workers=1
start_daemon
first=$MASTER_PID
[[ $(cat "$J.lock") == "$first" ]] || fail "$J.lock does not hold the master's pid"

# Jobs held unfinished by the first poold: its only worker is stopped.
expect_workers 1
kill -STOP "${pids[0]}"
gen_ids held 20 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 20
wait_for 'grep -ac "held-20" "$J" >/dev/null' 10 "the 20th job in the journal"
cp "$J" "$T/journal.before"
ino_before=$(stat -c %i "$J")

# The second poold: its own FIFO and socket, the same journal.
mkdir -p "$T/run2"
chmod 0700 "$T/run2"
sed -e "s|^fifo = .*|fifo = $T/run2/control|" -e "s|^socket = .*|socket = $T/run2/control.sock|" \
	"$CONF" >"$T/second.ini"
timeout -k 5 20 "$POOLD" -c "$T/second.ini" </dev/null >"$T/daemon-second.log" 2>&1
rc=$?
((rc == 73)) || fail "the second poold exited $rc, not 73: $(cat "$T/daemon-second.log")"
grep -q "journal $J is in use by another poold (pid $first; lock $J.lock)" \
	"$T/daemon-second.log" || fail "the refusal does not say why: $(cat "$T/daemon-second.log")"
grep -q 'queued again' "$T/daemon-second.log" && fail "the second poold replayed the journal"
[[ -e $T/run2/control || -e $T/run2/control.sock ]] &&
	fail "the refused poold created its FIFO or socket"
[[ $(stat -c %i "$J") == "$ino_before" ]] || fail "the refused poold replaced the journal"
cmp -s "$J" "$T/journal.before" || fail "the refused poold changed the journal"

# The first runs on, journaling into the file that is still the journal.
kill -CONT "${pids[0]}"
pctl_wait || fail "the first poold's jobs failed ($(cat "$T/wait.out"))"
check_ids held 20 once

# A crash of the master with its worker alive (stopped): the worker does
# not hold the lock, so a new poold starts at once and replays.
gen_ids crash 10 >"$T/crash.in"
expect_workers 1
kill -STOP "${pids[0]}"
pctl submit - <"$T/crash.in" || fail "poolctl submit - exited $?"
wait_accepted 30
wait_for 'grep -ac "crash-10" "$J" >/dev/null' 10 "the crash jobs in the journal"
old_worker=${pids[0]}
kill -KILL "$MASTER_PID"
daemon_exit 10
alive "$old_worker" || fail "the old worker is gone already; the test proves nothing"
start_daemon
[[ $(cat "$J.lock") == "$MASTER_PID" ]] || fail "$J.lock does not hold the new master's pid"
dlog_has '10 unfinished jobs of a previous run queued again' ||
	fail "the restarted poold did not replay the 10 jobs"
kill -KILL "$old_worker" # a stopped orphan of the killed master
pctl_wait || fail "the replayed jobs failed ($(cat "$T/wait.out"))"
check_ids crash 10 atleast

# After the restart's compaction (a rename), a second poold is still refused.
timeout -k 5 20 "$POOLD" -c "$T/second.ini" </dev/null >"$T/daemon-second2.log" 2>&1
rc=$?
((rc == 73)) || fail "after a compaction the second poold exited $rc, not 73"
true
