#!/bin/bash
# [pool] mode = dynamic under load: the pool grows while jobs wait (one
# worker, then twice as many each second, up to max_workers), shrinks to
# min_workers once workers have been idle for idle_timeout, and runs
# every job exactly once through it all.
#
# Jobs are fed in slices of 10,000 while the pool grows, whenever fewer
# than 20,000 wait, so that jobs keep waiting however fast or slow the
# machine; feeding stops at the peak.  bench/dynamic.sh pushes a million
# jobs through the same pool and prints the figures.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SLICE=10000
write_config workers=1 inflight=1 \
	extra_pool="mode = dynamic\nmin_workers = 1\nmax_workers = 6\nidle_timeout = 1s"
sed -i 's/\\n/\n/g' "$CONF"
start_daemon
sent=0 peak=0
deadline=$(($(now_us) + $(scale_us 120)))
while ((peak < 6)); do
	(($(now_us) < deadline)) || fail "the pool did not reach max_workers 6 within 120 s (peak $peak)"
	j=$(status_json) || fail "no status"
	r=$(jget "$j" workers.ready)
	((r > peak)) && peak=$r
	if (($(jget "$j" jobs.queued) < 2 * SLICE)); then
		seq $((sent + 1)) $((sent + SLICE)) | sed 's/^/log d-/' | pctl submit - ||
			fail "poolctl submit - exited $?"
		sent=$((sent + SLICE))
	else
		sleep 0.1
	fi
done
log "peak of $peak workers with $sent jobs sent"
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
dlog_has "dynamic: .* starting 1 more workers \\(2 in all\\)" || fail "growth did not start with one"
dlog_has "starting 2 more workers \\(4 in all\\)" || fail "the spawn rate did not double"
wait_for '[[ $(stat_of workers.ready) == 1 && $(stat_of workers.wanted) == 1 ]]' 30 \
	"the pool to shrink back to min_workers"
dlog_has "dynamic: retired" || fail "no retirement was logged"
((peak == 6)) || fail "the pool peaked at $peak workers, not max_workers 6"
check_ids d "$sent" once
[[ $(stat_of restarts) == 0 ]] || fail "workers died"
