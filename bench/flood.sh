#!/usr/bin/env bash
# poold benchmark, memory under a flood: the heavy variant of
# tests/integration/t_flood.sh (which proves the property with 200,000 +
# 1,000,000 lines): N `noop` jobs (default 1,000,000), then a flood of
# 10 N lines far beyond [pool] queue_limit = 10000 while the master's RSS
# and queue depth are sampled.  PRINTS the figures (RSS after N, peak in
# the flood, after the flood; the most jobs queued; the time); it fails only
# when the test's own checks fail (a line not done, the queue limit not
# held, RSS growing by more than its margins).
#
# Usage: bench/flood.sh [N]   (POOLD_BENCH_BUILD as run.sh)
set -euo pipefail

# shellcheck source=bench/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
N=${1:-1000000}
bench_build
echo "== $N jobs, then a flood of $((10 * N)) lines (queue_limit 10000)"
t0=$EPOCHREALTIME
POOLD=$BUILD/poold POOLCTL=$BUILD/poolctl POOLD_FLOOD_N=$N POOLD_FLOOD_LINES=$((10 * N)) \
	bash "$ROOT/tests/integration/t_flood.sh"
awk -v a="$t0" -v b="$EPOCHREALTIME" -v n=$((11 * N)) \
	'BEGIN { printf "flood: %d jobs in %.1f s (%.0f jobs/s, with the daemon'"'"'s start and stop)\n", n, b - a, n / (b - a) }'
