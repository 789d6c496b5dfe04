#!/bin/bash
# What writers can put into the control FIFO: an overlong line, binary
# garbage, NUL bytes, invalid UTF-8, empty lines... are each rejected and
# counted without touching the lines around them; the 4096-byte limit is
# exact; 8 writers with 10,000 lines each at once lose, merge or split no
# line (each job exactly once, with backpressure past the queue limit).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
start_daemon

rejected() { stat_of jobs.rejected; }

# ---- an overlong line, then a good one ----------------------------------------
long=$(head -c 4996 /dev/zero | tr '\0' x)
fifo_send "log $long" "log after-long"
wait_accepted 1
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
grep -q ' after-long$' "$JOBLOG" || fail "the line after an overlong line was lost"
[[ $(rejected) == 1 ]] || fail "jobs.rejected is $(rejected) after an overlong line, not 1"
dlog_has 'rejected FIFO line.*over 4096 bytes' || fail "the daemon did not log the overlong line"

# ---- the limits, exactly -----------------------------------------------------------
# A line of 4096 bytes with its newline is a line; 4097 is not.
fifo_send "noop$(head -c 4091 /dev/zero | tr '\0' ' ')"
fifo_send "noop$(head -c 4092 /dev/zero | tr '\0' ' ')"
fifo_send "log limit-next"
wait_accepted 3
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.noop.done) == 1 ]] || fail "a line of exactly 4096 bytes was not taken as a job"
[[ $(rejected) == 2 ]] || fail "a line of 4097 bytes was not rejected (rejected: $(rejected))"
grep -q ' limit-next$' "$JOBLOG" || fail "the line after a 4097-byte line was lost"

# ---- bad lines between good ones, all in one write ------------------------------------
fmt='log g-1\n'
fmt+='\001\002\377\376binary garbage\200\n'
fmt+='log g-2\n'
fmt+='log nul\000byte\n'
fmt+='log g-3\n'
fmt+='log bad-utf8-\303\050\n'
fmt+='log g-4\n'
fmt+='\n'
fmt+='log g-5\n'
fmt+=' \t  \n'
fmt+='log g-6\n'
fmt+='log overlong-utf8-\300\257\n'
fmt+='log g-7\n'
fmt+='frobnicate x\n'
fmt+='log g-8\n'
fmt+='log del-\177\n'
fmt+='log g-9\n'
fmt+='log surrogate-\355\240\200\n'
fmt+='log g-10\r\n'
fmt+='log g-11 é€😀\n'
nbad=9
fifo_send_raw "$fmt"
wait_accepted 14
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(rejected) == $((2 + nbad)) ]] || fail "jobs.rejected is $(rejected), not $((2 + nbad))"
for i in $(seq 1 11); do
	grep -Eq " g-$i( é€😀)?\$" "$JOBLOG" || fail "good line g-$i next to a bad line was lost"
done
grep -q ' g-11 é€😀$' "$JOBLOG" || fail "valid UTF-8 did not pass through unchanged"
grep -Eq 'nul|bad-utf8|overlong-utf8|del-|surrogate|garbage|frobnicate' "$JOBLOG" &&
	fail "a rejected line reached $JOBLOG"
dlog_has 'rejected FIFO line.*NUL byte' || fail "the daemon did not say why a line with NUL was rejected"
dlog_has 'rejected FIFO line.*invalid UTF-8' || fail "the daemon did not say why invalid UTF-8 was rejected"
dlog_has 'rejected FIFO line.*empty line' || fail "the daemon did not say why an empty line was rejected"
alive "$MASTER_PID" || fail "the master died"
base=$(stat_of jobs.accepted)

# ---- 8 writers x 10,000 lines at once ------------------------------------------------------
W=8 N=10000
for k in $(seq 1 $W); do
	gen_ids "w$k" $N >"$T/w$k.in"
done
writers=()
for k in $(seq 1 $W); do
	bg_sh 'for i in $(seq 200); do [[ -e $T/go ]] && break; sleep 0.05; done
	exec timeout 120 "$POOLCTL" -c "$CONF" submit - <"$T/w'"$k"'.in" 2>>"$T/client-w'"$k"'.log"'
	writers+=("$BG_PID")
done
touch "$T/go"
for k in $(seq 1 $W); do
	wait_exit "${writers[k - 1]}" 120 || fail "writer $k did not finish"
	((WAIT_RC == 0)) || fail "writer $k (poolctl submit -) exited $WAIT_RC"
done
wait_accepted $((base + W * N)) 60
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
j=$(status_json)
[[ $(jget "$j" jobs.accepted) == $((base + W * N)) ]] || fail "not exactly $((W * N)) more jobs accepted: $j"
[[ $(jget "$j" jobs.rejected) == $((2 + nbad)) ]] || fail "lines of concurrent writers were rejected: $j"
for k in $(seq 1 $W); do
	check_ids "w$k" $N once
done
