#!/bin/bash
# 10,000 noop jobs through `poolctl submit -` to 4 workers: all of them
# done, and every worker took a share.  The workers are stopped while the
# jobs go in, so the queue holds more than one worker's batch: then every
# worker is handed some (with quick jobs and a short queue the master
# would rather fill the workers it saw active, and some might get none).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=10000
write_config workers=4
start_daemon

expect_workers 4
kill -STOP "${pids[@]}"
gen_ids s "$N" >"$T/jobs.in"
sed -i 's/^log s-[0-9]*$/noop/' "$T/jobs.in"
bg_sh '"$POOLCTL" -c "$CONF" submit - <"$T/jobs.in" >/dev/null'
submitter=$BG_PID
wait_for every_slot_holds 30 "every stopped worker to hold jobs"
kill -CONT "${pids[@]}"
wait_exit "$submitter" 120 || fail "poolctl submit - did not finish"
((WAIT_RC == 0)) || fail "poolctl submit - exited $WAIT_RC"
wait_accepted "$N"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

j=$(status_json)
[[ $(jget "$j" jobs.done) == "$N" ]] || fail "jobs.done is not $N: $j"
[[ $(jget "$j" tasks.noop.done) == "$N" ]] || fail "tasks.noop.done is not $N: $j"
[[ $(jget "$j" jobs.failed) == 0 ]] || fail "jobs.failed is not 0: $j"
[[ $(jget "$j" workers.ready) == 4 ]] || fail "workers.ready is not 4: $j"
mapfile -t done_by < <(slots_field "$j" "done")
((${#done_by[@]} == 4)) || fail "status lists ${#done_by[@]} slots, not 4: $j"
sum=0
for d in "${done_by[@]}"; do
	((d > 0)) || fail "a worker did no job at all (per-slot done: ${done_by[*]})"
	sum=$((sum + d))
done
((sum == N)) || fail "per-slot done counts add up to $sum, not $N (${done_by[*]})"
log "per-worker done: ${done_by[*]}"
