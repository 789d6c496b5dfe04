#!/bin/bash
# The manual pages (man/*.[1-8], mdoc(7)): each passes `mandoc -Tlint -W
# warning` without a message, renders to non-empty text with a NAME
# section, has a .Dt that matches its file name, and names in .Xr only
# pages of this project that exist.  poold.ini(5) documents every key
# that conf/poold.ini sets, in its section, with that file's default.
# Every page is dated in the year of the package's latest changelog
# entry (systemd/deb/changelog.in), renders no nested or unbalanced
# quotes, and poold(8)'s FILES names each system path of
# conf/poold-system.ini and the units (FIFO, socket, job log, backups,
# journal, logrotate file); paths existing after installation are
# checked by t_systemd.
#
# Needs mandoc (Debian package mandoc); without it the test prints SKIP
# and passes.  It starts no daemon, so it does not use lib.sh.
set -u
set -o pipefail
export LC_ALL=C

TEST_NAME=t_man
SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
MAN=$SRC/man

fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	exit 1
}

if ! command -v mandoc >/dev/null; then
	echo "$TEST_NAME: SKIP: mandoc is not installed (Debian package mandoc)"
	exit 0
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/poold-$TEST_NAME.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT

shopt -s nullglob
pages=("$MAN"/*.[1-8])
((${#pages[@]} >= 3)) || fail "only ${#pages[@]} pages in $MAN (poold.8, poolctl.1, poold.ini.5 expected)"

CHANGELOG_YEAR=$(sed -n 's/^ -- .*  [A-Z][a-z]*, [0-9]* [A-Z][a-z]* \([0-9]\{4\}\) .*/\1/p' \
	"$SRC/systemd/deb/changelog.in" | head -n 1)
[[ -n $CHANGELOG_YEAR ]] || fail "no date in the first entry of systemd/deb/changelog.in"

for page in "${pages[@]}"; do
	name=$(basename "$page")
	if ! timeout 30 mandoc -Tlint -W warning "$page" >"$T/lint" 2>&1 || [[ -s $T/lint ]]; then
		fail "mandoc -Tlint -W warning $name:"$'\n'"$(cat "$T/lint")"
	fi
	timeout 30 mandoc -Tutf8 "$page" >"$T/out" 2>"$T/err" ||
		fail "mandoc -Tutf8 $name failed: $(cat "$T/err")"
	[[ -s $T/out ]] || fail "mandoc -Tutf8 $name printed nothing"
	# Bold and underline are overstrikes (X backspace X): drop them.
	sed 's/.\x08//g' "$T/out" >"$T/plain"
	grep -q '^NAME$' "$T/plain" || fail "$name renders without a NAME section"

	# “ and ” alternate: a .Dq swallowing the next one shows as “a, “b””.
	tr '\n' ' ' <"$T/plain" | grep -Eo '[“”]' | tr -d '\n' >"$T/quotes"
	grep -Eq '““|””|^”|“$' "$T/quotes" && fail "$name renders nested or unbalanced quotes:"$'\n'"$(grep -E '“[^”]*(“|$)' "$T/plain" | head -3)"
	year=$(sed -n 's/^\.Dd [A-Z][a-z]* [0-9]*, \([0-9]\{4\}\)$/\1/p' "$page")
	[[ $year == "$CHANGELOG_YEAR" ]] ||
		fail "$name is dated '$(grep '^\.Dd' "$page")', not in $CHANGELOG_YEAR (the changelog's year)"

	# .Dt TITLE SECTION must be the file name (poold.ini.5: POOLD.INI 5).
	want=$(awk -v n="${name%.*}" -v s="${name##*.}" 'BEGIN { print toupper(n), s }')
	got=$(sed -n 's/^\.Dt \([^ ]*\) \([0-9]\).*/\1 \2/p' "$page")
	[[ $got == "$want" ]] || fail "$name has '.Dt $got', not '.Dt $want'"

	# Cross references to the project's own pages must resolve.
	while read -r ref sec; do
		[[ -f $MAN/$ref.$sec ]] || fail "$name refers to $ref($sec), which is not in $MAN"
	done < <(sed -n 's/^\.Xr \(pool[a-z.]*\) \([0-9]\).*/\1 \2/p' "$page")
	echo "$TEST_NAME: $name: lint clean, $(wc -l <"$T/out") lines rendered"
done

# Every key of conf/poold.ini, under ".Sh THE [section] SECTION" of
# poold.ini.5 as ".It Cm key", with the default the example file gives it
# somewhere in its entry.
ini=$SRC/conf/poold.ini
[[ -f $ini ]] || fail "no $ini"
[[ -f $MAN/poold.ini.5 ]] || fail "no $MAN/poold.ini.5"
awk '
	/^\[[a-z]+\]/ { sec = substr($1, 2, length($1) - 2); next }
	/^[a-z_]+[ \t]*=/ {
		key = $0; sub(/[ \t]*=.*/, "", key)
		val = $0; sub(/^[^=]*=[ \t]*/, "", val); sub(/[ \t]+;.*/, "", val)
		print sec, key, val
	}' "$ini" >"$T/keys"
(($(wc -l <"$T/keys") >= 14)) || fail "read only $(wc -l <"$T/keys") keys from $ini"
awk '
	/^\.Sh THE \[[a-z]+\] SECTION$/ { sec = substr($3, 2, length($3) - 2); key = ""; next }
	/^\.Sh / { sec = ""; key = ""; next }
	sec != "" && /^\.It Cm [a-z_]+/ { key = $3; next }
	sec != "" && key != "" && /^\.El/ { key = ""; next }
	sec != "" && key != "" { line = $0; gsub(/\\&/, "", line); print sec, key, line }
' "$MAN/poold.ini.5" >"$T/doc"
while read -r sec key val; do
	grep -q "^$sec $key " "$T/doc" ||
		fail "poold.ini.5 does not document [$sec] $key (no '.It Cm $key' under '.Sh THE [$sec] SECTION')"
	grep "^$sec $key " "$T/doc" | grep -qF -- "$val" ||
		fail "poold.ini.5 does not give [$sec] $key the default '$val' of conf/poold.ini"
done <"$T/keys"
echo "$TEST_NAME: poold.ini.5 documents all $(wc -l <"$T/keys") keys of conf/poold.ini"
# poold(8)'s FILES: the system paths of the configuration and the units.
sys=$SRC/conf/poold-system.ini
files=$(awk '/^\.Sh FILES$/ { f = 1; next } /^\.Sh / { f = 0 } f' "$MAN/poold.8")
for want in /etc/poold/poold.ini /etc/logrotate.d/poold \
	$(sed -n 's/^\(fifo\|socket\|file\|dir\) = \(\/.*\)/\2/p' "$sys") \
	$(sed -n 's/^ListenFIFO=//p' "$SRC/systemd/poold.socket"); do
	grep -Eq "^\.It Pa $want( |$)|, Pa $want( |$)" <<<"$files" ||
		fail "poold.8's FILES does not list $want"
done
echo "$TEST_NAME: poold.8 lists every system path in FILES"
echo "$TEST_NAME: passed"
