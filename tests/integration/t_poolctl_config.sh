#!/bin/bash
# Which configuration poolctl reads without -c, and what it says when it
# cannot reach poold: -c FILE, then $POOLD_CONFIG, then the built-in
# defaults if ./poold.d exists, then the installed service's file
# ($POOLD_SYSTEM_CONFIG stands in for /etc/poold/poold.ini) if it exists.
# A failure names the configuration and the socket or FIFO; a permission
# error names who may submit jobs (checked as user nobody).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# bare ARGS...: poolctl without -c, in $T/elsewhere, bounded; stderr to $T/err.
bare() {
	(cd "$T/elsewhere" && timeout 30 "$POOLCTL" "$@") >"$T/out" 2>"$T/err"
}

write_config workers=2
start_daemon
mkdir "$T/elsewhere"
unset POOLD_CONFIG POOLD_SYSTEM_CONFIG

POOLD_CONFIG=$CONF bare status || fail "POOLD_CONFIG=$CONF poolctl status exited $? ($(cat "$T/err"))"
grep -q "workers" "$T/out" || fail "no status from poolctl with POOLD_CONFIG: $(cat "$T/out")"
POOLD_CONFIG=$CONF bare submit log via-env || fail "POOLD_CONFIG=$CONF poolctl submit exited $?"
POOLD_CONFIG=$T/missing.ini bare -c "$CONF" status || fail "-c did not take precedence over POOLD_CONFIG"
POOLD_CONFIG=$T/missing.ini bare status
rc=$?
((rc == 78)) || fail "POOLD_CONFIG naming a missing file: exit $rc, not 78"
grep -q "$T/missing.ini" "$T/err" || fail "the config error does not name the file: $(cat "$T/err")"

# No ./poold.d here: the installed service's configuration.
POOLD_SYSTEM_CONFIG=$CONF bare status || fail "the system configuration was not used ($(cat "$T/err"))"
# ./poold.d (a poold started here on defaults) comes first.
mkdir "$T/elsewhere/poold.d"
POOLD_SYSTEM_CONFIG=$CONF bare status
rc=$?
((rc == 69)) || fail "with ./poold.d: exit $rc, not 69 (the defaults' socket does not exist)"
grep -q "cannot connect to $T/elsewhere/poold.d/control.sock" "$T/err" ||
	fail "the failure does not name the socket: $(cat "$T/err")"
grep -q "configuration: built-in defaults, files under $T/elsewhere/poold.d (./poold.d exists" "$T/err" ||
	fail "the failure does not name the configuration used: $(cat "$T/err")"
rmdir "$T/elsewhere/poold.d"
POOLD_SYSTEM_CONFIG=$T/missing.ini bare status
grep -q "configuration: built-in defaults, .*no ./poold.d and no installed service" "$T/err" ||
	fail "without any configuration, the message does not say so: $(cat "$T/err")"

# Permission denied, as a user who is neither root nor in the group.
if [[ $(id -u) == 0 ]] && command -v setpriv >/dev/null; then
	chmod 0711 "$T"
	chmod 0644 "$CONF"
	run_mode=$(stat -c %a "$RUN")
	as_nobody() {
		timeout 30 setpriv --reuid=65534 --regid=65534 --clear-groups "$POOLCTL" -c "$CONF" "$@" \
			>"$T/out" 2>"$T/err"
	}
	as_nobody status
	rc=$?
	((rc == 69)) || fail "status as nobody: exit $rc, not 69 ($(cat "$T/err"))"
	grep -q "permission denied: cannot open $SOCK" "$T/err" || fail "no permission error: $(cat "$T/err")"
	grep -q "$RUN is root:root, mode 0$run_mode: its socket may be used by root" "$T/err" ||
		fail "the permission error does not say who may: $(cat "$T/err")"
	as_nobody submit noop
	grep -q "$RUN is root:root, mode 0$run_mode: jobs may be submitted by root and members of group root" "$T/err" ||
		fail "the submit permission error does not say who may submit: $(cat "$T/err")"
	grep -q "configuration: $CONF (from -c" "$T/err" || fail "no configuration named: $(cat "$T/err")"
	# The directory passes, the socket itself refuses (mode 0600).
	chmod 0755 "$RUN"
	chmod 0600 "$SOCK"
	as_nobody status
	grep -q "$SOCK is root:root, mode 0600: its socket may be used by root only" "$T/err" ||
		fail "the permission error does not name the socket: $(cat "$T/err")"
	chmod 0750 "$RUN"
	chmod 0700 "$T"
else
	log "not root or no setpriv: permission messages not checked"
fi

# poold stopped: the message names the socket and the configuration.
stop_daemon
POOLD_CONFIG=$CONF bare status
rc=$?
((rc == 69)) || fail "status with poold stopped: exit $rc, not 69"
grep -q "poold is not running (cannot connect to $SOCK" "$T/err" || fail "no socket named: $(cat "$T/err")"
grep -q "configuration: $CONF (from \$POOLD_CONFIG" "$T/err" || fail "no configuration named: $(cat "$T/err")"
grep -q "job=.* via-env" "$JOBLOG" || fail "the job submitted through POOLD_CONFIG did not run"
