#!/bin/bash
# Prometheus metrics: `poolctl metrics` and the [metrics] file show the
# job counters by task and outcome, the duration histograms, queue depth
# and workers by state; promtool (Debian's prometheus package) accepts
# them, and the file is replaced atomically.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PROM=$T/metrics/poold.prom
mkdir -p "$T/metrics"
write_config workers=2 extra="[metrics]\nfile = $PROM\ninterval = 200ms"
start_daemon
gen_ids m 300 | pctl submit - || fail "poolctl submit - exited $?"
closed_port 127.0.0.1
fifo_send "net 127.0.0.1:$CLOSED_PORT"
wait_accepted 301
pctl_wait
rc=$?
((rc == 1)) || fail "poolctl wait exited $rc, not 1 (the net job to a closed port fails): $(cat "$T/wait.out")"
pctl metrics >"$T/m.txt" || fail "poolctl metrics exited $?"
for want in 'poold_jobs_total{task="log",outcome="done"} 300' \
	'poold_jobs_total{task="net",outcome="failed"} 1' \
	'poold_jobs_accepted_total{task="log"} 300' \
	'poold_job_duration_seconds_count{task="log"} 300' \
	'poold_job_duration_seconds_bucket{task="log",le="+Inf"} 300' \
	'poold_queue_depth 0' 'poold_workers{state="idle"} 2' 'poold_worker_restarts_total 0'; do
	grep -qxF "$want" "$T/m.txt" || fail "metrics lack '$want': $(cat "$T/m.txt")"
done
# Buckets are cumulative: never decreasing, ending at the count.
awk -F'[ ]' '/^poold_job_duration_seconds_bucket\{task="log"/ {
	if ($2 < prev) bad = 1; prev = $2 } END { exit bad }' "$T/m.txt" ||
	fail "duration buckets are not cumulative"

# The file: written again within a few intervals with the same numbers.
wait_for 'grep -qxF "poold_jobs_total{task=\"log\",outcome=\"done\"} 300" "$PROM"' 5 \
	"the metrics file to show the 300 jobs"
[[ $(find "$T/metrics" -name '*.tmp' | wc -l) -le 1 ]] || fail "temp files pile up"

if command -v promtool >/dev/null; then
	promtool check metrics <"$T/m.txt" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics failed: $(cat "$T/promtool.out")"
	promtool check metrics <"$PROM" >"$T/promtool.out" 2>&1 ||
		fail "promtool rejects the metrics file: $(cat "$T/promtool.out")"
else
	log "SKIP promtool part: promtool is not installed (Debian package prometheus)"
fi
true
