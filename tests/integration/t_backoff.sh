#!/bin/bash
# A worker that dies right after its start is not respawned in a loop:
# after 1, 2, 3, 4 early deaths in a row its slot waits 1 s, 2 s, 4 s, 8 s,
# and the master says so ("early deaths"); meanwhile the other workers
# serve jobs.
#
# "Early" is the master's judgement (a death within 1 s of the start, by
# its clock).  On a loaded machine this test cannot always kill a worker
# that soon after its start; such a death is not early, resets the count,
# and the master replaces the worker at once -- which is right, so the
# test then starts its sequence of early deaths again (a few times at
# most) instead of failing.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
start_daemon
slot=0

j=$(status_json)
pid=$(slot_field "$j" "$slot" pid)
other=$(slot_field "$j" 1 pid)
is_worker "$pid" || fail "slot $slot's pid '$pid' is not a worker"
restarts0=$(stat_of restarts)

# new_pid OLD TIMEOUT: waits for slot 0 to run a process other than OLD;
# sets NEW and NEW_AT (microseconds).  The master's children are watched
# directly (cheaper than a status request, so the kill lands soon after
# the start): any child but OLD and the other slot's worker is slot 0's.
new_pid() {
	local p
	wait_for "p=\$(workers_pids | grep -vx -e $1 -e $other | head -1) && [[ -n \$p ]]" \
		"$2" "a new worker in slot $slot (after $1)"
	NEW_AT=$(now_us)
	NEW=$p
}

# serve_in_backoff D: while the slot waits out its D s back-off, the other
# worker serves 20 jobs and the slot runs none.
serve_in_backoff() {
	local j done0 accepted
	j=$(status_json)
	[[ $(slot_field "$j" "$slot" state) == backoff && $(jget "$j" workers.backoff) == 1 ]] ||
		fail "slot $slot is not shown in back-off: $j"
	done0=$(slot_field "$j" "$slot" "done")
	accepted=$(jget "$j" jobs.accepted)
	gen_ids "during$rounds" 20 | pctl submit - || fail "poolctl submit - exited $?"
	wait_accepted $((accepted + 20))
	pctl_wait 30 || fail "jobs were not served while slot $slot was in back-off ($(cat "$T/wait.out"))"
	check_ids "during$rounds" 20 once
	j=$(status_json)
	if [[ $(slot_field "$j" "$slot" state) == backoff ]]; then
		[[ $(slot_field "$j" "$slot" "done") == "$done0" ]] || fail "slot $slot ran jobs while in back-off"
	elif (($(now_us) - killed_at < $1 * 1000000)); then
		fail "slot $slot left its $1 s back-off early: $j"
	else
		log "the machine is slow: the jobs took longer than the $1 s back-off"
	fi
}

# One death: kills the slot's worker; sets EARLY=1 if the master counted
# it as early death number $1 and waited out its back-off, EARLY=0 if it
# did not count it (the kill came too late) and replaced the worker.
delays=(1 2 4 8)
one_death() {
	local n=$1 d=${delays[$1 - 1]} mark age gap
	mark=$(dlog_lines)
	age=$(proc_age_ms "$pid")
	killed_at=$(now_us) # before the kill: the gap below is never too short
	kill_worker KILL "$pid"
	wait_for "dlog_since $mark 'worker\\[$slot\\]: pid $pid killed by signal 9'" 30 \
		"the master to log how $pid ended"
	# The back-off line comes in the same callback as the death's; a new
	# worker without it means the death was not early.
	wait_for "dlog_since $mark 'worker\\[$slot\\]: [0-9]+ early deaths' ||
		[[ -n \$(workers_pids | grep -vx -e $pid -e $other) ]]" 30 "the master to replace $pid"
	if ! dlog_since "$mark" "worker\\[$slot\\]: [0-9]+ early deaths"; then
		# (Not a failure even when age < 1000: the master judges by the
		# time it reaps the worker, which load can delay.)
		log "worker $pid was $age ms old when killed, not an early death by the master's clock; starting over"
		new_pid "$pid" 30
		pid=$NEW EARLY=0
		return
	fi
	dlog_since "$mark" "worker\\[$slot\\]: $n early deaths in a row; next start in $d s" ||
		fail "the master did not log '$n early deaths in a row; next start in $d s'"
	((n == 4)) && serve_in_backoff "$d"
	new_pid "$pid" $((d + 30))
	gap=$(((NEW_AT - killed_at) / 1000))
	log "early death $n: next worker after $gap ms (back-off $d s)"
	((gap >= d * 1000)) || fail "slot $slot restarted after $gap ms, before its $d s back-off"
	pid=$NEW EARLY=1
}

rounds=0 n=1 deaths=0
while ((n <= 4)); do
	one_death "$n"
	deaths=$((deaths + 1))
	if ((EARLY)); then
		n=$((n + 1))
		continue
	fi
	rounds=$((rounds + 1))
	((rounds < 5)) || fail "5 times the test could not kill a worker within 1 s of its start"
	n=1
done
(($(stat_of restarts) == restarts0 + deaths)) || fail "restarts is not $((restarts0 + deaths))"
[[ $(slot_field "$(status_json)" 1 pid) == "$other" ]] || fail "the worker of the other slot was replaced"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 30 "2 workers ready after the back-offs"
