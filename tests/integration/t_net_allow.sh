#!/bin/bash
# net jobs reach only what [net] allow permits: a permitted loopback
# listener is probed (ok, and it sees the connection); a live listener
# outside the rules is refused without a single packet (it sees no
# connection), also when reached through a host name; a permitted address
# with nothing listening fails as refused.  Needs socat.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need socat socat
start_listener 127.0.0.1
port_ok=$LISTEN_PORT log_ok=$LISTEN_LOG
start_listener 127.0.0.1
port_no=$LISTEN_PORT log_no=$LISTEN_LOG
# 127.0.0.2 with any port; 127.0.0.1 only on port_ok.
write_config workers=2 net_allow="127.0.0.2 127.0.0.1:$port_ok" net_timeout=2s
start_daemon

fifo_send "net 127.0.0.1:$port_ok"
wait_accepted 1
pctl_wait || fail "net to an allowed listener: poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.net.done) == 1 ]] || fail "net to an allowed listener did not succeed"
wait_for "[[ \$(connections '$log_ok') == 1 ]]" 5 "the allowed listener to see one connection"

fifo_send "net 127.0.0.1:$port_no"
pctl submit net "localhost:$port_no" || fail "poolctl submit net localhost:$port_no exited $?"
wait_accepted 3
pctl_wait
rc=$?
((rc == 1)) || fail "net to targets outside [net] allow: poolctl wait exited $rc, not 1"
j=$(status_json)
[[ $(jget "$j" tasks.net.failed) == 2 ]] || fail "tasks.net.failed is not 2: $j"
for target in "127.0.0.1:$port_no" "localhost:$port_no"; do
	grep -E "job [0-9]+ net failed on worker\[[0-9]+\]: " "$DLOG" | grep -F -- "${target%:*}" |
		grep -q "not allowed by \[net\] allow" ||
		fail "no 'not allowed by [net] allow' failure for $target in the daemon log"
done

# Allowed by the rules but nobody listens there: refused by the kernel.
fifo_send "net 127.0.0.2:$port_no"
wait_accepted 4
pctl_wait
rc=$?
((rc == 1)) || fail "net to 127.0.0.2:$port_no: poolctl wait exited $rc, not 1"
dlog_has "job [0-9]+ net failed on worker\[[0-9]+\]: .*127\.0\.0\.2:$port_no.*[Rr]efused" ||
	fail "the probe of 127.0.0.2:$port_no was not refused by the kernel"

# The allowed probe's connection logged by its listener; the jobs aimed at
# the other one all ended before, so a connection to it would show too.
wait_for '[[ $(connections "$log_ok") -ge 1 ]]' 30 "the allowed listener to log its connection"
[[ $(connections "$log_no") == 0 ]] ||
	fail "the listener outside [net] allow saw $(connections "$log_no") connections"
[[ $(connections "$log_ok") == 1 ]] || fail "the allowed listener saw $(connections "$log_ok") connections, not 1"
