#!/bin/bash
# A start-up step that fails after the status socket was made (here the
# scoreboard: memfd_create fails, injected) exits with its code and
# removes the socket file, like every other start-up failure, so nothing
# stale is left for the next start.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
write_config workers=2
LD_PRELOAD=$FAULT_INJECT FAULT_MEMFD=1 setsid "$POOLD" -c "$CONF" </dev/null >>"$DLOG" 2>&1 &
pid=$!
SESSIONS+=("$pid")
wait_exit "$pid" 20 || fail "poold did not exit after the scoreboard failed"
((WAIT_RC == 71)) || fail "poold exited $WAIT_RC, wanted 71 (EX_OSERR): $(tail -n 3 "$DLOG")"
dlog_has "scoreboard" || fail "the reason is not in the log: $(tail -n 3 "$DLOG")"
[[ ! -e $SOCK ]] || fail "the status socket $SOCK was left behind"
log "ok: start-up failure removed $SOCK"
