# shellcheck shell=bash
# shellcheck disable=SC2034 # variables for the tests
#
# Helpers for the Redis tests (t_redis_*.sh), sourced after lib.sh: a
# private redis-server on 127.0.0.1 and a free port, in the test's
# directory, and extra poold instances beside lib.sh's one daemon.
#
# lib.sh manages one daemon (MASTER_PID).  The instances started here run
# each in a session of its own, log to $T/daemon-NAME.log (so lib.sh's
# sanitizer check covers them) and are stopped at exit through AT_EXIT:
# TERM, a bounded wait, exit code 0, nothing of their session left.  Then
# redis-server is stopped.  Only pids started here are ever signalled.
#
# Without redis-server or redis-cli the test prints SKIP and passes.

if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
	echo "$TEST_NAME: SKIP: redis-server or redis-cli is not installed (Debian packages redis-server, redis-tools)"
	exit 0
fi

REDIS_DIR=$T/redis # its dump.rdb and log
REDIS_PORT=
REDIS_PID=
declare -A INST_PID=() # instance name -> master pid (= its session id)
INST_PROBLEMS=0

# rcli ARGS...: redis-cli on our server, bounded.
rcli() {
	timeout 10 redis-cli -p "$REDIS_PORT" "$@"
}

# start_redis [ARGS...]: redis-server on 127.0.0.1 and a free port (the
# same REDIS_PORT again once one was chosen: a restart), no persistence
# unless ARGS say otherwise, its files in $REDIS_DIR.  Waits until the
# server on that port is ours (its process_id) and answers.
start_redis() {
	local port keep=$REDIS_PORT deadline
	mkdir -p "$REDIS_DIR"
	for _ in $(seq 1 20); do
		port=${keep:-$((20000 + RANDOM % 30000))}
		setsid redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
			--dir "$REDIS_DIR" --logfile "$REDIS_DIR/redis.log" --daemonize no "$@" \
			</dev/null >/dev/null 2>&1 &
		REDIS_PID=$!
		deadline=$(($(now_us) + $(scale_us 5)))
		while alive "$REDIS_PID" && (($(now_us) < deadline)); do
			if [[ $(redis-cli -p "$port" info server 2>/dev/null |
				sed -n 's/^process_id:\([0-9]*\).*/\1/p') == "$REDIS_PID" ]]; then
				REDIS_PORT=$port
				return 0
			fi
			sleep 0.05
		done
		kill -KILL "$REDIS_PID" 2>/dev/null
		wait "$REDIS_PID" 2>/dev/null
		REDIS_PID=
		sleep 0.2
	done
	fail "cannot start redis-server (see $REDIS_DIR/redis.log)"
}

# stop_redis [save]: SHUTDOWN (SAVE with "save": the data survive a
# restart from $REDIS_DIR), then a bounded wait.
# shellcheck disable=SC2120 # t_redis_outage.sh passes "save"
stop_redis() {
	[[ -n $REDIS_PID ]] || return 0
	if [[ ${1:-} == save ]]; then
		rcli shutdown save >/dev/null 2>&1
	else
		kill -TERM "$REDIS_PID" 2>/dev/null
	fi
	if ! wait_exit "$REDIS_PID" 10; then
		kill -KILL "$REDIS_PID" 2>/dev/null
		wait_exit "$REDIS_PID" 5
	fi
	REDIS_PID=
}

# redis_section [KEY=VALUE...]: the [redis] section for write_config's
# extra=, with url set to our server.
redis_section() {
	local s="[redis]\\nurl = redis://127.0.0.1:$REDIS_PORT" kv
	for kv in "$@"; do
		s+="\\n${kv%%=*} = ${kv#*=}"
	done
	printf '%s' "$s"
}

# inst_dir NAME: where instance NAME keeps its configuration and files.
inst_dir() {
	echo "$T/inst-$1"
}

# write_inst NAME [write_config ARGS...]: its own FIFO, socket, journal
# and job log under inst_dir NAME.
write_inst() {
	local name=$1 d
	shift
	d=$(inst_dir "$name")
	mkdir -p "$d/run"
	FIFO=$d/run/control SOCK=$d/run/control.sock RUN=$d/run \
		write_config file="$d/poold.ini" log_file="$d/jobs.log" "$@"
}

# start_inst NAME: starts poold -c inst_dir/poold.ini in a session of its
# own and waits (bounded) for its "ready:" line.
start_inst() {
	local name=$1 log=$T/daemon-$1.log from pid
	from=$( (wc -l <"$log") 2>/dev/null || echo 0)
	setsid "$POOLD" -c "$(inst_dir "$name")/poold.ini" </dev/null >>"$log" 2>&1 &
	pid=$!
	INST_PID[$name]=$pid
	wait_for "grep -q 'ready:' < <(tail -n +$((from + 1)) '$log') || ! alive $pid" 30 \
		"instance $name's \"ready:\" line"
	alive "$pid" || fail "instance $name exited before it was ready (see $log)"
}

# ipctl NAME ARGS...: poolctl with instance NAME's configuration.
ipctl() {
	timeout 60 "$POOLCTL" -c "$(inst_dir "$1")/poold.ini" "${@:2}"
}

# istat NAME PATH: a number from instance NAME's status (jget PATH).
istat() {
	local j
	j=$(timeout 10 "$POOLCTL" -c "$(inst_dir "$1")/poold.ini" status --json 2>/dev/null) || return 1
	jget "$j" "$2"
}

# inst_workers NAME: the live worker pids of instance NAME (not its spawner).
inst_workers() {
	local pid=${INST_PID[$1]} c
	[[ -r /proc/$pid/task/$pid/children ]] || return 0
	for c in $(<"/proc/$pid/task/$pid/children"); do
		alive "$c" && ! is_spawner "$c" && echo "$c"
	done
	return 0
}

# kill_inst NAME: SIGKILL to the master and everything in its session.
kill_inst() {
	local pid=${INST_PID[$1]} p
	[[ -n $pid ]] || fail "kill_inst: no instance $1"
	kill -KILL "$pid" 2>/dev/null
	for p in $(session_procs "$pid" | awk '{ print $1 }'); do
		kill -KILL "$p" 2>/dev/null
	done
	wait_exit "$pid" 10 || fail "instance $1 (pid $pid) did not die of SIGKILL"
	wait_for '[[ -z $(session_procs '"$pid"') ]]' 10 "instance $1's processes to go"
	unset "INST_PID[$1]"
}

# stop_inst NAME: TERM, a bounded wait, exit code 0, no process left.
stop_inst() {
	local name=$1 pid=${INST_PID[$1]}
	[[ -n $pid ]] || return 0
	unset "INST_PID[$name]"
	kill -TERM "$pid" 2>/dev/null
	if ! wait_exit "$pid" 20; then
		echo "$TEST_NAME: FAIL: instance $name did not exit within 20 s of TERM" >&2
		kill -KILL "$pid" 2>/dev/null
		wait_exit "$pid" 5
		return 1
	fi
	if ((WAIT_RC != 0)); then
		echo "$TEST_NAME: FAIL: instance $name exited with code $WAIT_RC after TERM" >&2
		return 1
	fi
	local deadline=$(($(now_us) + $(scale_us 3)))
	while [[ -n $(session_procs "$pid") ]] && (($(now_us) < deadline)); do
		sleep 0.05
	done
	if [[ -n $(session_procs "$pid") ]]; then
		echo "$TEST_NAME: FAIL: processes of instance $name left: $(session_procs "$pid" | tr '\n' ';')" >&2
		return 1
	fi
	return 0
}

# At exit (after lib.sh has stopped its daemon): every instance, then Redis.
_redis_at_exit() {
	local name rc=0
	for name in "${!INST_PID[@]}"; do
		stop_inst "$name" || rc=1
	done
	stop_redis
	return $rc
}
AT_EXIT+=(_redis_at_exit)

# logged_ids PREFIX FILE...: the ids PREFIX-* in job logs, one per line (with repeats).
logged_ids() {
	local prefix=$1
	shift
	cat "$@" 2>/dev/null | awk -v p="$prefix-" 'index($3, p) == 1 && NF == 3 { print substr($3, length(p) + 1) }'
}
