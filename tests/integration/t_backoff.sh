#!/bin/bash
# A worker that dies right after its start is not respawned in a loop:
# after 1, 2, 3 early deaths in a row its slot waits 1 s, 2 s, 4 s, and the
# master says so ("early deaths"); meanwhile the other workers serve jobs.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
start_daemon
slot=0

j=$(status_json)
pid=$(slot_field "$j" "$slot" pid)
other=$(slot_field "$j" 1 pid)

# new_pid OLD: waits for slot 0 to run a process other than OLD; sets NEW
# and NEW_AT (microseconds).  The master's children are watched directly
# (cheaper than a status request, so the kill lands soon after the start):
# any child but OLD and the other slot's worker is slot 0's new one.
new_pid() {
	local p
	wait_for "p=\$(workers_pids | grep -vx -e $1 -e $other | head -1) && [[ -n \$p ]]" \
		"${2:-10}" "a new worker in slot $slot (after $1)"
	NEW_AT=$(now_us)
	NEW=$p
}

is_worker "$pid" || fail "slot $slot's pid '$pid' is not a worker"
# The first death counted must be early too: replace an older worker first
# (a death after a second is not early, so it is replaced at once).
if (($(proc_age_ms "$pid") > 700)); then
	kill_worker KILL "$pid"
	new_pid "$pid"
	pid=$NEW
fi
restarts0=$(stat_of restarts)

delays=(1 2 4)
for i in 0 1 2; do
	age=$(proc_age_ms "$pid")
	kill_worker KILL "$pid"
	killed_at=$(now_us)
	((age < 1000)) || fail "worker $pid was $age ms old when killed, not early"
	n=$((i + 1)) d=${delays[i]}
	wait_for "dlog_has 'worker\\[$slot\\]: $n early deaths in a row; next start in $d s'" 5 \
		"the master to log '$n early deaths in a row; next start in $d s'"
	dlog_has "worker\[$slot\]: pid $pid killed by signal 9" || fail "the master did not log how $pid ended"
	if ((i == 2)); then
		# The slot waits; the other worker serves.
		j=$(status_json)
		[[ $(slot_field "$j" "$slot" state) == backoff && $(jget "$j" workers.backoff) == 1 ]] ||
			fail "slot $slot is not shown in back-off: $j"
		done0=$(slot_field "$j" "$slot" "done")
		accepted=$(jget "$j" jobs.accepted)
		gen_ids during 20 | pctl submit - || fail "poolctl submit - exited $?"
		wait_accepted $((accepted + 20)) 3
		pctl_wait 3 || fail "jobs were not served while slot $slot was in back-off ($(cat "$T/wait.out"))"
		check_ids during 20 once
		j=$(status_json)
		[[ $(slot_field "$j" "$slot" state) == backoff ]] ||
			fail "slot $slot left back-off too early (jobs were served in the meantime): $j"
		[[ $(slot_field "$j" "$slot" "done") == "$done0" ]] || fail "slot $slot ran jobs while in back-off"
	fi
	new_pid "$pid" $((d + 5))
	gap=$(((NEW_AT - killed_at) / 1000))
	log "early death $n: next worker after $gap ms (back-off $d s)"
	((gap >= d * 1000 - 100)) || fail "slot $slot restarted after $gap ms, before its $d s back-off"
	pid=$NEW
done
(($(stat_of restarts) == restarts0 + 3)) || fail "restarts is not $((restarts0 + 3))"
[[ $(slot_field "$(status_json)" 1 pid) == "$other" ]] || fail "the worker of the other slot was replaced"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 5 "2 workers ready after the back-offs"
