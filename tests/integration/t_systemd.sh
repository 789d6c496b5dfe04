#!/bin/bash
# The real-systemd tier: builds the .deb (`cpack -G DEB` with the build
# tree of $POOLD), boots a throwaway systemd as PID 1 in private namespaces
# over a copy-on-write overlay of / (shared/tools/sdns.sh), installs the
# package there with dpkg and checks, under the hardened unit as shipped:
#   - poold.socket and poold.service start; the FIFO is the one systemd
#     passed; the master runs as user poold; StatusText= is poold's STATUS;
#   - every job kind through the FIFO and through poolctl (noop, log,
#     backup of a file and of a tree under /etc, net to IPv4 and IPv6
#     loopback listeners and by name) ends as it should: job log, backup
#     files, `poolctl wait` and `poolctl status --json` counters;
#   - `systemctl reload` after a change of workers: same master, new count;
#   - the IP firewall: a probe that [net] allow permits but the unit's
#     IPAddressAllow=localhost does not is dropped (times out), and gets
#     through once a drop-in widens IPAddressAllow= (as the unit documents);
#   - SIGKILL of the master: systemd restarts it, no old worker is left;
#   - SIGSTOP of the master: the watchdog (shortened by a drop-in) kills
#     it and systemd restarts it;
#   - a job written into the FIFO while poold.service is stopped (the
#     socket unit holds the FIFO, and can be restarted meanwhile) runs
#     once it starts;
#   - with poold.socket masked, poold creates the FIFO itself (in the
#     directory tmpfiles.d made) and jobs run; the socket unit starts
#     again afterwards;
#   - stop: both units inactive, exit status 0, no process of poold left.
# Prints "SKIP: reason" and passes where it cannot run: not root, no
# cgroup2, no systemd or util-linux tools, PID 1 is systemd itself, or a
# sanitizer build (the unit's seccomp filter stops LeakSanitizer's ptrace).
# ctest-labels: slow
# shellcheck source=systemd_lib.sh
. "$(dirname "$0")/systemd_lib.sh"

# ---- every job kind --------------------------------------------------------------------
# Listeners in the private network (systemd-run: sx itself is in the host's).
for l in "l4 TCP4-LISTEN:4242,bind=127.0.0.1" "l6 TCP6-LISTEN:4242,bind=[::1]"; do
	sx systemd-run -q --unit="poold-test-${l%% *}" socat -d -d "${l#* },reuseaddr,fork" \
		OPEN:/dev/null || fail "cannot start the listener ${l#* }"
	wait_for "journal_has 'listening on' poold-test-${l%% *}" 10 \
		"socat ${l#* } listening"
done
sx bash -c 'mkdir -p /etc/poold-test/tree/sub && head -c 100000 /dev/urandom >/etc/poold-test/file &&
	echo one >/etc/poold-test/tree/a && echo two >/etc/poold-test/tree/sub/b' ||
	fail "cannot make the files to back up"
tag=t$$
fifo_in noop "log fifo-$tag" "backup /etc/poold-test/file" "net 127.0.0.1:4242"
pctl_in submit noop || fail "poolctl submit noop failed"
pctl_in submit log "poolctl-$tag" || fail "poolctl submit log failed"
pctl_in submit backup /etc/poold-test/tree || fail "poolctl submit backup failed"
pctl_in submit net '[::1]:4242' || fail "poolctl submit net [::1] failed"
pctl_in submit net localhost:4242 || fail "poolctl submit net localhost failed"
pctl_in submit net 127.0.0.1:4243 || fail "poolctl submit net (closed port) failed"
wait_for '[[ $(json_in jobs.accepted) == 10 ]] 2>/dev/null' 20 "10 jobs accepted"
pctl_in wait --timeout 30s >"$T/wait.out" 2>&1
rc=$?
if ((rc != 1)) || ! grep -q '^waited .* failed 1$' "$T/wait.out" ||
	! grep -q 'net: 127.0.0.1:4243: Connection refused' "$T/wait.out"; then
	fail "poolctl wait: exit $rc, not 1 with only the closed port failed: $(cat "$T/wait.out")"
fi
j=$(pctl_in status --json) || fail "poolctl status --json failed"
for want in jobs.done=9 jobs.failed=1 jobs.rejected=0 tasks.noop.done=2 tasks.log.done=2 \
	tasks.backup.done=2 tasks.net.done=3 tasks.net.failed=1 workers.ready=2; do
	[[ $(jget "$j" "${want%=*}") == "${want#*=}" ]] || fail "status: ${want%=*} is not ${want#*=}: $j"
done
sx cat "$JLOG" >"$T/jobs.log" || fail "cannot read $JLOG"
for t in fifo poolctl; do
	grep -Eq " job=[0-9]+ $t-$tag\$" "$T/jobs.log" ||
		fail "the log job's line '$t-$tag' is not in $JLOG: $(cat "$T/jobs.log")"
done
[[ $(sxq stat -c '%U %a' "$JLOG") == "poold 640" ]] || fail "$JLOG is not poold's with mode 640"
sx cmp /etc/poold-test/file "$BDIR/etc/poold-test/file/@latest" || fail "the backup of a file differs"
sx diff -r /etc/poold-test/tree "$BDIR/etc/poold-test/tree/@latest/" || fail "the backup of a tree differs"
n=$(sxq journalctl -q -u poold-test-l4 -u poold-test-l6 | grep -c 'accepting connection')
((n >= 3)) || fail "the loopback listeners saw $n connections, not 3"
wait_for '[[ $(prop poold.service StatusText) == *", 10 done, "* ]]' 5 \
	"StatusText to count the 10 jobs that ended"
log "every job kind ran under the hardened unit: $(prop poold.service StatusText)"

# ---- reload -------------------------------------------------------------------------------
sx sed -i 's/^workers = .*/workers = 3/' "$INI" || fail "cannot edit $INI"
sx systemctl reload poold.service || fail "systemctl reload poold failed"
wait_for "pool_is 3 $MAIN" 10 "3 workers after systemctl reload"
[[ $(prop poold.service MainPID) == "$MAIN" ]] || fail "reload replaced the master"
active poold.service || fail "poold.service is not active after reload"
wait_for '[[ $(prop poold.service StatusText) == "running: 3 workers ("* ]]' 10 \
	"StatusText 'running: 3 workers (...'"
journal_has 'Reloaded poold.service' || fail "systemd did not log the reload as done"
# The hardened unit refuses clone3 (RestrictNamespaces=): the spawner must
# still make the workers (clone), not give up and leave it to the master.
journal_has 'spawner: pid' && fail "the spawner failed under the unit: $(sxq journalctl -q -u poold.service | grep -m1 'spawner: pid')"
log "reload: master $MAIN now has 3 workers"

# ---- the IP firewall: loopback only, widened by a drop-in --------------------------------
# 10.99.0.1 on the private network's lo: [net] allow permits it, the unit's
# IPAddressAllow=localhost does not, so the probe's packets are dropped.
sx nsenter -t 1 -n ip addr add 10.99.0.1/32 dev lo || fail "cannot add 10.99.0.1 inside"
sx systemd-run -q --unit=poold-test-l10 socat -d -d TCP4-LISTEN:4242,bind=10.99.0.1,reuseaddr,fork \
	OPEN:/dev/null || fail "cannot start the listener on 10.99.0.1"
wait_for "journal_has 'listening on' poold-test-l10" 10 "socat on 10.99.0.1 listening"
sx sed -i 's|^allow = 127.0.0.0/8 ::1$|allow = 127.0.0.0/8 ::1 10.99.0.0/24|; s/^timeout = .*/timeout = 1s/' \
	"$INI" || fail "cannot edit $INI"
sx systemctl reload poold.service || fail "systemctl reload poold failed"
wait_for "pool_is 3 $MAIN" 10 "3 workers after the reload for [net] allow"
pctl_in submit net 10.99.0.1:4242 || fail "poolctl submit net 10.99.0.1 failed"
pctl_in wait --timeout 30s >"$T/wait.out" 2>&1
rc=$?
if ((rc != 1)) || ! grep -q 'net: 10.99.0.1:4242.*timed out' "$T/wait.out"; then
	fail "a probe outside IPAddressAllow= did not time out: exit $rc, $(cat "$T/wait.out")"
fi
sx bash -c 'mkdir -p /run/systemd/system/poold.service.d &&
	printf "[Service]\nIPAddressAllow=10.99.0.0/24\n" >/run/systemd/system/poold.service.d/60-net.conf &&
	systemctl daemon-reload && systemctl reset-failed poold.service &&
	systemctl restart poold.service' || fail "cannot widen IPAddressAllow= with a drop-in"
MAIN=$(prop poold.service MainPID)
wait_for "pool_is 3 $MAIN" 10 "the master and 3 workers after the restart"
pctl_in submit net 10.99.0.1:4242 || fail "poolctl submit net 10.99.0.1 failed"
pctl_in wait --timeout 30s >"$T/wait.out" 2>&1 ||
	fail "a probe allowed by an IPAddressAllow= drop-in failed: $(cat "$T/wait.out")"
log "IP firewall: 10.99.0.1 dropped under IPAddressAllow=localhost, reached once a drop-in allows it"

# ---- SIGKILL of the master: restarted, no orphan ---------------------------------------
mapfile -t old < <(cg_pids)
((${#old[@]} == 5)) || fail "expected 5 processes (master, spawner, 3 workers) before the kill, saw ${#old[@]}"
sx kill -KILL "$MAIN" || fail "cannot kill the master"
wait_for "new_main $MAIN" 20 "systemd to restart poold after SIGKILL of the master"
wait_for "pool_is 3 $MAIN" 10 "the new master and its 3 workers, nothing else, in the cgroup"
for p in "${old[@]}"; do
	sxq kill -0 "$p" 2>/dev/null && fail "process $p of the killed master is still alive"
done
[[ $(prop poold.service NRestarts) -ge 1 ]] || fail "NRestarts did not count the restart"
log "SIGKILL: restarted as $MAIN, no process of the old pool left"

# ---- SIGSTOP of the master: the watchdog fires ---------------------------------------------
sx bash -c 'mkdir -p /run/systemd/system/poold.service.d &&
	printf "[Service]\nWatchdogSec=2s\n" >/run/systemd/system/poold.service.d/50-test.conf &&
	systemctl daemon-reload && systemctl reset-failed poold.service &&
	systemctl restart poold.service' || fail "cannot shorten WatchdogSec with a drop-in"
active poold.service || fail "poold.service is not active with WatchdogSec=2s"
MAIN=$(prop poold.service MainPID)
sleep 3 # a healthy pool keeps pinging
[[ $(prop poold.service MainPID) == "$MAIN" ]] || fail "the watchdog fired on a healthy pool"
sx kill -STOP "$MAIN" || fail "cannot stop the master"
wait_for "new_main $MAIN" 20 "the watchdog to kill the stopped master and systemd to restart it"
journal_has 'poold.service: Watchdog timeout' || fail "no 'Watchdog timeout' in the journal"
sx bash -c 'rm /run/systemd/system/poold.service.d/50-test.conf && systemctl daemon-reload &&
	systemctl reset-failed poold.service && systemctl restart poold.service' ||
	fail "cannot remove the watchdog drop-in"
log "SIGSTOP: watchdog timeout, restarted as $MAIN"

# ---- a job written while the service is stopped -------------------------------------------
sx systemctl stop poold.service 2>>"$T/sx.err" || fail "systemctl stop poold.service failed"
[[ $(prop poold.service ActiveState) == inactive ]] || fail "poold.service did not stop"
active poold.socket || fail "poold.socket stopped with the service"
# The socket unit can be restarted over the FIFO it made (owned by poold).
sx systemctl restart poold.socket || fail "systemctl restart poold.socket failed"
[[ $(prop poold.service ActiveState) == inactive ]] || fail "restarting the socket started poold"
fifo_in "log while-stopped-$tag"
sx systemctl start poold.service || fail "systemctl start poold.service failed"
wait_for "sxq grep -Eq ' job=[0-9]+ while-stopped-$tag\$' $JLOG" 10 \
	"the job written while poold was stopped in $JLOG"
log "a job written into the socket's FIFO while poold was stopped ran after start"

# ---- without the socket unit ------------------------------------------------------------------
# poold creates the FIFO itself in the directory tmpfiles.d made; the
# socket unit starts again afterwards over the FIFO poold left.
sx bash -c 'systemctl stop poold.service poold.socket && systemctl mask -q --runtime poold.socket &&
	systemctl start poold.service' 2>>"$T/sx.err" || fail "cannot start poold without poold.socket"
MAIN=$(prop poold.service MainPID)
journal_has "poold\[$MAIN\]: master: control FIFO $IFIFO, status socket" ||
	fail "poold without poold.socket did not make $IFIFO itself"
fifo_in "log no-socket-$tag"
wait_for "sxq grep -Eq ' job=[0-9]+ no-socket-$tag\$' $JLOG" 10 \
	"the job written into poold's own FIFO in $JLOG"
sx bash -c 'systemctl stop poold.service && systemctl unmask -q --runtime poold.socket &&
	systemctl start poold.socket poold.service' 2>>"$T/sx.err" ||
	fail "cannot start poold.socket and poold.service again after running without the socket"
MAIN=$(prop poold.service MainPID)
journal_has "poold\[$MAIN\]: master: control FIFO $IFIFO \(passed by systemd\)" ||
	fail "poold did not take the FIFO from poold.socket again"
log "without poold.socket: poold made the FIFO itself; the socket unit starts again after"

# ---- stop ----------------------------------------------------------------------------------
MAIN=$(prop poold.service MainPID)
sx systemctl stop poold.service poold.socket || fail "systemctl stop failed"
for u in poold.service poold.socket; do
	[[ $(prop $u ActiveState) == inactive ]] || fail "$u is $(prop $u ActiveState) after stop"
done
[[ $(prop poold.service Result) == success && $(prop poold.service ExecMainStatus) == 0 ]] ||
	fail "poold did not stop cleanly: Result=$(prop poold.service Result)," \
		"ExecMainStatus=$(prop poold.service ExecMainStatus)"
left=$(sxq ps -u poold -o pid=,comm=)
[[ -z $left ]] || fail "processes of user poold left after stop: $left"
journal_has "poold\[$MAIN\]: .*stopped" || fail "the master did not log its stop"
# The sandbox never got in the way of a job.
if journal_has 'Permission denied|Operation not permitted|Read-only file system'; then
	fail "the sandbox denied poold something: $(sxq journalctl -q -u poold.service |
		grep -E 'Permission denied|Operation not permitted|Read-only file system' | head -3)"
fi
log "stopped: exit 0, no process left"
