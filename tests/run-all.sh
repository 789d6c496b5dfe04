#!/bin/bash
# The whole test suite, as CI runs it: format check, a normal build with
# warnings as errors, then the same suite again under ASan+UBSan.
# Usage: tests/run-all.sh            (from anywhere; builds in ./build*)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)
start=$SECONDS
# took WHAT: how long since the last call (a line, so a slow phase shows).
lap=$SECONDS
took() {
	echo "== $1 took $((SECONDS - lap)) s ($((SECONDS - start)) s in all)"
	lap=$SECONDS
}

if command -v clang-format >/dev/null; then
	echo "== clang-format"
	git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
fi

echo "== build (warnings are errors)"
cmake -S . -B build -DPOOLD_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
took "the build"
(cd build && ctest --output-on-failure -j "$jobs")
took "the tests"

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DPOOLD_WERROR=ON -DPOOLD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j "$jobs"
took "the sanitizer build"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build-asan && ctest --output-on-failure -j "$jobs")
took "the tests under the sanitizers"
