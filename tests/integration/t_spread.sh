#!/bin/bash
# 10,000 noop jobs through `poolctl submit -` to 4 workers: all of them
# done, and every worker took a share (least-loaded dispatch spreads work).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=10000
write_config workers=4
start_daemon

gen_ids s "$N" >"$T/jobs.in"
sed -i 's/^log s-[0-9]*$/noop/' "$T/jobs.in"
pctl submit - <"$T/jobs.in" || fail "poolctl submit - exited $?"
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
