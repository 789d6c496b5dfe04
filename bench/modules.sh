#!/bin/bash
# Native modules (issue 12): jobs/s of the built-in `noop`, of a module's
# noop (`mnoop`, tests/modules/mod_noop.c, batched like noop) and of the
# shipped `checksum` module (SHA-256 of a 4 KiB file, COUNT/20 jobs), one
# daemon, the
# three kinds in turn for ROUNDS rounds; prints each round and the median.
# Not a test (exits 1 only if a job is lost or failed).
#   bench/modules.sh BUILD_DIR [COUNT] [ROUNDS] [WORKERS]
set -eu -o pipefail
B=$(realpath -e "${1:?usage: bench/modules.sh BUILD_DIR [COUNT] [ROUNDS] [WORKERS]}")
N=${2:-1000000}
R=${3:-3}
WK=${4:-2}
SRC=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d /tmp/poold-bench-modules.XXXXXX)
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. "$SRC/bench/lib.sh"

cc -O2 -shared -fPIC -I"$SRC/common/include" -o "$W/noop.so" "$SRC/tests/modules/mod_noop.c"
head -c 4096 /dev/urandom >"$W/file"
bench_ini "$W/p.ini" "$WK" "$W"
cat >>"$W/p.ini" <<EOC
[module.test]
file = $W/noop.so
code = 2001
[module.checksum]
file = $B/modules/checksum.so
code = 2010
EOC
bench_start "$B" "$W/p.ini" "$W/d.log"

now() { date +%s.%N; }
total=0
# run KIND LINE N: jobs/s of N jobs LINE from the first submit to the last
# done (total: the jobs accepted once they are in, set by the caller).
run() {
	local t0 t1 j ndone n=$3
	yes "$2" | head -n "$n" >"$W/jobs"
	t0=$(now)
	"$B/poolctl" -c "$W/p.ini" submit --fifo - <"$W/jobs"
	until [[ $("$B/poolctl" -c "$W/p.ini" status --json | grep -o '"accepted":[0-9]*' | head -1 | cut -d: -f2) -ge $total ]]; do sleep 0.01; done
	"$B/poolctl" -c "$W/p.ini" wait --timeout 600s >/dev/null || { echo "FAILED jobs" >&2; exit 1; }
	t1=$(now)
	j=$("$B/poolctl" -c "$W/p.ini" status --json)
	ndone=$(grep -o "\"$1\":{[^}]*}" <<<"$j" | grep -o '"done":[0-9]*' | cut -d: -f2)
	if [[ $ndone != $((n * round)) ]]; then
		echo "LOST: $1 $ndone done, not $((n * round))" >&2
		exit 1
	fi
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }'
}

declare -A res
for round in $(seq "$R"); do
	for k in noop mnoop checksum; do
		case $k in
		checksum) line="checksum sha256 $W/file" n=$((N / 20)) ;;
		*) line=$k n=$N ;;
		esac
		total=$((total + n))
		r=$(run "$k" "$line" "$n")
		res[$k]="${res[$k]:-} $r"
		echo "round $round: $k $r jobs/s"
	done
done
med() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median of $R rounds, $N jobs each ($((N / 20)) checksum), $WK workers, load $(cut -d' ' -f1-3 /proc/loadavg):"
for k in noop mnoop checksum; do
	echo "  $k: $(med "${res[$k]}") jobs/s"
done
awk -v a="$(med "${res[noop]}")" -v b="$(med "${res[mnoop]}")" \
	'BEGIN { printf "  module noop / built-in noop: %.1f %%\n", 100 * b / a }'
