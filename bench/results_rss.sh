#!/bin/bash
# The master's memory under a flood of jobs with results retention: the
# ended jobs kept for `poolctl job` are bounded by [results] keep (and
# max_age), so RSS stays flat however many jobs go through.  Builds poold
# in Release, runs it with the default configuration except
# `[pool] workers = 2` (so [results] keep = 10000, max_age = 1h), submits
# `noop` jobs through the control socket (`poolctl submit --quiet -`, ids
# answered and tracked) up to 1M, 5M and 10M in all, and after each
# `poolctl wait` prints the master's VmRSS and VmHWM, the jobs it still
# keeps (`poolctl jobs`) and the rate.  Not a test: it prints figures, and
# exits 1 only when something is broken (a job not done, poold gone).
# Usage: bench/results_rss.sh [TOTAL...]   (default: 1000000 5000000 10000000)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${POOLD_BENCH_BUILD:-/tmp/poold-bench-build}
targets=("$@")
((${#targets[@]} > 0)) || targets=(1000000 5000000 10000000)

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j2 --target poold poolctl >/dev/null
dir=$(mktemp -d /tmp/poold-rss.XXXXXX)
pid=
cleanup() {
	if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid" || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
printf '[pool]\nworkers = 2\n' >"$dir/poold.ini"
pctl() { "$build/poolctl" -c "$dir/poold.ini" "$@"; }
"$build/poold" -c "$dir/poold.ini" 2>"$dir/daemon.log" &
pid=$!
for _ in $(seq 100); do
	pctl status >/dev/null 2>&1 && break
	sleep 0.1
done
pctl status >/dev/null || {
	cat "$dir/daemon.log"
	exit 1
}
field() { awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"; }

echo "poold $(git -C "$root" describe --always --dirty), $(nproc) cores, load at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%12s %12s %12s %10s %12s\n' jobs "VmRSS (kB)" "VmHWM (kB)" kept "jobs/s"
printf '%12s %12s %12s %10s %12s\n' 0 "$(field VmRSS)" "$(field VmHWM)" 0 -
total=0
for target in "${targets[@]}"; do
	n=$((target - total))
	start=$(date +%s.%N)
	head -n "$n" < <(yes noop) | pctl submit --quiet -
	pctl wait >/dev/null
	end=$(date +%s.%N)
	total=$target
	done_n=$(pctl status --json | sed -n 's/.*"jobs":{[^}]*"done":\([0-9]*\).*/\1/p')
	[[ $done_n == "$total" ]] || {
		echo "only $done_n of $total jobs done" >&2
		exit 1
	}
	kept=$(pctl jobs --limit 100000 | tail -n +2 | wc -l)
	printf '%12s %12s %12s %10s %12.0f\n' "$total" "$(field VmRSS)" "$(field VmHWM)" "$kept" \
		"$(echo "$n / ($end - $start)" | bc -l)"
done
echo "load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
