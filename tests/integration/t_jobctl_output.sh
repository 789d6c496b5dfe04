#!/bin/bash
# `poolctl job ID` shows an operator kind's kept output (issue 13): the
# last bytes of stdout and stderr of a per-job run (at most the kind's
# `output` bytes), also for a failing run, control characters escaped on
# the terminal; `--json` carries it as a valid JSON string (invalid UTF-8
# replaced by U+FFFD); a resident handler's message is its output; and
# the built-in kinds carry none.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/say.sh" <<'EOS'
#!/bin/sh
case "$1" in
lines)
	echo "out line one"
	echo "err line two" >&2
	echo "out line three"
	printf 'bell\007 esc\033[31m bad\377utf8\n'
	;;
many)
	i=0
	while [ $i -lt 500 ]; do echo "line $i of many"; i=$((i + 1)); done
	;;
fail)
	echo "about to fail"
	echo "it broke badly" >&2
	exit 3
	;;
esac
EOS
chmod +x "$T/say.sh"
cat >"$T/res.sh" <<'EOS'
#!/bin/sh
while read -r what; do echo "ok handled $what"; done
EOS
chmod +x "$T/res.sh"
write_config workers=1 extra="[kind.say]
code = 1001
exec = $T/say.sh {1:enum:lines|many|fail}
[kind.tail]
code = 1002
exec = $T/say.sh {1:enum:lines|many|fail}
output = 100
[kind.res]
code = 1003
mode = resident
exec = $T/res.sh {1:word}"
start_daemon
expect_workers 1

ended() { pctl wait --timeout 30s "$@" >"$T/wait.out" 2>&1; }

lines=$(pctl submit say lines) || fail "submit exited $?"
many=$(pctl submit tail many) || fail "submit exited $?"
failing=$(pctl submit say fail) || fail "submit exited $?"
res=$(pctl submit res word1) || fail "submit exited $?"
noop=$(pctl submit noop) || fail "submit exited $?"
ended "$lines" "$many" "$noop" "$res" || fail "jobs did not all succeed"
! ended "$failing" || fail "the failing job succeeded"

out=$(pctl job "$lines") || fail "job $lines exited $?"
log "$out"
# stdout and stderr are two pipes: their lines may come in either order.
for want in 'output (last 65 bytes):' '  out line one' '  err line two' '  out line three' \
	'  bell\x07 esc\x1b[31m bad'$'\377''utf8'; do
	grep -aqxF -- "$want" <<<"$out" || fail "job $lines: no line '$want'"
done
[[ $out != *$'\033'* && $out != *$'\007'* ]] || fail "control characters reached the terminal"

json=$(pctl job "$lines" --json) || fail "job --json exited $?"
python3 -c 'import json,sys
o = json.load(sys.stdin)
want = ["out line one", "err line two", "out line three", "bell\x07 esc\x1b[31m bad\ufffdutf8"]
got = o["output"].split("\n")
assert got[-1] == "" and sorted(got[:-1]) == sorted(want), repr(o["output"])
assert o["output_dropped"] is False' <<<"$json" || fail "JSON output: $json"

out=$(pctl job "$many") || fail "job $many exited $?"
grep -qx 'output (last 100 bytes):' <<<"$out" || fail "job $many: not the last 100 bytes: $out"
grep -qx '  line 499 of many' <<<"$out" || fail "job $many: no last line: $out"
! grep -q 'line 1 of many' <<<"$out" || fail "job $many: kept its first lines: $out"
pctl job "$many" --json | python3 -c 'import json,sys
o = json.load(sys.stdin)["output"]
assert len(o) == 100 and o.endswith("line 499 of many\n"), repr(o)' || fail "JSON of $many"

out=$(pctl job "$failing") || fail "job $failing exited $?"
grep -qx 'state: failed' <<<"$out" || fail "job $failing: $out"
grep -qx '  about to fail' <<<"$out" && grep -qx '  it broke badly' <<<"$out" ||
	fail "job $failing: no output: $out"

out=$(pctl job "$res") || fail "job $res exited $?"
grep -qx '  handled word1' <<<"$out" || fail "resident job $res: $out"

out=$(pctl job "$noop") || fail "job $noop exited $?"
[[ $out != *output* ]] || fail "noop has output: $out"
pctl job "$noop" --json | python3 -c 'import json,sys
assert json.load(sys.stdin)["output"] is None' || fail "noop JSON output is not null"
true
