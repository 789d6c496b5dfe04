#!/bin/bash
# backup jobs cannot be turned against the host: a path with "..", a
# symlink out of the allowed root, a directory symlink as a component, a
# hard link to a file outside the root, a FIFO inside the root (must not hang), a path outside the root: each one
# fails with its reason in the daemon log, and nothing is created outside
# [backup] dir.  poolctl refuses "backup ../x" itself.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
OUT=$T/outside
mkdir -p "$OUT/dir"
printf 'secret-outside\n' >"$OUT/secret.txt"
printf 'secret-in-dir\n' >"$OUT/dir/inner.txt"
printf 'fine\n' >"$ALLOW_DIR/ok.txt"
ln -s ../outside/secret.txt "$ALLOW_DIR/link-out"
ln -s "$OUT/secret.txt" "$ALLOW_DIR/link-out-abs"
ln -s ../outside/dir "$ALLOW_DIR/dirlink"
mkdir "$ALLOW_DIR/sub"
ln -s ../ok.txt "$ALLOW_DIR/sub/link-in"
mkfifo "$ALLOW_DIR/fifo"
ln "$OUT/secret.txt" "$ALLOW_DIR/hardlink-out"
start_daemon

# Everything but the daemon's own files, to compare afterwards.
snapshot() {
	find "$T" -mindepth 1 -path "$BACKUP_DIR" -prune -o -path "$RUN" -prune -o -name '*.log' -prune -o \
		-name 'wait.out' -prune -o -name 'snap.*' -prune -o -printf '%p %y %s %T@\n' | sort
}
snapshot >"$T/snap.before"

# Rejected by the master's check of the line: counted as rejected.
fifo_send "backup $ALLOW_DIR/../outside/secret.txt"
fifo_send "backup $ALLOW_DIR/sub/../../outside/secret.txt"
wait_for '[[ $(stat_of jobs.rejected) == 2 ]]' 10 "two '..' lines rejected"
dlog_has "rejected FIFO line \"backup .*\": path has a '..' component" ||
	fail "the daemon did not say why the '..' path was rejected"

# Accepted, and failed by the worker.
bad=(
	"$ALLOW_DIR/link-out|symlink"
	"$ALLOW_DIR/link-out-abs|symlink"
	"$ALLOW_DIR/dirlink/inner.txt|symlink"
	"$ALLOW_DIR/dirlink|symlink"
	"$ALLOW_DIR/sub/link-in|symlink"
	"$ALLOW_DIR/fifo|fifo|FIFO"
	"$ALLOW_DIR/hardlink-out|2 hard links"
	"$OUT/secret.txt|not under any \[backup\] allow root"
	"/etc/hostname|not under any \[backup\] allow root"
)
n=0
for b in "${bad[@]}"; do
	fifo_send "backup ${b%%|*}"
	n=$((n + 1))
done
wait_accepted "$n"
# A FIFO opened for reading would block the worker: the wait is bounded.
pctl_wait 20
rc=$?
((rc == 1)) || fail "poolctl wait after the unsafe backups exited $rc, not 1 ($(cat "$T/wait.out"))"
j=$(status_json)
[[ $(jget "$j" tasks.backup.failed) == "$n" ]] || fail "not all $n unsafe backups failed: $j"
[[ $(jget "$j" tasks.backup.done) == 0 ]] || fail "an unsafe backup succeeded: $j"

# Each failure with its reason, in the order sent (ids 1.. after the rejections).
for b in "${bad[@]}"; do
	path=${b%%|*} why=${b#*|}
	grep -Eiq -- "$why" < <(grep -E "job [0-9]+ backup failed on worker\[[0-9]+\]: " "$DLOG" |
		grep -F -- "$path") || fail "no failure with reason /$why/ for $path in the daemon log"
done

# A safe backup still works, and only it is in the backup dir.
fifo_send "backup $ALLOW_DIR/ok.txt"
wait_accepted $((n + 1))
pctl_wait || fail "poolctl wait after a good backup exited $? ($(cat "$T/wait.out"))"
cmp "$ALLOW_DIR/ok.txt" "$BACKUP_DIR$ALLOW_DIR/ok.txt/@latest" || fail "the good backup differs"
# One generation of ok.txt and its @latest link, nothing else.
found=$(cd "$BACKUP_DIR" && find . -mindepth 1 \( -type f -o -type l -o -type p \) -print | sort |
	sed 's/@[0-9]\{8\}T[0-9]\{6\}\.[0-9]\{6\}Z$/@GEN/')
[[ $found == "./${ALLOW_DIR#/}/ok.txt/@GEN"$'\n'"./${ALLOW_DIR#/}/ok.txt/@latest" ]] ||
	fail "unexpected entries in the backup dir: $found"
grep -rq secret "$BACKUP_DIR" && fail "secret content was copied into the backup dir"

snapshot >"$T/snap.after"
diff "$T/snap.before" "$T/snap.after" >&2 || fail "files outside the backup dir changed"

# poolctl: a relative path is made absolute, and ".." is refused before sending.
accepted=$(stat_of jobs.accepted)
(cd "$ALLOW_DIR" && pctl submit backup ../x 2>"$T/client-dotdot.log")
rc=$?
((rc == 65)) || fail "poolctl submit backup ../x exited $rc, not 65"
grep -q "'\.\.'" "$T/client-dotdot.log" || fail "poolctl did not say why ../x was refused: $(cat "$T/client-dotdot.log")"
# `poolctl wait` first takes in every line already in the FIFO: had the
# refused line been sent, it would be counted now.
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of jobs.accepted) == "$accepted" && $(stat_of jobs.rejected) == 2 ]] ||
	fail "poolctl sent the refused line anyway"
