#!/bin/bash
# Operator kinds, resident mode (issue 11): each worker starts the handler
# once and keeps it; one line per job each way.  Handlers in sh and Python
# (the examples of conf/examples), then one the test writes that crashes,
# hangs, answers garbage or closes its stdout on demand: a crash takes the
# worker (the job is redelivered, buried after max_attempts), a hang meets
# the kind's timeout (the handler's process group is stopped), garbage
# and a closed stdout fail the job clearly and the handler is started again.
EX=$(realpath -e "$(dirname "$0")/../../conf/examples") || exit 1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/bad.py" <<'EOS'
import os, sys, time
for line in sys.stdin:
    what = line.rstrip("\n")
    if what == "crash":
        os._exit(3)
    if what == "hang":
        with open(os.environ["OUT"] + "/hang.pid", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(300)
    if what == "garbage":
        print("yes sir", flush=True)
    elif what == "close":
        os.close(1)
        time.sleep(300)
    elif what == "retry":
        print("retry later please", flush=True)
    else:
        print("ok pid %d" % os.getpid(), flush=True)
EOS

write_config workers=2 level=debug kill_timeout=1s extra_pool="max_attempts = 2" extra="[kind.greet]
code = 1100
mode = resident
exec = $EX/resident.sh {1:word} {2:text}
[kind.resize]
code = 1101
mode = resident
exec = /usr/bin/python3 $EX/resident.py {1:int:16..4096} {2:path:$T}
[kind.bad]
code = 1102
mode = resident
timeout = 2s
env = OUT=$T
exec = /usr/bin/python3 $T/bad.py {1:enum:ok|crash|hang|garbage|close|retry}"
start_daemon

for i in $(seq 1 20); do echo "greet n$i some text $i"; done | pctl submit - || fail "submit"
fifo_send "resize 640 $T/poold.ini" "resize 64 $T/nothing"
wait_accepted 22
pctl_wait_failed
wait_for 'dlog_has "job [0-9]+ greet ok on worker\[.\]: hello n20: some text 20"' 10 "the sh handler's answer"
dlog_has "job [0-9]+ resize ok on worker\[.\]: $T/poold.ini at 640 px" || fail "the Python handler's answer"
dlog_has "job [0-9]+ resize failed on worker\[.\]: no such file $T/nothing" || fail "fail from the handler"
# Started once per worker, not per job.
n=$(grep -c "kind greet: resident handler .* started" "$DLOG")
((n >= 1 && n <= 2)) || fail "the sh handler was started $n times for 20 jobs on 2 workers"

fifo_send "bad retry"
wait_for 'dlog_has "bad failed on worker\[.\]: temporary failure: later please"' 10 "retry"
fifo_send "bad garbage"
wait_for 'dlog_has "bad failed on worker\[.\]: resident handler answered garbage .yes sir."' 10 "garbage"
fifo_send "bad close"
wait_for 'dlog_has "bad failed on worker\[.\]: resident handler closed its stdout"' 10 "closed stdout"
fifo_send "bad ok"
wait_for 'dlog_has "bad ok on worker\[.\]: pid"' 10 "the handler started again"

# A crash: the worker exits, the job is delivered again and buried after
# max_attempts = 2; the slot gets a new worker.
restarts0=$(stat_of restarts)
fifo_send "bad crash"
wait_for 'dlog_has "bad buried"' 20 "the crashing job to be buried"
(($(grep -c "resident handler pid [0-9]* died with job" "$DLOG") == 2)) || fail "not two deliveries of the crashing job"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 15 "the pool back to 2 workers"
(($(stat_of restarts) > restarts0)) || fail "no worker restarted after the handler crashes"

# A hang: the kind's timeout stops the worker and the handler with it.
fifo_send "bad hang"
wait_for '[[ -s $T/hang.pid ]]' 10 "the hanging handler"
hang=$(<"$T/hang.pid")
wait_for 'dlog_has "job [0-9]+ bad timed out"' 15 "the hang to time out"
wait_for '! alive $hang' 10 "the hung handler $hang to be gone"
fifo_send "bad ok"
wait_for '(($(grep -c "bad ok on worker" "$DLOG") == 2))' 15 "a job after the hang"
pctl_wait_failed
log "ok: resident handlers"
