#!/bin/bash
# Signals sent to every process of the pool at once, as `systemctl kill -s
# SIG poold` does (master and workers), while jobs stream in: HUP, USR1,
# USR2, WINCH, TTIN, TTOU kill no worker (same pids after), no job is lost,
# run twice or retried (no attempt spent).  INT to every process is still a
# graceful stop (the workers finish, nothing killed); TERM still ends a
# worker (the master's own way to stop one).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=20000
write_config workers=3 level=info
start_daemon
expect_workers 3
before=$(printf '%s\n' "${pids[@]}" | sort)

# sig_all SIG [master]: SIG to every worker, and to the master when asked.
sig_all() {
	local p
	for p in $(workers_pids); do
		kill_worker "$1" "$p"
	done
	if [[ ${2:-} == master ]]; then
		kill -s "$1" "$MASTER_PID"
	fi
}

# progress: until more jobs have ended than when it was called (so every
# signal sent before was delivered and acted on while work went on).
progress() {
	local was
	was=$(stat_of jobs.done)
	wait_for "[[ \$(stat_of jobs.done) -gt $was ]] 2>/dev/null" 30 "jobs to keep ending after $1"
}

gen_ids u "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" $((N / 1000))
streamer=$BG_PID
wait_for '[[ $(stat_of jobs.done) -gt 0 ]] 2>/dev/null' 30 "the first jobs to end"

for sig in HUP USR1 USR2 WINCH; do
	sig_all "$sig" master
	progress "$sig"
done
sig_all TTIN master
wait_for '[[ $(stat_of workers.ready) == 4 ]]' 30 "TTIN to add a fourth worker"
progress TTIN
sig_all TTOU master
wait_for '[[ $(workers_pids | wc -l) == 3 && $(stat_of workers.ready) == 3 ]]' 30 \
	"TTOU to retire the fourth worker"
progress TTOU

wait_exit "$streamer" 120 || fail "the job stream did not end"
wait_accepted "$N" 60
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

after=$(workers_pids | sort)
[[ $after == "$before" ]] || fail "worker pids changed: before $(echo $before), after $(echo $after)"
j=$(status_json)
[[ $(jget "$j" jobs.done) == "$N" ]] || fail "jobs.done is not $N: $j"
[[ $(jget "$j" jobs.retried) == 0 ]] || fail "jobs were retried (attempts spent): $j"
[[ $(jget "$j" worker_exits.restarts) == 0 ]] || fail "workers were restarted: $j"
dlog_has 'killed by signal' && fail "a worker was killed: $(grep -m1 'killed by signal' "$DLOG")"
check_ids u "$N" once

# TERM still ends a worker: the master replaces it (here with nothing held).
victim=$(workers_pids | head -1)
kill_worker TERM "$victim"
wait_for "! alive $victim" 10 "worker $victim to die of TERM"
wait_for '[[ $(stat_of workers.ready) == 3 ]]' 30 "a replacement worker"
dlog_has "pid $victim killed by signal 15" || fail "worker $victim was not killed by TERM"

# INT to every process (a Ctrl-C in a terminal): a graceful stop, every
# job of a last batch done, no worker killed.
gen_ids i 2000 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted $((N + 2000))
sig_all INT master
daemon_exit 30
((DAEMON_RC == 0)) || fail "the master exited $DAEMON_RC after INT, not 0"
n=$(grep -c 'killed by signal' "$DLOG")
((n == 1)) || fail "$n workers killed in all, not just the one TERM killed"
check_ids i 2000 once
