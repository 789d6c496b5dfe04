#!/bin/bash
# Jobs by id: poolctl submit prints ids that match the log's job= fields
# (single and bulk, refused lines named by number); job shows queued,
# running, done, failed and cancelled jobs with their key; wait ID...
# succeeds, fails naming the job, times out; a queued job's cancel survives
# a master SIGKILL and restart; a running net job's cancel stops its
# worker and leaves no process; ids are never reused after the SIGKILL;
# [results] keep bounds what is kept.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${STALL_LISTEN:-} ]] || fail "STALL_LISTEN must name tests/tools/stall_listen (run through ctest)"
bg_run "$STALL_LISTEN" >"$T/stall.port"
wait_for '[[ -s $T/stall.port ]]' 10 "stall_listen's port"
PORT=$(<"$T/stall.port")
closed_port 127.0.0.1

write_config workers=1 inflight=1 net_timeout=60s kill_timeout=1s \
	extra="[results]\nkeep = 60\nmax_age = 1h"
start_daemon
expect_workers 1

# A net job to the stalled listener runs until stopped; jobs behind it queue.
run_id=$(pctl submit net "127.0.0.1:$PORT") || fail "submit net exited $?"
[[ $run_id =~ ^[0-9]+$ ]] || fail "submit printed '$run_id', not an id"
q_id=$(pctl submit key=queued-one log queued-2) || fail "submit with a key exited $?"
wait_for "pctl job $run_id | grep -q 'state: running on worker 0, attempt 1'" 10 "job $run_id running"
out=$(pctl job "$q_id") || fail "job $q_id exited $?"
grep -q '^state: queued$' <<<"$out" || fail "job $q_id is not queued: $out"
grep -q '^key: queued-one$' <<<"$out" || fail "job $q_id does not show its key: $out"
pctl job key=queued-one --json | grep -q "\"id\":$q_id," || fail "key look-up does not find $q_id"
out=$(pctl cancel "$q_id") || fail "cancel of queued job $q_id exited $?"
[[ $out == "job $q_id: cancelled" ]] || fail "cancel said '$out'"
pctl job "$q_id" | grep -q '^state: cancelled$' || fail "job $q_id is not cancelled"
pctl cancel "$q_id" 2>"$T/cancel.err" && fail "a second cancel of $q_id succeeded"
grep -q "already ended (cancelled)" "$T/cancel.err" || fail "second cancel: $(<"$T/cancel.err")"
pctl cancel 999999 2>"$T/cancel.err" && fail "cancel of an unknown id succeeded"
grep -q "unknown" "$T/cancel.err" || fail "unknown cancel: $(<"$T/cancel.err")"
grep -q "job $q_id log cancelled key=queued-one while queued" "$DLOG" ||
	fail "the outcome line does not name the key"

# SIGKILL the master: the cancel stays, the running job comes back, and
# ids go on after everything the first run reserved.
old_worker=$(workers_pids)
stop_daemon KILL
# It is inside a 60 s connect and would notice its master gone only then.
kill -KILL "$old_worker"
wait_for "! alive $old_worker" 10 "the old worker to end"
start_daemon
expect_workers 1
wait_for "pctl job $run_id | grep -q 'state: running'" 10 "replayed job $run_id running again"
pctl job "$q_id" 2>/dev/null && fail "the cancelled job $q_id came back after the restart"
new_id=$(pctl submit log after-restart) || fail "submit after restart exited $?"
((new_id > q_id)) || fail "id $new_id after the restart reuses an id (last was $q_id)"

# Cancel the running job: its worker is stopped and replaced.
worker=$(workers_pids)
out=$(pctl cancel "$run_id") || fail "cancel of running job $run_id exited $?"
[[ $out == *"cancelling (running on worker[0])"* ]] || fail "cancel said '$out'"
wait_for "pctl job $run_id | grep -q '^state: cancelled$'" 10 "job $run_id cancelled"
wait_for "! alive $worker" 10 "the worker of the cancelled job to end"
wait_for '[[ $(stat_of workers.ready) == 1 ]]' 10 "the slot to get a new worker"
grep -q queued-2 "$JOBLOG" && fail "the job cancelled while queued ran"
[[ $(jget "$(status_json)" tasks.net.cancelled) == 1 ]] || fail "cancel not counted: $(status_json)"

# Bulk: one id per accepted line, refused lines by number, exit 65.
printf 'log bulk-%s\n' 1 2 3 >"$T/bulk"
echo "nosuchtask x" >>"$T/bulk"
printf 'log bulk-%s\n' 4 5 >>"$T/bulk"
pctl submit - <"$T/bulk" >"$T/ids" 2>"$T/bulk.err" && fail "submit - with a bad line exited 0"
grep -q "stdin:4: rejected: unknown task" "$T/bulk.err" || fail "bad line not named: $(<"$T/bulk.err")"
mapfile -t ids <"$T/ids"
((${#ids[@]} == 5)) || fail "${#ids[@]} ids for 5 good lines"
pctl wait --timeout 30s "${ids[@]}" >"$T/wait.out" || fail "wait on the bulk ids exited $?"
grep -q '^waited 5 failed 0' "$T/wait.out" || fail "wait said: $(<"$T/wait.out")"
grep -q $'\r' "$T/wait.out" && fail "progress drawn on a pipe"
for i in 1 2 3 4 5; do
	grep -q "job=${ids[i - 1]} bulk-$i\$" "$JOBLOG" || fail "bulk-$i is not job=${ids[i - 1]} in the log"
done
pctl job "${ids[0]}" | grep -q '^state: done$' || fail "job ${ids[0]} not done"

# wait on a failing job: exit 1, naming it; on a stalled one: timeout, 75.
bad=$(pctl submit net "127.0.0.1:$CLOSED_PORT")
pctl wait "$bad" "${ids[0]}" >"$T/wait.out"
rc=$?
((rc == 1)) || fail "wait on a failed job exited $rc"
grep -q "^job $bad failed" "$T/wait.out" || fail "wait does not name job $bad: $(<"$T/wait.out")"
pctl job "$bad" | grep -q '^reason: ' || fail "failed job $bad shows no reason"
slow=$(pctl submit net "127.0.0.1:$PORT")
pctl wait --timeout 1s "$slow" >/dev/null 2>"$T/wait.err"
rc=$?
((rc == 75)) || fail "wait --timeout exited $rc"
pctl cancel "$slow" >/dev/null || fail "cancel $slow"
wait_for "pctl job $slow | grep -q '^state: cancelled$'" 10 "job $slow cancelled"

# Retention: 100 more jobs with keep = 60: the oldest are forgotten.
seq 1 100 | sed 's/^/noop /; s/ [0-9]*$//' | pctl submit --quiet - >"$T/quiet" || fail "submit --quiet"
[[ -s $T/quiet ]] && fail "submit --quiet printed ids"
pctl_wait
rc=$?
((rc <= 1)) || fail "wait exited $rc" # 1: the failed and cancelled jobs above
n=$(pctl jobs --limit 1000 | tail -n +2 | wc -l)
((n == 60)) || fail "$n jobs kept, not 60"
pctl job "$run_id" 2>/dev/null && fail "job $run_id still kept past keep = 60"
pctl jobs --state cancelled --kind log --json | grep -q '^\[\]$' || fail "filter: $(pctl jobs --state cancelled --kind log --json)"
# The JSON listing is one array of every job kept, newest first.
pctl jobs --limit 1000 --json >"$T/jobs.json" || fail "jobs --json exited $?"
python3 -c 'import json, sys
a = json.load(open(sys.argv[1]))
ids = [j["id"] for j in a]
assert len(a) == 60 and ids == sorted(ids, reverse=True), ids' "$T/jobs.json" ||
	fail "jobs --json is not the 60 kept jobs, newest first: $(head -c 300 "$T/jobs.json")"
stop_daemon
