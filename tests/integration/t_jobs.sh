#!/bin/bash
# Every job kind end to end, through the FIFO (echo > FIFO) and through
# `poolctl submit`: noop, log (format, escaping, no forged lines), backup
# of a file and of a tree, net to a live and to a closed loopback port;
# the counters of `poolctl status` and `status --json`; the exit code of
# `poolctl wait` after good jobs (0) and after a failed one (1).
# Needs socat.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need socat socat
write_config workers=2
start_daemon

# ---- noop -------------------------------------------------------------------
fifo_send noop
pctl submit noop || fail "poolctl submit noop exited $?"
fifo_send 1 # the numeric code of noop
wait_accepted 3
pctl_wait || fail "poolctl wait after noop jobs exited $?"
j=$(status_json) || fail "poolctl status --json failed"
[[ $(jget "$j" tasks.noop.done) == 3 ]] || fail "tasks.noop.done is not 3: $j"

# ---- log ----------------------------------------------------------------------
ts='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z'
fifo_send "log via-fifo some text"
pctl submit log via-poolctl 'two  spaces' || fail "poolctl submit log exited $?"
fifo_send "2 via-code"
# A control character cannot reach the log: the FIFO parser rejects the
# line, and only that line.
fifo_send_raw 'log before-esc\nlog esc-a\033b\nlog after-esc\n'
# Tab and backslash are escaped, so "\n job=1" in a text stays text.
fifo_send_raw 'log tab\there\n'
pctl submit log 'back\slash\n2026-01-01T00:00:00.000000Z job=999 forged' ||
	fail "poolctl submit log with backslashes exited $?"
pctl submit log 'grüße, ünïcödé' || fail "poolctl submit log with UTF-8 exited $?"
# poolctl refuses a control character itself, before anything is sent.
pctl submit log $'client-esc\x1bx' 2>>"$T/client.log"
rc=$?
((rc == 65)) || fail "poolctl submit of a control character exited $rc, not 65"

wait_accepted 11
pctl_wait || fail "poolctl wait after log jobs exited $?"
j=$(status_json)
[[ $(jget "$j" tasks.log.done) == 8 ]] || fail "tasks.log.done is not 8: $j"
[[ $(jget "$j" jobs.rejected) == 1 ]] || fail "jobs.rejected is not 1: $j"
dlog_has 'rejected FIFO line "log esc-a\\x1bb": control character 0x1b' ||
	fail "the daemon log does not say why the line with ESC was rejected"

for re in "via-fifo some text" "via-poolctl two  spaces" "via-code" "before-esc" "after-esc" \
	'tab\\there' 'back\\\\slash\\\\n2026-01-01T00:00:00\.000000Z job=999 forged' \
	'grüße, ünïcödé'; do
	n=$(grep -Ec "^$ts job=[1-9][0-9]* $re\$" "$JOBLOG")
	((n == 1)) || fail "expected one line '... job=ID $re' in $JOBLOG, found $n"
done
[[ $(wc -l <"$JOBLOG") == 8 ]] || fail "$JOBLOG does not have exactly 8 lines"
grep -q $'\x1b' "$JOBLOG" && fail "an ESC byte reached $JOBLOG"
grep -Eq "^$ts job=999 " "$JOBLOG" && fail "a forged line 'job=999' is in $JOBLOG"
[[ $(awk '{ print $2 }' "$JOBLOG" | sort | uniq -d) == "" ]] || fail "two log lines share a job id"

# ---- backup -----------------------------------------------------------------
printf 'first version\n' >"$ALLOW_DIR/file.txt"
chmod 0640 "$ALLOW_DIR/file.txt"
head -c 300000 /dev/urandom >"$ALLOW_DIR/big.bin"
mkdir -p "$ALLOW_DIR/tree/sub/deeper" "$ALLOW_DIR/tree/empty"
printf 'a\n' >"$ALLOW_DIR/tree/a.txt"
printf 'b\n' >"$ALLOW_DIR/tree/sub/b.txt"
head -c 70000 /dev/urandom >"$ALLOW_DIR/tree/sub/deeper/c.bin"
printf 'gone soon\n' >"$ALLOW_DIR/tree/sub/old.txt"
ln -s ../a.txt "$ALLOW_DIR/tree/sub/link"

fifo_send "backup $ALLOW_DIR/file.txt"
pctl submit backup "$ALLOW_DIR/tree" || fail "poolctl submit backup (tree) exited $?"
# A relative path is made absolute by poolctl, from its working directory.
(cd "$ALLOW_DIR" && pctl submit backup big.bin) || fail "poolctl submit backup big.bin exited $?"
wait_accepted 14
pctl_wait || fail "poolctl wait after backups exited $? ($(cat "$T/wait.out"))"
B=$BACKUP_DIR$ALLOW_DIR
cmp "$ALLOW_DIR/file.txt" "$B/file.txt/@latest" || fail "backup of file.txt differs"
cmp "$ALLOW_DIR/big.bin" "$B/big.bin/@latest" || fail "backup of big.bin (relative path) differs"
[[ $(stat -L -c %a "$B/file.txt/@latest") == 640 ]] || fail "backup of file.txt lost its mode 0640"
diff -r --no-dereference "$ALLOW_DIR/tree" "$B/tree/@latest/" >&2 || fail "backup of tree/ differs"
[[ -L $B/tree/@latest/sub/link && $(readlink "$B/tree/@latest/sub/link") == ../a.txt ]] ||
	fail "the symlink in tree/ was not copied as a symlink"
[[ -d $B/tree/@latest/empty ]] || fail "the empty directory in tree/ was not copied"

# A second backup is a new generation, which @latest points to as a whole.
printf 'second version\n' >"$ALLOW_DIR/file.txt"
rm "$ALLOW_DIR/tree/sub/old.txt"
printf 'new\n' >"$ALLOW_DIR/tree/new.txt"
pctl submit backup "$ALLOW_DIR/file.txt" || fail "poolctl submit backup exited $?"
fifo_send "backup $ALLOW_DIR/tree/"
wait_accepted 16
pctl_wait || fail "poolctl wait after the second backups exited $? ($(cat "$T/wait.out"))"
cmp "$ALLOW_DIR/file.txt" "$B/file.txt/@latest" || fail "second backup of file.txt differs"
diff -r --no-dereference "$ALLOW_DIR/tree" "$B/tree/@latest/" >&2 || fail "second backup of tree/ differs"
no_backup_tmp "$BACKUP_DIR" || fail "temporary entries left in the backup dir: $(find "$BACKUP_DIR" -path '*poold-tmp*')"
j=$(status_json)
[[ $(jget "$j" tasks.backup.done) == 5 ]] || fail "tasks.backup.done is not 5: $j"

# ---- net ----------------------------------------------------------------------
start_listener 127.0.0.1
port=$LISTEN_PORT
closed_port 127.0.0.1
fifo_send "net 127.0.0.1:$port"
pctl submit net "127.0.0.1:$port" || fail "poolctl submit net exited $?"
wait_accepted 18
pctl_wait || fail "poolctl wait after good net jobs exited $? ($(cat "$T/wait.out"))"
[[ $(connections "$T/listener-1.log") == 2 ]] ||
	fail "the listener saw $(connections "$T/listener-1.log") connections, not 2"

# ---- a failed job, and poolctl wait -------------------------------------------
pctl submit net "127.0.0.1:$CLOSED_PORT" || fail "poolctl submit net (closed port) exited $?"
wait_accepted 19
pctl_wait
rc=$?
((rc == 1)) || fail "poolctl wait after a failed job exited $rc, not 1 ($(cat "$T/wait.out"))"
grep -q '^waited [0-9]* failed 1' "$T/wait.out" || fail "wait did not say 'failed 1': $(cat "$T/wait.out")"
grep -Eq "^job [0-9]+ net: .*127\.0\.0\.1:$CLOSED_PORT.*refused" "$T/wait.out" ||
	fail "wait did not list the failed net job and its reason: $(cat "$T/wait.out")"
dlog_has "job [0-9]+ net failed on worker\[[0-9]+\]: .*refused" ||
	fail "the daemon log does not give the reason of the failed net job"

# ---- the counters, as text and as JSON -----------------------------------------
j=$(status_json)
for kv in jobs.accepted=19 jobs.done=18 jobs.failed=1 jobs.rejected=1 jobs.queued=0 \
	jobs.in_flight=0 tasks.noop.accepted=3 tasks.noop.done=3 tasks.log.accepted=8 \
	tasks.log.done=8 tasks.log.failed=0 tasks.backup.accepted=5 tasks.backup.done=5 \
	tasks.net.accepted=3 tasks.net.done=2 tasks.net.failed=1 workers.ready=2; do
	v=$(jget "$j" "${kv%=*}")
	[[ $v == "${kv#*=}" ]] || fail "status --json: ${kv%=*} is '$v', not ${kv#*=}: $j"
done
pctl status >"$T/status.txt" 2>>"$T/client.log" || fail "poolctl status exited $?"
grep -Eq '19 accepted, 18 done, 1 failed, 0 timed out, 1 rejected' "$T/status.txt" ||
	fail "poolctl status does not show the totals: $(cat "$T/status.txt")"
for row in "noop 3 3 0" "log 8 8 0" "backup 5 5 0" "net 3 2 1"; do
	# shellcheck disable=SC2086
	set -- $row
	awk -v t="$1" -v a="$2" -v d="$3" -v f="$4" \
		'$1 == t && $2 == a && $3 == d && $4 == f { ok = 1 } END { exit !ok }' "$T/status.txt" ||
		fail "poolctl status has no row '$row': $(cat "$T/status.txt")"
done
