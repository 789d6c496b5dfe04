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
SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$POOLD")
SDNS=${POOLD_SDNS:-}
[[ -z $SDNS && -f $SRC/../shared/tools/sdns.sh ]] && SDNS=$(realpath "$SRC/../shared/tools/sdns.sh")
NAME=poold-t-systemd-$$
INI=/etc/poold/poold.ini
IFIFO=/run/poold-fifo/control
JLOG=/var/log/poold/jobs.log
BDIR=/var/lib/poold/backups
SDNS_UP=

# skip REASON: passes without running (nothing was started yet).
skip() {
	echo "SKIP: $*"
	trap - EXIT
	cd / && rm -rf "$T"
	exit 0
}

# ---- can it run here? ---------------------------------------------------------
((EUID == 0)) || skip "needs root (booting systemd in namespaces)"
[[ -n $SDNS ]] || skip "no shared/tools/sdns.sh beside the repository"
[[ $(stat -fc %T /sys/fs/cgroup 2>/dev/null) == cgroup2fs ||
	$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null) == cgroup2fs ]] ||
	skip "no cgroup2 hierarchy at /sys/fs/cgroup or /sys/fs/cgroup/unified"
[[ -x /lib/systemd/systemd ]] || skip "systemd is not installed (Debian package systemd)"
for p in unshare nsenter setpriv pivot_root cpack dpkg-deb; do
	command -v "$p" >/dev/null || skip "$p is not installed"
done
[[ $(cat /proc/1/comm) != systemd ]] || skip "PID 1 is systemd: sdns.sh is for other machines"
grep -q '^POOLD_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2>/dev/null &&
	skip "sanitizer build: the unit's SystemCallFilter= blocks LeakSanitizer (ptrace)"
[[ -f $BUILD/CPackConfig.cmake ]] || fail "no CPackConfig.cmake next to $POOLD"
need socat socat
need ip iproute2

# ---- helpers ---------------------------------------------------------------------

# sx CMD...: runs CMD inside the booted systemd (its mounts and pids, the
# host's network: use systemd-run for what must see the private network).
sx() {
	timeout -k 5 60 bash "$SDNS" exec "$NAME" "$@"
}

# sxq CMD...: sx with stderr kept in $T/sx.err.
sxq() {
	sx "$@" 2>>"$T/sx.err"
}

# prop UNIT PROPERTY: one property of a unit (systemctl show -P).
prop() {
	sxq systemctl show -P "$2" "$1"
}

# active UNIT: true when the unit is active.
active() {
	[[ $(sxq systemctl is-active "$1") == active ]]
}

# pctl_in ARGS...: poolctl inside, with the installed configuration.
pctl_in() {
	sx timeout 60 poolctl -c "$INI" "$@"
}

# fifo_in LINE...: writes lines into the installed FIFO, one write.
fifo_in() {
	sx timeout 10 bash -c 'printf "%s\n" "${@:2}" >"$1"' fifo_in "$IFIFO" "$@" ||
		fail "could not write to $IFIFO: $*"
}

# json_in PATH: a number from `poolctl status --json` inside.
json_in() {
	local j
	j=$(pctl_in status --json 2>>"$T/sx.err") || return 1
	jget "$j" "$1"
}

# cg_pids: the pids in poold.service's cgroup, one per line.
cg_pids() {
	local cg
	cg=$(prop poold.service ControlGroup)
	[[ -n $cg ]] || return 0
	sxq cat "/sys/fs/cgroup$cg/cgroup.procs" 2>/dev/null
}

# pool_is N MAIN: the service's cgroup holds exactly MAIN and N workers,
# every one a child of MAIN.
pool_is() {
	local n=$1 main=$2 p k=0 ppid
	for p in $(cg_pids); do
		[[ $p == "$main" ]] && continue
		ppid=$(sxq ps -o ppid= -p "$p" | tr -d ' ')
		[[ -z $ppid ]] && continue # exited meanwhile
		[[ $ppid == "$main" ]] || return 1
		k=$((k + 1))
	done
	((k == n))
}

# journal_has REGEX [UNIT...]: the journal of the units (default: poold's)
# matches REGEX.  Read whole first: with pipefail, grep -q quitting early
# would fail the pipeline through journalctl's SIGPIPE.
journal_has() {
	local re=$1 out u
	local -a args=()
	shift
	(($# > 0)) || set -- poold.service poold.socket
	for u in "$@"; do
		args+=(-u "$u")
	done
	out=$(sxq journalctl -q --no-pager "${args[@]}")
	grep -Eq -- "$re" <<<"$out"
}

# new_main OLD: true once poold.service is active with a main pid other
# than OLD; the new one is in MAIN.
new_main() {
	MAIN=$(prop poold.service MainPID)
	[[ -n $MAIN && $MAIN != 0 && $MAIN != "$1" ]] && active poold.service
}

# sd_reap LAUNCHER: the last resort when `sdns.sh stop` left our systemd
# running (it signals the pid `sdns.sh start` recorded, and start can
# record a child of the launcher that is gone by then): SIGKILL to what
# is still a child of our launcher, the PID 1 of our namespaces, then
# the cgroup sdns.sh made for it.
sd_reap() {
	local launcher=$1 c cg deadline
	[[ -n $launcher && $(cat "/proc/$launcher/comm" 2>/dev/null) == unshare ]] || return 0
	echo "$TEST_NAME: sdns.sh stop left $NAME running; killing it" >&2
	for c in $(pgrep -P "$launcher"); do
		kill -KILL "$c"
	done
	deadline=$(($(now_us) + 10000000))
	while kill -0 "$launcher" 2>/dev/null && (($(now_us) < deadline)); do
		sleep 0.1
	done
	for cg in /sys/fs/cgroup/sdns-"$NAME" /sys/fs/cgroup/unified/sdns-"$NAME"; do
		[[ -d $cg ]] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null
	done
	return 0
}

# Dumps the journal into the test directory, stops the throwaway systemd,
# then lets lib.sh's clean-up run.
sd_cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	set +e
	if [[ -n $SDNS_UP ]]; then
		timeout -k 2 20 bash "$SDNS" exec "$NAME" journalctl -q --no-pager -o short-monotonic \
			>"$T/journal.log" 2>&1
		timeout -k 2 20 bash "$SDNS" exec "$NAME" journalctl -q --no-pager -u poold.service \
			-u poold.socket >"$DLOG" 2>&1
		if ((rc != 0)); then
			echo "---- last lines of poold's journal ----" >&2
			tail -n 30 "$DLOG" >&2
		fi
		launcher=$(cat "/run/sdns/$NAME.launcher" 2>/dev/null)
		timeout -k 5 120 bash "$SDNS" stop "$NAME" >>"$T/sdns.log" 2>&1 ||
			echo "$TEST_NAME: sdns.sh stop $NAME failed (see $T/sdns.log)" >&2
		sd_reap "$launcher"
	fi
	[[ -f /run/sdns/$NAME.log ]] && cat "/run/sdns/$NAME.log" >>"$T/sdns.log"
	rm -f "/run/sdns/$NAME.log"
	(exit "$rc")
	_cleanup
}
trap sd_cleanup EXIT
# ctest kills a test that runs too long (300 s) with no chance to clean up:
# end well before that, through the EXIT trap.
bg_run bash -c "sleep $(awk -v k="$TIME_SCALE" 'BEGIN { print 150 * k }'); kill -TERM $$"

# ---- package and boot ----------------------------------------------------------------
mkdir -p "$T/pkg"
timeout 120 cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
	fail "cpack -G DEB failed: $(tail -n 5 "$T/cpack.log")"
debs=("$T"/pkg/poold_*.deb)
[[ -f ${debs[0]} ]] || fail "cpack made no poold_*.deb in $T/pkg"
DEB=/srv/poold-test/$(basename "${debs[0]}")
mkdir -p "$T/units" # nothing preinstalled: the package brings the units

SDNS_UP=1
timeout -k 5 90 bash "$SDNS" start "$NAME" "$T/units" "$T/pkg:/srv/poold-test" \
	>"$T/sdns.log" 2>&1 || fail "sdns.sh start failed: $(tail -n 5 "$T/sdns.log")"
[[ $(cat "/proc/$(cat "/run/sdns/$NAME.pid" 2>/dev/null)/comm" 2>/dev/null) == systemd ]] ||
	fail "sdns.sh start recorded a pid that is not the booted systemd: $(head -n 1 "$T/sdns.log")"
wait_for '[[ $(sxq systemctl is-system-running) =~ ^(running|degraded)$ ]]' 30 \
	"the throwaway systemd to be running"
log "systemd booted ($(head -n 1 "$T/sdns.log"))"

sx env DEBIAN_FRONTEND=noninteractive dpkg -i "$DEB" >"$T/dpkg.log" 2>&1 ||
	fail "dpkg -i $(basename "$DEB") failed: $(tail -n 5 "$T/dpkg.log")"
[[ $(sxq getent passwd poold | cut -d: -f6) == /var/lib/poold ]] ||
	fail "the package did not create the system user poold"
[[ $(sxq stat -c '%U %a' /run/poold-fifo) == "poold 750" ]] ||
	fail "/run/poold-fifo is not poold's with mode 750 after installation"
[[ $(sxq dpkg-query -W -f='${Conffiles}' poold) == *"$INI "* ]] ||
	fail "$INI is not a conffile of the package"

# ---- start ---------------------------------------------------------------------------
# Two workers whatever the machine; the package may have started poold
# already (when no policy-rc.d forbids it), so restart.
sx sed -i 's/^workers = .*/workers = 2/' "$INI" || fail "cannot edit $INI"
sx systemctl start poold.socket || fail "systemctl start poold.socket failed"
sx systemctl restart poold.service || fail "systemctl restart poold.service failed"
active poold.socket || fail "poold.socket is not active"
active poold.service || fail "poold.service is not active after start"
MAIN=$(prop poold.service MainPID)
[[ $(sxq ps -o user= -p "$MAIN") == poold ]] || fail "the master ($MAIN) does not run as poold"
journal_has "control FIFO $IFIFO \(passed by systemd\)" ||
	fail "poold did not take the FIFO from poold.socket"
wait_for '[[ $(prop poold.service StatusText) == "running: 2 workers ("*", "*" queued, "*" done, "* ]]' \
	10 "StatusText 'running: 2 workers (...), N queued, N done, ...'"
wait_for "pool_is 2 $MAIN" 10 "the master and 2 workers in poold.service's cgroup"
log "started: master $MAIN as poold, $(prop poold.service StatusText)"

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
((${#old[@]} == 4)) || fail "expected 4 processes before the kill, saw ${#old[@]}"
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
