#!/bin/bash
# HUP applies a new worker count live, while jobs stream in: 2 -> 6 -> 2
# workers, no job lost and none run twice (no worker died), and the pool
# ends with 2 ready workers.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=30000
write_config workers=2
start_daemon

# 30 chunks of 1000 jobs, 0.1 s apart: about three seconds of stream.
gen_ids h "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" 30
submit=$BG_PID

resize() {
	local want=$1
	write_config workers="$want"
	kill -HUP "$MASTER_PID"
	wait_for "resized_to $want" 15 "$want workers ready and none retiring"
	log "resized to $want workers with $(stat_of jobs.accepted) jobs accepted$(alive "$submit" && echo ', stream still running')"
}
resized_to() {
	local j
	j=$(status_json) || return 1
	[[ $(jget "$j" workers.wanted) == "$1" && $(jget "$j" workers.ready) == "$1" &&
		$(jget "$j" workers.retiring) == 0 && $(jget "$j" workers.starting) == 0 &&
		$(slots_field "$j" index | wc -l) == "$1" ]]
}

wait_for '[[ $(stat_of jobs.accepted) -ge 8000 ]] 2>/dev/null' 20 "8000 jobs accepted"
resize 6
wait_for '[[ $(workers_pids | wc -l) == 6 ]]' 5 "the master to have 6 children"
wait_for '[[ $(stat_of jobs.accepted) -ge 18000 ]] 2>/dev/null' 20 "18000 jobs accepted"
resize 2
wait_for '[[ $(workers_pids | wc -l) == 2 ]]' 10 "the retired workers to exit"

wait_exit "$submit" 120 || fail "poolctl submit - did not finish"
((WAIT_RC == 0)) || fail "poolctl submit - exited $WAIT_RC"
wait_accepted "$N"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

check_ids h "$N" once
j=$(status_json)
[[ $(jget "$j" jobs.done) == "$N" ]] || fail "jobs.done is not $N: $j"
[[ $(jget "$j" restarts) == 0 ]] || fail "a worker had to be restarted during the resizes: $j"
[[ $(jget "$j" jobs.retried) == 0 ]] || fail "jobs were retried during the resizes: $j"
[[ $(jget "$j" workers.ready) == 2 ]] || fail "workers.ready is not 2 at the end: $j"
dlog_has 'killed by signal|exited with code [1-9]' && fail "a worker ended abnormally during the resizes"
[[ $(grep -c 'reload: .* read; ' "$DLOG") == 2 ]] || fail "the master did not log two reloads"
