#!/bin/bash
# Short jobs on a wide pool go in whole batches to few workers, the ones
# active last, instead of a few jobs to every worker (each a process to
# wake).  64 workers: a first run of noop jobs lets the master measure
# that jobs are short; then 20 rounds of 100 jobs, each waited for, go to
# fewer than half the workers (a round fits one batch of [pool] inflight
# = 128), where spreading gave 2 jobs to each of 50 workers per round.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

W=64
write_config workers=$W
start_daemon
expect_workers "$W"

yes noop | head -n 4000 >"$T/warm.in"
pctl submit - <"$T/warm.in" || fail "poolctl submit - exited $?"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
mapfile -t before < <(slots_field "$(status_json)" "done")

yes noop | head -n 100 >"$T/jobs.in"
for ((r = 0; r < 20; r++)); do
	pctl submit - <"$T/jobs.in" || fail "poolctl submit - exited $?"
	pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
done
j=$(status_json)
[[ $(jget "$j" jobs.done) == 6000 ]] || fail "jobs.done is not 6000: $j"
mapfile -t after < <(slots_field "$j" "done")
((${#after[@]} == W && ${#before[@]} == W)) || fail "status lists ${#after[@]} slots, not $W"
used=0
for ((i = 0; i < W; i++)); do
	((after[i] > before[i])) && used=$((used + 1))
done
log "workers that took jobs of the second run: $used of $W"
((used < W / 2)) || fail "$used of $W workers took jobs: the batches were spread, not filled"
true
