#!/bin/bash
# The status socket under many clients (issue 15, item 13):
#   - 1,000 concurrent `poolctl wait` with a job pending all return 0
#     ("waited 1 failed 0") once it ends;
#   - 300 idle connections (more than the old cap of 64) do not stop
#     `poolctl status`;
#   - with the client cap small (a low descriptor limit), idle connections
#     beyond it are dropped for new clients, and once the table is full of
#     waiters a new client gets "busy" (poolctl exits 75), never "not
#     running"; the waiters are all answered when the job ends.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need python3 python3
CLIENTS=$(dirname "$(realpath "$0")")/ctl_clients.py

write_config workers=1 inflight=1
start_daemon
expect_workers 1
w=${pids[0]}
kill_worker STOP "$w"
fifo_send noop
wait_accepted 1

# 1,000 waiters, each a poolctl process.
N=1000
export N
mkdir -p "$T/waiters"
bg_sh 'pids=()
for i in $(seq 1 "$N"); do
	"$POOLCTL" -c "$CONF" wait >"$T/waiters/$i.out" 2>>"$T/client-waiters.log" &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p"; echo $?; done >"$T/waiters.rc"'
waiters=$BG_PID
# (A waiter that already gave up has written to its log: go on to fail.)
wait_for '[[ $(stat_of clients.waiting) -ge $N || -s $T/client-waiters.log ]] 2>/dev/null' 240 \
	"$N waiters registered"
log "$N poolctl wait registered; $(stat_of clients.connected) clients connected"
kill_worker CONT "$w"
wait_exit "$waiters" 120 || fail "the waiters did not all return"
[[ $(wc -l <"$T/waiters.rc") == "$N" ]] || fail "only $(wc -l <"$T/waiters.rc") exit codes"
bad=$(grep -vcx 0 "$T/waiters.rc")
((bad == 0)) || fail "$bad of $N poolctl wait exited non-zero: $(sort "$T/waiters.rc" | uniq -c | tr '\n' ' '); $(head -3 "$T/client-waiters.log")"
ok=$(cat "$T"/waiters/*.out | grep -cx 'waited 1 failed 0')
((ok == N)) || fail "$ok of $N waiters said 'waited 1 failed 0'"

# 300 idle connections, and status still answers.
bg_run python3 "$CLIENTS" "$SOCK" 300 idle "$T/idle.out"
idle=$BG_PID
wait_for '[[ -s $T/idle.out ]]' 60 "300 idle connections"
pctl status >"$T/status.txt" 2>>"$T/client.log" || fail "poolctl status with 300 idle clients exited $?: $(tail -1 "$T/client.log")"
bg_stop "$idle"
stop_daemon

# A small cap: 300 descriptors leave room for a few hundred clients.
cat >"$T/poold-lim" <<EOS
#!/bin/bash
ulimit -n 300 || exit 1
exec "$POOLD" "\$@"
EOS
chmod +x "$T/poold-lim"
POOLD=$T/poold-lim start_daemon
max=$(stat_of clients.max)
((max > 64 && max < 300)) || fail "with 300 descriptors the client cap is $max"
log "client cap with ulimit -n 300: $max"
expect_workers 1
w=${pids[0]}

# More idle connections than the cap: new clients still get served.
bg_run python3 "$CLIENTS" "$SOCK" $((max + 50)) idle "$T/idle2.out"
idle=$BG_PID
wait_for '[[ -s $T/idle2.out ]]' 60 "$((max + 50)) idle connections"
pctl status >"$T/status.txt" 2>>"$T/client.log" || fail "poolctl status with $((max + 50)) idle clients (cap $max) exited $?: $(tail -1 "$T/client.log")"
bg_stop "$idle"

# The table full of waiters: a new client is told "busy".  The waiters
# and one more connect and send their requests while the master is
# stopped, so it accepts them all before it reads any: the one beyond the
# cap is told busy, none of the waiters (their request unread is no
# idleness) is dropped for it.
kill_worker STOP "$w"
fifo_send noop
wait_accepted 1
kill -STOP "$MASTER_PID"
AT_EXIT=('kill -CONT "$MASTER_PID" 2>/dev/null; true' "${AT_EXIT[@]}")
bg_run python3 "$CLIENTS" "$SOCK" "$max" wait "$T/wait2.out"
full=$BG_PID
wait_for '[[ -s $T/wait2.out ]]' 60 "$max waiters connected to the stopped master"
bg_run python3 "$CLIENTS" "$SOCK" 1 wait "$T/extra.out"
extra=$BG_PID
wait_for '[[ -s $T/extra.out ]]' 60 "one more waiter connected"
kill -CONT "$MASTER_PID"
wait_exit "$extra" 60 || fail "the waiter beyond the cap got no answer"
grep -q "^error busy" "$T/extra.out" || fail "the waiter beyond the cap was not told busy: $(cat "$T/extra.out")"
busy() {
	pctl status >/dev/null 2>"$T/busy.err"
	BUSY_RC=$?
	((BUSY_RC != 0))
}
wait_for busy 60 "poolctl status to be refused with $max waiters"
((BUSY_RC == 75)) || fail "poolctl status beyond the cap exited $BUSY_RC, not 75: $(cat "$T/busy.err")"
grep -q 'busy' "$T/busy.err" || fail "poolctl status beyond the cap did not say busy: $(cat "$T/busy.err")"
pctl wait >/dev/null 2>"$T/busy.err"
rc=$?
((rc == 75)) && grep -q busy "$T/busy.err" || fail "poolctl wait beyond the cap exited $rc: $(cat "$T/busy.err")"
log "beyond the cap: $(cat "$T/busy.err")"
kill_worker CONT "$w"
wait_exit "$full" 60 || fail "the $max waiters were not answered"
((WAIT_RC == 0)) || fail "not every waiter got 'waited': $(cat "$T/wait2.out")"
grep -qx "waited 1 failed 0: $max" "$T/wait2.out" || fail "unexpected replies: $(cat "$T/wait2.out")"
pctl status >/dev/null || fail "poolctl status after the waiters left exited $?"
dlog_has 'Too many open files' && fail "the daemon ran out of descriptors"
true
