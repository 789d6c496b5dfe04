#!/bin/bash
# Workers hold nothing that is not theirs: descriptors 0, 1, 2 and exactly
# two pipes, both shared with the master and with no other worker (no
# FIFO, no socket, no other worker's pipe, nothing of libev); no blocked
# signal, no handler, only SIGPIPE (and SIGXFSZ) ignored, whatever the
# master inherited.  Checked for the first
# workers, for workers added by HUP, for a replacement after a crash, and
# after log jobs (when the [log] file may be open too).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
start_daemon

# pipe inodes a process holds, one per line
pipes_of() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		readlink "$fd"
	done | sed -n 's/^pipe:\[\([0-9]*\)\]$/\1/p' | sort
}

# check_worker PID [ALLOWED-EXTRA-PATH]
check_worker() {
	local pid=$1 extra=${2:-} fd target fds=() pipes=0 others=() k
	is_worker "$pid" || fail "$pid is not a worker of the master"
	for fd in /proc/"$pid"/fd/*; do
		fds+=("${fd##*/}")
		target=$(readlink "$fd") || continue
		case ${fd##*/} in
		0 | 1 | 2) ;;
		*)
			if [[ $target == pipe:* ]]; then
				pipes=$((pipes + 1))
			elif [[ -n $extra && $target == "$extra" ]]; then
				:
			else
				others+=("${fd##*/} -> $target")
			fi
			;;
		esac
	done
	for k in 0 1 2; do
		[[ -e /proc/$pid/fd/$k ]] || fail "worker $pid has no descriptor $k"
	done
	((${#others[@]} == 0)) || fail "worker $pid holds descriptors that are not its own: ${others[*]}"
	((pipes == 2)) || fail "worker $pid holds $pipes pipes, not 2 (fds: ${fds[*]})"
	# Both pipes are its own: the master holds their other ends, no other worker does.
	[[ -n $(comm -23 <(pipes_of "$pid") <(pipes_of "$MASTER_PID")) ]] &&
		fail "worker $pid holds a pipe the master has no end of"
	for k in $(workers_pids); do
		[[ $k == "$pid" ]] && continue
		[[ -n $(comm -12 <(pipes_of "$pid") <(pipes_of "$k")) ]] &&
			fail "workers $pid and $k share a pipe"
	done
	local blk cgt ign
	blk=$(awk '$1 == "SigBlk:" { print $2 }' "/proc/$pid/status")
	cgt=$(awk '$1 == "SigCgt:" { print $2 }' "/proc/$pid/status")
	ign=$(awk '$1 == "SigIgn:" { print $2 }' "/proc/$pid/status")
	[[ $blk == 0000000000000000 ]] || fail "worker $pid blocks signals: SigBlk $blk"
	# Signals 32 and 33 (mask bits 31, 32) are glibc's own (thread
	# cancellation, setxid), installed once the master has its journal sync
	# thread; sigaction(2) refuses to change them, in the worker or anywhere.
	((0x$cgt & ~0x180000000)) && fail "worker $pid has signal handlers: SigCgt $cgt"
	# Exactly the signals worker.c's table ignores (mask bit = signal - 1):
	# HUP 1, INT 2, USR1 10, USR2 12, PIPE 13, TTIN 21, TTOU 22, XFSZ 25,
	# WINCH 28; whatever the master's parent left ignored (CTest ignores
	# SIGXFSZ itself, for one) is put back to the default.
	[[ $((0x$ign)) == $((0x9301a03)) ]] ||
		fail "worker $pid ignores other signals than worker.c's table: SigIgn $ign, want 0000000009301a03"
}

check_all() {
	local n=0 p
	for p in $(workers_pids); do
		check_worker "$p" "${1:-}"
		n=$((n + 1))
	done
	((n == $(stat_of workers.wanted))) || fail "checked $n workers, wanted $(stat_of workers.wanted)"
}

check_all

# Workers forked later, while others exist, must not inherit their pipes.
write_config workers=4
kill -HUP "$MASTER_PID"
wait_for '[[ $(stat_of workers.ready) == 4 ]]' 10 "4 workers after HUP"
check_all

victim=$(workers_pids | head -1)
kill_worker KILL "$victim"
wait_for '[[ $(stat_of workers.ready) == 4 && $(stat_of restarts) == 1 ]]' 10 "the killed worker replaced"
check_all

gen_ids iso 200 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 200
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_all "$JOBLOG"
