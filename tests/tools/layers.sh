#!/bin/bash
# The include layers hold: each part of the build compiles with the
# include directories CMake gives it (tests/CMakeLists.txt passes them,
# ':'-separated, read from the targets themselves), and with those a
# header of a part above it is not found.  common/ cannot include from
# worker/ or daemon/, the job kinds not from daemon/, the worker loop not
# from daemon/, poolctl not from daemon/ or the worker loop.  A header of
# its own part must still compile (else the check could not fail), and no
# source reaches around the layers with a relative "../" include.
#
# usage: layers.sh CC ROOT common=DIRS kinds=DIRS worker=DIRS poolctl=DIRS
set -u
cc=$1 root=$2
shift 2
fail=0

declare -A dirs
for arg in "$@"; do
	dirs[${arg%%=*}]=${arg#*=}
done

# compiles LAYER HEADER: does `#include "HEADER"` compile in LAYER?
compiles() {
	local flags=() d
	IFS=: read -ra ds <<<"${dirs[$1]}"
	for d in "${ds[@]}"; do
		flags+=("-I$d")
	done
	printf '#include "%s"\n' "$2" |
		"$cc" -std=c11 -D_GNU_SOURCE -fsyntax-only "${flags[@]}" -x c - 2>/dev/null
}

headers() {
	local d
	for d in "$@"; do
		(cd "$root/$d" && ls -- *.h)
	done
}

# expect LAYER yes|no DIR...: every header of DIR... (not) found in LAYER.
expect() {
	local layer=$1 want=$2 h
	shift 2
	for h in $(headers "$@"); do
		if compiles "$layer" "$h"; then
			[ "$want" = yes ] && continue
			echo "FAIL: $layer can include $h"
		else
			[ "$want" = no ] && continue
			echo "FAIL: $layer cannot include its own $h"
		fi
		fail=1
	done
}

expect common yes common
expect common no worker worker/kinds daemon daemon/sources
expect kinds yes worker/kinds common
expect kinds no daemon daemon/sources
expect worker yes worker worker/kinds
expect worker no daemon daemon/sources
expect poolctl yes common
if ! compiles poolctl jobs.h; then
	echo "FAIL: poolctl cannot include the kind table's jobs.h"
	fail=1
fi
expect poolctl no daemon daemon/sources

# A relative include would step around the directories above.
if grep -n '#include "\.\./' "$root"/{common,worker,daemon,poolctl}/*.[ch] \
	"$root"/worker/kinds/*.[ch] "$root"/daemon/sources/*.[ch]; then
	echo "FAIL: a relative include reaches into another part"
	fail=1
fi
[ "$fail" = 0 ] && echo "layers: ok"
exit "$fail"
