#!/bin/bash
# Status when the pool is saturated: every worker stopped with jobs in
# flight, the queue full and a writer blocked on the FIFO; `poolctl status`
# and `status --json` still answer at once (the master never waits on a
# worker), and show exactly that state.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2 inflight=4 queue_limit=100
start_daemon
expect_workers 2
kill -STOP "${pids[@]}"
bg_sh 'head -n 50000 < <(yes noop) | "$POOLCTL" -c "$CONF" submit --fifo - 2>>"$T/client-submit.log"'
submit=$BG_PID
wait_for '[[ $(stat_of jobs.queued) -ge 92 ]]' 10 "the queue to fill (100 unfinished, 8 of them in flight)"
writer=$(session_comm "$submit" poolctl)
[[ -n $writer ]] || fail "the writer finished: backpressure did not hold it"
wait_for 'blocked_in "$writer" "(anon_)?pipe_write|pipe_wait[a-z_]*"' 30 "the writer to block on the full FIFO"
t0=$(now_us)
pctl status >"$T/status.txt" || fail "poolctl status exited $?"
j=$(status_json) || fail "poolctl status --json failed"
t1=$(now_us)
log "status and status --json answered in $(((t1 - t0) / 1000)) ms with the pool saturated"
# "At once": a master waiting on a worker would not answer at all (the
# stopped workers never answer); 5 s is a margin for a loaded machine.
(((t1 - t0) < $(scale_us 5))) || fail "status took $(((t1 - t0) / 1000)) ms"
[[ $(jget "$j" workers.busy) == 2 && $(jget "$j" jobs.in_flight) == 8 ]] ||
	fail "status does not show 2 busy workers with 8 jobs in flight: $j"
grep -q "2 busy" "$T/status.txt" || fail "the text status does not say 2 busy"
kill -CONT "${pids[@]}"
wait_exit "$submit" 30 || fail "the writer did not finish after the workers resumed"
pctl_wait || fail "poolctl wait exited $?"
[[ $(stat_of jobs.done) == 50000 ]] || fail "not all 50000 jobs ran"
true
