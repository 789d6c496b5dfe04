#!/bin/bash
# The systemd files as systemd itself reads them, without booting it:
#   - `systemd-analyze verify` of poold.service and poold.socket is silent
#     (it exits 0 on unknown keys and bad values, so any output fails);
#   - `systemd-analyze security --offline=true` rates poold.service at an
#     exposure of at most 1.5 (the score is printed);
#   - sysusers.d and tmpfiles.d entries applied to a scratch root give the
#     poold user and /run/poold-fifo as poold 0750 (what poold requires of
#     the FIFO's directory when it creates the FIFO itself);
#   - conf/poold-system.ini (installed as /etc/poold/poold.ini) passes
#     `poold -t` and names the paths the units provide; ExecReload= runs
#     `poold -t` on it after the HUP.
# Prints "SKIP: ..." and passes when systemd-analyze is not installed
# (Debian package systemd).
SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

UNITS=$SRC/systemd
MAX_EXPOSURE=1.5

if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze is not installed (Debian package systemd)"
	exit 0
fi

# ini_get SECTION KEY: the value of KEY in SECTION of poold-system.ini.
ini_get() {
	awk -v s="[$1]" -v k="$2" '
		/^\[/ { in_s = ($0 == s) }
		in_s && $1 == k && $2 == "=" { sub(/^[^=]*= */, ""); print; exit }
	' "$SRC/conf/poold-system.ini"
}

# unit_get FILE KEY: the last value of KEY= in FILE.
unit_get() {
	sed -n "s/^$2=//p" "$1" | tail -n 1
}

# ---- systemd-analyze verify ---------------------------------------------------
# verify wants ExecStart= to exist: check copies that run the poold under test.
mkdir -p "$T/units"
sed "s|^\(Exec[A-Za-z]*=\)/usr/sbin/poold |\1$POOLD |" "$UNITS/poold.service" \
	>"$T/units/poold.service"
cp "$UNITS/poold.socket" "$T/units/poold.socket"
grep -q "^ExecStart=$POOLD " "$T/units/poold.service" ||
	fail "poold.service has no 'ExecStart=/usr/sbin/poold ...' line"
systemd-analyze verify --man=no "$T/units/poold.socket" "$T/units/poold.service" \
	>"$T/verify.out" 2>&1
rc=$?
if ((rc != 0)) || [[ -s $T/verify.out ]]; then
	cat "$T/verify.out" >&2
	fail "systemd-analyze verify exited $rc or complained (above)"
fi
log "systemd-analyze verify: no complaint"

# ---- security exposure ----------------------------------------------------------
systemd-analyze security --offline=true "$UNITS/poold.service" >"$T/security.out" 2>&1 ||
	{
		cat "$T/security.out" >&2
		fail "systemd-analyze security --offline=true failed"
	}
score=$(sed -n 's/.*Overall exposure level for poold.service: \([0-9.]*\).*/\1/p' \
	"$T/security.out")
[[ $score =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "no exposure score in $T/security.out"
echo "systemd-analyze security: poold.service exposure $score (gate: at most $MAX_EXPOSURE)"
if awk -v s="$score" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(s > m) }'; then
	grep '✗' "$T/security.out" >&2
	fail "exposure $score is above $MAX_EXPOSURE (failed checks above)"
fi

# ---- sysusers.d and tmpfiles.d ---------------------------------------------------
ROOT=$T/root
mkdir -p "$ROOT/etc"
systemd-sysusers --root="$ROOT" "$UNITS/poold.sysusers" >"$T/sysusers.out" 2>&1 ||
	fail "systemd-sysusers rejected poold.sysusers: $(cat "$T/sysusers.out")"
uid=$(awk -F: '$1 == "poold" { print $3 }' "$ROOT/etc/passwd")
gid=$(awk -F: '$1 == "poold" { print $3 }' "$ROOT/etc/group")
[[ -n $uid && -n $gid ]] || fail "poold.sysusers made no poold user and group"
home=$(awk -F: '$1 == "poold" { print $6 }' "$ROOT/etc/passwd")
[[ $home == /var/lib/poold ]] || fail "poold's home is '$home', not /var/lib/poold"
systemd-tmpfiles --root="$ROOT" --create "$UNITS/poold.tmpfiles" >"$T/tmpfiles.out" 2>&1 ||
	fail "systemd-tmpfiles rejected poold.tmpfiles: $(cat "$T/tmpfiles.out")"
fifo=$(unit_get "$UNITS/poold.socket" ListenFIFO)
got=$(stat -c '%u %g %a' "$ROOT${fifo%/*}" 2>/dev/null)
[[ $got == "$uid $gid 750" ]] ||
	fail "tmpfiles made ${fifo%/*} as '$got' (uid gid mode), not '$uid $gid 750'"
log "sysusers.d and tmpfiles.d: user poold ($uid:$gid), ${fifo%/*} 0750"

# ---- the system configuration and the units agree ------------------------------
"$POOLD" -t -c "$SRC/conf/poold-system.ini" >"$T/check.out" 2>&1 ||
	fail "poold -t -c conf/poold-system.ini failed: $(cat "$T/check.out")"
svc=$UNITS/poold.service
[[ $(ini_get control fifo) == "$fifo" ]] ||
	fail "[control] fifo is '$(ini_get control fifo)', poold.socket listens on '$fifo'"
[[ $(unit_get "$UNITS/poold.socket" SocketUser) == poold &&
	$(unit_get "$UNITS/poold.socket" SocketMode) == "$(ini_get control mode)" ]] ||
	fail "poold.socket's SocketUser/SocketMode do not match user poold and [control] mode"
[[ $(ini_get control socket) == /run/$(unit_get "$svc" RuntimeDirectory)/* ]] ||
	fail "[control] socket is not in the RuntimeDirectory= of poold.service"
[[ $(ini_get log file) == /var/log/$(unit_get "$svc" LogsDirectory)/* ]] ||
	fail "[log] file is not in the LogsDirectory= of poold.service"
[[ $(ini_get backup dir) == /var/lib/$(unit_get "$svc" StateDirectory)/* ]] ||
	fail "[backup] dir is not in the StateDirectory= of poold.service"
j=$(ini_get journal file)
[[ -z $j || $j == /var/lib/$(unit_get "$svc" StateDirectory)/* ]] ||
	fail "[journal] file is not in the StateDirectory= of poold.service"
[[ $(unit_get "$svc" ExecStart) == "/usr/sbin/poold -c /etc/poold/poold.ini" ]] ||
	fail "ExecStart= is not '/usr/sbin/poold -c /etc/poold/poold.ini'"
[[ $(unit_get "$svc" User) == poold ]] || fail "poold.service does not run as User=poold"
# A reload signals, then checks the same file (a bad file fails the reload).
[[ $(sed -n 's/^ExecReload=//p' "$svc" | tr '\n' '|') == \
	"/bin/kill -HUP \$MAINPID|/usr/sbin/poold -t -c /etc/poold/poold.ini|" ]] ||
	fail "ExecReload= is not 'kill -HUP \$MAINPID' then 'poold -t -c /etc/poold/poold.ini'"
log "conf/poold-system.ini is valid and matches the units"
