#!/bin/bash
# Set-up the bench/ scripts share (sourced, not run):
#   bench_build                 ROOT, BUILD (POOLD_BENCH_BUILD or
#                               /tmp/poold-bench-build): poold built there
#                               in Release, without the tests
#   bench_ini FILE WORKERS DIR  writes the [pool], [control], [log] and
#                               [journal] sections of a bench daemon whose
#                               files live in DIR (FIFO, socket, job log,
#                               journal without fsync); the caller appends
#                               its own sections
#   bench_start BUILD_DIR INI LOG   starts poold in the background (PID)
#                               and returns once it answers status

bench_build() {
	ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	BUILD=${POOLD_BENCH_BUILD:-/tmp/poold-bench-build}
	echo "== building poold (Release) in $BUILD"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPOOLD_TESTS=OFF >/dev/null
	cmake --build "$BUILD" -j "$(nproc)" >/dev/null
}

bench_ini() {
	mkdir -p "$3/run"
	cat >"$1" <<EOC
[pool]
workers = $2
[control]
fifo = $3/run/control
socket = $3/run/sock
[log]
file = $3/jobs.log
level = warning
[journal]
file = $3/run/journal
fsync = never
EOC
}

bench_start() {
	"$1/poold" -c "$2" 2>"$3" &
	# shellcheck disable=SC2034 # the caller's cleanup stops it
	PID=$!
	until "$1/poolctl" -c "$2" status >/dev/null 2>&1; do sleep 0.05; done
}
