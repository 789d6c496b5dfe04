#!/usr/bin/env bash
# poold benchmark, Redis source: jobs per second through one Redis stream
# and consumer group with 1, 2 and 3 poold instances on this machine.  It
# PRINTS figures; it is not a test (a slow machine gives low figures, never
# a failure).  It exits 1 only when something is broken: an instance that
# does not start or stop, or jobs not all done and acknowledged.
#
# Each run: the instances are started and connected first; the clock runs
# from the start of `poolctl submit --redis -` (N `noop` entries, pipelined)
# until the group has delivered every entry and none is pending (XINFO
# GROUPS: lag 0, pending 0), i.e. every job ran and was acknowledged.
# Median of 3 runs per instance count.  Every instance runs the default
# configuration plus its [redis] section (workers = auto).
#
# Usage: bench/redis.sh [N]   (default 200000; POOLD_BENCH_BUILD as run.sh)
# Needs redis-server and redis-tools besides the build's packages.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${POOLD_BENCH_BUILD:-/tmp/poold-bench-build}
N=${1:-200000}
RUNS=3

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	echo "bench/redis.sh: needs redis-server and redis-cli (Debian redis-server, redis-tools)" >&2
	exit 1
fi
echo "== building poold (Release) in $BUILD"
cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPOOLD_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" >/dev/null
POOLD=$BUILD/poold
POOLCTL=$BUILD/poolctl

W=$(mktemp -d "${TMPDIR:-/tmp}/poold-bench-redis.XXXXXX")
REDIS_PID=
declare -A PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null || true
	done
	if [[ -n $REDIS_PID ]]; then
		kill -TERM "$REDIS_PID" 2>/dev/null || true
		wait "$REDIS_PID" 2>/dev/null || true
	fi
	rm -rf "$W"
}
trap cleanup EXIT

die() {
	echo "bench/redis.sh: $*" >&2
	exit 1
}

now_ms() {
	local t=$EPOCHREALTIME
	echo $((${t/./} / 1000))
}

# A redis-server of our own on a free port, no persistence.
for _ in $(seq 1 20); do
	PORT=$((20000 + RANDOM % 30000))
	redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$W" \
		--logfile "$W/redis.log" </dev/null >/dev/null 2>&1 &
	REDIS_PID=$!
	for _ in $(seq 1 100); do
		[[ $(redis-cli -p "$PORT" info server 2>/dev/null | sed -n 's/^process_id:\([0-9]*\).*/\1/p') == "$REDIS_PID" ]] && break 2
		kill -0 "$REDIS_PID" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL "$REDIS_PID" 2>/dev/null || true
	wait "$REDIS_PID" 2>/dev/null || true
	REDIS_PID=
done
[[ -n $REDIS_PID ]] || die "cannot start redis-server"
R() { redis-cli -p "$PORT" "$@"; }

group_field() {
	R XINFO GROUPS jobs | awk -v k="$1" 'prev == k { print; exit } { prev = $0 }'
}

start_instances() {
	local k=$1 i d
	for i in $(seq 1 "$k"); do
		d=$W/i$i
		mkdir -p "$d"
		printf '[redis]\nurl = redis://127.0.0.1:%s\nstream = jobs\nconsumer = bench%s\n' \
			"$PORT" "$i" >"$d/poold.ini"
		"$POOLD" -c "$d/poold.ini" </dev/null >"$d/daemon.log" 2>&1 &
		PIDS[$i]=$!
	done
	for i in $(seq 1 "$k"); do
		for _ in $(seq 1 200); do
			grep -q 'redis: connected' "$W/i$i/daemon.log" && continue 2
			sleep 0.05
		done
		die "instance $i did not connect (see $W/i$i/daemon.log)"
	done
}

stop_instances() {
	local i
	for i in "${!PIDS[@]}"; do
		kill -TERM "${PIDS[$i]}"
		wait "${PIDS[$i]}" || die "instance $i exited $? after TERM"
		unset "PIDS[$i]"
	done
}

# One run: k instances, N noop entries; prints the jobs/s.
run_once() {
	local k=$1 t0 t1 deadline
	R DEL jobs >/dev/null
	start_instances "$k"
	t0=$(now_ms)
	"$POOLCTL" -c "$W/i1/poold.ini" submit --redis - <"$W/jobs.in"
	deadline=$((t0 + 600000))
	until [[ $(group_field lag) == 0 && $(group_field pending) == 0 ]]; do
		(($(now_ms) < deadline)) || die "the jobs were not all done in 600 s"
		sleep 0.01
	done
	t1=$(now_ms)
	local done=0 i v
	for i in $(seq 1 "$k"); do
		v=$("$POOLCTL" -c "$W/i$i/poold.ini" status --json | grep -o '"acked":[0-9]*' | cut -d: -f2)
		done=$((done + v))
	done
	((done == N)) || die "$done entries acknowledged, not $N"
	stop_instances
	echo $((N * 1000 / (t1 - t0 > 0 ? t1 - t0 : 1)))
}

awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "noop" }' >"$W/jobs.in"
echo "== Redis stream, $N noop jobs per run, median of $RUNS runs ($(nproc) CPUs, redis-server $(redis-server --version | sed 's/.*v=\([^ ]*\).*/\1/'))"
line="redis stream:"
for k in 1 2 3; do
	rates=()
	for _ in $(seq 1 "$RUNS"); do
		rates+=("$(run_once "$k")")
	done
	median=$(printf '%s\n' "${rates[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p")
	printf '%d instance(s): %8d jobs/s   (runs: %s)\n' "$k" "$median" "${rates[*]}"
	line+=" $k: $median jobs/s;"
done
echo "$line"
# Celery is a PyPI package, which this project's machines cannot reach, so
# it is not run here; the figure is the one issue 7 quotes, measured on
# this project's 2-core machine with the same kind of Redis broker.
echo "for comparison (quoted, not measured by this script): Celery prefork pool, Redis broker: about 540 to 820 jobs/s"
