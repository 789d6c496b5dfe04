#!/bin/bash
# Memory stays bounded: after N jobs the master's RSS is what it will stay
# (no leak), and a flood of 5 N more lines, far beyond [pool] queue_limit,
# only makes the FIFO writer wait (backpressure) while the master's memory
# stays put; every line is accepted and done.  N = 200,000 (a few seconds;
# 50 times queue_limit) shows it; bench/flood.sh runs the same with
# 1 M + 10 M lines and prints the figures (POOLD_FLOOD_N, POOLD_FLOOD_LINES).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${POOLD_FLOOD_N:-200000}
FLOOD=${POOLD_FLOOD_LINES:-$((5 * N))}
# Under ASan, freed memory waits in a quarantine (256 MiB by default) that
# would look like growth: keep it small for this test.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
write_config workers=2 queue_limit=10000
start_daemon
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$MASTER_PID/status"; }

head -n "$N" < <(yes noop) | pctl submit --fifo - || fail "poolctl submit --fifo - exited $?"
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
rss1=$(rss)

export FLOOD
bg_sh 'head -n "$FLOOD" < <(yes noop) | "$POOLCTL" -c "$CONF" submit --fifo - 2>>"$T/client-submit.log"'
flood=$BG_PID
peak=$rss1 queued_max=0
deadline=$(($(now_us) + $(scale_us 240)))
while alive "$flood"; do
	(($(now_us) < deadline)) || fail "the flood of $FLOOD lines did not end within 240 s"
	r=$(rss)
	((r > peak)) && peak=$r
	q=$(stat_of jobs.queued) || q=0
	((q > queued_max)) && queued_max=$q
	sleep 0.2
done
wait_exit "$flood" 5 || fail "the flood did not finish"
((WAIT_RC == 0)) || fail "poolctl submit - of the flood exited $WAIT_RC"
pctl_wait 300 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
rss2=$(rss)
j=$(status_json)
[[ $(jget "$j" jobs.done) == $((N + FLOOD)) ]] || fail "not every line was done: $j"
log "RSS after $N jobs ${rss1} KiB, peak in the flood ${peak} KiB, after $((N + FLOOD)) ${rss2} KiB;" \
	"at most $queued_max queued"
# A pipe's worth of lines may be taken in past the limit (see `wait`).
((queued_max <= 10000 + 20000)) || fail "$queued_max queued: the queue limit did not hold"
((peak - rss1 <= 16384)) || fail "RSS grew by $((peak - rss1)) KiB in the flood"
((rss2 - rss1 <= 4096)) || fail "RSS grew by $((rss2 - rss1)) KiB from $N to $((N + FLOOD)) jobs"
true
