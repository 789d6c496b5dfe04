#!/bin/bash
# [log] file, [metrics] file and [journal] file naming one file (issue 15,
# item 2): log lines would land in the journal, and replay would read
# them as damage.  Refused after resolving the names (the same path, a
# symlink to the other, a symlinked directory, a hard link, the journal's
# lock file): `poold -t` and start-up exit 78 with FILE:LINE and the
# reason; a HUP to such a file keeps the running configuration, logs why,
# and jobs still go to the old files.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

run_poold() {
	local name=$1
	shift
	timeout -k 5 20 "$POOLD" "$@" </dev/null >"$T/daemon-$name.log" 2>&1
	RC=$?
}

# refused NAME WHAT KEY_LINE_REGEX [write_config args...]: poold -t and a
# real start on that file exit 78 naming the line of the later key.
refused() {
	local name=$1 what=$2 key=$3 line
	shift 3
	write_config file="$T/$name.ini" "$@"
	line=$(grep -n -- "$key" "$T/$name.ini" | tail -1 | cut -d: -f1)
	run_poold "t-$name" -t -c "$T/$name.ini"
	((RC == 78)) || fail "poold -t with $what exited $RC, not 78: $(cat "$T/daemon-t-$name.log")"
	grep -q "$T/$name.ini:$line: .*are the same file" "$T/daemon-t-$name.log" ||
		fail "poold -t with $what does not name $name.ini:$line and the reason: $(cat "$T/daemon-t-$name.log")"
	run_poold "start-$name" -c "$T/$name.ini"
	((RC == 78)) || fail "poold with $what exited $RC, not 78"
}

mkdir -p "$RUN" "$T/logs" "$T/m"
chmod 0700 "$RUN"
J=$RUN/journal # write_config's [journal] file

refused same-path "[log] file = [journal] file" "^file = $J\$" log_file="$J"
ln -s "$J" "$T/m/link.prom" # dangling until the journal exists
refused symlink "[metrics] file a symlink to [journal] file" "^file = $T/m/link.prom\$" \
	extra="[metrics]\nfile = $T/m/link.prom"
ln -s "$RUN" "$T/runlink"
refused dir-symlink "[log] file through a symlinked directory" "^file = $J\$" \
	log_file="$T/runlink/journal"
echo >"$T/logs/jobs.log"
ln "$T/logs/jobs.log" "$T/m/hard.prom"
refused hard-link "[metrics] file a hard link of [log] file" "^file = $T/m/hard.prom\$" \
	log_file="$T/logs/jobs.log" extra="[metrics]\nfile = $T/m/hard.prom"
refused lock "[log] file = the journal's lock file" "^file = $J\$" log_file="$J.lock"
[[ -e $J ]] && fail "a refused start created the journal"

write_config file="$T/good.ini" extra="[metrics]\nfile = $T/m/poold.prom"
run_poold t-good -t -c "$T/good.ini"
((RC == 0)) || fail "poold -t on distinct files exited $RC: $(cat "$T/daemon-t-good.log")"

# ---- on HUP ---------------------------------------------------------------
cp "$T/good.ini" "$CONF"
cp "$T/good.ini" "$T/ctl.ini"
CTL_CONF=$T/ctl.ini # poolctl reads a good copy while $CONF is refused
start_daemon
fifo_send "log before"
wait_accepted 1
pctl_wait || fail "the first log job failed"

# hup_refused N: HUP and wait for the Nth "reload failed" line, which
# must give the reason; then a log job still lands in $JOBLOG.
hup_refused() {
	kill -HUP "$MASTER_PID"
	wait_for '(( $(grep -c "reload failed" "$DLOG") >= '"$1"' ))' 10 "reload failed #$1"
	grep "reload failed" "$DLOG" | tail -1 | grep -q "are the same file" ||
		fail "reload failed without the reason: $(grep 'reload failed' "$DLOG" | tail -1)"
	fifo_send "log after-hup-$1"
	wait_accepted $(($1 + 1))
	pctl_wait || fail "a log job after refused reload #$1 failed ($(cat "$T/wait.out"))"
	grep -q " after-hup-$1\$" "$JOBLOG" || fail "the log job after reload #$1 missed $JOBLOG"
}
write_config log_file="$J"
hup_refused 1
# A new [journal] file needs a restart, so the running one is kept: a new
# [log] file naming the running journal is refused as well.
write_config log_file="$J"
sed -i "/^\[journal\]\$/{n;s|^file = .*|file = $T/elsewhere/journal|}" "$CONF"
[[ $(grep -c "^file = $J\$" "$CONF") == 1 ]] && grep -q "^file = $T/elsewhere/journal\$" "$CONF" ||
	fail "the test's configuration for reload #2 is wrong: $(cat "$CONF")"
hup_refused 2
[[ $(head -c 16 "$J") == "poold-journal-2" ]] || fail "the journal lost its magic"
grep -aq 'Z job=[0-9]* ' "$J" && fail "log lines landed in the journal"
true
