#!/bin/bash
# A job that may run for seconds, read in one batch after a short one:
# the worker sends the short job's completion before it starts the long
# one, since the master times the oldest job it holds unreported as the
# running one.  Here the short jobs are a `log` and a `noop` job under
# [pool] job_timeout = 2s and the long one an operator kind with a limit
# of its own of 30 s that runs past 2 s: the master must time the long
# job against its own limit, not stop the worker for a short job done
# long before.  (Out of the box a long job only goes to an idle worker: the
# built-in queue "long" has inflight = 1.  A queue that holds both kinds
# with a larger inflight, as here, hands them to one worker together.)
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/slow.sh" <<EOS
#!/bin/sh
echo \$\$ >"$T/slow.pid"
i=0
while [ ! -e "$T/release" ] && [ \$i -lt 1200 ]; do sleep 0.05; i=\$((i + 1)); done
EOS
chmod +x "$T/slow.sh"
write_config workers=1 inflight=8 kill_timeout=1s extra_pool="job_timeout = 2s" \
	extra="[queue.mixed]\nkinds = log noop slow\ninflight = 8\n[kind.slow]\ncode = 1001\nexec = $T/slow.sh\ntimeout = 30s"
start_daemon
expect_workers 1
worker=${pids[0]}

# Stopped while they go in, so that they reach it in one read.
kill_worker STOP "$worker"
printf 'log first\nnoop\nslow\n' | pctl submit - >/dev/null || fail "poolctl submit - exited $?"
wait_for '[[ $(slot_field "$(status_json)" 0 in_flight) == 3 ]] 2>/dev/null' 10 \
	"the stopped worker to hold the three jobs"
kill -CONT "$worker"
wait_for '[[ -s $T/slow.pid ]] && [[ $(proc_age_ms "$(cat "$T/slow.pid")") -gt 2500 ]] 2>/dev/null' 30 \
	"the slow job to run past the pool's limit of 2 s"
touch "$T/release"
pctl_wait 60 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

j=$(status_json)
! dlog_has 'past its limit' || fail "the master stopped the worker: $(grep 'past its limit' "$DLOG")"
[[ $(jget "$j" tasks.log.done) == 1 ]] || fail "the log job is not done once: $j"
[[ $(jget "$j" tasks.noop.done) == 1 ]] || fail "the noop job is not done once: $j"
[[ $(jget "$j" tasks.slow.done) == 1 ]] || fail "the slow job is not done once: $j"
[[ $(jget "$j" restarts) == 0 ]] || fail "the worker was replaced: $j"
[[ $(grep -c ' first$' "$JOBLOG") == 1 ]] || fail "the log line is not there once: $(cat "$JOBLOG")"
