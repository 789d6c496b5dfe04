#!/bin/bash
# Backup temporaries never outlive their job: a tree backup slowed down
# (an injected 50 ms per copy) has its worker SIGKILLed in the middle of
# the copy, runs again on another worker and is stopped there by its
# job_timeout (TERM); once the job has ended and the workers have been
# replaced, no temporary is left in the backup dir (the replacement
# workers sweep what dead workers left), and no partial copy is in place.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ASan must come first among preloaded libraries; with the tool first it
# refuses unless told the order does not matter here.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
write_config workers=2 extra='[backup]\njob_timeout = 2s'
LD_PRELOAD=$FAULT_INJECT FAULT_SLOW_PATH=poold-tmp start_daemon

mkdir -p "$ALLOW_DIR/tree"
for i in $(seq 1 100); do echo "file $i" >"$ALLOW_DIR/tree/f$i"; done

# The worker that holds a backup temporary open, if any.
copying_worker() {
	local p fd
	for p in $(workers_pids); do
		for fd in "/proc/$p/fd/"*; do
			if [[ $(readlink "$fd" 2>/dev/null) == *poold-tmp* ]]; then
				echo "$p"
				return 0
			fi
		done
	done
	return 1
}

fifo_send "backup $ALLOW_DIR/tree"
wait_for 'copying_worker >/dev/null' 20 "a worker to be copying the tree"
victim=$(copying_worker)
kill_worker KILL "$victim"
wait_for '! alive '"$victim" 10 "the killed worker to be gone"
wait_for '[[ $(stat_of tasks.backup.timed_out) == 1 ]]' 60 "the second attempt to time out"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 30 "both workers to be back"
wait_for 'no_backup_tmp "$BACKUP_DIR"' 30 "the temporaries to be swept"
dlog_has "removed [0-9]+ stale backup temporar" || fail "the sweep was not logged"
[[ ! -e $BACKUP_DIR$ALLOW_DIR/tree/@latest ]] || fail "a partial copy is in place"

# The pool still backs up (without the slow disk now out of the way: a
# single small file is one slowed copy).
echo ok >"$ALLOW_DIR/small.txt"
fifo_send "backup $ALLOW_DIR/small.txt"
wait_for '[[ $(stat_of tasks.backup.done) == 1 ]]' 20 "a later backup to succeed"
no_backup_tmp "$BACKUP_DIR" || fail "the later backup left a temporary"
cmp "$ALLOW_DIR/small.txt" "$BACKUP_DIR$ALLOW_DIR/small.txt/@latest" || fail "the later backup differs"
