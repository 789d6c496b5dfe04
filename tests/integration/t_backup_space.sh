#!/bin/bash
# Backups write what the source really holds: a 1 TiB sparse file (made
# with truncate -s) under an allowed root is backed up onto a 1 MiB tmpfs
# and its copy stays sparse; a 2 MiB file of real data does not fit and
# fails with the free-space reason, before anything is written, leaving no
# temporary behind and the old copy whole.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

((EUID == 0)) || { log "SKIP: mounting a tmpfs needs root"; exit 0; }
SMALL=$T/small
mkdir -p "$SMALL"
mount -t tmpfs -o size=1m tmpfs "$SMALL" || { log "SKIP: cannot mount a tmpfs"; exit 0; }
AT_EXIT+=("umount '$SMALL'")
BACKUP_DIR=$SMALL/backups
write_config workers=2
start_daemon

# 1 TiB of hole with a line of data at each end.
big=$ALLOW_DIR/sparse.img
echo head >"$big"
truncate -s 1T "$big" || fail "cannot make a 1 TiB sparse file here"
echo tail >>"$big"
fifo_send "backup $big"
wait_for '[[ $(stat_of tasks.backup.done) == 1 ]]' 30 "the sparse backup (log: $(tail -n 3 "$DLOG"))"
copy=$BACKUP_DIR$big/@latest
[[ $(stat -L -c %s "$copy") == $(stat -c %s "$big") ]] || fail "the copy has another size: $(stat -L -c %s "$copy")"
blocks=$(stat -L -c %b "$copy")
((blocks * 512 <= 65536)) || fail "the copy of a sparse file has $blocks blocks allocated"
[[ $(head -c 5 "$copy") == head && $(tail -c 5 "$copy") == tail ]] || fail "the copy's data differs"

# Real data that does not fit: refused with the reason, nothing left.
echo v1 >"$ALLOW_DIR/doc.txt"
fifo_send "backup $ALLOW_DIR/doc.txt"
wait_for '[[ $(stat_of tasks.backup.done) == 2 ]]' 10 "the small backup"
head -c 2097152 /dev/urandom >"$ALLOW_DIR/doc.txt"
fifo_send "backup $ALLOW_DIR/doc.txt"
wait_for '[[ $(stat_of tasks.backup.failed) == 1 ]]' 10 "the backup that does not fit to fail"
dlog_has "no room for $ALLOW_DIR/doc.txt: 2097152 bytes to write, [0-9]* free on the backup file system" ||
	fail "the free-space reason is not in the log: $(grep 'backup failed' "$DLOG")"
no_backup_tmp "$SMALL" || fail "a temporary was left: $(find "$SMALL")"
[[ $(cat "$BACKUP_DIR$ALLOW_DIR/doc.txt/@latest") == v1 ]] || fail "the old backup was damaged"
true
