#!/bin/bash
# Native modules (issue 12), as an operator would use them: poold's dev
# files installed into a temporary prefix (cmake --install --component
# dev), the example module of poold-modules(7) and the test modules of
# tests/modules built out of tree with cc and `pkg-config --cflags
# poold-module` against that installed header; `poold --check-module`
# reports them or refuses them (wrong ABI, missing symbol, bad schema:
# exit 78 with the reason); the daemon runs their jobs and the shipped
# checksum module's (compared with sha256sum); a crashing module is a
# worker death (retried, buried after max_attempts) and a failing init
# fails only that kind's jobs (no worker can run it), logged once per
# worker and once by the master; a HUP with a new
# build of a module replaces the workers and the new code answers.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
BUILD=$(dirname "$POOLD")
need cc build-essential
need pkg-config pkg-config

timeout 120 cmake --install "$BUILD" --prefix "$T/prefix" --component dev >"$T/install.log" 2>&1 ||
	fail "cmake --install --component dev failed: $(cat "$T/install.log")"
export PKG_CONFIG_PATH=$T/prefix/share/pkgconfig
cflags=$(pkg-config --cflags poold-module | xargs) || fail "pkg-config finds no poold-module"
[[ $cflags == "-I$T/prefix/include" ]] || fail "pkg-config --cflags poold-module: '$cflags'"
build_module() { # build_module SRC OUT [CFLAGS...]
	# shellcheck disable=SC2086 # cflags is a list of words
	cc -shared -fPIC -Wall -Wextra -Wno-unused-parameter -Werror $cflags "${@:3}" -o "$2" "$1" >"$T/cc.log" 2>&1 ||
		fail "cc $1: $(cat "$T/cc.log")"
}

# The example of the man page, its root moved under $T.
mkdir -p "$T/data" "$T/mods"
awk '/^\.\\" example: lines.c/ { f = 1; next } f && /^\.Bd/ { next } f && /^\.Ed/ { exit } f' \
	"$SRC/man/poold-modules.7" | sed -e 's/\\e/\\/g' -e "s|/srv/data|$T/data|" >"$T/lines.c"
grep -q POOLD_MODULE_OPS "$T/lines.c" || fail "no example module in poold-modules.7"
build_module "$T/lines.c" "$T/mods/lines.so"
for m in noop crash badabi nosym badschema; do
	build_module "$SRC/tests/modules/mod_$m.c" "$T/mods/$m.so"
done

# --check-module: reports, and refusals with their reasons.
"$POOLD" --check-module "$T/mods/lines.so" >"$T/check.out" 2>&1 || fail "lines.so refused: $(cat "$T/check.out")"
grep -q "ABI 1, 1 kind" "$T/check.out" || fail "no ABI line: $(cat "$T/check.out")"
grep -q "kind lines (code +0): schema \"{1:path:$T/data}\" (1:path), init, fini" "$T/check.out" ||
	fail "no kind line: $(cat "$T/check.out")"
refused() { # refused MODULE REASON
	"$POOLD" --check-module "$T/mods/$1.so" >"$T/check.out" 2>&1
	local rc=$?
	((rc == 78)) || fail "--check-module $1.so exited $rc, not 78: $(cat "$T/check.out")"
	grep -qF "$2" "$T/check.out" || fail "--check-module $1.so: no '$2' in: $(cat "$T/check.out")"
}
refused badabi "ABI mismatch: the module was built for module ABI 99"
refused nosym "missing symbol poold_module_ops"
refused badschema "kind bad: bad schema: placeholder 2: unknown type 'float'"
cp "$T/lines.c" "$T/mods/text.so"
refused text "not an ELF shared object"

# The configuration refuses the same modules, and clashing codes and names.
modules() { # the [module.NAME] sections; $1: the lines module's file
	printf '[module.lines]\nfile = %s\ncode = 2001\ntimeout = 20s\n' "$1"
	printf '[module.test]\nfile = %s\ncode = 2002\n' "$T/mods/noop.so"
	printf '[module.crash]\nfile = %s\ncode = 2010\n' "$T/mods/crash.so"
	printf '[module.checksum]\nfile = %s\ncode = 2020\n' "$BUILD/modules/checksum.so"
}
write_config extra="$(modules "$T/mods/lines.so")\n[module.bad]\nfile = $T/mods/badabi.so\ncode = 3000"
"$POOLD" -t -c "$CONF" >"$T/t.out" 2>&1 && fail "poold -t accepted a module of ABI 99"
grep -q "\[module.bad\] $T/mods/badabi.so: ABI mismatch" "$T/t.out" || fail "poold -t: $(cat "$T/t.out")"
write_config extra="$(modules "$T/mods/lines.so")\n[module.again]\nfile = $T/mods/lines.so\ncode = 3000"
"$POOLD" -t -c "$CONF" >"$T/t.out" 2>&1 && fail "poold -t accepted a kind name twice"
grep -q "kind lines of \[module.lines\] (code 2001) has this name" "$T/t.out" || fail "poold -t: $(cat "$T/t.out")"
write_config extra="$(modules "$T/mods/lines.so")\n[kind.op]\ncode = 2003\nexec = /bin/true"
"$POOLD" -t -c "$CONF" >"$T/t.out" 2>&1 && fail "poold -t accepted a code twice"
grep -q "kind margs code 2003: \[kind.op\] (code 2003) has this code" "$T/t.out" || fail "poold -t: $(cat "$T/t.out")"

# The daemon runs them.
seed=${POOLD_TEST_SEED:-$RANDOM}
log "seed $seed"
awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 1000 + int(rand() * 5000); i++) print "line", i }' >"$T/data/a.txt"
head -c 300000 /dev/urandom >"$T/data/b.bin"
write_config workers=2 level=debug extra_pool="max_attempts = 2" extra="$(modules "$T/mods/lines.so")
[queue.mods]
kinds = mretry
retry = 3
backoff = 50ms"
start_daemon
expect_workers 2
fifo_send "lines $T/data/a.txt" "2001 $T/data/nope" "mnoop" "margs 7 hello  world" \
	"checksum sha256 $T/data/b.bin" "checksum sha512 $T/data/a.txt" "mbadinit" "noop"
pctl submit lines /etc/passwd 2>"$T/submit.err" && fail "a path outside the schema's root was accepted"
grep -q "argument 1: not under $T/data" "$T/submit.err" || fail "refusal: $(cat "$T/submit.err")"
wait_accepted 8
pctl_wait 60
dlog_has "checksum ok on worker\[[01]\]: sha256 $(sha256sum <"$T/data/b.bin" | cut -d' ' -f1)" ||
	fail "no right sha256 of b.bin"
dlog_has "checksum ok on worker\[[01]\]: sha512 $(sha512sum <"$T/data/a.txt" | cut -d' ' -f1)" ||
	fail "no right sha512 of a.txt"
dlog_has "lines ok on worker\[[01]\]: $(wc -l <"$T/data/a.txt") lines" || fail "no right line count"
dlog_has "lines failed on worker\[[01]\]: open $T/data/nope: No such file" || fail "no failure of a missing file"
dlog_has "margs ok on worker\[[01]\]: id [0-9]* attempt 1 args 2: 7 hello  world deadline set" ||
	fail "margs did not see its arguments, id, attempt and deadline"
dlog_has "mbadinit failed on worker\[[01]\]: module crash: init of mbadinit failed: the license server is unreachable" ||
	fail "mbadinit's job did not fail with the init's reason"
n=$(grep -c "init of mbadinit failed.*this worker takes no mbadinit jobs" "$DLOG")
((n == 2)) || fail "the init failure logged $n times, not once per worker (2)"
n=$(grep -c "master: no worker can run mbadinit jobs" "$DLOG")
((n == 1)) || fail "no worker can run mbadinit: said $n times, not once"
[[ $(stat_of tasks.noop.done) == 1 ]] || fail "noop did not run beside the modules"

# POOLD_RETRY is a temporary failure: its queue (retry = 3) runs it again.
id=$(pctl submit mretry 3) || fail "submit mretry"
pctl wait "$id" >/dev/null || fail "mretry 3 did not succeed: $(pctl job "$id")"
rec=$(pctl job "$id")
grep -q "^reason: ok at attempt 3$" <<<"$rec" || fail "mretry: $rec"
[[ $(grep -c "^  attempt [12] at .*: not before attempt 3$" <<<"$rec") == 2 ]] ||
	fail "mretry's two failed attempts are not shown: $rec"

# A crash is a worker death: retried once, then buried; the pool serves on.
fifo_send "mcrash crash" "mcrash fine"
wait_accepted 10
pctl_wait 60
dlog_has "buried after 2 attempts; its worker killed by signal 6" || fail "the crashing job was not buried after 2 attempts"
dlog_has "mcrash ok on worker\[[01]\]: survived attempt 1" || fail "the pool stopped serving after a crash"

# A new build, installed with a rename, and a HUP: new code, no job lost.
sed 's/"%llu lines"/"%llu lines (v2)"/' "$T/lines.c" >"$T/lines2.c"
build_module "$T/lines2.c" "$T/mods/lines.so.new"
yes "lines $T/data/a.txt" | head -n 300 >"$T/jobs"
stream_jobs "$T/jobs" 2
streamer=$BG_PID
mv "$T/mods/lines.so.new" "$T/mods/lines.so"
kill -HUP "$MASTER_PID"
wait_for 'dlog_has "replacing every worker"' 20 "the reload"
wait_exit "$streamer" 120 || fail "the submitter did not finish"
fifo_send "lines $T/data/a.txt"
wait_accepted 311
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.lines.done) == 302 ]] || fail "lines jobs done: $(stat_of tasks.lines.done), not 302"
[[ $(grep "lines ok on" "$DLOG" | tail -1) == *"lines (v2)" ]] || fail "the last lines job ran the old build"
log "ok: modules built against the installed header, checked, run, crashed, reloaded"
