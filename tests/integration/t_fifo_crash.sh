#!/bin/bash
# Crash durability of FIFO lines: the FIFO is held open by another process
# (this shell, as systemd's ListenFIFO= does) and handed to every master
# through LISTEN_PID/LISTEN_FDS, a writer streams numbered `log` lines
# (`poolctl submit --fifo -`: into the FIFO, answerless), and
# the master is SIGKILLed many times at random (seeded) moments and started
# again.  A line that left the FIFO must already be in the journal, so
# every line runs at least once (duplicates are allowed, losses are not).
# Before each kill the workers are stopped until the master reaches its
# (small) queue_limit, so the kills land while it holds lines it has read
# and not yet taken as jobs.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=60000
KILLS=12
SEED=${POOLD_TEST_SEED:-$(($(date +%s) % 100000))}
RANDOM=$SEED
log "seed $SEED (POOLD_TEST_SEED=$SEED replays it)"

write_config workers=2 queue_limit=64 journal_fsync=interval
mkdir -p "$RUN" && chmod 0750 "$RUN"
mkfifo -m 0620 "$FIFO" || fail "mkfifo $FIFO"
# The holder: fd 9 of this shell, open read-write like systemd's.
exec 9<>"$FIFO"
# The daemon gets it as fd 3 with LISTEN_PID set to its own pid (exec
# keeps the pid), exactly what sd_listen_fds(3) expects.
cat >"$T/activate" <<EOF
#!/bin/bash
export LISTEN_PID=\$\$ LISTEN_FDS=1
exec 3<&9 9<&-
exec "$POOLD" "\$@"
EOF
chmod +x "$T/activate"
REAL_POOLD=$POOLD
POOLD=$T/activate

gen_ids k "$N" >"$T/jobs.in"
# 200 lines every 0.1 s, so lines keep coming across all the restarts; and
# never past the line number in $T/limit, which the kill loop raises, so
# the writer is still writing at every kill however slow or fast the
# machine is (the last raise lets it finish).
set_limit() { echo "$1" >"$T/limit.new" && mv "$T/limit.new" "$T/limit"; }
set_limit 1000
bg_sh 'for ((i = 0; i < '"$N"'; i += 200)); do
	while ((i >= $(<"$T/limit"))); do sleep 0.05; done
	sed -n "$((i + 1)),$((i + 200))p" "$T/jobs.in"
	sleep 0.1
done | timeout 600 "$POOLCTL" -c "$CONF" submit --fifo - 2>>"$T/client-submit.log"'
submit=$BG_PID

lines() { wc -l <"$JOBLOG" 2>/dev/null || echo 0; }
for k in $(seq 1 "$KILLS"); do
	start_daemon
	target=$(($(lines) + 100 + RANDOM % 1000))
	set_limit $((target + 1000))
	wait_for "(( \$(lines) >= $target )) || ! alive $submit" 60 "$target lines in $JOBLOG"
	alive "$submit" || fail "the writer ended before kill $k (see $T/client-submit.log)"
	# Stop the workers so that the master fills up to queue_limit and
	# holds lines it has read but not yet taken as jobs, then kill it.
	expect_workers 2
	kill -STOP "${pids[@]}"
	wait_for '(( $(stat_of jobs.queued) + $(stat_of jobs.in_flight) >= 64 ))' 30 \
		"the master to reach its queue limit"
	sid=$MASTER_PID
	kill -KILL "$MASTER_PID"
	kill -CONT "${pids[@]}"
	daemon_exit 10
	# The old workers see EOF on their pipes and leave on their own.
	wait_for '[[ -z $(session_procs '"$sid"') ]]' 20 "the workers of master $sid to exit"
done
log "$KILLS kills done at $(lines) lines in $JOBLOG"
set_limit "$N"
start_daemon
wait_exit "$submit" 120 || fail "the writer did not finish"
((WAIT_RC == 0)) || fail "poolctl submit - exited $WAIT_RC"
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids k "$N" atleast
log "every one of $N lines ran; $DUP_IDS ran twice"
POOLD=$REAL_POOLD
exec 9>&-
true
