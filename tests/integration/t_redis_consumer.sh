#!/bin/bash
# The default ("auto") consumer name is stable (issue 15, item 17):
#   - three restarts of one instance leave one consumer in the group;
#   - entries pending to it when it was SIGKILLed run after its restart
#     at once, although claim_idle (1 h) is far off;
#   - a second instance on the same host gets a name of its own.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

start_redis
consumers() {
	rcli XINFO CONSUMERS jobs poold | grep -cx name
}
write_inst a workers=1 extra="$(redis_section stream=jobs claim_idle=1h)"
for i in 1 2 3 4; do
	start_inst a
	wait_for '[[ $(istat a redis.connected) == 1 ]]' 10 "instance a connected"
	rcli XADD jobs '*' task log args "run-$i" >/dev/null
	wait_for '[[ $(istat a jobs.done) == 1 ]]' 20 "job run-$i done"
	((i < 4)) && { stop_inst a || fail "instance a did not stop cleanly"; }
done
n=$(consumers)
names=$(rcli XINFO CONSUMERS jobs poold | grep -A1 -x name | grep -vx -e name -e -- | tr '\n' ' ')
log "after 3 restarts: $n consumer(s): $names"
((n == 1)) || fail "$n consumers in the group after 3 restarts: $names"
[[ $names == "$(hostname)-"* ]] || fail "the consumer name '$names' does not begin with the host name"

# Entries pending to this consumer when it is SIGKILLed.
w=$(inst_workers a)
kill -STOP "$w"
for k in 1 2 3; do rcli XADD jobs '*' task log args "kept-$k" >/dev/null; done
wait_for '[[ $(istat a redis.read) -ge 4 ]]' 10 "the 3 entries read"
[[ $(rcli XPENDING jobs poold | head -1) == 3 ]] || fail "not 3 entries pending: $(rcli XPENDING jobs poold | tr '\n' ' ')"
kill_inst a
t0=$(now_us)
start_inst a
wait_for '[[ $(logged_ids kept "$(inst_dir a)/jobs.log" | sort -u | wc -l) == 3 ]]' 20 \
	"the 3 entries pending at the SIGKILL to run after the restart"
log "3 entries pending at SIGKILL ran $((($(now_us) - t0) / 1000)) ms after the restart (claim_idle 1h)"
wait_for '[[ $(rcli XPENDING jobs poold | head -1) == 0 ]]' 10 "nothing pending"
((${#INST_PID[@]} == 1)) || fail "instances: ${!INST_PID[*]}"
((n = $(consumers), n == 1)) || fail "$n consumers after the SIGKILL and restart"

# A second instance on this host (a stopped, so that b reads the entry:
# Redis lists a consumer once it has read something).
stop_inst a || fail "instance a did not stop cleanly"
write_inst b workers=1 extra="$(redis_section stream=jobs claim_idle=1h)"
start_inst b
wait_for '[[ $(istat b redis.connected) == 1 ]]' 10 "instance b connected"
rcli XADD jobs '*' task log args "b-1" >/dev/null
wait_for '[[ $(istat b jobs.done) == 1 ]]' 20 "job b-1 done by instance b"
((n = $(consumers), n == 2)) ||
	fail "$n consumers with instances a and b: $(rcli XINFO CONSUMERS jobs poold | tr '\n' ' ')"
true
