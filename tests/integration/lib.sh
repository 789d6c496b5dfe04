# shellcheck shell=bash
# shellcheck disable=SC2016,SC2034 # single-quoted scripts for bash -c; variables for the tests
#
# Helpers for the integration tests, sourced by every tests/integration/t_*.sh.
# CTest runs each test as `bash t_NAME.sh` with POOLD and POOLCTL set to the
# binaries under test (tests/CMakeLists.txt).
#
# What sourcing this file does: makes a private temporary directory, cd's
# into it and installs an EXIT trap that stops the daemon and then checks
# the nginx-tests rule: no process of the daemon's session is left (no
# worker, no zombie) and no "Sanitizer" or "runtime error" line is in any
# daemon or client log.  The directory is removed when the test passed and
# kept (its path printed) when it failed.
#
# Rules the helpers keep: every wait is bounded; only PIDs this test
# started, or processes of its own daemon's session, are ever signalled.
# The daemon runs in a session of its own (setsid), so "everything the
# daemon started" is exactly "every process whose session id is the
# master's pid" -- a pid cannot be reused while it names a live session.
#
# Needs bash >= 5 (EPOCHREALTIME), coreutils, procps (ps), util-linux
# (setsid); t_net_allow.sh and t_jobs.sh also need socat.
#
# By hand: POOLD=build/poold POOLCTL=build/poolctl bash tests/integration/t_jobs.sh
# (POOLD_TEST_KEEP=1 keeps the directory of a passing test too).

set -u
set -o pipefail
export LC_ALL=C

if [[ -z ${POOLD:-} || -z ${POOLCTL:-} ]]; then
	echo "POOLD and POOLCTL must name the binaries under test (run through ctest)" >&2
	exit 1
fi
POOLD=$(realpath -e "$POOLD") || exit 1
POOLCTL=$(realpath -e "$POOLCTL") || exit 1

# Sanitizer builds: report and stop at the first error, into the log.
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Every timeout below is multiplied by this (slow machines, valgrind...).
TIME_SCALE=${POOLD_TEST_TIME_SCALE:-1}
# POOLD_TEST_KEEP=1 keeps the temporary directory of a test that passed.

TEST_NAME=$(basename "$0" .sh)
T=$(mktemp -d "${TMPDIR:-/tmp}/poold-$TEST_NAME.XXXXXX") || exit 1
cd "$T" || exit 1

CONF=$T/poold.ini           # the daemon's configuration
CTL_CONF=$CONF              # the one poolctl reads (a test may break $CONF)
DLOG=$T/daemon.log          # its stderr (and stdout)
JOBLOG=$T/jobs.log          # [log] file
RUN=$T/run                  # FIFO and socket live here
FIFO=$RUN/control
SOCK=$RUN/control.sock
BACKUP_DIR=$T/backups       # [backup] dir
ALLOW_DIR=$T/allowed        # [backup] allow
mkdir -p "$ALLOW_DIR"

MASTER_PID=       # the running master, empty when none
SESSIONS=()       # session ids (= master pids) of every daemon started
BG_PIDS=()        # helpers started in the background (listeners, clients)
DAEMON_RC=        # exit code of the last daemon stopped with stop_daemon

# ---- messages and time ------------------------------------------------

log() {
	printf '%s: %s\n' "$TEST_NAME" "$*" >&2
}

# Prints the message and the daemon log's tail, then exits 1 (the EXIT
# trap still stops the daemon and keeps the directory).
fail() {
	printf '%s: FAIL: %s\n' "$TEST_NAME" "$*" >&2
	if [[ -s $DLOG ]]; then
		echo "---- last lines of $DLOG ----" >&2
		tail -n 40 "$DLOG" >&2
		echo "----" >&2
	fi
	exit 1
}

# Microseconds since the epoch.
now_us() {
	local t=$EPOCHREALTIME
	echo "${t/./}"
}

# scale SECONDS: the timeout scaled, in whole microseconds.
scale_us() {
	awk -v s="$1" -v k="$TIME_SCALE" 'BEGIN { printf "%d", s * k * 1000000 }'
}

# wait_for CONDITION TIMEOUT [WHAT]: evaluates CONDITION (a shell command
# string) every 50 ms until it succeeds; fails the test after TIMEOUT
# seconds (fractions allowed), but never before WAIT_FLOOR (30 s): a
# timeout only bounds how long a broken daemon keeps a test waiting, and a
# machine at load 10 on 2 cores can be ten times slower than an idle one.
# (A test that needs a timing property measures it and asserts it itself.)
WAIT_FLOOR=${POOLD_TEST_WAIT_FLOOR:-30}
wait_for() {
	local cond=$1 timeout=${2:-10} what=${3:-$1} deadline
	timeout=$(awk -v t="$timeout" -v f="$WAIT_FLOOR" 'BEGIN { print (t < f ? f : t) }')
	deadline=$(($(now_us) + $(scale_us "$timeout")))
	while :; do
		if eval "$cond"; then
			return 0
		fi
		if (($(now_us) >= deadline)); then
			fail "timed out after ${timeout}s waiting for: $what"
		fi
		sleep 0.05
	done
}

# ---- processes ------------------------------------------------------------

# proc_field PID N: field N of /proc/PID/stat counted after the command
# name (1 = state, 2 = ppid, 3 = pgrp, 4 = session, 20 = starttime).
proc_field() {
	local line n=$2
	local -a f
	read -r line 2>/dev/null <"/proc/$1/stat" || return 1
	read -r -a f <<<"${line##*) }"
	echo "${f[n - 1]}"
}

# True while PID is a live process (not gone, not a zombie).
alive() {
	local st
	st=$(proc_field "$1" 1) || return 1
	[[ $st != Z && $st != X ]]
}

# wait_exit PID TIMEOUT: waits until PID (a child of this shell) has
# ended and reaps it; its exit status is left in WAIT_RC.  Returns 1 if
# it is still running after TIMEOUT seconds.
wait_exit() {
	local pid=$1 deadline
	deadline=$(($(now_us) + $(scale_us "${2:-10}")))
	while alive "$pid"; do
		if (($(now_us) >= deadline)); then
			return 1
		fi
		sleep 0.05
	done
	wait "$pid" 2>/dev/null
	WAIT_RC=$?
	return 0
}

# Processes of the session SID, one per line as "PID STAT COMMAND".
session_procs() {
	local sid=$1
	ps -e -o pid=,sid=,stat=,comm= | awk -v s="$sid" '$2 == s { print $1, $3, $4 }'
}

# True if PID is a spawner (daemon/spawner.c: the master's child that
# makes its workers, named "poold: spawner"), not a worker.
is_spawner() {
	local comm
	read -r comm 2>/dev/null <"/proc/$1/comm" || return 1
	[[ $comm == "poold: spawner" ]]
}

# The master's live children (its workers, not its spawner), one pid per line.
workers_pids() {
	local pid=$MASTER_PID c
	[[ -n $pid ]] || return 0
	if [[ -r /proc/$pid/task/$pid/children ]]; then
		for c in $(<"/proc/$pid/task/$pid/children"); do
			alive "$c" && ! is_spawner "$c" && echo "$c"
		done
	else
		pgrep -P "$pid" | while read -r c; do alive "$c" && ! is_spawner "$c" && echo "$c"; done
	fi
	return 0
}

# The master's spawner, if it has one.
spawner_pid() {
	local c
	[[ -n $MASTER_PID && -r /proc/$MASTER_PID/task/$MASTER_PID/children ]] || return 0
	for c in $(<"/proc/$MASTER_PID/task/$MASTER_PID/children"); do
		alive "$c" && is_spawner "$c" && echo "$c"
	done
	return 0
}

# Zombie children of the master, one pid per line.
zombie_children() {
	[[ -n $MASTER_PID ]] || return 0
	ps -e -o pid=,ppid=,stat= | awk -v p="$MASTER_PID" '$2 == p && $3 ~ /^Z/ { print $1 }'
}

# is_worker PID: PID is a live child of our master, not its spawner (never
# signal anything else).
is_worker() {
	[[ -n $MASTER_PID ]] && alive "$1" && [[ $(proc_field "$1" 2) == "$MASTER_PID" ]] &&
		! is_spawner "$1"
}

# kill_worker SIG PID: sends SIG to PID only if it is a child of our master.
kill_worker() {
	is_worker "$2" || fail "pid $2 is not a worker of master $MASTER_PID"
	kill -s "$1" "$2"
}

# Age of a process in milliseconds, from /proc/PID/stat starttime (in
# clock ticks, usually 10 ms).
proc_age_ms() {
	local start up
	start=$(proc_field "$1" 20) || return 1
	read -r up _ </proc/uptime
	awk -v s="$start" -v u="$up" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%d", (u - s / hz) * 1000 }'
}

# blocked_in PID REGEX: PID sleeps in a kernel function that matches the
# extended REGEX as a whole (/proc/PID/wchan): pipe_write for a writer held
# by a full pipe (anon_pipe_write since Linux 6.x), unix_stream_read_generic for a reader of a socket.  A
# condition for wait_for, instead of sleeping "until it surely blocked".
blocked_in() {
	local w
	[[ $(proc_field "$1" 1) == S ]] || return 1
	w=$(cat "/proc/$1/wchan" 2>/dev/null) || return 1
	[[ $w =~ ^($2)$ ]]
}

# session_comm SID COMM: the pid of the first process named COMM in the
# session SID (a bg_run job's), empty if none.
session_comm() {
	session_procs "$1" | awk -v c="$2" '$3 == c { print $1; exit }'
}

# ctl_request_taken PID: true once the client PID (a poolctl that asked the
# socket: wait, status) is waiting for its reply and the daemon has read
# every request sent to $SOCK (no connection to it holds unread bytes):
# its request has reached the daemon.
ctl_request_taken() {
	blocked_in "$1" 'unix_stream_read_generic|do_sys_poll|do_select|poll_schedule_timeout[.a-z0-9]*' ||
		return 1
	ss -xH state established |
		awk -v p="$SOCK" '$4 == p { n++; if ($2 != 0) unread = 1 } END { exit !(n > 0 && !unread) }'
}

# bg_run CMD...: runs CMD in the background in a session of its own, so
# that clean-up can stop it with everything it started.  CMD must be a
# program, not a shell function: use bg_sh for pipelines.  The pid (also
# the session id) is left in BG_PID.
bg_run() {
	setsid "$@" &
	BG_PID=$!
	BG_PIDS+=("$BG_PID")
}

# bg_sh SCRIPT: bg_run bash -c SCRIPT, with this file's variables exported.
bg_sh() {
	export POOLD POOLCTL CONF T FIFO SOCK JOBLOG
	bg_run bash -c "$1"
}

# stream_jobs FILE CHUNKS [--fifo]: submits FILE in the background through
# `poolctl submit -` (answered over the socket; with --fifo written into
# the FIFO, answerless, as tests of the FIFO's durability need), in CHUNKS
# slices of 1000 lines 0.1 s apart, so jobs are still coming while the
# test acts; the submitter's pid is in BG_PID.
stream_jobs() {
	export STREAM_FILE=$1 STREAM_CHUNKS=$2 STREAM_VIA=${3:-}
	bg_sh 'for i in $(seq 0 $((STREAM_CHUNKS - 1))); do
	sed -n "$((i * 1000 + 1)),$(((i + 1) * 1000))p;$(((i + 1) * 1000))q" "$STREAM_FILE"
	sleep 0.1
done | timeout 300 "$POOLCTL" -c "$CONF" submit $STREAM_VIA - 2>>"$T/client-submit.log"'
}

# expect_workers N: fills the array `pids` with the master's workers and
# fails the test unless there are exactly N.
expect_workers() {
	mapfile -t pids < <(workers_pids)
	((${#pids[@]} == $1)) || fail "the master has ${#pids[@]} workers, not $1"
}

# bg_stop PID: stops a bg_run job and everything in its session.
bg_stop() {
	local p
	for p in $(session_procs "$1" | awk '{ print $1 }'); do
		kill -TERM "$p" 2>/dev/null
	done
	if ! wait_exit "$1" 5; then
		for p in $(session_procs "$1" | awk '{ print $1 }'); do
			kill -KILL "$p" 2>/dev/null
		done
		wait "$1" 2>/dev/null
	fi
	for p in $(session_procs "$1" | awk '{ print $1 }'); do
		kill -KILL "$p" 2>/dev/null
	done
}

# ---- configuration and daemon --------------------------------------------

# write_config [KEY=VALUE...]: writes $CONF (or file=PATH) atomically.
# Keys: workers inflight queue_limit shutdown_timeout kill_timeout level
# net_allow net_timeout log_file backup_allow journal_fsync; extra_pool=LINE
# adds a line to [pool] (for broken configurations); extra=TEXT adds
# sections at the end (printf %b: "\n" makes a new line).
write_config() {
	local file=$CONF workers=2 inflight="" queue_limit="" shutdown_timeout=5s kill_timeout=2s
	local level=info net_allow="127.0.0.0/8" net_timeout=2s log_file=$JOBLOG
	local backup_allow=$ALLOW_DIR extra_pool="" journal_fsync=interval extra="" arg
	for arg in "$@"; do
		case $arg in
		file=*) file=${arg#*=} ;;
		workers=*) workers=${arg#*=} ;;
		inflight=*) inflight=${arg#*=} ;;
		queue_limit=*) queue_limit=${arg#*=} ;;
		shutdown_timeout=*) shutdown_timeout=${arg#*=} ;;
		kill_timeout=*) kill_timeout=${arg#*=} ;;
		level=*) level=${arg#*=} ;;
		net_allow=*) net_allow=${arg#*=} ;;
		net_timeout=*) net_timeout=${arg#*=} ;;
		log_file=*) log_file=${arg#*=} ;;
		backup_allow=*) backup_allow=${arg#*=} ;;
		extra_pool=*) extra_pool=${arg#*=} ;;
		journal_fsync=*) journal_fsync=${arg#*=} ;;
		extra=*) extra=${arg#*=} ;;
		*) fail "write_config: unknown key in '$arg'" ;;
		esac
	done
	{
		echo "; written by $TEST_NAME"
		echo "[pool]"
		echo "workers = $workers"
		[[ -n $inflight ]] && echo "inflight = $inflight"
		[[ -n $queue_limit ]] && echo "queue_limit = $queue_limit"
		echo "shutdown_timeout = $shutdown_timeout"
		echo "kill_timeout = $kill_timeout"
		[[ -n $extra_pool ]] && echo "$extra_pool"
		echo "[control]"
		echo "fifo = $FIFO"
		echo "socket = $SOCK"
		echo "[log]"
		echo "file = $log_file"
		echo "level = $level"
		echo "[backup]"
		echo "dir = $BACKUP_DIR"
		echo "allow = $backup_allow"
		echo "[net]"
		echo "allow = $net_allow"
		echo "timeout = $net_timeout"
		echo "[journal]"
		echo "file = $RUN/journal"
		echo "fsync = $journal_fsync"
		if [[ -n $extra ]]; then printf '%b\n' "$extra"; fi
	} >"$file.tmp" || fail "cannot write $file.tmp"
	mv -f "$file.tmp" "$file" || fail "cannot rename $file.tmp to $file"
}

# start_daemon [ARGS...]: starts "$POOLD" -c $CONF ARGS in a session of
# its own, stderr to $DLOG, and waits (bounded) for its "ready:" line.
start_daemon() {
	local start_line
	[[ -f $CONF ]] || fail "start_daemon: no $CONF (call write_config first)"
	[[ -z $MASTER_PID ]] || fail "start_daemon: a daemon is already running ($MASTER_PID)"
	start_line=$(dlog_lines)
	setsid "$POOLD" -c "$CONF" "$@" </dev/null >>"$DLOG" 2>&1 &
	MASTER_PID=$!
	SESSIONS+=("$MASTER_PID")
	wait_for 'daemon_ready_since '"$start_line" 30 "the daemon's \"ready:\" line in $DLOG"
	# setsid forks only when it is a process group leader, which a
	# background command of a non-interactive shell never is; check.
	grep -q "starting: pid $MASTER_PID," "$DLOG" ||
		fail "master pid $MASTER_PID is not the one in $DLOG"
}

# True once the daemon logged "ready:" after line FROM of $DLOG; fails the
# test at once if the master died instead.
daemon_ready_since() {
	if dlog_since "$1" 'ready:'; then
		return 0
	fi
	if ! alive "$MASTER_PID"; then
		wait "$MASTER_PID" 2>/dev/null
		local rc=$?
		MASTER_PID=
		fail "the daemon exited with code $rc before it was ready"
	fi
	return 1
}

# stop_daemon [SIGNAL] [TIMEOUT]: signals the master (TERM) and waits,
# bounded, for it to exit; DAEMON_RC gets its exit code.
stop_daemon() {
	[[ -n $MASTER_PID ]] || fail "stop_daemon: no daemon running"
	kill -s "${1:-TERM}" "$MASTER_PID" 2>/dev/null
	daemon_exit "${2:-20}"
}

# daemon_exit TIMEOUT: waits (bounded) for the master to exit on its own;
# DAEMON_RC gets its exit code.
daemon_exit() {
	[[ -n $MASTER_PID ]] || fail "daemon_exit: no daemon running"
	wait_exit "$MASTER_PID" "$1" || fail "the master did not exit within ${1}s"
	DAEMON_RC=$WAIT_RC
	MASTER_PID=
}

# ---- talking to the daemon ------------------------------------------------

# pctl ARGS...: poolctl with our configuration, bounded by a timeout
# (PCTL_LIMIT seconds, 120 unless set, scaled).
pctl() {
	timeout -k 5 "$(awk -v s="${PCTL_LIMIT:-120}" -v k="$TIME_SCALE" 'BEGIN { print s * k }')" \
		"$POOLCTL" -c "$CTL_CONF" "$@"
}

# pctl_wait [SECONDS]: `poolctl wait` with a deadline; returns its exit code.
pctl_wait() {
	local s
	s=$(awk -v s="${1:-60}" -v k="$TIME_SCALE" 'BEGIN { printf "%d", s * k }')
	PCTL_LIMIT=$((${1:-60} + 30)) pctl wait --timeout "${s}s" >"$T/wait.out" 2>>"$T/client.log"
}

# pctl_wait_failed [SECONDS]: pctl_wait where some jobs are meant to fail:
# fails the test unless poolctl wait exits 1 (every job ended, some failed).
pctl_wait_failed() {
	local rc=0
	pctl_wait "$@" || rc=$?
	((rc == 1)) || fail "poolctl wait exited $rc, not 1 (jobs failed): $(cat "$T/wait.out")"
}

# fifo_send LINE...: writes the lines into the FIFO, one write per call
# (bounded: an open with no reader would block forever).
fifo_send() {
	timeout 10 bash -c 'printf "%s\n" "${@:2}" >"$1"' fifo_send "$FIFO" "$@" ||
		fail "fifo_send: could not write to $FIFO"
}

# fifo_send_raw FORMAT [ARGS...]: printf FORMAT into the FIFO as is.
fifo_send_raw() {
	timeout 10 bash -c 'printf "${@:2}" >"$1"' fifo_send_raw "$FIFO" "$@" ||
		fail "fifo_send_raw: could not write to $FIFO"
}

# status_json: one line of JSON from `poolctl status --json`.
status_json() {
	timeout 10 "$POOLCTL" -c "$CTL_CONF" status --json 2>>"$T/client.log"
}

# jget JSON PATH: a number from the status JSON, PATH like jobs.done,
# workers.ready, tasks.log.failed or restarts.  Knows the schema's shape
# (flat objects nested by name), not JSON at large.
jget() {
	local json=$1 path=$2 key v
	local -a parts
	IFS=. read -r -a parts <<<"$path"
	local last=${parts[${#parts[@]} - 1]}
	for key in "${parts[@]:0:${#parts[@]}-1}"; do
		key="\"$key\":{"
		[[ $json == *"$key"* ]] || return 1
		json=${json#*"$key"}
	done
	((${#parts[@]} > 1)) && json=${json%%'}'*}
	key="\"$last\":"
	[[ $json == *"$key"* ]] || return 1
	v=${json#*"$key"}
	v=${v%%[,'}']*}
	echo "$v"
}

# stat_of PATH: jget on a fresh status (empty on error).
stat_of() {
	local j
	j=$(status_json) || return 1
	jget "$j" "$1"
}

# slots_field JSON FIELD: FIELD of every slot, one per line, in slot order.
slots_field() {
	local s=${1#*\"slots\":\[}
	grep -o "\"$2\":[^,}]*" <<<"$s" | sed 's/^[^:]*://; s/"//g'
}

# slot_field JSON INDEX FIELD: FIELD of the slot with that index.
slot_field() {
	local s=${1#*\"slots\":\[}
	grep -o "{\"index\":$2,[^}]*}" <<<"$s" | grep -o "\"$3\":[^,}]*" | sed 's/^[^:]*://; s/"//g'
}

# every_slot_holds: true if every worker slot holds at least one job (for
# tests that stop the workers while jobs go in, so that each is handed some).
every_slot_holds() {
	local d
	for d in $(slots_field "$(status_json)" in_flight); do
		((d > 0)) || return 1
	done
}

# wait_accepted N [TIMEOUT]: until the daemon has accepted N jobs in all.
# `poolctl wait` only waits for jobs already accepted (read from the FIFO),
# so tests that are not about that call this first.
wait_accepted() {
	wait_for "[[ \$(stat_of jobs.accepted) -ge $1 ]] 2>/dev/null" "${2:-30}" "$1 jobs accepted"
}

# ---- helpers for net jobs ---------------------------------------------------

# need PROGRAM PACKAGE: fails the test when PROGRAM is not installed.
need() {
	command -v "$1" >/dev/null || fail "this test needs $1 (Debian package $2)"
}

# start_listener ADDR: a TCP listener on ADDR and a free port, logging each
# connection it accepts.  Sets LISTEN_PORT, LISTEN_LOG and LISTEN_PID.
LISTENERS=0
start_listener() {
	need socat socat
	LISTENERS=$((LISTENERS + 1))
	LISTEN_LOG=$T/listener-$LISTENERS.log
	bg_run socat -d -d "TCP-LISTEN:0,bind=$1,reuseaddr,fork" OPEN:/dev/null 2>"$LISTEN_LOG"
	LISTEN_PID=$BG_PID
	wait_for "grep -q 'listening on' '$LISTEN_LOG'" 10 "socat listening on $1"
	LISTEN_PORT=$(sed -n 's/.* listening on .*:\([0-9][0-9]*\)$/\1/p' "$LISTEN_LOG" | head -1)
	[[ $LISTEN_PORT =~ ^[0-9]+$ && $LISTEN_PORT != 0 ]] ||
		fail "cannot tell socat's port from $LISTEN_LOG"
}

# connections LOG: how many connections the listener logging to LOG accepted.
connections() {
	grep -c 'accepting connection from' "$1"
}

# closed_port ADDR: sets CLOSED_PORT to a port on ADDR that nothing
# listens on (one a listener just had).
closed_port() {
	start_listener "$1"
	bg_stop "$LISTEN_PID"
	CLOSED_PORT=$LISTEN_PORT
}

# pipe_bytes PID...: bytes waiting in the pipes the processes hold open
# (FIONREAD through /proc/PID/fd): for stopped workers, the task frames
# the master handed them, seen from outside poold.  Needs python3.
pipe_bytes() {
	python3 - "$@" <<'PY'
import fcntl, os, struct, sys, termios
total = 0
for pid in sys.argv[1:]:
    for fd in os.listdir(f"/proc/{pid}/fd"):
        path = f"/proc/{pid}/fd/{fd}"
        if not os.readlink(path).startswith("pipe:"):
            continue
        f = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        total += struct.unpack("i", fcntl.ioctl(f, termios.FIONREAD, b"\0\0\0\0"))[0]
        os.close(f)
print(total)
PY
}

# ---- job log checks ------------------------------------------------------

# gen_ids PREFIX N [TASK]: prints "log PREFIX-1" ... "log PREFIX-N".
gen_ids() {
	seq 1 "$2" | sed "s/^/${3:-log} $1-/"
}

# check_ids PREFIX N once|atleast: every PREFIX-1..N is in $JOBLOG (once:
# exactly once).  Prints a summary on failure.
check_ids() {
	local prefix=$1 n=$2 mode=${3:-once} missing dups
	awk -v p="$prefix-" 'index($3, p) == 1 && NF == 3 { print substr($3, length(p) + 1) }' \
		"${IDS_LOG:-$JOBLOG}" | sort >"$T/ids.got"
	seq 1 "$n" | sort >"$T/ids.want"
	missing=$(sort -u "$T/ids.got" | comm -23 "$T/ids.want" - | wc -l)
	dups=$(uniq -d "$T/ids.got" | wc -l)
	if ((missing > 0)); then
		fail "$missing of $n ids $prefix-* missing from $JOBLOG (e.g. $(sort -u "$T/ids.got" | comm -23 "$T/ids.want" - | head -3 | tr '\n' ' '))"
	fi
	if [[ $(sort -u "$T/ids.got" | comm -13 "$T/ids.want" - | wc -l) -gt 0 ]]; then
		fail "$JOBLOG has $prefix-* ids that were never sent"
	fi
	if [[ $mode == once ]] && ((dups > 0)); then
		fail "$dups ids $prefix-* appear more than once in $JOBLOG (e.g. $(uniq -d "$T/ids.got" | head -3 | tr '\n' ' '))"
	fi
	DUP_IDS=$dups
}

# joblog_check ERE: every line of $JOBLOG is a whole record (matches ERE)
# or the fragment a writer killed in its write left on a line of its own:
# the start of a record's header ("2026-11-22T01:23:45.123456Z job=12"),
# or "HEADER job=N TEXT" with TEXT a proper prefix of the text of a whole
# record of job N (its retry).  A line glued onto a fragment, torn or
# forged is neither.  Sets JOBLOG_BAD and JOBLOG_FRAGMENTS, and writes
# the whole records to $T/joblog.whole (for IDS_LOG= check_ids).
joblog_check() {
	local counts
	grep -E -- "$1" "$JOBLOG" >"$T/joblog.whole"
	grep -nvE -- "$1" "$JOBLOG" >"$T/joblog.other"
	counts=$(awk '
		function text(l) { return substr(l, index(l, " job=") + 5) }
		FILENAME == ARGV[1] { t = text($0); id = t; sub(/ .*/, "", id)
			all[id] = all[id] "\n" substr(t, length(id) + 2); next }
		{
			n = substr($0, 1, index($0, ":") - 1); l = substr($0, length(n) + 2)
			g = l; gsub(/[0-9]/, "D", g); hdr = "DDDD-DD-DDTDD:DD:DD.DDDDDDZ job="
			if (index(hdr, g) == 1 || (index(g, hdr) == 1 && substr(g, length(hdr) + 1) ~ /^D+$/)) {
				frag++; next
			}
			if (index(g, hdr) == 1 && match(text(l), /^[0-9]+ /)) {
				id = substr(text(l), 1, RLENGTH - 1); rest = substr(text(l), RLENGTH + 1)
				if (index(all[id], "\n" rest) > 0) { frag++; next }
			}
			if (++bad <= 3) printf "bad line %d: %s\n", n, l > "/dev/stderr"
		}
		END { printf "%d %d\n", bad, frag }' "$T/joblog.whole" "$T/joblog.other")
	read -r JOBLOG_BAD JOBLOG_FRAGMENTS <<<"$counts"
}

# Lines of the daemon's log matching an extended regex.
dlog_has() {
	grep -Eq -- "$1" "$DLOG"
}

# no_backup_tmp DIR: true if no backup temporary is left anywhere below DIR
# (a ".poold-tmp.*" entry, or anything in a ".poold-tmp" directory).
no_backup_tmp() {
	[[ -z $(find "$1" \( -name '.poold-tmp.*' -o -path '*/.poold-tmp/*' \) -print) ]]
}

# dlog_lines: how many lines $DLOG has now, a mark for dlog_since.
dlog_lines() {
	local n
	n=$(wc -l 2>/dev/null <"$DLOG") || n=0
	echo "${n:-0}"
}

# dlog_since FROM REGEX: a line after line FROM of $DLOG matches the
# extended REGEX.  (Not `tail | grep -q`: under pipefail, tail's SIGPIPE
# after grep's early exit would turn a match into a failure.)
dlog_since() {
	grep -Eq -- "$2" < <(tail -n +"$(($1 + 1))" "$DLOG" 2>/dev/null)
}

# ---- the EXIT trap ----------------------------------------------------------

_cleanup() {
	local rc=$? problems=() p z left sid deadline
	trap - EXIT
	trap '' INT TERM HUP
	set +e

	for p in "${BG_PIDS[@]}"; do
		bg_stop "$p"
	done

	if [[ -n $MASTER_PID ]]; then
		# A child that died must be reaped by the master promptly.
		deadline=$(($(now_us) + $(scale_us 10)))
		while z=$(zombie_children) && [[ -n $z ]] && (($(now_us) < deadline)); do
			sleep 0.05
		done
		[[ -n $z ]] && problems+=("zombie children of the master not reaped: $(echo "$z" | tr '\n' ' ')")
		if alive "$MASTER_PID"; then
			# Tests stop workers with SIGSTOP; let them run to the end.
			for p in $(workers_pids); do
				kill -CONT "$p" 2>/dev/null
			done
			kill -TERM "$MASTER_PID" 2>/dev/null
			if ! wait_exit "$MASTER_PID" 30; then
				problems+=("the master did not exit within 30 s of TERM; killed")
				kill -KILL "$MASTER_PID" 2>/dev/null
				wait_exit "$MASTER_PID" 5
			elif ((WAIT_RC != 0)); then
				problems+=("the master exited with code $WAIT_RC after TERM")
			fi
		else
			wait "$MASTER_PID" 2>/dev/null
			problems+=("the master was not running any more at the end of the test (exit $?)")
		fi
		MASTER_PID=
	fi

	# Nothing of any daemon's session may outlive it: no worker, no zombie.
	for sid in "${SESSIONS[@]}"; do
		deadline=$(($(now_us) + $(scale_us 10)))
		while left=$(session_procs "$sid") && [[ -n $left ]] && (($(now_us) < deadline)); do
			sleep 0.05
		done
		if [[ -n $left ]]; then
			problems+=("processes of daemon $sid left after it exited: $(echo "$left" | tr '\n' ';')")
			while read -r p _; do
				kill -KILL "$p" 2>/dev/null
			done <<<"$left"
		fi
	done
	# What a test asked to undo (a mount, say), once the daemons are gone.
	for p in "${AT_EXIT[@]}"; do
		eval "$p" || problems+=("at exit: '$p' failed")
	done
	z=$(ps -e -o pid=,ppid=,stat= | awk -v p="$$" '$2 == p && $3 ~ /^Z/ { print $1 }')
	[[ -n $z ]] && problems+=("zombie children of the test shell: $(echo "$z" | tr '\n' ' ')")

	for p in "$T"/daemon*.log "$T"/client*.log; do
		[[ -f $p ]] || continue
		if grep -Eq 'Sanitizer|runtime error' "$p"; then
			problems+=("sanitizer report in $p: $(grep -Em1 'Sanitizer|runtime error' "$p")")
		fi
	done

	for p in "${problems[@]}"; do
		printf '%s: FAIL at exit: %s\n' "$TEST_NAME" "$p" >&2
	done
	if ((rc != 0 || ${#problems[@]} > 0)); then
		if ((${#problems[@]} > 0)) && [[ -s $DLOG ]]; then
			echo "---- last lines of $DLOG ----" >&2
			tail -n 20 "$DLOG" >&2
		fi
		echo "$TEST_NAME: FAILED; files kept in $T" >&2
		exit 1
	fi
	if [[ -n ${POOLD_TEST_KEEP:-} ]]; then
		echo "$TEST_NAME: passed; files kept in $T (POOLD_TEST_KEEP)" >&2
		exit 0
	fi
	cd / && rm -rf "$T"
	echo "$TEST_NAME: passed" >&2
	exit 0
}
AT_EXIT=() # commands the EXIT trap runs after stopping the daemons
trap _cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
