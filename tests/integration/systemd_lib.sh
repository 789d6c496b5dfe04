#!/bin/bash
# The real-systemd tier's common part, sourced by tests/integration/t_systemd*.sh
# (each boots its own throwaway systemd: NAME=poold-TEST-PID):
# checks that it can run here (else "SKIP: reason" and exit 0), helpers
# to run commands inside (sx, prop, active, fifo_in, pctl_in, json_in,
# cg_pids, pool_is, journal_has, new_main), builds the .deb (cpack -G DEB
# with the build tree of $POOLD), boots systemd with shared/tools/sdns.sh,
# installs the package with dpkg and starts poold.socket and poold.service
# with 2 workers; MAIN is the master's pid.  At exit the journal is saved
# into the test directory and the throwaway systemd is stopped.
# Prints "SKIP: reason" and passes where it cannot run: not root, no
# cgroup2, no systemd or util-linux tools, PID 1 is systemd itself, or a
# sanitizer build (the unit's seccomp filter stops LeakSanitizer's ptrace).
SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$POOLD")
SDNS=${POOLD_SDNS:-}
# Beside the repository, or beside its worktree directory (wt/NAME).
for d in "$SRC/.." "$SRC/../.."; do
	[[ -z $SDNS && -f $d/shared/tools/sdns.sh ]] && SDNS=$(realpath "$d/shared/tools/sdns.sh")
done
NAME=poold-$TEST_NAME-$$
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

# cg_pids: the pids in poold.service's cgroup and below (Delegate=: the
# master moves into .../master, jobs run in .../slots), one per line.
cg_pids() {
	local cg
	cg=$(prop poold.service ControlGroup)
	[[ -n $cg ]] || return 0
	sxq find "/sys/fs/cgroup$cg" -name cgroup.procs -exec cat {} + 2>/dev/null
}

# sd_spawner PID: PID is a spawner (daemon/spawner.c), not a worker.
sd_spawner() {
	[[ $(sxq cat "/proc/$1/comm") == "poold: spawner" ]]
}

# pool_is N MAIN: the service's cgroup holds exactly MAIN, N workers and at
# most a spawner, every one a child of MAIN.
pool_is() {
	local n=$1 main=$2 p k=0 ppid
	for p in $(cg_pids); do
		[[ $p == "$main" ]] && continue
		sd_spawner "$p" && { [[ $(sxq ps -o ppid= -p "$p" | tr -d ' ') == "$main" ]] || return 1; } && continue
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

