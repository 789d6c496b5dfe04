#!/bin/bash
# A bad configuration: at start-up exit 78 with FILE:LINE and the reason;
# `poold -t` says 0 or 78; on HUP the daemon logs "reload failed", keeps
# its running configuration (worker count) and keeps serving jobs.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# run_poold NAME ARGS...: runs poold to completion (bounded), stderr and
# stdout into daemon-NAME.log; RC gets its exit code.
run_poold() {
	local name=$1
	shift
	timeout -k 5 20 "$POOLD" "$@" </dev/null >"$T/daemon-$name.log" 2>&1
	RC=$?
}

write_config file="$T/good.ini" workers=3
write_config file="$T/unknown.ini" workers=3 extra_pool="bogus = 1"
write_config file="$T/badvalue.ini" workers=lots
unknown_line=$(grep -n '^bogus = 1$' "$T/unknown.ini" | cut -d: -f1)
badvalue_line=$(grep -n '^workers = lots$' "$T/badvalue.ini" | cut -d: -f1)

# ---- at start-up -----------------------------------------------------------
run_poold start-unknown -c "$T/unknown.ini"
((RC == 78)) || fail "poold with an unknown key exited $RC, not 78"
grep -q "$T/unknown.ini:$unknown_line: .*bogus" "$T/daemon-start-unknown.log" ||
	fail "no '$T/unknown.ini:$unknown_line: ... bogus' in: $(cat "$T/daemon-start-unknown.log")"
[[ -e $FIFO || -e $SOCK ]] && fail "poold with a bad configuration created its FIFO or socket"

run_poold start-badvalue -c "$T/badvalue.ini"
((RC == 78)) || fail "poold with workers = lots exited $RC, not 78"
grep -q "$T/badvalue.ini:$badvalue_line: .*lots" "$T/daemon-start-badvalue.log" ||
	fail "no '$T/badvalue.ini:$badvalue_line: ... lots' in: $(cat "$T/daemon-start-badvalue.log")"

run_poold start-missing -c "$T/missing.ini"
((RC == 78)) || fail "poold with a missing configuration file exited $RC, not 78"
grep -q "$T/missing.ini" "$T/daemon-start-missing.log" ||
	fail "the error for a missing file does not name it: $(cat "$T/daemon-start-missing.log")"

# ---- poold -t -----------------------------------------------------------------
run_poold t-good -t -c "$T/good.ini"
((RC == 0)) || fail "poold -t on a good file exited $RC, not 0: $(cat "$T/daemon-t-good.log")"
run_poold t-unknown -t -c "$T/unknown.ini"
((RC == 78)) || fail "poold -t on a file with an unknown key exited $RC, not 78"
grep -q "$T/unknown.ini:$unknown_line: " "$T/daemon-t-unknown.log" ||
	fail "poold -t does not name $T/unknown.ini:$unknown_line: $(cat "$T/daemon-t-unknown.log")"
run_poold t-badvalue -t -c "$T/badvalue.ini"
((RC == 78)) || fail "poold -t on a file with a bad value exited $RC, not 78"
[[ -e $FIFO || -e $SOCK ]] && fail "poold -t created the FIFO or the socket"

# ---- a broken file on HUP --------------------------------------------------------
cp "$T/good.ini" "$CONF"
start_daemon
[[ $(stat_of workers.ready) == 3 ]] || fail "not 3 workers ready at start"
pids_before=$(workers_pids | sort | tr '\n' ' ')

# poolctl reads the file too: give it a good copy while $CONF is broken.
cp "$T/good.ini" "$T/ctl.ini"
CTL_CONF=$T/ctl.ini
cp "$T/unknown.ini" "$CONF"
kill -HUP "$MASTER_PID"
wait_for 'dlog_has "reload failed"' 10 "'reload failed' in the daemon log"
dlog_has "reload failed.*$CONF:$unknown_line: .*bogus" ||
	fail "the 'reload failed' line does not give $CONF:$unknown_line and the reason"
sleep 0.3 # anything the bad reload might set off would show by now
alive "$MASTER_PID" || fail "the master died after a bad reload"
j=$(status_json) || fail "no status after a bad reload"
[[ $(jget "$j" workers.wanted) == 3 && $(jget "$j" workers.ready) == 3 ]] ||
	fail "the worker count changed after a bad reload: $j"
[[ $(workers_pids | sort | tr '\n' ' ') == "$pids_before" ]] ||
	fail "the workers were replaced after a bad reload"

gen_ids after-bad 50 | pctl submit - || fail "poolctl submit - after a bad reload exited $?"
wait_accepted 50
pctl_wait || fail "poolctl wait after a bad reload exited $? ($(cat "$T/wait.out"))"
check_ids after-bad 50 once

# The same file fixed: the next HUP applies it.
write_config workers=2
kill -HUP "$MASTER_PID"
wait_for '[[ $(stat_of workers.ready) == 2 && $(workers_pids | wc -l) == 2 ]]' 10 \
	"2 workers after a good reload"
