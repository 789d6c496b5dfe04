#!/bin/bash
# The Debian package as built by `cpack -G DEB` from the build tree of
# $POOLD, without installing it:
#   - lintian (every tag, info and pedantic included) prints nothing: each
#     tag left is overridden, with its reason, in systemd/deb/lintian-overrides;
#   - man pages are gzip -9n (no name, no time stamp) under /usr/share/man;
#   - /usr/share/doc/poold holds copyright, changelog.gz and examples;
#   - /etc/poold/poold.ini and /etc/logrotate.d/poold are conffiles, and
#     the logrotate file signals the master only.
# Prints "SKIP: reason" and passes without lintian (Debian package
# lintian), cpack or dpkg-deb.  Installing it under systemd: t_systemd.
SRC_MAN=$(cd "$(dirname "$0")/../../man" && pwd) || exit 1
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$POOLD")
for p in lintian cpack dpkg-deb; do
	if ! command -v "$p" >/dev/null; then
		echo "SKIP: $p is not installed (Debian package ${p/cpack/cmake})"
		exit 0
	fi
done
[[ -f $BUILD/CPackConfig.cmake ]] || fail "no CPackConfig.cmake next to $POOLD"

mkdir -p "$T/pkg"
timeout 120 cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$T/pkg" >"$T/cpack.log" 2>&1 ||
	fail "cpack -G DEB failed: $(tail -n 5 "$T/cpack.log")"
debs=("$T"/pkg/poold_*.deb)
DEB=${debs[0]}
[[ -f $DEB ]] || fail "cpack made no poold_*.deb in $T/pkg"

# ---- lintian ---------------------------------------------------------------------
# Every level; the overrides shipped in the package apply.  (lintian warns
# on stderr when run as root: not a tag.)
timeout 240 lintian --info --pedantic --display-experimental --color never "$DEB" \
	>"$T/lintian.out" 2>"$T/lintian.err"
rc=$?
grep -v 'running with root privileges is not recommended' "$T/lintian.err" >"$T/lintian.other"
if ((rc != 0)) || [[ -s $T/lintian.out || -s $T/lintian.other ]]; then
	cat "$T/lintian.out" "$T/lintian.other" >&2
	fail "lintian exited $rc or reported tags (above): fix them or override each with a reason"
fi
log "lintian $(lintian --version | awk '{ print $2 }'): no tag on $(basename "$DEB")"

# ---- contents --------------------------------------------------------------------
dpkg-deb -x "$DEB" "$T/root" || fail "dpkg-deb -x failed"
dpkg-deb -e "$DEB" "$T/control" || fail "dpkg-deb -e failed"
pages=0
for page in "$SRC_MAN"/*.[1-8]; do
	name=$(basename "$page")
	gz=$T/root/usr/share/man/man${name##*.}/$name.gz
	[[ -f $gz ]] || fail "no $gz in the package"
	# Header: flags (byte 3) without FNAME, MTIME (bytes 4-7) zero.
	hdr=$(od -An -tx1 -N8 "$gz" | tr -d ' \n')
	[[ ${hdr:0:4} == 1f8b && $((0x${hdr:6:2} & 8)) == 0 && ${hdr:8:8} == 00000000 ]] ||
		fail "$name.gz is not gzip -n (header $hdr)"
	cmp -s <(gzip -dc "$gz") "$page" || fail "$name.gz differs from man/$name"
	pages=$((pages + 1))
done
((pages >= 3)) || fail "only $pages man pages in $SRC_MAN"
for f in copyright changelog.gz examples/poold.ini examples/poold-system.ini; do
	[[ -s $T/root/usr/share/doc/poold/$f ]] || fail "no /usr/share/doc/poold/$f in the package"
done
gzip -dc "$T/root/usr/share/doc/poold/changelog.gz" | head -n 1 |
	grep -q "^poold ($(dpkg-deb -f "$DEB" Version)) " ||
	fail "the changelog's first entry is not version $(dpkg-deb -f "$DEB" Version)"
for f in /etc/poold/poold.ini /etc/logrotate.d/poold; do
	grep -qx "$f" "$T/control/conffiles" || fail "$f is not a conffile: $(cat "$T/control/conffiles")"
	[[ -f $T/root$f ]] || fail "no $f in the package"
done
grep -q 'systemctl kill -s USR1 --kill-whom=main poold.service' "$T/root/etc/logrotate.d/poold" ||
	fail "/etc/logrotate.d/poold does not signal the master only"
log "contents: $pages man pages gzip -9n, /usr/share/doc/poold, conffiles $(tr '\n' ' ' <"$T/control/conffiles")"
