#!/bin/bash
# The whole test suite, as CI runs it: format check, a normal build with
# warnings as errors, then the same suite again under ASan+UBSan.
# Usage: tests/run-all.sh            (from anywhere; builds in ./build*)
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

if command -v clang-format >/dev/null; then
	echo "== clang-format"
	git ls-files '*.c' '*.h' | xargs clang-format --dry-run -Werror
fi

echo "== build (warnings are errors)"
cmake -S . -B build -DPOOLD_WERROR=ON >/dev/null
cmake --build build -j "$jobs"
(cd build && ctest --output-on-failure -j "$jobs")

echo "== build with AddressSanitizer and UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DPOOLD_WERROR=ON -DPOOLD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
(cd build-asan && ctest --output-on-failure -j "$jobs")
