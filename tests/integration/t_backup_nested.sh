#!/bin/bash
# Concurrent backups of nested paths: a tree, a directory inside it and a
# file inside that, 60 jobs in random order over 4 workers, all succeed
# (none with "Directory not empty"), leave no temporary, and each path's
# @latest is a whole, current copy.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SEED=${SEED:-$RANDOM}
log "seed $SEED"
RANDOM=$SEED
write_config workers=4 extra='[backup]\nkeep = 3'
start_daemon

mkdir -p "$ALLOW_DIR/top/sub/deep"
for i in $(seq 1 50); do echo "top $i" >"$ALLOW_DIR/top/t$i"; done
for i in $(seq 1 50); do echo "sub $i" >"$ALLOW_DIR/top/sub/s$i"; done
echo "deep" >"$ALLOW_DIR/top/sub/deep/f"
paths=("$ALLOW_DIR/top" "$ALLOW_DIR/top/sub" "$ALLOW_DIR/top/sub/deep/f")
for i in $(seq 1 60); do
	echo "backup ${paths[RANDOM % 3]}"
done | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 60
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"); $(grep 'backup failed' "$DLOG" | head -3))"
[[ $(stat_of tasks.backup.done) == 60 ]] || fail "not all 60 backups done: $(status_json)"
no_backup_tmp "$BACKUP_DIR" || fail "temporaries left: $(find "$BACKUP_DIR" -path '*poold-tmp/*')"
B=$BACKUP_DIR$ALLOW_DIR
for p in top top/sub; do
	[[ -d $B/$p/@latest ]] || continue
	diff -r "$ALLOW_DIR/$p" "$B/$p/@latest/" >&2 || fail "$p/@latest differs from its source"
	n=$(find "$B/$p" -mindepth 1 -maxdepth 1 -name '@[0-9]*' | wc -l)
	((n <= 3)) || fail "$p has $n generations, over keep = 3"
done
