#!/bin/bash
# Builds the libFuzzer harnesses of fuzz/ with clang (ASan + UBSan) and
# runs each for a while, one after another.
#
# Usage: fuzz/run.sh [SECONDS] [HARNESS...]
#   SECONDS   how long each harness runs (default 20; 600 for a long run)
#   HARNESS   fuzz_ctl fuzz_config fuzz_frames fuzz_journal (default: all)
#
# Environment:
#   POOLD_FUZZ_BUILD     build directory (default /tmp/poold-fuzz); the
#                        binaries, the corpus each run grows, logs, crashes
#   POOLD_FUZZ_CC        the compiler (default: clang, else clang-14)
#   POOLD_FUZZ_OPTIONAL  1: without a clang that links libFuzzer, print
#                        SKIP and exit 0 (the test suite sets it)
#
# Exits 0 when every harness ran its time without a finding, 1 on a
# crash, a sanitizer report, a failed invariant, a leak or a timeout (the
# input is in $POOLD_FUZZ_BUILD/crashes/), 2 on a usage or build error,
# 77 when no usable clang is there (unless POOLD_FUZZ_OPTIONAL=1).
# The corpus in the tree (fuzz/corpus/) is read, never written.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
all="fuzz_ctl fuzz_config fuzz_frames fuzz_journal"

secs=${1:-20}
if ! [[ $secs =~ ^[0-9]+$ ]] || [ "$secs" -eq 0 ]; then
	echo "usage: fuzz/run.sh [SECONDS] [HARNESS...]" >&2
	exit 2
fi
shift || true
harnesses=${*:-$all}
build=${POOLD_FUZZ_BUILD:-/tmp/poold-fuzz}
mkdir -p "$build/bin" "$build/crashes" "$build/logs"

# A compiler counts only if it links a fuzz target: clang alone lacks
# libFuzzer (Debian: libclang-rt-14-dev).
probe() {
	printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
		'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { return 0; }' \
		>"$build/probe.c"
	"$1" -fsanitize=fuzzer,address,undefined "$build/probe.c" -o "$build/probe" \
		>/dev/null 2>&1
}
cc=""
for c in ${POOLD_FUZZ_CC:-clang clang-14}; do
	if command -v "$c" >/dev/null && probe "$c"; then
		cc=$c
		break
	fi
done
if [ -z "$cc" ]; then
	echo "SKIP: no clang that links libFuzzer" \
		"(Debian 12: apt-get install clang-14 libclang-rt-14-dev)"
	[ "${POOLD_FUZZ_OPTIONAL:-0}" = 1 ] && exit 0
	exit 77
fi

# shellcheck disable=SC2054 # the commas belong to -fsanitize=
cflags=(-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
	-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
	-Wno-unused-parameter -I"$here")
inih_cflags=$(pkg-config --cflags inih)
inih_libs=$(pkg-config --libs inih)

# What each harness is built from besides fuzz/<harness>.c, and its flags.
kinds_src="$(cd "$root" && echo worker/kinds/*.c worker/runner.c worker/oplimits.c worker/oplimits_cg.c)"
jobs_src="$kinds_src $(cd "$root" && echo common/*.c)"
sources() {
	case $1 in
	fuzz_ctl) echo "$jobs_src" ;;
	fuzz_config) echo "$jobs_src" ;;
	fuzz_frames) echo "common/proto.c" ;;
	fuzz_journal) echo "$jobs_src daemon/journal.c daemon/journal_scan.c daemon/journal_sync.c daemon/queue.c daemon/admit.c daemon/source.c daemon/jobctl.c daemon/results.c daemon/later.c daemon/timerheap.c daemon/unique.c daemon/uniq.c daemon/slab.c" ;;
	*) return 1 ;;
	esac
}
# Include directories as the build gives the parts linked (CMakeLists.txt).
incs() {
	local d dirs="common common/include"
	case $1 in
	fuzz_ctl | fuzz_config) dirs="$dirs worker/kinds worker" ;;
	fuzz_journal) dirs="$dirs worker/kinds worker daemon" ;;
	esac
	for d in $dirs; do echo "-I$root/$d"; done
}
libs() {
	case $1 in
	fuzz_config | fuzz_ctl) echo "$inih_libs -ldl" ;;
	fuzz_journal) echo "-lev $inih_libs -ldl" ;;
	esac
}
# Longest input: over CTL_LINE_MAX for the splitter, several frames and
# records for the stream harnesses.
max_len() {
	case $1 in
	fuzz_ctl) echo 24576 ;;
	fuzz_config) echo 8192 ;;
	*) echo 16384 ;;
	esac
}

build_one() {
	local h=$1 bin=$build/bin/$1 src=() f
	for f in $(sources "$h"); do src+=("$root/$f"); done
	# Rebuild only when a source or header is newer than the binary.
	if [ -x "$bin" ] && [ -z "$(find "$here" "$root/common" "$root/worker" "$root/daemon" \
		-name '*.[ch]' -newer "$bin" -print -quit)" ] && [ "$here/run.sh" -ot "$bin" ]; then
		return 0
	fi
	echo "== build $h ($cc)"
	# shellcheck disable=SC2046,SC2086 # the pkg-config words are meant to split
	"$cc" "${cflags[@]}" $(incs "$h") $inih_cflags "$here/$h.c" "${src[@]}" -o "$bin" $(libs "$h")
}

for h in $harnesses; do
	if ! sources "$h" >/dev/null; then
		echo "fuzz/run.sh: unknown harness '$h' (have: $all)" >&2
		exit 2
	fi
done
for h in $harnesses; do
	build_one "$h" || exit 2
done

# ASan's quarantine of freed memory (256 MB by default) is what drives a
# harness's RSS up; a use after free here shows within one input, so a
# smaller one loses nothing.  Options given by the caller come later and win.
export ASAN_OPTIONS="quarantine_size_mb=64${ASAN_OPTIONS:+:$ASAN_OPTIONS}"

failed=""
for h in $harnesses; do
	mkdir -p "$build/corpus/$h"
	# libFuzzer only adds to the corpus it grows; shrink it to the inputs
	# that still add coverage once it gets large.
	if [ "$(find "$build/corpus/$h" -type f | wc -l)" -gt 2000 ]; then
		rm -rf "$build/corpus/$h.min"
		mkdir "$build/corpus/$h.min"
		if "$build/bin/$h" -merge=1 -max_len="$(max_len "$h")" "$build/corpus/$h.min" \
			"$build/corpus/$h" >"$build/logs/$h.merge.log" 2>&1; then
			rm -rf "$build/corpus/$h"
			mv "$build/corpus/$h.min" "$build/corpus/$h"
		fi
	fi
	dict=()
	[ -f "$here/dict/$h.dict" ] && dict=(-dict="$here/dict/$h.dict")
	log=$build/logs/$h.log
	echo "== run $h for ${secs}s"
	# New inputs go to the first corpus directory (the build's); the
	# seeds in the tree are only read.
	set +e
	"$build/bin/$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-max_len="$(max_len "$h")" -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="$build/crashes/$h-" \
		"$build/corpus/$h" "$here/corpus/$h" >"$log" 2>&1
	rc=$?
	set -e
	grep -E '^(INFO: seed corpus|#[0-9]+[[:space:]]+DONE)|^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' \
		"$log" | sed 's/^/   /' || true
	if [ $rc -ne 0 ]; then
		echo "!! $h failed (exit $rc); log: $log"
		echo "   reproduce: $build/bin/$h $build/crashes/$h-<crash|leak|timeout|oom>-..."
		grep -E 'ERROR|invariant failed|runtime error|SUMMARY|Test unit written' "$log" |
			head -20 | sed 's/^/   /' || true
		failed="$failed $h"
	fi
done
if [ -n "$failed" ]; then
	echo "fuzz/run.sh: findings in:$failed (inputs in $build/crashes/)"
	exit 1
fi
echo "fuzz/run.sh: $harnesses: no findings in ${secs}s each"
