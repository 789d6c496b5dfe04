#!/bin/bash
# Descriptor and process limits against the configured pool (issue 15,
# item 16):
#   - `ulimit -n 64` and workers = 1000: one clear line, exit 78, at once;
#   - a low soft limit under a higher hard one: poold raises it and starts;
#   - `poolctl scale` and a reload beyond the limit are refused with one
#     line each, and the pool stays as it was;
#   - workers that cannot be forked are reported a few lines at a time,
#     not a line or two per slot.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"

# limited N SOFT|-: a wrapper that starts poold under ulimit -n N (both
# limits), or with only the soft one lowered (SOFT given).
limited() {
	local opt=-n
	[[ $2 == soft ]] && opt=-Sn
	printf '#!/bin/bash\nulimit %s %s || exit 1\nexec "%s" "$@"\n' "$opt" "$1" "$POOLD" >"$T/poold-$1-$2"
	chmod +x "$T/poold-$1-$2"
	echo "$T/poold-$1-$2"
}

write_config workers=1000
lim=$(limited 64 both)
timeout -k 5 60 "$lim" -c "$CONF" >"$T/daemon-64.log" 2>&1
rc=$?
((rc == 78)) || fail "poold with workers = 1000 under ulimit -n 64 exited $rc, not 78: $(tail -3 "$T/daemon-64.log")"
lines=$(wc -l <"$T/daemon-64.log")
((lines == 1)) || fail "poold said $lines lines, not one: $(head -5 "$T/daemon-64.log")"
grep -q 'workers need .* file descriptors.*limit is 64' "$T/daemon-64.log" ||
	fail "the line does not say what is needed: $(cat "$T/daemon-64.log")"
log "ulimit -n 64, 1000 workers: $(cat "$T/daemon-64.log")"

# Soft 64, hard as it is: raised, and 100 workers start.
hard=$(ulimit -Hn)
[[ $hard == unlimited ]] || ((hard >= 400)) || { log "SKIP rest: hard limit $hard"; exit 0; }
write_config workers=100
POOLD=$(limited 64 soft) start_daemon
soft=$(awk '/^Max open files/ { print $4 }' "/proc/$MASTER_PID/limits")
((soft >= 2 * 100 + 64)) || fail "the soft limit is $soft with 100 workers"
[[ $(stat_of workers.ready) == 100 ]] || fail "not 100 workers ready"
log "soft limit 64 raised to $soft for 100 workers"
stop_daemon

# 300 descriptors: 2 workers are fine, 500 are refused by scale and reload.
write_config workers=2
POOLD=$(limited 300 both) start_daemon
pctl scale 500 >"$T/scale.out" 2>"$T/scale.err" && fail "poolctl scale 500 under ulimit -n 300 succeeded: $(cat "$T/scale.out")"
grep -q 'refused.*workers need' "$T/scale.err" || fail "scale was not refused with a reason: $(cat "$T/scale.err")"
[[ $(stat_of workers.wanted) == 2 ]] || fail "the pool does not want 2 workers after a refused scale"
expect_workers 2
write_config workers=500
kill -HUP "$MASTER_PID"
wait_for 'dlog_has "reload refused"' 20 "the reload to be refused"
[[ $(stat_of workers.wanted) == 2 ]] || fail "the pool does not want 2 workers after a refused reload"
expect_workers 2
n=$(grep -c 'refused' "$DLOG")
((n == 2)) || fail "$n lines say refused, not 2 (scale and reload)"
dlog_has 'Too many open files' && fail "the daemon ran out of descriptors"
pctl scale 4 >/dev/null || fail "poolctl scale 4 exited $?"
wait_for '[[ $(stat_of workers.ready) == 4 ]]' 30 "4 workers ready"
stop_daemon
log "scale and reload to 500 workers refused under ulimit -n 300: $(grep -m1 refused "$DLOG")"

# Forks that fail: 40 workers, the first 10 forks work, the rest fail.
# The first fork makes the spawner, whose clones of the workers count on.
write_config workers=40
start_line=$(wc -l <"$DLOG")
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
LD_PRELOAD=$FAULT_INJECT FAULT_FORK_FROM=12 FAULT_FORK_COUNT=100000 \
	setsid "$POOLD" -c "$CONF" </dev/null >>"$DLOG" 2>&1 &
MASTER_PID=$!
SESSIONS+=("$MASTER_PID")
wait_for '[[ $(stat_of workers.backoff) == 30 && $(stat_of workers.ready) == 10 ]] 2>/dev/null' 30 \
	"10 workers ready and 30 slots in back-off"
spawn_lines=$(tail -n +"$((start_line + 1))" "$DLOG" | grep -cE 'cannot start a worker|early deaths in a row')
log "30 slots that cannot fork: $spawn_lines lines"
((spawn_lines <= 10)) || fail "$spawn_lines lines about 30 workers that cannot start"
stop_daemon
true
