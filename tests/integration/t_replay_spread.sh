#!/bin/bash
# Jobs handed back are spread like new ones: N long jobs kept in the
# journal by a stop and replayed at the next start go to all 4 workers in
# fair shares, not all to the first worker that said hello.  The long job
# is `net` to a loopback listener whose accept queue is full
# (tests/tools/stall_listen.c): each one takes [net] timeout, 1 s.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${STALL_LISTEN:-} ]] || fail "STALL_LISTEN must name tests/tools/stall_listen (run through ctest)"
N=32
SHARE=$((N / 4))
bg_run "$STALL_LISTEN" >"$T/stall.port"
wait_for '[[ -s $T/stall.port ]]' 10 "stall_listen's port"
PORT=$(<"$T/stall.port")

# Keep N jobs in the journal: stopped workers, a stop past its timeout.
write_config workers=4 net_timeout=1s shutdown_timeout=1s kill_timeout=1s
start_daemon
expect_workers 4
kill -STOP "${pids[@]}"
for i in $(seq 1 "$N"); do echo "net 127.0.0.1:$PORT"; done | pctl submit - ||
	fail "poolctl submit - exited $?"
wait_accepted "$N"
stop_daemon TERM 20
dlog_has "unfinished jobs kept in" || fail "the master did not keep the unfinished jobs"

start_daemon
dlog_has "$N unfinished jobs of a previous run queued again" ||
	fail "the restarted daemon did not queue the $N jobs again"
# Once every worker is up and nothing waits, each holds its share at most
# (before the fix the first worker to say hello held all of them).
wait_for '[[ $(stat_of workers.ready) == 4 && $(stat_of jobs.queued) == 0 ]]' 30 \
	"4 ready workers and an empty queue"
j=$(status_json)
mapfile -t held < <(slots_field "$j" in_flight)
log "jobs held per worker after the replay: ${held[*]}"
for h in "${held[@]}"; do
	((h <= SHARE)) || fail "a worker holds $h of the $N replayed jobs, more than $SHARE (held: ${held[*]})"
done

pctl_wait 120
[[ $(jget "$(status_json)" jobs.timed_out) == "$N" ]] ||
	fail "not all $N net jobs timed out against the stalled listener: $(status_json)"
mapfile -t done_by < <(slots_field "$(status_json)" "done")
log "jobs run per worker: ${done_by[*]}"
((${#done_by[@]} == 4)) || fail "status lists ${#done_by[@]} slots, not 4"
for d in "${done_by[@]}"; do
	((d >= SHARE / 2)) || fail "a worker ran $d of $N replayed jobs (per worker: ${done_by[*]})"
done
