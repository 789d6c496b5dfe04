#!/bin/bash
# Jobs by id, the states t_jobctl does not reach: a timed-out job and a
# buried one, looked up by id (state and reason); `poolctl wait` on ids
# that include both and a good one exits 1 and names exactly the two; a
# queued job's key outlives a master SIGKILL (the journal keeps the
# job's options): after the restart `poolctl job key=K` finds the same id.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${STALL_LISTEN:-} ]] || fail "STALL_LISTEN must name tests/tools/stall_listen (run through ctest)"
bg_run "$STALL_LISTEN" >"$T/stall.port"
wait_for '[[ -s $T/stall.port ]]' 10 "stall_listen's port"
PORT=$(<"$T/stall.port")

write_config workers=1 inflight=1 net_timeout=60s kill_timeout=1s \
	extra="[pool]\nmax_attempts = 1\n[net]\njob_timeout = 1s"
start_daemon
expect_workers 1

# Timed out: a net job to a listener that never answers, past 1 s.
slow=$(pctl submit key=slow-one net "127.0.0.1:$PORT") || fail "submit net exited $?"
wait_for "pctl job $slow | grep -q '^state: timed out$'" 20 "job $slow timed out"
out=$(pctl job key=slow-one) || fail "job key=slow-one exited $?"
grep -q "^job $slow$" <<<"$out" || fail "key=slow-one is not job $slow: $out"
grep -q '^reason: .' <<<"$out" || fail "timed-out job $slow shows no reason: $out"

# Buried: its worker killed while it runs, with max_attempts = 1.
wait_for '[[ $(stat_of workers.ready) == 1 ]]' 20 "a new worker after the timeout"
expect_workers 1
kill -STOP "${pids[0]}"
buried=$(pctl submit log to-bury) || fail "submit log exited $?"
wait_for "pctl job $buried | grep -q '^state: running'" 10 "job $buried running"
kill -KILL "${pids[0]}"
wait_for "pctl job $buried | grep -q '^state: buried$'" 20 "job $buried buried"
pctl job "$buried" | grep -q '^reason: buried after 1 attempts' ||
	fail "buried job $buried: $(pctl job "$buried")"
pctl job "$buried" --json | grep -q '"state":"buried"' || fail "json: $(pctl job "$buried" --json)"

# wait on the three: exit 1, naming the two that did not succeed.
wait_for '[[ $(stat_of workers.ready) == 1 ]]' 20 "a new worker after the burial"
good=$(pctl submit log good-one) || fail "submit log exited $?"
pctl wait --timeout 30s "$good" "$slow" "$buried" >"$T/wait.out"
rc=$?
((rc == 1)) || fail "wait on a timed-out and a buried job exited $rc: $(<"$T/wait.out")"
grep -q '^waited 3 failed 2' "$T/wait.out" || fail "wait said: $(<"$T/wait.out")"
grep -q "^job $slow timed out" "$T/wait.out" || fail "wait does not name $slow: $(<"$T/wait.out")"
grep -q "^job $buried buried" "$T/wait.out" || fail "wait does not name $buried: $(<"$T/wait.out")"
grep -q "^job $good " "$T/wait.out" && fail "wait names the good job $good"

# A key across a master SIGKILL: the job is queued (its worker stopped).
wait_for '[[ $(stat_of workers.ready) == 1 ]]' 20 "a worker ready"
expect_workers 1
w=${pids[0]}
kill -STOP "$w"
pctl submit log hold-the-worker >/dev/null || fail "submit exited $?"
kept=$(pctl submit key=kept/1 log kept-1) || fail "submit key=kept/1 exited $?"
pctl job key=kept/1 | grep -q '^state: queued$' || fail "kept-1: $(pctl job key=kept/1)"
stop_daemon KILL
kill -KILL "$w"
wait_for "! alive $w" 10 "the old worker to end"
start_daemon
out=$(pctl job key=kept/1) || fail "job key=kept/1 after the restart exited $?"
grep -q "^job $kept$" <<<"$out" || fail "key=kept/1 after the restart: $out"
grep -q '^key: kept/1$' <<<"$out" || fail "the key is not shown after the restart: $out"
pctl wait --timeout 30s "$kept" >/dev/null || fail "wait on the replayed job $kept exited $?"
grep -q "job $kept log ok key=kept/1" "$DLOG" ||
	[[ $(pctl job "$kept" | grep -c '^state: done$') == 1 ]] || fail "job $kept did not run"
stop_daemon
