#!/bin/bash
# Cancel of a running per-job operator kind: the job's script (which has
# forked a `sleep` of its own) is stopped with its whole process tree
# (TERM, KILL after kill_timeout), no process of it is left (checked by
# pid), the job ends as cancelled, and the pool gets a new worker.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/slow.sh" <<EOS
#!/bin/sh
echo \$\$ >"$T/script.pid"
sleep 300 &
echo \$! >"$T/sleep.pid"
wait
EOS
chmod +x "$T/slow.sh"
write_config workers=1 kill_timeout=2s extra="[kind.slow]
code = 1001
exec = $T/slow.sh
timeout = 5m"
start_daemon
expect_workers 1
worker=${pids[0]}

id=$(pctl submit key=op-1 slow) || fail "submit slow exited $?"
wait_for "[[ -s $T/sleep.pid && -s $T/script.pid ]]" 20 "the script and its sleep to start"
script=$(<"$T/script.pid") sleeper=$(<"$T/sleep.pid")
alive "$script" && alive "$sleeper" || fail "the job's processes are not running"
pctl job "$id" | grep -q '^state: running on worker 0, attempt 1$' || fail "job $id: $(pctl job "$id")"
out=$(pctl cancel "$id") || fail "cancel $id exited $?"
[[ $out == *"cancelling (running on worker[0])"* ]] || fail "cancel said '$out'"
wait_for "pctl job $id | grep -q '^state: cancelled$'" 20 "job $id cancelled"
wait_for "! alive $sleeper && ! alive $script" 10 "the job's script and its sleep to be gone"
wait_for "! alive $worker" 10 "the worker of the cancelled job to end"
wait_for '[[ $(stat_of workers.ready) == 1 ]]' 20 "a new worker"
[[ $(jget "$(status_json)" tasks.slow.cancelled) == 1 ]] || fail "cancel not counted: $(status_json)"
grep -q "job $id slow cancelled key=op-1 on worker\[0\]" "$DLOG" || fail "no outcome line with the key"
true
