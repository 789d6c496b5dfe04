#!/bin/bash
# Runs the test suite (or a tier of it) several times with the machine kept
# busy by `stress-ng --cpu N` (Debian package stress-ng), and prints, for
# each run and build, pass or fail (with the failed tests) and the time.
# The suite must hold on a loaded machine; this is how to check that it
# does.  Builds nothing: run tests/run-all.sh (or cmake --build) first.
#
# Usage: tests/stress.sh [-n RUNS] [-L LABEL] [-R REGEX] [-j JOBS] [--cpu N] [BUILD_DIR...]
#   -n RUNS     runs of each build directory (default 3)
#   -L LABEL    a CTest label, e.g. quick (default: every test)
#   -R REGEX    only the tests whose names match (ctest -R)
#   -j JOBS     ctest -j (default 2)
#   --cpu N     stress-ng CPU workers beside the suite (default 2; 0: none)
#   BUILD_DIR   default: build and build-asan (those that exist)
# Exit status: 0 when every run passed.  stress-ng is started once, before
# the first run, and stopped by its PID at exit; each run's ctest output,
# and the tests' own temporary directories (TMPDIR), are kept under a
# temporary directory, printed at the end.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

runs=3 label="" regex="" jobs=2 cpu=2 dirs=()
while (($# > 0)); do
	case $1 in
	-n) runs=$2; shift 2 ;;
	-L) label=$2; shift 2 ;;
	-R) regex=$2; shift 2 ;;
	-j) jobs=$2; shift 2 ;;
	--cpu) cpu=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "stress.sh: unknown option $1" >&2; exit 64 ;;
	*) dirs+=("$1"); shift ;;
	esac
done
if ((${#dirs[@]} == 0)); then
	for d in build build-asan; do [[ -f $d/CTestTestfile.cmake ]] && dirs+=("$d"); done
fi
((${#dirs[@]} > 0)) || { echo "stress.sh: no build directory with tests (run tests/run-all.sh first)" >&2; exit 64; }
for d in "${dirs[@]}"; do
	[[ -f $d/CTestTestfile.cmake ]] || { echo "stress.sh: $d has no tests" >&2; exit 64; }
done

logs=$(mktemp -d "${TMPDIR:-/tmp}/poold-stress.XXXXXX") || exit 1
# Searchable by all, as /tmp is: some tests run poolctl as user nobody on
# files in their own (private) directory below it.
chmod 755 "$logs"
stress_pid=""
stop_stress() {
	if [[ -n $stress_pid ]]; then
		kill -TERM "$stress_pid" 2>/dev/null
		wait "$stress_pid" 2>/dev/null
		stress_pid=""
	fi
}
trap stop_stress EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if ((cpu > 0)); then
	command -v stress-ng >/dev/null || { echo "stress.sh: needs stress-ng (Debian package stress-ng)" >&2; exit 69; }
	stress-ng --cpu "$cpu" --quiet >"$logs/stress-ng.log" 2>&1 &
	stress_pid=$!
	echo "stress-ng --cpu $cpu running (pid $stress_pid)"
fi
# The tests' temporary directories go under this run's own directory.
export TMPDIR=$logs
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

failed_runs=0
for ((i = 1; i <= runs; i++)); do
	for d in "${dirs[@]}"; do
		log=$logs/run$i-$(basename "$d").log
		t0=$EPOCHREALTIME
		(cd "$d" && ctest -j "$jobs" --output-on-failure ${label:+-L "$label"} ${regex:+-R "$regex"}) >"$log" 2>&1
		rc=$?
		secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", b - a }')
		load=$(cut -d' ' -f1 /proc/loadavg)
		summary=$(grep -E 'tests passed, [0-9]+ tests failed out of' "$log" | tail -1)
		if ((rc == 0)) && [[ -z $summary ]]; then
			rc=1 # "No tests were found": a label the build does not know
		fi
		if ((rc == 0)); then
			echo "run $i/$runs $d${label:+ -L $label}: PASS in ${secs} s (load $load): $summary"
		else
			failed_runs=$((failed_runs + 1))
			bad=$(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) .*/\1/p' "$log" | tr '\n' ' ')
			echo "run $i/$runs $d${label:+ -L $label}: FAIL in ${secs} s (load $load): ${bad:-$summary} (log: $log)"
		fi
	done
done
stop_stress
echo "$failed_runs of $((runs * ${#dirs[@]})) runs failed; ctest output in $logs"
((failed_runs == 0))
