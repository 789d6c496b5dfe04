#!/bin/bash
# The spawner (daemon/spawner.c), the small process the master has its
# workers made by: it holds nothing of the master's (descriptors 0, 1, 2,
# its socket and the workers' done lines), and the workers it makes are the master's children.
# Killed, or stopped so that it does not answer, it costs no worker and
# never blocks the master for long: the master logs it and forks
# replacements itself, and the next reload makes a new spawner that new
# workers come from again.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# check_spawner PID: holds 0, 1, 2, one socket and the done lines' memfd
# (common/doneline.c), nothing else.
check_spawner() {
	local fd fds=() sockets=0 lines=0
	for fd in /proc/"$1"/fd/*; do
		fds+=("${fd##*/}")
		case ${fd##*/} in
		0 | 1 | 2) ;;
		*)
			[[ $(readlink "$fd") == socket:* ]] && sockets=$((sockets + 1))
			[[ $(readlink "$fd") == /memfd:poold-doneline* ]] && lines=$((lines + 1))
			;;
		esac
	done
	((${#fds[@]} == 5 && sockets == 1 && lines == 1)) ||
		fail "spawner $1 holds other than 0, 1, 2, its socket and the done lines: ${fds[*]}"
}

# workers_hold_own: every worker holds 0, 1, 2 and its two pipes only,
# whoever made it (t_isolation checks the rest of what a worker holds).
workers_hold_own() {
	local p n
	for p in $(workers_pids); do
		n=$(find /proc/"$p"/fd -mindepth 1 -maxdepth 1 -lname 'pipe:*' | wc -l)
		[[ $n == 2 && $(find /proc/"$p"/fd -mindepth 1 -maxdepth 1 | wc -l) == 5 ]] ||
			fail "worker $p holds more than 0, 1, 2 and two pipes: $(find /proc/"$p"/fd -mindepth 1 -maxdepth 1 -printf '%f -> %l, ')"
	done
}

write_config workers=3
start_daemon -v
sp=$(spawner_pid)
[[ -n $sp ]] || fail "the master has no spawner"
check_spawner "$sp"
expect_workers 3
n=$(grep -cE 'worker\[[0-9]+\]: started by the spawner, pid' "$DLOG")
((n == 3)) || fail "$n of 3 workers started by the spawner"
log "spawner $sp made the 3 workers ${pids[*]}"

# Killed: its death is logged and the next worker is forked by the master.
mark=$(dlog_lines)
is_spawner "$sp" && kill -KILL "$sp"
wait_for 'dlog_since '"$mark"' "spawner: pid '"$sp"' killed by signal 9"' 10 "the spawner's death logged"
[[ -z $(spawner_pid) ]] || fail "a spawner came back without a reload"
kill_worker KILL "${pids[0]}"
wait_for '[[ $(stat_of restarts) == 1 && $(stat_of workers.ready) == 3 ]]' 30 "the killed worker replaced"
dlog_since "$mark" 'worker\[[0-9]+\]: forked, pid' || fail "the replacement was not forked by the master"
workers_hold_own

# A reload makes a new spawner; the workers it adds come from it.
write_config workers=5
mark=$(dlog_lines)
kill -HUP "$MASTER_PID"
wait_for '[[ $(stat_of workers.ready) == 5 ]]' 30 "5 workers after the reload"
sp2=$(spawner_pid)
[[ -n $sp2 && $sp2 != "$sp" ]] || fail "no new spawner after the reload ('$sp2')"
check_spawner "$sp2"
dlog_since "$mark" 'worker\[[0-9]+\]: started by the spawner, pid' ||
	fail "the workers the reload added were not made by the new spawner"
workers_hold_own

# Stopped: the master gives up on it within its 2 s and forks the
# replacement itself; the status socket answers meanwhile.
mark=$(dlog_lines)
is_spawner "$sp2" && kill -STOP "$sp2"
expect_workers 5
kill_worker KILL "${pids[0]}"
wait_for 'dlog_since '"$mark"' "spawner: pid '"$sp2"' did not answer in time"' 30 "the stopped spawner given up"
wait_for '! alive '"$sp2" 10 "the stopped spawner to end"
wait_for '[[ $(stat_of restarts) == 2 && $(stat_of workers.ready) == 5 ]]' 30 "the second killed worker replaced"
dlog_since "$mark" 'worker\[[0-9]+\]: forked, pid' || fail "the replacement was not forked by the master"

# And the next reload makes a spawner again, which serves.
write_config workers=2
kill -HUP "$MASTER_PID"
wait_for '[[ -n $(spawner_pid) && $(stat_of workers.ready) == 2 ]]' 30 "a spawner and 2 workers after the reload"
check_spawner "$(spawner_pid)"
gen_ids sp 50 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 50
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
stop_daemon

# Where clone3 is refused (ENOSYS, as systemd's RestrictNamespaces= does),
# the spawner still makes the workers (with clone, on x86-64).
if [[ $(uname -m) == x86_64 ]]; then
	mark=$(dlog_lines)
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	LD_PRELOAD=$FAULT_INJECT FAULT_NO_CLONE3=1 start_daemon -v
	wait_for '[[ $(stat_of workers.ready) == 2 ]]' 30 "2 workers without clone3"
	n=$(tail -n +"$((mark + 1))" "$DLOG" | grep -cE 'worker\[[0-9]+\]: started by the spawner, pid')
	((n == 2)) || fail "$n of 2 workers made by the spawner without clone3"
	expect_workers 2
	stop_daemon
fi
