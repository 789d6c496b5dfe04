#!/bin/bash
# The real-systemd tier, an operator's first week (issue 17), on one boot
# of a throwaway systemd with the .deb installed (systemd_lib.sh):
#   - every path the installed man pages name below poold's own places
#     exists, and so does the group poold;
#   - `systemctl reload` of a broken file fails, the master keeps running
#     and says "configuration on disk invalid since T: FILE:LINE: reason"
#     in StatusText until a good reload clears it;
#   - a broken file then `systemctl restart`: poold stays up, not reading
#     ("configuration invalid since T, not reading the FIFO: FILE:LINE:
#     reason"), not restarted again, poold.socket active and its FIFO kept;
#     lines written meanwhile run once `systemctl reload` (and, the second
#     time, `systemctl restart`) finds the file fixed; a reload while the
#     file is still broken fails;
#   - a regular file at the FIFO's path (a root `echo >` while the socket
#     was stopped) is moved aside with its contents when the socket starts,
#     and said so in the journal;
#   - logrotate (if installed) with the shipped /etc/logrotate.d/poold,
#     three forced rotations under a load of log jobs: every line once,
#     none torn, across the rotated files; the same workers before and
#     after; each new file gets lines (the workers reopened it);
#   - the message queue /poold of the shipped configuration is reachable
#     from the host's IPC namespace (the unit is not PrivateIPC=): a member
#     of group poold submits through it with `poolctl submit --mq` and
#     mq_send, anyone else is refused, and RemoveIPC= removes it at stop.
# ctest-labels: slow
SRC=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
# shellcheck source=systemd_lib.sh
. "$(dirname "$0")/systemd_lib.sh"

tag=o$$

# bad_config: adds an unknown key to [pool]; BAD_LINE is its line.
bad_config() {
	sx sed -i 's/^\[pool\]$/[pool]\nbogus = 1/' "$INI" || fail "cannot edit $INI"
	BAD_LINE=$(sxq grep -n '^bogus = 1$' "$INI" | cut -d: -f1)
	[[ -n $BAD_LINE ]] || fail "no 'bogus = 1' in $INI after the edit"
}

# good_config: removes it again.
good_config() {
	sx sed -i '/^bogus = 1$/d' "$INI" || fail "cannot edit $INI"
}

# logged COUNT PREFIX: true once COUNT lines "... job=N PREFIX-K" are in $JLOG.
logged() {
	local n
	n=$(sxq grep -c -- " job=[0-9]* $2-[0-9]*\$" "$JLOG")
	((${n:-0} == $1))
}

# workers: the worker pids of MAIN, sorted, on one line.
workers() {
	local p out=()
	for p in $(cg_pids); do
		[[ $p != "$MAIN" ]] && ! sd_spawner "$p" && out+=("$p")
	done
	printf '%s\n' "${out[@]}" | sort -n | tr '\n' ' '
}

# ---- man pages: what they name exists ---------------------------------------------
n=0
for page in $(sxq dpkg -L poold | grep '^/usr/share/man/.*\.gz$'); do
	for p in $(sxq zcat "$page" | grep -o 'Pa /[^ ]*poold[^ ]*' | cut -c4- | sort -u); do
		sxq test -e "$p" || fail "$(basename "$page") names $p, which does not exist"
		n=$((n + 1))
	done
done
((n >= 10)) || fail "only $n paths of poold in the installed man pages"
sxq getent group poold >/dev/null || fail "the group poold the man pages name does not exist"
log "man pages: all $n paths of poold they name exist, and the group poold"

# ---- a broken file on reload --------------------------------------------------------
bad_config
if sx systemctl reload poold.service 2>>"$T/sx.err"; then
	fail "systemctl reload of a broken $INI succeeded"
fi
journal_has "$INI:$BAD_LINE: .*bogus" || fail "the journal does not give $INI:$BAD_LINE and the reason"
[[ $(prop poold.service MainPID) == "$MAIN" ]] && active poold.service ||
	fail "poold did not keep running after a failed reload"
re="^running: 2 workers \(.*; configuration on disk invalid since [0-9-]+ [0-9:]+ [A-Z]+: $INI:$BAD_LINE: "
wait_for '[[ $(prop poold.service StatusText) =~ $re ]]' 10 "StatusText to say the file on disk is invalid"
log "broken reload: failed, and StatusText '$(prop poold.service StatusText)'"
good_config
sx systemctl reload poold.service || fail "systemctl reload of the fixed file failed"
wait_for '[[ $(prop poold.service StatusText) == "running: 2 workers ("* &&
	$(prop poold.service StatusText) != *invalid* ]]' 10 "StatusText without 'invalid' after a good reload"

# ---- a broken file, then restart: nothing written meanwhile is lost ---------------------
restarts=$(prop poold.service NRestarts)
bad_config
sx systemctl restart poold.service || fail "systemctl restart with a broken file failed"
re="^configuration invalid since [0-9-]+ [0-9:]+ [A-Z]+, not reading the FIFO: $INI:$BAD_LINE: "
wait_for '[[ $(prop poold.service StatusText) =~ $re ]]' 10 \
	"StatusText 'configuration invalid since ..., not reading the FIFO: $INI:$BAD_LINE: ...'"
WAITING=$(prop poold.service MainPID)
lines=()
for i in $(seq 1 200); do
	lines+=("log broken-$tag-$i")
done
fifo_in "${lines[@]}"
if sx systemctl reload poold.service 2>>"$T/sx.err"; then
	fail "systemctl reload of a still broken $INI succeeded"
fi
journal_has "configuration still invalid, not reading the FIFO: $INI:$BAD_LINE" ||
	fail "the waiting master did not say the file is still invalid"
[[ $(prop poold.service MainPID) == "$WAITING" && $(prop poold.service NRestarts) == "$restarts" ]] ||
	fail "the waiting master was restarted ($(prop poold.service NRestarts) restarts, was $restarts)"
active poold.socket || fail "poold.socket is $(prop poold.socket ActiveState) while the file is broken"
sxq test -p "$IFIFO" || fail "$IFIFO is no longer a FIFO while the file is broken"
logged 0 "broken-$tag" || fail "lines ran while the configuration was broken"
good_config
sx systemctl reload poold.service || fail "systemctl reload of the fixed file failed"
wait_for "logged 200 broken-$tag" 20 "the 200 lines written while the file was broken in $JLOG"
MAIN=$(prop poold.service MainPID)
[[ $MAIN == "$WAITING" ]] || fail "the reload replaced the waiting master ($WAITING, now $MAIN)"
wait_for "pool_is 2 $MAIN" 10 "the master and 2 workers after the reload"
log "broken file + restart: master $WAITING waited, 200 lines written meanwhile ran after the reload"

bad_config
sx systemctl restart poold.service || fail "systemctl restart with a broken file failed"
wait_for '[[ $(prop poold.service StatusText) =~ $re ]]' 10 "StatusText 'configuration invalid ...'"
fifo_in "log restart-$tag-1" "log restart-$tag-2"
good_config
sx systemctl restart poold.service || fail "systemctl restart with the fixed file failed"
wait_for "logged 2 restart-$tag" 20 "the lines written while the file was broken, after a restart"
MAIN=$(prop poold.service MainPID)
log "broken file + restart, fixed + restart: the lines written meanwhile ran"

# ---- not a FIFO at the FIFO's path: moved aside -----------------------------------------
sx systemctl stop poold.service poold.socket || fail "systemctl stop failed"
sxq test -e "$IFIFO" && fail "$IFIFO is still there after poold.socket stopped"
sx bash -c "echo 'log aside-$tag' >$IFIFO" || fail "cannot write $IFIFO as root"
sx systemctl start poold.socket poold.service || fail "systemctl start after a regular file at $IFIFO failed"
sxq test -p "$IFIFO" || fail "$IFIFO is not a FIFO after poold.socket started"
aside=$(sxq bash -c "ls -d $IFIFO.not-a-fifo-*")
[[ -n $aside ]] || fail "the regular file at $IFIFO was not moved aside"
[[ $(sxq cat "$aside") == "log aside-$tag" ]] || fail "$aside lost what was written into it"
journal_has "$IFIFO was not a FIFO: moved it to $aside" poold.socket ||
	fail "the journal does not say the regular file was moved to $aside"
MAIN=$(prop poold.service MainPID)
wait_for "pool_is 2 $MAIN" 10 "the master and 2 workers after the start"
log "a regular file at $IFIFO was moved to $aside, the socket started"

# ---- log rotation under load ---------------------------------------------------------------
if ! sxq bash -c 'command -v logrotate' >/dev/null; then
	echo "SKIP: logrotate is not installed (Debian package logrotate): no rotation test"
else
	# The load: batches of 2000 log jobs, one `poolctl submit -` each,
	# until the rotations are done; batch B line I logs "rot-TAG-B-I".
	before=$(workers)
	stop=/run/poold-test-rotated
	timeout -k 5 120 bash "$SDNS" exec "$NAME" bash -c "b=0; while [ ! -e $stop ]; do b=\$((b + 1)); seq 1 2000 | sed \"s/^/log rot-$tag-\$b-/\" |
		timeout 60 poolctl -c $INI submit - || exit 1; done; echo \$b" >"$T/submit.out" 2>&1 &
	submit=$!
	at=()
	for r in 1 2 3; do
		wait_for "(( \$(sxq grep -c 'rot-$tag-' $JLOG) >= 1000 ))" 30 \
			"1000 log lines in the new $JLOG before rotation $r"
		sx logrotate -f -s /var/lib/poold-test-logrotate.state /etc/logrotate.d/poold \
			>"$T/logrotate.out" 2>&1 || fail "logrotate failed: $(cat "$T/logrotate.out")"
		at+=("$(json_in tasks.log.done)")
	done
	wait_for "(( \$(sxq grep -c 'rot-$tag-' $JLOG) >= 1000 ))" 30 \
		"1000 log lines in the new $JLOG after the last rotation"
	sx touch "$stop" || fail "cannot stop the load"
	wait "$submit" || fail "poolctl submit - failed: $(cat "$T/submit.out")"
	N=$(($(tail -n 1 "$T/submit.out") * 2000))
	pctl_in wait --timeout 60s >"$T/wait.out" 2>&1 || fail "poolctl wait failed: $(cat "$T/wait.out")"
	sx bash -c 'cd /var/log/poold && ls jobs.log* && zcat -f jobs.log*' >"$T/rotated" ||
		fail "cannot read the rotated logs"
	files=$(grep -c '^jobs\.log' "$T/rotated")
	((files >= 4)) || fail "$files job logs after 3 rotations, not 4 or more: $(grep '^jobs' "$T/rotated")"
	torn=$(grep -v '^jobs\.log' "$T/rotated" | grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z job=[0-9]+ [^ ]' |
		head -3)
	[[ -z $torn ]] || fail "torn or malformed lines in the job logs: $torn"
	got=$(grep -Eo " rot-$tag-[0-9]+-[0-9]+\$" "$T/rotated" | sort | uniq -c | awk '$1 != 1' | head -3)
	[[ -z $got ]] || fail "lines logged more than once: $got"
	n=$(grep -Ec " rot-$tag-[0-9]+-[0-9]+\$" "$T/rotated")
	((n == N)) || fail "$n of $N lines in the job logs after the rotations"
	[[ $(workers) == "$before" ]] || fail "workers changed across the rotations: $before, now $(workers)"
	log "logrotate x3 under $N log jobs (rotated at ${at[*]} done): $files files, every line once," \
		"none torn, same workers ($before)"
fi

# ---- the message queue ----------------------------------------------------------------
# sdns.sh exec keeps the host's IPC namespace: nsenter -i into the booted
# systemd's, where every other service and user of that machine lives.
cp "$MQTOOL" "$T/pkg/mqtool" || fail "cannot copy mqtool"
MQT=/srv/poold-test/mqtool
gid=$(sxq getent group poold | cut -d: -f3)
uid=$(sxq id -u poold)
ipc() { sx nsenter -t 1 -i "$@"; }
as_member() { ipc setpriv --reuid=65534 --regid=65534 --groups="$gid" "$@"; }
st=$(ipc "$MQT" stat /poold 2>>"$T/sx.err") || fail "no message queue /poold in the machine's IPC namespace"
[[ $st == "mode=0620 uid=$uid maxmsg=10 msgsize=4096 curmsgs=0" ]] || fail "/poold: $st"
as_member poolctl -c "$INI" submit --mq --priority 4 log "mq-$tag-1" 2>>"$T/sx.err" ||
	fail "a member of group poold cannot submit --mq: $(tail -n 2 "$T/sx.err")"
as_member bash -c "printf 'log mq-$tag-2' | $MQT send /poold 0" 2>>"$T/sx.err" ||
	fail "a member of group poold cannot mq_send to /poold"
rc=0
ipc setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "printf 'log mq-$tag-x' | $MQT send /poold 0" \
	2>>"$T/sx.err" || rc=$?
((rc == 13)) || fail "a user outside group poold was not refused (EACCES) by /poold: exit $rc"
wait_for "logged 2 mq-$tag" 10 "the two mqueue jobs in $JLOG"
sxq grep -q " mq-$tag-x\$" "$JLOG" && fail "the refused message ran"
log "message queue /poold: $st; group poold submits, others are refused"

# ---- stop ---------------------------------------------------------------------------------
sx systemctl stop poold.service poold.socket || fail "systemctl stop failed"
[[ $(prop poold.service Result) == success && $(prop poold.service ExecMainStatus) == 0 ]] ||
	fail "poold did not stop cleanly: Result=$(prop poold.service Result)"
ipc "$MQT" stat /poold >/dev/null 2>&1 && fail "RemoveIPC= left /poold after the stop"
log "stopped cleanly"
