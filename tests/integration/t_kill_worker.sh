#!/bin/bash
# A worker killed with SIGKILL while it holds jobs: no job is lost (every
# id reaches the log), the master says how the worker ended, gives the
# jobs it held to other workers and replaces it with a new process.
#
# To make sure the victim holds jobs when it dies, every worker is stopped
# (SIGSTOP) before the stream starts, so the master hands each of them a
# batch (with quick jobs it fills the workers it saw active first, and the
# others could otherwise get none); then all but the victim continue.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20000
write_config workers=4
start_daemon

j=$(status_json)
slot=1
victim=$(slot_field "$j" "$slot" pid)
is_worker "$victim" || fail "slot $slot's pid '$victim' is not a worker of the master"
expect_workers 4
for p in "${pids[@]}"; do kill_worker STOP "$p"; done

# Stream the jobs in chunks over about two seconds, so they are still
# coming when the kill lands.
gen_ids k "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" 20
submit=$BG_PID

wait_for '[[ $(slot_field "$(status_json)" '"$slot"' in_flight) -gt 0 ]] 2>/dev/null' 10 \
	"the stopped worker of slot $slot to hold jobs"
for p in "${pids[@]}"; do [[ $p == "$victim" ]] || kill -CONT "$p"; done
wait_for '[[ $(stat_of jobs.done) -ge 2000 ]] 2>/dev/null' 20 "2000 jobs done"
# Not a death within a second of the start, which would mean a back-off.
wait_for '[[ $(proc_age_ms '"$victim"') -gt 1200 ]]' 5 "the victim to be older than 1.2 s"
held=$(slot_field "$(status_json)" "$slot" in_flight)
kill_worker KILL "$victim"
log "killed worker $victim of slot $slot holding $held jobs, $(stat_of jobs.accepted) jobs accepted so far"

wait_exit "$submit" 120 || fail "poolctl submit - did not finish"
((WAIT_RC == 0)) || fail "poolctl submit - exited $WAIT_RC"
wait_accepted "$N"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

check_ids k "$N" atleast
log "$DUP_IDS ids were logged twice"
dlog_has "worker\[$slot\]: pid $victim killed by signal 9 \(SIGKILL\), holding [1-9][0-9]* jobs?" ||
	fail "the master did not log how worker $victim ended (and that it held jobs)"

wait_for '[[ $(stat_of workers.ready) == 4 ]]' 10 "4 workers ready again"
j=$(status_json)
new=$(slot_field "$j" "$slot" pid)
[[ $new != "$victim" && $new != 0 ]] || fail "slot $slot was not given a new process: $j"
is_worker "$new" || fail "the new pid $new of slot $slot is not a child of the master"
[[ $(workers_pids | wc -l) == 4 ]] || fail "the master has $(workers_pids | wc -l) workers, not 4"
[[ $(jget "$j" jobs.done) == "$N" ]] || fail "jobs.done is not $N: $j"
[[ $(jget "$j" jobs.failed) == 0 ]] || fail "jobs.failed is not 0: $j"
(($(jget "$j" restarts) >= 1)) || fail "restarts is not at least 1: $j"
(($(jget "$j" jobs.retried) >= 1)) || fail "jobs.retried is not at least 1 though the victim held $held jobs: $j"
[[ $(slot_field "$j" "$slot" last_status) == 9 ]] ||
	fail "slot $slot's last_status is not 9 (killed by SIGKILL): $j"
