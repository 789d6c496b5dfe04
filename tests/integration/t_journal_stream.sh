#!/bin/bash
# Log lines for the journal: when JOURNAL_STREAM is "DEV:INODE" of the
# daemon's standard error (as systemd sets it when it connects stderr to
# the journal), every line starts with its sd-daemon priority, "<3>" for
# errors to "<7>" for debug, so `journalctl -p err` finds the errors; when
# JOURNAL_STREAM names another file, or is garbage, no line has a prefix.
#
# The "journal" here is a plain file: what poold compares is stderr's
# st_dev and st_ino (stat -c '%d:%i', both decimal, as systemd writes
# them), not what is behind it.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# no_prefix FILE: fails if a line of FILE carries a priority prefix, or is
# not a line of poold at all.
no_prefix() {
	local bad
	bad=$(grep -Ev '^(master|worker\[[0-9]+\]): ' "$1" | head -3)
	[[ -z $bad ]] || fail "lines of $1 with a prefix or of unknown form: $bad"
}

# ---- 1. JOURNAL_STREAM matches stderr: every line prefixed ---------------

write_config workers=2 level=debug
: >"$DLOG"
stream=$(stat -c '%d:%i' "$DLOG") || fail "cannot stat $DLOG"
JOURNAL_STREAM=$stream start_daemon
expect_workers 2

fifo_send noop "bogus-task 1"
wait_for 'dlog_has "rejected FIFO line"' 10 "the rejected FIFO line in $DLOG"
write_config workers=2 level=debug extra_pool="bogus = 1"
kill -HUP "$MASTER_PID"
wait_for 'dlog_has "reload failed"' 10 "the failed reload in $DLOG"
write_config workers=2 level=debug
kill_worker KILL "${pids[0]}"
wait_for 'dlog_has "pid ${pids[0]} killed by signal"' 10 "the master to see worker ${pids[0]} die"
pctl submit noop || fail "poolctl submit exited $?"
pctl_wait 30 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
stop_daemon
((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC"

bad=$(grep -Ev '^<[3-7]>(master|worker\[[0-9]+\]): ' "$DLOG" | head -3)
[[ -z $bad ]] || fail "lines without a priority prefix although JOURNAL_STREAM=$stream: $bad"
for want in \
	'^<6>master: poold [0-9.]+ starting: pid ' \
	'^<6>master: ready: 2 workers' \
	'^<7>master: worker\[[01]\]: ready$' \
	'^<4>master: rejected FIFO line "bogus-task 1": ' \
	'^<3>master: reload failed, keeping the running configuration: .*unknown key' \
	'^<4>master: worker\[[01]\]: pid [0-9]+ killed by signal' \
	'^<6>master: signal TERM: stopping' \
	'^<6>master: stopped$'; do
	dlog_has "$want" || fail "no line like '$want' in $DLOG"
done
log "JOURNAL_STREAM=$stream: $(wc -l <"$DLOG") lines, all with a priority"

# A bad file at start-up: the error has its prefix too, and the exit code.
: >"$T/daemon-badconf.log"
stream=$(stat -c '%d:%i' "$T/daemon-badconf.log") || fail "cannot stat daemon-badconf.log"
write_config file="$T/bad.ini" extra_pool="bogus = 1"
JOURNAL_STREAM=$stream timeout 10 "$POOLD" -c "$T/bad.ini" </dev/null >>"$T/daemon-badconf.log" 2>&1
rc=$?
((rc == 78)) || fail "poold with a bad file exited $rc, not 78"
grep -Eq '^<3>master: .*bad\.ini:[0-9]+: unknown key' "$T/daemon-badconf.log" ||
	fail "no <3> error for the bad file: $(cat "$T/daemon-badconf.log")"

# ---- 2. JOURNAL_STREAM names something else: no prefix ---------------------

n=1
for stream in "$(stat -c '%d:%i' "$CONF")" "garbage" "" "$(stat -c '%d' "$CONF"):"; do
	n=$((n + 1))
	DLOG=$T/daemon-$n.log
	: >"$DLOG"
	JOURNAL_STREAM=$stream start_daemon
	fifo_send "bogus-task $n"
	wait_for 'dlog_has "rejected FIFO line"' 10 "the rejected FIFO line in $DLOG"
	stop_daemon
	((DAEMON_RC == 0)) || fail "the master exited with code $DAEMON_RC (JOURNAL_STREAM='$stream')"
	no_prefix "$DLOG"
	dlog_has '^master: ready: 2 workers' || fail "no 'ready:' line in $DLOG"
done
log "JOURNAL_STREAM of another file, garbage or empty: no prefix"

# Standard error not the file JOURNAL_STREAM names, though stdout is: the
# prefix is for stderr only.
DLOG=$T/daemon-split.log
: >"$DLOG"
: >"$T/stdout.log"
stream=$(stat -c '%d:%i' "$T/stdout.log") || fail "cannot stat stdout.log"
JOURNAL_STREAM=$stream timeout 10 "$POOLD" -t -c "$CONF" </dev/null >>"$T/stdout.log" 2>>"$DLOG"
rc=$?
((rc == 0)) || fail "poold -t exited $rc"
dlog_has '^master: configuration .* is valid' || fail "poold -t said: $(cat "$DLOG")"
no_prefix "$DLOG"
