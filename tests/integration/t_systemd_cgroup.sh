#!/bin/bash
# Operator kinds' cgroups under a real systemd (issue 11): the shipped unit
# (Delegate=memory pids cpu, ProtectControlGroups=no) hands poold a cgroup
# subtree, and
#   - poold finds it: the master moves into .../master, the start-up line
#     says "a cgroup per worker slot and kind below .../slots";
#   - a job runs in .../slots/slot-N/kind-K;
#   - a job past its time limit whose script left a `setsid` sleep (its
#     own session and group, out of reach of kill(-pgid)) leaves no
#     survivor (cgroup.kill);
#   - SIGKILL of a worker mid-job leaves no descendant of the job, setsid
#     or not (the master kills the slot's cgroup when it reaps the worker);
#   - tasks_max refuses forks past it (pids.max when the pids controller
#     is delegated, else RLIMIT_NPROC for user poold, which counts the
#     master and workers too: the start-up line says which);
#   - memory_max: with the memory controller, a script that allocates
#     more is recorded "out of memory (memory_max 32M)".  Where the
#     kernel's cgroup v2 does not offer the memory controller (a host that
#     binds it to cgroup v1, as some container hosts do), that part says
#     SKIP and why; the rest still runs.
# Prints "SKIP: reason" and passes where the real-systemd tier cannot run
# (systemd_lib.sh).
# ctest-labels: slow
# shellcheck source=systemd_lib.sh
. "$(dirname "$0")/systemd_lib.sh"

# in_cg PID: the cgroup v2 line of PID ("0::PATH"; sx does not enter
# systemd's cgroup namespace: PATH is the host's, ending with the unit's).
in_cg() {
	sxq cat "/proc/$1/cgroup" | grep '^0::'
}

CG=$(prop poold.service ControlGroup)
[[ -n $CG ]] || fail "poold.service has no ControlGroup"
[[ $(in_cg "$MAIN") == 0::*"$CG/master" ]] ||
	fail "the master is not in $CG/master: $(in_cg "$MAIN")"
journal_has "operator kinds' limits: a cgroup per worker slot and kind below /sys/fs/cgroup$CG/slots" ||
	fail "the start-up line does not say the cgroups: $(sxq journalctl -q -u poold.service | grep limits:)"
ctl=$(sxq cat "/sys/fs/cgroup$CG/slots/cgroup.subtree_control")
log "delegated: $CG; offered '$(sxq cat "/sys/fs/cgroup$CG/cgroup.controllers")', enabled for the slots '$ctl'"

# ---- kinds ----------------------------------------------------------------------------
# The scripts sit in the directory the package came in (/srv/poold-test).
cat >"$T/pkg/tree.sh" <<'EOS'
#!/bin/sh
# A sleep in a session of its own, then a long wait.
setsid sleep 4321 </dev/null >/dev/null 2>&1 &
echo $! >"/var/lib/poold/$1.pid"
echo $$ >"/var/lib/poold/$1.sh.pid"
sleep 4322
EOS
cat >"$T/pkg/forks.sh" <<'EOS'
#!/bin/sh
i=0
while [ $i -lt "$1" ]; do sleep 300 & i=$((i + 1)); done
echo "forked $i"
EOS
cat >"$T/pkg/mem.py" <<'EOS'
#!/usr/bin/python3
b = b"x" * (64 << 20)  # touched, not just reserved
print(len(b))
EOS
chmod 755 "$T/pkg/tree.sh" "$T/pkg/forks.sh" "$T/pkg/mem.py"
cat >"$T/pkg/kinds.ini" <<'EOS'
[kind.tree]
code = 1101
exec = /srv/poold-test/tree.sh {1:word}
timeout = 3s
[kind.long]
code = 1102
exec = /srv/poold-test/tree.sh {1:word}
timeout = 10m
[kind.forks]
code = 1103
exec = /srv/poold-test/forks.sh {1:int:1..64}
tasks_max = 8
[kind.mem]
code = 1104
exec = /srv/poold-test/mem.py
memory_max = 32M
EOS
sx bash -c "cat /srv/poold-test/kinds.ini >>$INI" || fail "cannot add the kinds to $INI"
sx systemctl reload poold.service || fail "systemctl reload (the kinds added) failed"
wait_for "journal_has 'kind.*added|4 kinds|reload'" 10 "the reload to be seen" || true
wait_for "pool_is 2 $MAIN" 20 "2 workers after the reload that added the kinds"

# alive PID: the process exists inside (zombies count as gone).
in_alive() {
	local st
	st=$(sxq awk '/^State:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[[ -n $st && $st != Z ]]
}

# tag_pids TAG: waits for the pid files of tree.sh run with TAG; sets SP
# (the setsid'd sleep) and SH (the script).
tag_pids() {
	wait_for "sxq test -s /var/lib/poold/$1.pid && sxq test -s /var/lib/poold/$1.sh.pid" 30 \
		"the $1 job to start its setsid'd sleep"
	SP=$(sxq cat "/var/lib/poold/$1.pid")
	SH=$(sxq cat "/var/lib/poold/$1.sh.pid")
	wait_for "[[ \$(sxq ps -o sid= -p $SP | tr -d ' ') == $SP ]]" 10 "the sleep $SP to lead a session"
}

# ---- time limit, setsid descendant ----------------------------------------------------------
fifo_in "tree t1"
tag_pids t1
where=$(in_cg "$SP")
[[ $where =~ ^0::.*$CG/slots/slot-[0-9]+/kind-tree$ ]] || fail "the job is not in its kind's cgroup: $where"
wait_for "journal_has 'job [0-9]+ tree timed out'" 30 "the tree job to meet its time limit"
wait_for "! in_alive $SP && ! in_alive $SH" 20 "the script and its setsid'd sleep gone after the time limit"
log "time limit: the setsid'd sleep $SP ($where) did not survive"

# ---- tasks_max ------------------------------------------------------------------------------
fifo_in "forks 2" "forks 20"
pctl_in wait --timeout 60s >"$T/wait.out" 2>&1
grep -Eq 'forks: .*exit 2: .*Cannot fork' "$T/wait.out" ||
	fail "20 forks under tasks_max 8 were not refused: $(cat "$T/wait.out")"
nproc=$(sxq ps -L -u poold --no-headers | wc -l)
log "user poold has $nproc tasks (threads included) seen from outside; $(grep -c 'forks: ' "$T/wait.out") forks job(s) failed"
how=rlimit
[[ $ctl == *pids* ]] && how=pids.max
if [[ $how == pids.max ]]; then
	ev=$(sxq cat "/sys/fs/cgroup$CG/slots/slot-0/kind-forks/pids.events" \
		"/sys/fs/cgroup$CG/slots/slot-1/kind-forks/pids.events" 2>/dev/null | awk '/^max/ { n += $2 } END { print n + 0 }')
	((ev > 0)) || fail "pids.events counts no refused fork"
	journal_has 'tasks_max by pids.max' || fail "the start-up line does not say pids.max"
	[[ $(json_in tasks.forks.done) == 1 ]] || fail "2 forks under pids.max 8 did not succeed"
else
	journal_has 'tasks_max by RLIMIT_NPROC \(every process of our user counts\)' ||
		fail "the start-up line does not say RLIMIT_NPROC per user"
	# 'forks 2' may fail too: RLIMIT_NPROC counts every task of the user
	# (in the unit's user namespace), not the job's (README, poold.ini(5))
fi
log "tasks_max 8 ($how): 20 forks refused"

# ---- memory_max -------------------------------------------------------------------------------
if [[ $ctl == *memory* ]]; then
	fifo_in "mem"
	pctl_in wait --timeout 60s >"$T/wait.out" 2>&1
	grep -q 'mem: out of memory (memory_max 32M)' "$T/wait.out" ||
		fail "64M under memory_max 32M not recorded as out of memory: $(cat "$T/wait.out")"
	journal_has 'job [0-9]+ mem failed on worker\[.\]: out of memory \(memory_max 32M\)' ||
		fail "the journal does not record the OOM"
	log "memory_max 32M: the OOM kill recorded"
else
	log "SKIP memory_max part: the kernel's cgroup v2 offers no memory controller here" \
		"(offered: '$(sxq cat "/sys/fs/cgroup$CG/cgroup.controllers")'); memory_max is RLIMIT_AS"
fi

# ---- SIGKILL of a worker mid-job ----------------------------------------------------------------
fifo_in "long k1"
tag_pids k1
W=$(sxq ps -o ppid= -p "$SH" | tr -d ' ')
[[ $(sxq ps -o ppid= -p "$W" | tr -d ' ') == "$MAIN" ]] || fail "the script's parent $W is not a worker"
sx kill -KILL "$W" || fail "cannot SIGKILL worker $W"
wait_for "! in_alive $SP && ! in_alive $SH" 20 "the job's script and its setsid'd sleep gone with worker $W"
log "SIGKILL of worker $W mid-job: neither the script $SH nor its setsid'd sleep $SP survived"
# (the job, delivered again, runs on: its processes are in the cgroup too)
wait_for '[[ $(prop poold.service StatusText) == "running: 2 workers ("* ]]' 20 \
	"the pool back to 2 workers"

# ---- stop -------------------------------------------------------------------------------------------
sx systemctl stop poold.service || fail "systemctl stop poold failed"
[[ -z $(cg_pids) ]] || fail "processes left in $CG after stop: $(cg_pids | tr '\n' ' ')"
