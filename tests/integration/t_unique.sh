#!/bin/bash
# Unique keys (issue 14): `unique = queued | active | until-done` for the
# job option key=, with real binaries.
#   - 8 `poolctl submit` processes over the socket and 8 FIFO writers at
#     once, one key: exactly one job runs; every socket client is answered
#     with that job's id, the 15 others are counted as deduplicated.
#   - Each mode's release point: queued (held while paused in its queue,
#     free once a worker started it), active (held while it runs, free
#     after it ended), until-done ([kind.NAME] unique: a failed job keeps
#     its key, also across a restart; `poolctl cancel ID` releases it; a
#     good end releases it).
#   - A master SIGKILLed with a keyed job live: started again on the
#     journal, the job still holds its key.
#   - A reload that changes a kind's unique applies it to the next job
#     and keeps the workers.
# The jobs are an operator kind whose script records its run and waits
# for a gate file the test creates.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/open"
cat >"$T/gate.sh" <<EOF
#!/bin/sh
# gate.sh NAME RC: records the run, waits (bounded) for open/NAME, exits RC.
printf '%s %s\n' "\$1" "\$POOLD_JOB_ID" >>"$T/runs"
i=0
while [ ! -e "$T/open/\$1" ] && [ \$i -lt 6000 ]; do sleep 0.05; i=\$((i + 1)); done
exit "\$2"
EOF
chmod +x "$T/gate.sh"
: >"$T/runs"

kind() { # kind NAME CODE [EXTRA]
	printf '[kind.%s]\ncode = %s\nexec = /bin/sh %s {1:word} {2:int:0..9}\n%s\n' \
		"$1" "$2" "$T/gate.sh" "${3:-}"
}
config() { # config GD_UNIQUE: the configuration, gd's unique mode as given
	write_config workers=3 level=debug extra="$(kind gq 2001)
$(kind ga 2002)
$(kind gd 2003 "unique = $1")
[queue.qq]
kinds = gq
unique = queued
inflight = 1
[queue.qa]
kinds = ga
unique = active
inflight = 1"
}
config until-done
start_daemon

runs_of() { grep -c "^$1 " "$T/runs"; }
state_of() { # state_of ID: the job's state from `poolctl job ID --json`
	pctl job "$1" --json 2>>"$T/client.log" | grep -o '"state":"[^"]*"' | cut -d'"' -f4
}
submit() { pctl submit "$@" 2>>"$T/client.log"; }
# running KEY KIND GATE RC: submits a job that waits for GATE and exits RC,
# waits until it runs, checks that its key answers its id; prints the id.
running() {
	local id
	id=$(submit "key=$1" "$2" "$3" "$4") || fail "submit $2 exited $?"
	wait_for '[[ $(state_of '"$id"') == running ]]' 30 "job $id running"
	[[ $(submit "key=$1" "$2" "$3" "$4") == "$id" ]] ||
		fail "a second job with the key $1 of running job $id was accepted"
	echo "$id"
}
# taken OLD KEY KIND GATE RC: a new job with KEY is taken (not OLD's id); prints its id.
taken() {
	local id
	id=$(submit "key=$2" "$3" "$4" "$5") || fail "submit $3 exited $?"
	[[ -n $id && $id != "$1" ]] || fail "key $2 still held by job $1 (answered '$id')"
	echo "$id"
}

# ---- concurrent submitters, one key -------------------------------------
dedup0=$(stat_of jobs.deduplicated)
[[ $dedup0 == 0 ]] || fail "status: deduplicated is '$dedup0' at start"
for i in $(seq 1 8); do
	bg_sh "timeout 60 \"\$POOLCTL\" -c \"\$CONF\" submit key=conc ga conc 0 >\"\$T/sock.$i\" 2>>\"\$T/client.log\""
	sock_pids+=("$BG_PID")
	bg_sh "echo 'key=conc ga conc 0' | timeout 60 \"\$POOLCTL\" -c \"\$CONF\" submit --fifo - 2>>\"\$T/client.log\""
	fifo_pids+=("$BG_PID")
done
for p in "${sock_pids[@]}" "${fifo_pids[@]}"; do
	wait_exit "$p" 60 || fail "a submitter did not finish"
	((WAIT_RC == 0)) || fail "a submitter exited $WAIT_RC ($(cat "$T/client.log"))"
done
wait_for '[[ $(stat_of jobs.deduplicated) == 15 ]]' 30 "15 submissions deduplicated"
holder=$(pctl job key=conc --json | grep -o '"id":[0-9]*' | cut -d: -f2)
[[ -n $holder ]] || fail "poolctl job key=conc found no job"
for i in $(seq 1 8); do
	[[ $(cat "$T/sock.$i") == "$holder" ]] ||
		fail "socket submitter $i was answered '$(cat "$T/sock.$i")', not the holder's id $holder"
done
[[ $(stat_of jobs.accepted) == 1 ]] || fail "accepted $(stat_of jobs.accepted) jobs, not 1"
touch "$T/open/conc"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(runs_of conc) == 1 ]] || fail "the keyed job ran $(runs_of conc) times: $(cat "$T/runs")"
dlog_has "job key=conc deduplicated: job $holder holds the key" ||
	fail "no deduplication line in the daemon's log"
log "16 concurrent submitters: one run (job $holder), 15 deduplicated"

# ---- queued: held until a worker starts the job --------------------------
pctl pause qq >/dev/null || fail "poolctl pause qq exited $?"
a=$(submit key=kq gq q1 0) || fail "submit gq exited $?"
[[ $(submit key=kq gq q1 0) == "$a" ]] || fail "queued: a second job with a queued key was accepted"
pctl resume qq >/dev/null || fail "poolctl resume qq exited $?"
wait_for '[[ $(state_of '"$a"') == running ]]' 30 "job $a running"
b=$(taken "$a" kq gq q2 0) || exit 1
touch "$T/open/q1" "$T/open/q2"
log "queued: key held while job $a was queued, free once it started (job $b)"

# ---- active: held until the job ends ----------------------------------------
a=$(running ka ga a1 1) || exit 1
touch "$T/open/a1"
wait_for '[[ $(state_of '"$a"') == failed ]]' 30 "job $a failed"
b=$(taken "$a" ka ga a2 0) || exit 1
touch "$T/open/a2"
pctl_wait_failed # a1 failed; all before this ended
log "active: key held while job $a ran, free once it ended (job $b)"

# ---- until-done: a failure keeps the key, across a restart ---------------
d=$(running kd gd d1 3) || exit 1
touch "$T/open/d1"
wait_for '[[ $(state_of '"$d"') == failed ]]' 30 "job $d failed"
[[ $(submit key=kd gd d1 0) == "$d" ]] || fail "until-done: the failed job $d lost its key"

# A live keyed job across a SIGKILL of the master: job $l runs, its gate shut.
l=$(running kl ga l1 0) || exit 1
keys=$(stat_of jobs.keys)
[[ $keys == 2 ]] || fail "status shows $keys unique keys held, not 2 (kd failed, kl running)"
kill -KILL "$MASTER_PID"
daemon_exit 10
log "master killed with job $l (key kl) running and job $d (key kd) failed"
# The old worker leaves at EOF once its job ends; l1's gate stays shut,
# so its replay holds the key until the test opens it.
start_daemon
wait_for '[[ $(state_of '"$l"') == running || $(state_of '"$l"') == queued ]]' 30 \
	"job $l replayed"
[[ $(submit key=kl ga l2 0) == "$l" ]] || fail "restart: the replayed job $l lost its key"
[[ $(submit key=kd gd d2 0) == "$d" ]] || fail "restart: the failed until-done job $d lost its key"
touch "$T/open/l1"
wait_for '[[ $(state_of '"$l"') == done ]]' 30 "job $l done"
# Once more, from the journal the first restart compacted (and the stop
# compacts again): the kept key is rewritten each time.
stop_daemon
((DAEMON_RC == 0)) || fail "poold exited $DAEMON_RC at TERM"
start_daemon
[[ $(submit key=kd gd d2 0) == "$d" ]] || fail "second restart: the failed job $d lost its key"

# Cancel releases a failed job's key; a good end releases it too.
pctl cancel "$d" >"$T/cancel.out" 2>>"$T/client.log" || fail "poolctl cancel $d exited $?"
grep -q "its key kd released" "$T/cancel.out" || fail "cancel said: $(cat "$T/cancel.out")"
e=$(taken "$d" kd gd d3 0) || exit 1
touch "$T/open/d3"
wait_for '[[ $(state_of '"$e"') == done ]]' 30 "job $e done"
taken "$e" kd gd d4 0 >/dev/null || exit 1
touch "$T/open/d4"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(runs_of l1) -ge 1 && $(runs_of l2) == 0 && $(runs_of d2) == 0 ]] ||
	fail "a deduplicated job ran: $(cat "$T/runs")"
# The killed master's worker leaves once its copy of l1 has ended.
wait_for '[[ -z $(session_procs "${SESSIONS[0]}") ]]' 30 "the old worker to exit"
log "until-done: failed job $d kept kd across a restart, cancel released it; job $e's good end too"

# poolctl top shows the jobs deduplicated so far, as status does.
n=$(stat_of jobs.deduplicated)
((n > 0)) || fail "status shows no deduplicated job"
wait_for 'pctl top -n 1 | grep -q "rejected, $n deduplicated$"' 10 "top to show $n deduplicated"

# ---- poolctl retry: the copy of a failed job takes its key over ----------
f=$(running kf gd f1 3) || exit 1
touch "$T/open/f1"
wait_for '[[ $(state_of '"$f"') == failed ]]' 30 "job $f failed"
pctl retry "$f" >"$T/retry.out" 2>>"$T/client.log" || fail "poolctl retry $f exited $?"
r=$(grep -o 'queued again as job [0-9]*' "$T/retry.out" | awk '{ print $NF }')
[[ -n $r ]] || fail "retry said: $(cat "$T/retry.out")"
# The copy runs f1 again, whose gate is open: it fails too, keeping kf.
wait_for '[[ $(state_of '"$r"') == failed ]]' 30 "the copy $r to fail"
[[ $(submit key=kf gd f2 0) == "$r" ]] || fail "retry: the copy $r did not take key kf over from $f"
rc=0
pctl cancel "$f" >/dev/null 2>&1 || rc=$?
((rc != 0)) || fail "cancel of job $f released a key although its copy $r holds it"
pctl cancel "$r" >"$T/cancel.out" 2>>"$T/client.log" || fail "poolctl cancel $r exited $?"
grep -q "its key kf released" "$T/cancel.out" || fail "cancel said: $(cat "$T/cancel.out")"
[[ $(runs_of f1) == 2 && $(runs_of f2) == 0 ]] || fail "runs: $(cat "$T/runs")"
log "retry: the copy $r of failed job $f took key kf over; cancel released it"

# ---- a reload applies a kind's unique at once, keeping the workers -------
expect_workers 3
before=${pids[*]}
from=$(dlog_lines)
config none
kill -HUP "$MASTER_PID"
wait_for 'dlog_since '"$from"' "reload: .* read"' 30 "the reload"
dlog_since "$from" "replacing every worker" && fail "a change of unique replaced the workers"
x=$(taken 0 kx gd x1 0) || exit 1
taken "$x" kx gd x1 0 >/dev/null || exit 1
expect_workers 3
[[ ${pids[*]} == "$before" ]] || fail "the workers changed at the reload: $before -> ${pids[*]}"
touch "$T/open/x1"
pctl_wait_failed # the failed f1 and its copy

[[ $(runs_of x1) == 2 ]] || fail "with unique = none, 2 jobs with one key ran $(runs_of x1) times"
log "reload: [kind.gd] unique = none applied at once, workers kept"
true
