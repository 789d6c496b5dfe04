#!/bin/bash
# valgrind memcheck over a small mixed load, the master and its forked
# workers alike: no invalid access, no leak, exit 0 after TERM.  Skipped
# in the sanitizer build (valgrind and ASan do not mix) and without
# valgrind (Debian package valgrind).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

if ! command -v valgrind >/dev/null; then
	log "SKIP: valgrind is not installed"
	exit 0
fi
# (Not `ldd | grep -q`: with pipefail, ldd's SIGPIPE after grep's early
# exit would make the test think this is not a sanitizer build.)
if grep -q '^POOLD_SANITIZE:BOOL=ON' "$(dirname "$POOLD")/CMakeCache.txt" 2>/dev/null ||
	[[ $(ldd "$POOLD") == *libasan* ]]; then
	log "SKIP: sanitizer build"
	exit 0
fi
real=$POOLD
cat >"$T/vg-poold" <<EOS
#!/bin/bash
exec valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--show-leak-kinds=definite --log-file="$T/valgrind.%p.log" "$real" "\$@"
EOS
chmod +x "$T/vg-poold"
POOLD=$T/vg-poold
write_config workers=2
TIME_SCALE=$(awk -v k="$TIME_SCALE" 'BEGIN { print k * 5 }')
start_daemon
echo hello >"$ALLOW_DIR/file.txt"
{
	gen_ids v 2000
	echo "backup $ALLOW_DIR/file.txt"
	echo noop
	echo "net 127.0.0.1:1"
} | pctl submit - || fail "poolctl submit - exited $?"
pctl_wait 120
rc=$?
((rc == 1)) || fail "poolctl wait exited $rc, not 1 (the net job to port 1 fails): $(cat "$T/wait.out")"
mark=$(dlog_lines)
kill -HUP "$MASTER_PID"
wait_for "dlog_since $mark 'reload: .* read'" 60 "the master to log the reload"
stop_daemon TERM 60
((DAEMON_RC == 0)) || fail "poold under valgrind exited $DAEMON_RC: $(cat "$T"/valgrind.*.log)"
check_ids v 2000 once
for f in "$T"/valgrind.*.log; do
	[[ -s $f ]] && fail "valgrind reported: $(head -40 "$f")"
done
true
