#!/bin/bash
# Operator kinds (issue 11): per-job /bin/true jobs/s at 2 and 4 workers
# beside `xargs -P` at the same concurrency in the same run, and resident
# noop handlers in Python and sh at 2 and 4 workers.  Prints figures and
# the load; not a test (exits 1 only if a job is lost or failed).
#   bench/opkinds.sh BUILD_DIR [PER_JOB_COUNT] [RESIDENT_COUNT]
set -eu -o pipefail
B=$(realpath -e "${1:?usage: bench/opkinds.sh BUILD_DIR [N] [M]}")
N=${2:-5000}
M=${3:-200000}
W=$(mktemp -d /tmp/poold-bench-opkinds.XXXXXX)
PID=
cleanup() { [[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cat >"$W/noop.py" <<'EOS'
import sys
w = sys.stdout.write
f = sys.stdout.flush
for line in sys.stdin:
    w("ok\n")
    f()
EOS
cat >"$W/noop.sh" <<'EOS'
#!/bin/sh
while read -r line; do echo ok; done
EOS
chmod +x "$W/noop.sh"

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }

# run_poold WORKERS MODE EXEC COUNT: jobs/s from the first submit to the last done.
run_poold() {
	rm -f "$W/run/journal"
	bench_ini "$W/p.ini" "$1" "$W"
	cat >>"$W/p.ini" <<EOC
[kind.b]
code = 1001
mode = $2
exec = $3
EOC
	bench_start "$B" "$W/p.ini" "$W/d.log"
	yes b | head -n "$4" >"$W/jobs"
	local t0 t1
	t0=$(now)
	"$B/poolctl" -c "$W/p.ini" submit --fifo - <"$W/jobs"
	until [[ $("$B/poolctl" -c "$W/p.ini" status --json | grep -o '"accepted":[0-9]*' | head -1 | cut -d: -f2) -ge $4 ]]; do sleep 0.01; done
	"$B/poolctl" -c "$W/p.ini" wait --timeout 600s >/dev/null
	t1=$(now)
	local j ndone failed
	j=$("$B/poolctl" -c "$W/p.ini" status --json)
	ndone=$(grep -o '"b":{[^}]*}' <<<"$j" | grep -o '"done":[0-9]*' | cut -d: -f2)
	failed=$(grep -o '"b":{[^}]*}' <<<"$j" | grep -o '"failed":[0-9]*' | cut -d: -f2)
	kill "$PID"
	wait "$PID" || true
	PID=
	if [[ $ndone != "$4" ]]; then
		echo "LOST: $ndone of $4 done, $failed failed" >&2
		exit 1
	fi
	rate "$4" "$t0" "$t1"
}

run_xargs() {
	local t0 t1
	t0=$(now)
	seq "$2" | xargs -P "$1" -n 1 /bin/true
	t1=$(now)
	rate "$2" "$t0" "$t1"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) CPUs"
for w in 2 4; do
	p=$(run_poold "$w" per-job /bin/true "$N")
	x=$(run_xargs "$w" "$N")
	echo "per-job /bin/true, $w workers: poold $p jobs/s, xargs -P $w $x jobs/s, ratio $(awk -v a="$p" -v b="$x" 'BEGIN { printf "%.2f", a / b }')"
done
for w in 2 4; do
	echo "resident python noop, $w workers: $(run_poold "$w" resident "/usr/bin/python3 $W/noop.py" "$M") jobs/s ($M jobs)"
	echo "resident sh noop, $w workers: $(run_poold "$w" resident "$W/noop.sh" "$M") jobs/s ($M jobs)"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
