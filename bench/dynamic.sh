#!/usr/bin/env bash
# shellcheck disable=SC2016,SC2119 # single-quoted scripts for bash -c; lib.sh functions
# poold benchmark, a dynamic pool under a million jobs: the heavy variant of
# tests/integration/t_dynamic.sh (which proves growth and shrinking with
# 200,000 jobs, its workers held stopped while it grows).  N `log` jobs (default 1,000,000)
# into [pool] mode = dynamic with inflight = 1, min_workers 1 and
# max_workers 6; PRINTS the time, the rate, the peak of workers and how
# long the pool took to reach it.  Fails only when something is broken: a
# job lost or run twice, workers dying, the pool not shrinking back.
#
# Usage: bench/dynamic.sh [N]   (POOLD_BENCH_BUILD as run.sh)
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000}
bench_build
set +euo pipefail
export POOLD=$BUILD/poold POOLCTL=$BUILD/poolctl
# shellcheck source=tests/integration/lib.sh
. "$ROOT/tests/integration/lib.sh"

write_config workers=1 inflight=1 \
	extra_pool="mode = dynamic\nmin_workers = 1\nmax_workers = 6\nidle_timeout = 1s"
sed -i 's/\\n/\n/g' "$CONF"
start_daemon
gen_ids d "$N" >"$T/jobs.in"
t0=$(now_us)
bg_sh '"$POOLCTL" -c "$CONF" submit --fifo - <"$T/jobs.in" 2>>"$T/client-submit.log"'
submit=$BG_PID
peak=0 peak_at=0
while alive "$submit" || (($(stat_of jobs.done) < N)); do
	r=$(stat_of workers.ready) || r=0
	((r > peak)) && peak=$r peak_at=$(now_us)
	sleep 0.2
done
wait_exit "$submit" 60 || fail "the submitter did not finish"
pctl_wait 300 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
t1=$(now_us)
check_ids d "$N" once
wait_for '[[ $(stat_of workers.ready) == 1 ]]' 30 "the pool to shrink back to min_workers"
[[ $(stat_of restarts) == 0 ]] || fail "workers died"
awk -v n="$N" -v us=$((t1 - t0)) -v p="$peak" -v pus=$((peak_at - t0)) 'BEGIN {
	printf "dynamic: %d jobs in %.1f s (%.0f jobs/s); peak of %d workers, reached after %.1f s\n",
		n, us / 1e6, n / (us / 1e6), p, pus / 1e6 }'
