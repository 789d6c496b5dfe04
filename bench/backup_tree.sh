#!/usr/bin/env bash
# poold benchmark, tree backups: the wall time of one `backup` job of a
# tree of N small files (default 10000, 100 bytes each, 100 directories),
# from `poolctl submit` until `poolctl wait` returns, for each poold binary
# given, alternating between them RUNS times (default 3) so that a busy
# machine weighs on all of them alike; prints every run and the median,
# and the machine's load average.  It PRINTS figures; it is not a test.
# It exits 1 only when something is broken: a daemon that does not start,
# a backup that fails or differs from its source.
#
# Usage: bench/backup_tree.sh [-n N] [-r RUNS] POOLD[:POOLCTL] ...
#   (POOLCTL defaults to the poolctl beside POOLD)
set -euo pipefail

N=10000 RUNS=3
while getopts n:r: o; do
	case $o in
	n) N=$OPTARG ;;
	r) RUNS=$OPTARG ;;
	*) exit 64 ;;
	esac
done
shift $((OPTIND - 1))
(($# > 0)) || { echo "usage: $0 [-n N] [-r RUNS] POOLD[:POOLCTL] ..." >&2; exit 64; }

W=$(mktemp -d "${TMPDIR:-/var/tmp}/poold-bench-tree.XXXXXX")
PID=""
cleanup() {
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/src/tree"
for ((d = 0; d < 100; d++)); do
	mkdir "$W/src/tree/d$d"
	for ((f = 0; f < N / 100; f++)); do
		printf '%0100d' "$f" >"$W/src/tree/d$d/f$f"
	done
done

# one_run POOLD POOLCTL: prints the seconds of one tree backup.
one_run() {
	local poold=$1 poolctl=$2 t0 t1
	rm -rf "$W/run"
	mkdir -p "$W/run"
	printf '[pool]\nworkers = 1\n[backup]\ndir = %s\nallow = %s\n' \
		"$W/run/backups" "$W/src" >"$W/run/poold.ini"
	"$poold" -c "$W/run/poold.ini" 2>"$W/run/daemon.log" &
	PID=$!
	for ((i = 0; i < 200; i++)); do
		grep -q "ready:" "$W/run/daemon.log" && break
		sleep 0.05
	done
	grep -q "ready:" "$W/run/daemon.log" || { echo "poold did not start" >&2; exit 1; }
	t0=$(date +%s.%N)
	"$poolctl" -c "$W/run/poold.ini" submit backup "$W/src/tree" >/dev/null
	"$poolctl" -c "$W/run/poold.ini" wait >/dev/null || { echo "the backup failed" >&2; exit 1; }
	t1=$(date +%s.%N)
	kill "$PID" || true
	wait "$PID" || true
	PID=""
	diff -r "$W/src/tree" "$W/run/backups$W/src/tree" >/dev/null ||
		diff -r "$W/src/tree" "$W/run/backups$W/src/tree/@latest/" >/dev/null ||
		{ echo "the backup differs from its source" >&2; exit 1; }
	echo "$t1 - $t0" | bc
}

declare -A times
for ((r = 0; r < RUNS; r++)); do
	for b in "$@"; do
		poold=${b%%:*} poolctl=${b#*:}
		[[ $poolctl != "$b" ]] || poolctl=$(dirname "$poold")/poolctl
		s=$(one_run "$poold" "$poolctl")
		times[$b]+="$s "
		printf '%s run %d: %.2f s  (load %s)\n' "$b" "$((r + 1))" "$s" "$(cut -d' ' -f1-3 /proc/loadavg)"
	done
done
for b in "$@"; do
	# shellcheck disable=SC2086
	printf '%s: median %.2f s for %d files\n' "$b" \
		"$(printf '%s\n' ${times[$b]} | sort -n | sed -n "$(((RUNS + 1) / 2))p")" "$N"
done
