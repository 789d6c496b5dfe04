#!/usr/bin/env bash
# poold benchmark: builds poold in Release, runs it on loopback and in a
# temporary directory, and PRINTS figures.  It is not a test: a slow or busy
# machine gives low figures, never a failure.  It fails (exit 1) only when
# something is broken: a job lost or failed, a torn log line, a backup that
# differs from its source, a daemon that does not start or stop.
#
# Every process it starts (daemons, pacers, the listener) is stopped at exit,
# by PID.  Nothing outside bench/ is written except the build directory, a
# temporary work directory (removed at exit) and the cached 1 GiB file.
#
# See bench/README.md for what each figure measures and the last results.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: bench/run.sh [--quick | --full] [--only SECTIONS] [--profile] [--keep]

  --full           the whole benchmark (default): about 3 to 4 minutes on
                   the 2-core machine, at most 10
  --quick          the same sections with smaller counts: about 70 s, at most 2 min
  --only LIST      comma-separated sections, in this order:
                   throughput naive latency scale log backup net reload
                   fsync qlimit mix forks instr plot
                   (latency's saturation runs and the plot use throughput's figures)
  --profile        also profile the 4-worker noop path: perf stat and
                   perf record of the master, the workers and poolctl apart
  --keep           keep the temporary work directory (daemon logs, data)
  -h, --help       this text

Environment:
  POOLD_BENCH_BUILD  build directory (default /tmp/poold-bench-build)
  POOLD_BENCH_CACHE  where the 1 GiB backup source is kept between runs
                     (default /var/tmp/poold-bench)
  CC                 compiler for the bench/ helpers (default cc)

Output: figures on stdout, then a markdown table; bench/results/ gets
results.md, throughput.dat and throughput.png.
EOF
}

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH=$ROOT/bench
RESULTS=$BENCH/results
BUILD=${POOLD_BENCH_BUILD:-/tmp/poold-bench-build}
CACHE=${POOLD_BENCH_CACHE:-/var/tmp/poold-bench}
CC=${CC:-cc}
MODE=full
ONLY=""
PROFILE=0
KEEP=0
ALL_SECTIONS=(throughput naive latency scale log backup net reload fsync qlimit mix forks instr plot)

while (($# > 0)); do
	case $1 in
	--quick) MODE=quick ;;
	--full) MODE=full ;;
	--only)
		[[ $# -ge 2 ]] || {
			usage >&2
			exit 64
		}
		ONLY=$2
		shift
		;;
	--only=*) ONLY=${1#--only=} ;;
	--profile) PROFILE=1 ;;
	--keep) KEEP=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage >&2
		exit 64
		;;
	esac
	shift
done

WORKER_COUNTS=(1 2 4 64 1000)
RUNS=3
if [[ $MODE == full ]]; then
	N_NOOP=5000000      # noop jobs per throughput run
	N_NAIVE=1000000     # task codes per naive run
	LAT_SECONDS=5       # each 10,000 jobs/s latency run
	SAT_SECONDS=3       # each near-saturation latency run
	N_SCALE=1000000     # jobs before the second RSS reading
	N_LOG=1000000       # log lines per run
	BACKUP_ROUNDS=3     # backup / cp+sync / cp rounds
	N_NET=20000         # net probes per run
	READY_STARTS=3      # 1000-worker starts timed
	N_INSTR=1000000     # noop jobs under callgrind
else
	N_NOOP=1000000
	N_NAIVE=200000
	LAT_SECONDS=2
	SAT_SECONDS=1
	N_SCALE=1000000
	N_LOG=200000
	BACKUP_ROUNDS=1
	N_NET=5000
	READY_STARTS=1
	N_INSTR=200000
fi
RELOAD_SECONDS=6
SAT_PERCENT=80 # near saturation: this share of the measured bulk rate
WAIT_TIMEOUT=600s

declare -A R=() # every figure, by name
PIDS=()         # every process we started and have not stopped
WORK=""
DPID=""         # the running daemon
DCFG=""         # its INI file
DDIR=""         # its directory
DLOG=""         # its stderr
DCOUNT=0
NAP_FD=""
STATUS=""

# ---- helpers -------------------------------------------------------------

die() {
	printf 'run.sh: FAILED: %s\n' "$*" >&2
	exit 1
}

note() {
	printf '%s\n' "$*"
}

# Microseconds since the epoch, without a fork.
now_us() {
	printf -v "$1" '%s' "${EPOCHREALTIME/./}"
}

# Sleeps $1 seconds (fractions allowed) without a fork: a read with a
# timeout on a FIFO we hold open for reading and writing, which never
# gets data and never sees EOF.
nap() {
	read -r -t "$1" -u "$NAP_FD" _ || true
}

# Load average, and the CPU pressure (share of the last 10 s in which some
# runnable task waited for a CPU) where the kernel has PSI.
loadavg() {
	local a b c rest avg10
	read -r a b c rest </proc/loadavg
	printf '%s %s %s' "$a" "$b" "$c"
	if [[ -r /proc/pressure/cpu ]] && read -r _ avg10 rest </proc/pressure/cpu; then
		printf ', cpu pressure %s%%' "${avg10#avg10=}"
	fi
}

section() {
	note ""
	note "== $1 (load average $(loadavg))"
}

want() {
	[[ -z $ONLY || ",$ONLY," == *",$1,"* ]]
}

# 1234567 -> 1,234,567
commas() {
	local n=$1 out=""
	while ((${#n} > 3)); do
		out=,${n: -3}$out
		n=${n:0:${#n}-3}
	done
	printf '%s%s' "$n" "$out"
}

# a / b with two decimals, for ratios.
ratio() {
	local a=$1 b=$2 r
	if ((b == 0)); then
		printf 'n/a'
		return
	fi
	r=$((a * 100 / b))
	printf '%d.%02d' $((r / 100)) $((r % 100))
}

median() {
	printf '%s\n' "$@" | sort -n | sed -n "$((($# + 1) / 2))p"
}

# A process still running (a zombie counts as gone).
alive() {
	local stat
	[[ -r /proc/$1/stat ]] || return 1
	read -r stat <"/proc/$1/stat" 2>/dev/null || return 1
	stat=${stat##*) }
	[[ ${stat%% *} != Z ]]
}

forget_pid() {
	local keep=() p
	for p in "${PIDS[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	PIDS=("${keep[@]}")
}

# TERM (again every second: one sent between fork and exec is lost), up
# to $2 seconds for it to go, then KILL; reaps it.
stop_pid() {
	local pid=$1 limit=${2:-30} i
	for ((i = 0; i < limit * 100; i++)); do
		((i % 100 != 0)) || kill -TERM "$pid" 2>/dev/null || true
		alive "$pid" || break
		nap 0.01
	done
	if alive "$pid"; then
		note "process $pid did not stop within ${limit} s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"
}

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${PIDS[@]}"; do
		stop_pid "$p" 10
	done
	if [[ -n $WORK && -d $WORK ]]; then
		if ((KEEP)); then
			note "work directory kept: $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

# ---- the daemon ----------------------------------------------------------

# start_daemon WORKERS [INI LINES...]: a fresh directory and INI (default
# configuration except the worker count and the lines given), then waits for
# "ready:".  Sets DPID DCFG DDIR DLOG, READY_LOG_S (the master's own figure)
# and READY_WALL_US (from just before the fork to the line, polled every
# 0.5 ms).
start_daemon() {
	local workers=$1 t0 t line deadline
	shift
	DCOUNT=$((DCOUNT + 1))
	DDIR=$WORK/d$DCOUNT
	mkdir -p "$DDIR"
	DCFG=$DDIR/poold.ini
	DLOG=$DDIR/poold.log
	{
		printf '[pool]\nworkers = %s\n' "$workers"
		if (($# > 0)); then
			printf '%s\n' "$@"
		fi
	} >"$DCFG"
	: >"$DLOG"
	now_us t0
	"$POOLD" -c "$DCFG" >/dev/null 2>>"$DLOG" {NAP_FD}<&- &
	DPID=$!
	PIDS+=("$DPID")
	deadline=$((t0 + 120000000))
	READY_LOG_S=""
	while [[ -z $READY_LOG_S ]]; do
		while IFS= read -r line; do
			if [[ $line =~ ready:\ [0-9]+\ workers\ in\ ([0-9.]+)\ s ]]; then
				READY_LOG_S=${BASH_REMATCH[1]}
				break
			fi
		done <"$DLOG"
		[[ -n $READY_LOG_S ]] && break
		now_us t
		alive "$DPID" || die "poold did not start; its log: $(tail -5 "$DLOG")"
		((t < deadline)) || die "poold not ready after 120 s; its log: $(tail -5 "$DLOG")"
		nap 0.0005
	done
	now_us t
	READY_WALL_US=$((t - t0))
}

# Graceful stop; a non-zero exit of poold is a failure.
stop_daemon() {
	local rc=0 i
	kill -TERM "$DPID"
	for ((i = 0; i < 6000; i++)); do
		alive "$DPID" || break
		nap 0.01
	done
	alive "$DPID" && die "poold (pid $DPID) did not stop within 60 s"
	wait "$DPID" || rc=$?
	forget_pid "$DPID"
	((rc == 0)) || die "poold exited with status $rc; its log: $(tail -5 "$DLOG")"
	DPID=""
}

pctl() {
	"$POOLCTL" -c "$DCFG" "$@"
}

pctl_wait() {
	pctl wait --timeout "$WAIT_TIMEOUT" >/dev/null || die "poolctl wait failed (exit $?)"
}

fifo() {
	printf '%s/poold.d/control' "$DDIR"
}

status_json() {
	STATUS=$(pctl status --json) || die "poolctl status failed"
}

# jget GROUP KEY [VAR]: a number from the last status_json.
jget() {
	local re="\"$1\":\\{[^}]*\"$2\":([0-9]+)"
	[[ $STATUS =~ $re ]] || die "no $1.$2 in status: $STATUS"
	if [[ -n ${3:-} ]]; then
		printf -v "$3" '%s' "${BASH_REMATCH[1]}"
	else
		printf '%s' "${BASH_REMATCH[1]}"
	fi
}

# check_jobs EXPECTED: every job accepted is done, none failed, none lost.
check_jobs() {
	local want=$1 acc ndone failed tout rej queued infl restarts
	status_json
	jget jobs accepted acc
	jget jobs "done" ndone
	jget jobs failed failed
	jget jobs timed_out tout
	jget jobs rejected rej
	jget jobs queued queued
	jget jobs in_flight infl
	jget worker_exits restarts restarts
	if ((acc != want || ndone != want || failed != 0 || tout != 0 || rej != 0)); then
		die "jobs lost or failed: expected $want; accepted $acc, done $ndone, failed $failed," \
			"timed out $tout, rejected $rej, queued $queued, in flight $infl"
	fi
	((restarts == 0)) || note "  note: $restarts worker restarts (see $DLOG)"
}

vm_kib() { # vm_kib PID FIELD -> kB from /proc/PID/status
	local k v rest
	while read -r k v rest; do
		if [[ $k == "$2:" ]]; then
			printf '%s' "$v"
			return
		fi
	done <"/proc/$1/status"
	printf '0'
}

# Averages Pss, Private_Dirty and Private_Clean+Private_Dirty (kB) over the
# daemon's workers; sets W_PSS W_PDIRTY W_PRIV W_N.
worker_memory() {
	local pid k v rest pss=0 pd=0 pc=0 n=0
	for pid in $(pgrep -P "$DPID"); do
		while read -r k v rest; do
			case $k in
			Pss:) pss=$((pss + v)) ;;
			Private_Dirty:) pd=$((pd + v)) ;;
			Private_Clean:) pc=$((pc + v)) ;;
			esac
		done <"/proc/$pid/smaps_rollup"
		n=$((n + 1))
	done
	((n > 0)) || die "no workers found under pid $DPID"
	W_N=$n
	W_PSS=$((pss / n))
	W_PDIRTY=$((pd / n))
	W_PRIV=$(((pc + pd) / n))
}

# ---- set-up --------------------------------------------------------------

build() {
	section "build"
	grep -q 'option(POOLD_TESTS' "$ROOT/CMakeLists.txt" || die "CMakeLists.txt has no POOLD_TESTS option"
	cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DPOOLD_TESTS=OFF >"$WORK/cmake.log" 2>&1 ||
		die "cmake configure failed: $(tail -20 "$WORK/cmake.log")"
	cmake --build "$BUILD" -j "$(nproc)" >>"$WORK/cmake.log" 2>&1 ||
		die "build failed: $(tail -20 "$WORK/cmake.log")"
	POOLD=$BUILD/poold
	POOLCTL=$BUILD/poolctl
	local h
	for h in naive pace listener pingpong forks writedone; do
		# shellcheck disable=SC2046 # pkg-config's flags are words
		"$CC" -O2 -std=c11 -Wall -Wextra -o "$BUILD/bench-$h" "$BENCH/$h.c" \
			$([[ $h != writedone ]] || pkg-config --cflags --libs jansson) ||
			die "cannot build bench/$h.c"
	done
	WRITEDONE=$BUILD/bench-writedone
	NAIVE=$BUILD/bench-naive
	PACE=$BUILD/bench-pace
	LISTENER=$BUILD/bench-listener
	PINGPONG=$BUILD/bench-pingpong
	FORKS=$BUILD/bench-forks
	note "poold, poolctl: $BUILD (Release); helpers: $CC -O2 bench/{naive,pace,listener,pingpong,forks,writedone}.c"
}

machine() {
	local model kernel debian ccv libev inih glibc cmakev commit
	# No "| head" here or below: with pipefail, a writer killed by SIGPIPE
	# would end the run.
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | awk 'NR == 1')
	kernel=$(uname -r)
	debian=$(cat /etc/debian_version 2>/dev/null || echo unknown)
	ccv=$("$CC" --version | awk 'NR == 1')
	libev=$(dpkg-query -W -f='${Version}' libev4 2>/dev/null || echo unknown)
	inih=$(dpkg-query -W -f='${Version}' libinih1 2>/dev/null || echo unknown)
	glibc=$(ldd --version | awk 'NR == 1 { print $NF }')
	cmakev=$(cmake --version | awk 'NR == 1 { print $NF }')
	commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	if [[ -n $(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null) ]]; then
		commit+=" with uncommitted changes"
	fi
	R[machine]="nproc $(nproc); CPU ${model:-unknown}; kernel $kernel; Debian $debian; $ccv; libev $libev; inih $inih; glibc $glibc; cmake $cmakev; poold at commit $commit"
	R[load_start]=$(loadavg)
	note "machine: ${R[machine]}"
	note "mode: $MODE; load average at start: ${R[load_start]}"
}

gen_files() {
	note "generating job files in $WORK"
	awk -v n="$N_NOOP" 'BEGIN { for (i = 0; i < n; i++) print "noop" }' >"$WORK/noop.txt"
	if ((N_SCALE == N_NOOP)); then
		ln -s "$WORK/noop.txt" "$WORK/noop-scale.txt"
	else
		awk -v n="$N_SCALE" 'BEGIN { for (i = 0; i < n; i++) print "noop" }' >"$WORK/noop-scale.txt"
	fi
	awk -v n="$N_LOG" 'BEGIN { for (i = 1; i <= n; i++) print "log bench-" i }' >"$WORK/log.txt"
}

# ---- 1. end-to-end throughput --------------------------------------------

# bulk FILE N: submits the file with poolctl submit --fifo - (its line
# checks, then the FIFO, as poolctl submit did before it used the socket;
# or cat > FIFO when
# $3 is "cat") and returns when poolctl wait does; sets BULK_RATE (jobs/s).
# sched_ns PID: the process's CPU time and run-queue wait so far, in ns
# (/proc/PID/schedstat: "run wait slices"); "0 0" if unreadable.
sched_ns() {
	local run=0 wait=0 rest
	read -r run wait rest <"/proc/$1/schedstat" 2>/dev/null || true
	printf '%s %s' "${run:-0}" "${wait:-0}"
}

# Sets BULK_RATE (jobs/s), and BULK_CPU / BULK_WAIT: the master's CPU time
# and run-queue wait per job (ns) during the run.  CPU per job does not
# depend on the load; the wait is the machine (other processes, the
# daemon's own workers) holding the master off a CPU.
bulk() {
	local file=$1 n=$2 how=${3:-poolctl} t0 t1 r0 w0 r1 w1
	read -r r0 w0 <<<"$(sched_ns "$DPID")"
	now_us t0
	if [[ $how == cat ]]; then
		cat "$file" >"$(fifo)"
	else
		pctl submit --fifo - <"$file" || die "poolctl submit --fifo - failed"
	fi
	pctl_wait
	now_us t1
	read -r r1 w1 <<<"$(sched_ns "$DPID")"
	BULK_RATE=$((n * 1000000 / (t1 - t0)))
	BULK_CPU=$(((r1 - r0) / n))
	BULK_WAIT=$(((w1 - w0) / n))
}

run_throughput() {
	section "1. end-to-end throughput: $(commas "$N_NOOP") noop jobs per run, submit until poolctl wait returns, median of $RUNS"
	local w r total rates cats cpus waits
	for w in "${WORKER_COUNTS[@]}"; do
		start_daemon "$w"
		total=0
		rates=()
		cats=()
		cpus=()
		waits=()
		for ((r = 0; r < RUNS; r++)); do
			bulk "$WORK/noop.txt" "$N_NOOP" poolctl
			total=$((total + N_NOOP))
			check_jobs "$total"
			rates+=("$BULK_RATE")
			cpus+=("$BULK_CPU")
			waits+=("$BULK_WAIT")
		done
		for ((r = 0; r < RUNS; r++)); do
			bulk "$WORK/noop.txt" "$N_NOOP" cat
			total=$((total + N_NOOP))
			check_jobs "$total"
			cats+=("$BULK_RATE")
		done
		R[tp_$w]=$(median "${rates[@]}")
		R[tpcat_$w]=$(median "${cats[@]}")
		R[rss_$w]=$(vm_kib "$DPID" VmRSS)
		R[hwm_$w]=$(vm_kib "$DPID" VmHWM)
		R[tpcpu_$w]=$(median "${cpus[@]}")
		R[tpwait_$w]=$(median "${waits[@]}")
		printf '  %4s workers: poolctl --fifo  %11s jobs/s (runs: %s); master CPU %s ns/job, run-queue wait %s ns/job (medians)\n' "$w" \
			"$(commas "${R[tp_$w]}")" "${rates[*]}" "${R[tpcpu_$w]}" "${R[tpwait_$w]}"
		printf '  %4s          cat > FIFO       %11s jobs/s (runs: %s)\n' "" \
			"$(commas "${R[tpcat_$w]}")" "${cats[*]}"
		printf '  %4s          done == accepted == %s; master VmRSS %s kB, VmHWM %s kB\n' "" \
			"$(commas "$total")" "${R[rss_$w]}" "${R[hwm_$w]}"
		stop_daemon
	done
}

# ---- 2. the naive baseline -----------------------------------------------

run_naive() {
	section "2. naive baseline (bench/naive.c): $(commas "$N_NAIVE") task codes, random child, one 4-byte write each, median of $RUNS"
	local w r out rates
	for w in "${WORKER_COUNTS[@]}"; do
		rates=()
		for ((r = 0; r < RUNS; r++)); do
			out=$("$NAIVE" "$w" "$N_NAIVE") || die "naive $w failed"
			[[ $out =~ rate=([0-9]+) ]] || die "naive: unexpected output: $out"
			rates+=("${BASH_REMATCH[1]}")
		done
		R[naive_$w]=$(median "${rates[@]}")
		if [[ -n ${R[tp_$w]:-} ]]; then
			R[ratio_$w]=$(ratio "${R[tp_$w]}" "${R[naive_$w]}")
		fi
		printf '  %4s workers: %11s codes/s (runs: %s)  poold/naive %s\n' "$w" \
			"$(commas "${R[naive_$w]}")" "${rates[*]}" "${R[ratio_$w]:-n/a}"
	done
}

# ---- 3. latency ----------------------------------------------------------

# latency_run WORKERS RATE SECONDS BATCH_US KEY [stamp]: a fresh daemon (so
# its histogram holds this run only), the pacer, then the master's
# quantiles.  With "stamp", the pacer keeps each line's write time and the
# daemon every job's record ([results] keep), and write_done prints the
# write(2)-to-done quantiles of the same jobs.
latency_run() {
	local w=$1 rate=$2 secs=$3 batch=$4 key=$5 stamp=${6:-} out lines achieved behind
	local keep=() sflag=()
	if [[ -n $stamp ]]; then
		keep=("[results]" "keep = $(((rate * secs) + 1000))")
		sflag=(-s "$WORK/stamps")
	fi
	start_daemon "$w" "${keep[@]}"
	out=$("$PACE" -r "$rate" -d "$secs" -b "$batch" "${sflag[@]}" "$(fifo)") || die "pace failed"
	[[ $out =~ lines=([0-9]+).*rate=([0-9]+).*behind_ms=([0-9.]+) ]] || die "pace: $out"
	lines=${BASH_REMATCH[1]}
	achieved=${BASH_REMATCH[2]}
	behind=${BASH_REMATCH[3]}
	pctl_wait
	check_jobs "$lines"
	R[${key}_rate]=$achieved
	R[${key}_p50]=$(jget latency p50_us)
	R[${key}_p99]=$(jget latency p99_us)
	R[${key}_p999]=$(jget latency p999_us)
	R[${key}_max]=$(jget latency max_us)
	printf '  %4s workers at %11s jobs/s (achieved %11s, pacer %s ms late at worst): p50 %s us, p99 %s us, p99.9 %s us, max %s us (%s jobs)\n' \
		"$w" "$(commas "$rate")" "$(commas "$achieved")" "$behind" "${R[${key}_p50]}" \
		"${R[${key}_p99]}" "${R[${key}_p999]}" "${R[${key}_max]}" "$(commas "$(jget latency count)")"
	[[ -z $stamp ]] || write_done "$key" "$lines"
	stop_daemon
}

# write_done KEY LINES: the same jobs from the pacer's write(2) to the
# master's completion record (bench/writedone.c: exact quantiles of every
# job, no buckets), and the two parts: write to the master's read of the
# line (intake), that read to the completion (master).
write_done() {
	local key=$1 lines=$2 out
	pctl jobs --kind noop --limit "$lines" --json >"$WORK/jobs.json" || die "poolctl jobs failed"
	out=$("$WRITEDONE" -t 100 "$WORK/stamps" "$WORK/jobs.json") || die "writedone failed"
	[[ $out =~ p50_us=([0-9.]+)\ p99_us=([0-9.]+)\ p999_us=([0-9.]+)\ max_us=([0-9.]+).*within_pct=([0-9.]+)\ intake_p50_us=([0-9.]+)\ intake_p99_us=([0-9.]+)\ master_p50_us=([0-9.]+)\ master_p99_us=([0-9.]+)\ early=([0-9]+)\ early_max_us=([0-9.]+) ]] ||
		die "writedone: $out"
	R[wd_${key}_p50]=${BASH_REMATCH[1]}
	R[wd_${key}_p99]=${BASH_REMATCH[2]}
	R[wd_${key}_p999]=${BASH_REMATCH[3]}
	R[wd_${key}_within]=${BASH_REMATCH[5]}
	R[wd_${key}_intake99]=${BASH_REMATCH[7]}
	R[wd_${key}_master99]=${BASH_REMATCH[9]}
	printf '  %4s write(2) to done, same jobs, exact:                           p50 %s us, p99 %s us, p99.9 %s us, max %s us; %s%% within 100 us\n' \
		"" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}" "${BASH_REMATCH[5]}"
	printf '  %4s   of which write to the read of the line p50 %s / p99 %s us; read to completion p50 %s / p99 %s us (loop time; %s lines read in an iteration begun before their write, up to %s us before)\n' \
		"" "${BASH_REMATCH[6]}" "${BASH_REMATCH[7]}" "${BASH_REMATCH[8]}" "${BASH_REMATCH[9]}" \
		"${BASH_REMATCH[10]}" "${BASH_REMATCH[11]}"
	rm -f "$WORK/stamps" "$WORK/jobs.json"
}

# floor_run KEY: the machine's pipe round trip at 10,000/s, for as long as a
# latency run, just before it.
floor_run() {
	local out
	out=$("$PINGPONG" -r 10000 -n $((LAT_SECONDS * 10000))) || die "pingpong failed"
	[[ $out =~ p50_us=([0-9]+)\ p99_us=([0-9]+)\ p999_us=([0-9]+)\ max_us=([0-9]+) ]] ||
		die "pingpong: $out"
	R[floor_$1_p50]=${BASH_REMATCH[1]}
	R[floor_$1_p99]=${BASH_REMATCH[2]}
	R[floor_$1_p999]=${BASH_REMATCH[3]}
	printf '  %4s floor: pipe round trip                                          p50 %s us, p99 %s us, p99.9 %s us, max %s us\n' \
		"" "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}" "${BASH_REMATCH[3]}" "${BASH_REMATCH[4]}"
}

run_latency() {
	section "3. latency: accepted to done, as the master measures it (FIFO line read to completion record read, event-loop time, log-linear buckets within 3.2%), and from the writer's write(2) to done"
	local w rate
	note "  steady 10,000 jobs/s for ${LAT_SECONDS} s, one write(2) per line every 100 us (bench/pace.c);"
	note "  each run follows a floor run: a bare pipe round trip to a second process at the same rate (bench/pingpong.c)"
	note "  and is also timed from the pacer's write(2) to the completion, every job (bench/writedone.c; [results] keep holds them all)"
	for w in "${WORKER_COUNTS[@]}"; do
		floor_run "$w"
		latency_run "$w" 10000 "$LAT_SECONDS" 100 "lat_$w" stamp
	done
	note "  near saturation: ${SAT_PERCENT}% of the bulk rate measured in section 1, for ${SAT_SECONDS} s, batches every 1 ms:"
	for w in "${WORKER_COUNTS[@]}"; do
		if [[ -z ${R[tp_$w]:-} ]]; then
			note "  $w workers: no bulk rate measured (run the throughput section); skipped"
			continue
		fi
		rate=${R[tp_$w]}
		rate=$((rate * SAT_PERCENT / 100))
		latency_run "$w" "$rate" "$SAT_SECONDS" 1000 "sat_$w"
	done
}

# ---- 4. scale ------------------------------------------------------------

run_scale() {
	section "4. scale: 1000 workers"
	local r logs=() walls=() t0 t1
	for ((r = 0; r < READY_STARTS; r++)); do
		((r == 0)) || stop_daemon
		start_daemon 1000
		logs+=("$READY_LOG_S")
		walls+=("$READY_WALL_US")
	done
	R[ready_log]=$(median "${logs[@]}")
	R[ready_wall_ms]=$(($(median "${walls[@]}") / 1000))
	note "  start to READY: master's figure ${R[ready_log]} s (runs: ${logs[*]}); exec to the \"ready:\" line ${R[ready_wall_ms]} ms (runs, us: ${walls[*]})"
	R[rss_ready]=$(vm_kib "$DPID" VmRSS)
	worker_memory
	R[w_pss0]=$W_PSS
	R[w_pdirty0]=$W_PDIRTY
	R[w_priv0]=$W_PRIV
	note "  at READY: master VmRSS ${R[rss_ready]} kB; per worker (mean of $W_N): Pss $W_PSS kB, Private_Dirty $W_PDIRTY kB, Private (clean+dirty) $W_PRIV kB"
	bulk "$WORK/noop-scale.txt" "$N_SCALE" poolctl
	check_jobs "$N_SCALE"
	R[rss_after]=$(vm_kib "$DPID" VmRSS)
	R[hwm_after]=$(vm_kib "$DPID" VmHWM)
	worker_memory
	R[w_pss]=$W_PSS
	R[w_pdirty]=$W_PDIRTY
	R[w_priv]=$W_PRIV
	note "  after $(commas "$N_SCALE") noop jobs ($(commas "$BULK_RATE") jobs/s): master VmRSS ${R[rss_after]} kB (VmHWM ${R[hwm_after]} kB); per worker: Pss $W_PSS kB, Private_Dirty $W_PDIRTY kB, Private $W_PRIV kB"
	now_us t0
	stop_daemon
	now_us t1
	R[stop_1000_ms]=$(((t1 - t0) / 1000))
	note "  graceful stop (TERM to exit) with 1000 workers: ${R[stop_1000_ms]} ms"
}

# ---- 5. real jobs --------------------------------------------------------

# The log file must hold exactly N_LOG whole lines, each "TS job=ID TEXT",
# every text once.
check_log_file() {
	local file=$1 lines bad uniq
	lines=$(wc -l <"$file")
	bad=$(grep -cvE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z job=[0-9]+ bench-[0-9]+$' "$file" || true)
	uniq=$(cut -d' ' -f3 "$file" | sort -u | wc -l)
	if ((lines != N_LOG || bad != 0 || uniq != N_LOG)); then
		die "log file $file: $lines lines (want $N_LOG), $bad malformed or torn, $uniq distinct texts"
	fi
}

run_log() {
	section "5a. log jobs: $(commas "$N_LOG") lines into one file (one O_APPEND write each), submit until wait returns, median of $RUNS"
	local w r rates
	for w in 2 4; do
		start_daemon "$w"
		rates=()
		for ((r = 1; r <= RUNS; r++)); do
			bulk "$WORK/log.txt" "$N_LOG" poolctl
			rates+=("$BULK_RATE")
			check_jobs $((r * N_LOG))
			check_log_file "$DDIR/poold.d/jobs.log"
			: >"$DDIR/poold.d/jobs.log" # the workers append at its new end
		done
		R[log_$w]=$(median "${rates[@]}")
		printf '  %s workers: %11s lines/s (runs: %s); %s lines a run, every one whole and well-formed, every text once\n' \
			"$w" "$(commas "${R[log_$w]}")" "${rates[*]}" "$(commas "$N_LOG")"
		stop_daemon
	done
}

# Seconds (us) that a command takes.
time_us() {
	local t0 t1
	now_us t0
	"$@"
	now_us t1
	TIME_US=$((t1 - t0))
}

cp_sync() {
	cp "$1" "$2"
	sync "$2"
}

backup_job() {
	pctl submit backup "$1" || die "poolctl submit backup failed"
	pctl_wait
}

run_backup() {
	section "5b. backup of a 1 GiB file vs cp (source in the page cache; sync before each timed copy)"
	local src=$CACHE/big-1g.bin dest r tb=() tcs=() tc=() mib=1024
	if [[ ! -f $src ]] || (($(stat -c %s "$src") != 1073741824)); then
		note "  creating $src from /dev/urandom (once; kept for later runs)"
		mkdir -p "$CACHE"
		dd if=/dev/urandom of="$src.tmp" bs=1M count=1024 status=none
		mv "$src.tmp" "$src"
	fi
	cat "$src" >/dev/null
	start_daemon 2 "[backup]" "dir = backups" "allow = $CACHE"
	# Each round a first generation (no earlier one to share the file with).
	dest=$DDIR/backups$src/@latest
	for ((r = 0; r < BACKUP_ROUNDS; r++)); do
		rm -rf "$DDIR/backups$src"
		rm -f "$WORK/cp-sync.bin" "$WORK/cp.bin"
		sync
		time_us backup_job "$src"
		tb+=("$TIME_US")
		if ((r == 0)); then
			cmp -s "$src" "$dest" || die "backup $dest differs from $src"
		fi
		sync
		time_us cp_sync "$src" "$WORK/cp-sync.bin"
		tcs+=("$TIME_US")
		rm -f "$WORK/cp-sync.bin"
		sync
		time_us cp "$src" "$WORK/cp.bin"
		tc+=("$TIME_US")
		rm -f "$WORK/cp.bin"
		sync
	done
	check_jobs "$BACKUP_ROUNDS"
	stop_daemon
	R[bk_us]=$(median "${tb[@]}")
	R[cps_us]=$(median "${tcs[@]}")
	R[cp_us]=$(median "${tc[@]}")
	R[bk_mibs]=$((mib * 1000000 / R[bk_us]))
	R[cps_mibs]=$((mib * 1000000 / R[cps_us]))
	R[cp_mibs]=$((mib * 1000000 / R[cp_us]))
	R[bk_vs_cps]=$(ratio "${R[cps_us]}" "${R[bk_us]}")
	R[bk_vs_cp]=$(ratio "${R[cp_us]}" "${R[bk_us]}")
	note "  median of $BACKUP_ROUNDS (us: backup ${tb[*]}; cp+sync ${tcs[*]}; cp ${tc[*]}):"
	note "  backup job (temp, fsync, rename, dir fsync) ${R[bk_mibs]} MiB/s; cp + sync FILE ${R[cps_mibs]} MiB/s; cp alone (not durable) ${R[cp_mibs]} MiB/s"
	note "  backup speed / cp+sync speed: ${R[bk_vs_cps]}x; backup / cp alone: ${R[bk_vs_cp]}x; the copy equals its source (cmp)"
}

run_net() {
	local nports=8 ports=() w lpid accepted tw
	section "5c. net probes against a loopback listener (bench/listener.c, $nports ports), $(commas "$N_NET") per run"
	: >"$WORK/listener.port"
	"$LISTENER" "$nports" >>"$WORK/listener.port" 2>"$WORK/listener.err" {NAP_FD}<&- &
	lpid=$!
	PIDS+=("$lpid")
	while ((${#ports[@]} < nports)); do
		alive "$lpid" || die "listener did not start: $(cat "$WORK/listener.err")"
		mapfile -t ports <"$WORK/listener.port"
		((${#ports[@]} == nports)) || nap 0.01
	done
	# Round robin over the ports: the TIME_WAIT every probe leaves is per
	# destination, so the kernel's ephemeral port search stays cheap.
	awk -v n="$N_NET" -v p="${ports[*]}" \
		'BEGIN { k = split(p, port, " "); for (i = 0; i < n; i++) print "net 127.0.0.1:" port[i % k + 1] }' \
		>"$WORK/net.txt"
	for w in 2 4; do
		start_daemon "$w"
		bulk "$WORK/net.txt" "$N_NET" poolctl
		check_jobs "$N_NET"
		R[net_$w]=$BULK_RATE
		printf '  %s workers: %9s probes/s, all %s connected\n' "$w" "$(commas "$BULK_RATE")" \
			"$(commas "$N_NET")"
		stop_daemon
	done
	stop_pid "$lpid"
	accepted=$(sed -n 's/^listener: accepted //p' "$WORK/listener.err")
	tw=$(ss -Htan state time-wait 2>/dev/null | wc -l || true)
	note "  the listener accepted $(commas "${accepted:-0}") connections for $(commas $((2 * N_NET))) probes (fewer when"
	note "  its accept queue overflowed: the kernel completes the handshake alone); TIME_WAIT sockets now: $(commas "$tw")"
}

# ---- 6. reload under load ------------------------------------------------

run_reload() {
	local rate ppid t0 t next done_prev=0 t_prev done_now ready retiring wanted
	local hup1=0 hup2=0 out lines rates=() dt r i lo events="" why
	if [[ -n ${R[tp_4]:-} ]]; then
		rate=$((R[tp_4] * 60 / 100))
		why="60% of the 4-worker bulk rate"
	else
		rate=1200000
		why="fixed: no bulk rate measured in this run"
	fi
	section "6. reload under load: 4 workers, noop at $(commas "$rate") jobs/s ($why) for ${RELOAD_SECONDS} s; HUP to 8 workers at 1.5 s, back to 4 at 3.5 s"
	start_daemon 4
	"$PACE" -r "$rate" -d "$RELOAD_SECONDS" -b 1000 "$(fifo)" >"$DDIR/pace.out" {NAP_FD}<&- &
	ppid=$!
	PIDS+=("$ppid")
	now_us t0
	t_prev=$t0
	next=$t0
	note "  (done counter from poolctl status --json every 100 ms; a window is the jobs that ended in it)"
	note "  at_ms       jobs/s  workers ready/wanted/retiring"
	while alive "$ppid"; do
		next=$((next + 100000))
		now_us t
		if ((next > t)); then
			dt=$((next - t))
			nap "$((dt / 1000000)).$(printf '%06d' $((dt % 1000000)))"
		fi
		status_json
		now_us t
		jget jobs "done" done_now
		jget workers ready ready
		jget workers wanted wanted
		jget workers retiring retiring
		r=$(((done_now - done_prev) * 1000000 / (t - t_prev)))
		rates+=("$r")
		printf '  %5d %12s  %s/%s/%s%s\n' $(((t - t0) / 1000)) "$(commas "$r")" "$ready" "$wanted" \
			"$retiring" "$events"
		events=""
		done_prev=$done_now
		t_prev=$t
		if ((!hup1 && t - t0 >= 1500000)); then
			sed -i 's/^workers = .*/workers = 8/' "$DCFG"
			kill -HUP "$DPID"
			hup1=1
			events="   <- HUP sent: 8 workers"
		elif ((!hup2 && t - t0 >= 3500000)); then
			sed -i 's/^workers = .*/workers = 4/' "$DCFG"
			kill -HUP "$DPID"
			hup2=1
			events="   <- HUP sent: 4 workers"
		fi
	done
	wait "$ppid" || die "pace failed"
	forget_pid "$ppid"
	out=$(cat "$DDIR/pace.out")
	[[ $out =~ lines=([0-9]+) ]] || die "pace: $out"
	lines=${BASH_REMATCH[1]}
	pctl_wait
	check_jobs "$lines"
	((hup1 && hup2)) || note "  note: the run ended before both HUPs were sent"
	# The first window holds start-up and the last one the pacer's end: both
	# are left out of the median and the lowest window.
	if ((${#rates[@]} > 3)); then
		rates=("${rates[@]:1:${#rates[@]}-2}")
	fi
	R[reload_median]=$(median "${rates[@]}")
	lo=${rates[0]}
	for ((i = 1; i < ${#rates[@]}; i++)); do
		((rates[i] < lo)) && lo=${rates[i]}
	done
	R[reload_min]=$lo
	R[reload_lost]=0
	note "  pacer: $out"
	note "  median window $(commas "${R[reload_median]}") jobs/s, lowest $(commas "$lo") jobs/s; accepted == done == $(commas "$lines"): 0 jobs lost"
	stop_daemon
}

# ---- profile -------------------------------------------------------------

# perf_value FILE EVENT: a count from perf stat -x, output (0 if absent).
# ---- 8. round-two targets: durability, queue_limit, job mixes, start-up, instructions

# cat_rate WORKERS FILE N [INI LINES...]: a fresh daemon, the file through
# cat > FIFO until wait returns; sets CAT_RATE.
cat_rate() {
	local w=$1 file=$2 n=$3
	shift 3
	start_daemon "$w" "$@"
	bulk "$file" "$n" cat
	check_jobs "$n"
	CAT_RATE=$BULK_RATE
	CAT_CPU=$BULK_CPU
	stop_daemon
}

run_fsync() {
	section "8a. [journal] fsync = always against interval: 4 workers, $(commas "$N_NOOP") noop via cat > FIFO, alternating, median of $RUNS"
	local r al=() iv=()
	for ((r = 0; r < RUNS; r++)); do
		cat_rate 4 "$WORK/noop.txt" "$N_NOOP" "[journal]" "fsync = interval"
		iv+=("$CAT_RATE")
		cat_rate 4 "$WORK/noop.txt" "$N_NOOP" "[journal]" "fsync = always"
		al+=("$CAT_RATE")
	done
	R[fs_interval]=$(median "${iv[@]}")
	R[fs_always]=$(median "${al[@]}")
	note "  interval ${R[fs_interval]} jobs/s (runs: ${iv[*]}); always ${R[fs_always]} jobs/s (runs: ${al[*]}); always / interval $(ratio "${R[fs_always]}" "${R[fs_interval]}")"
}

run_qlimit() {
	section "8b. queue_limit 4,096 / 65,536 / 1,048,576 at 4 and 1000 workers: $(commas "$N_NOOP") noop via cat > FIFO, the settings alternating, median of $RUNS"
	local w q r lo hi rate
	for w in 4 1000; do
		lo=0
		hi=0
		declare -A qrates=() qcpus=()
		for ((r = 0; r < RUNS; r++)); do
			for q in 4096 65536 1048576; do
				cat_rate "$w" "$WORK/noop.txt" "$N_NOOP" "queue_limit = $q"
				qrates[$q]+=" $CAT_RATE"
				qcpus[$q]+=" $CAT_CPU"
			done
		done
		for q in 4096 65536 1048576; do
			# shellcheck disable=SC2086 # the runs, one word each
			R[ql_${w}_$q]=$(median ${qrates[$q]})
			# shellcheck disable=SC2086
			R[qlcpu_${w}_$q]=$(median ${qcpus[$q]})
			rate=${R[ql_${w}_$q]}
			((lo == 0 || rate < lo)) && lo=$rate
			((rate > hi)) && hi=$rate
			note "  $w workers, queue_limit $q: ${R[ql_${w}_$q]} jobs/s (runs:${qrates[$q]}), master CPU ${R[qlcpu_${w}_$q]} ns/job"
		done
		R[ql_${w}_lo]=$lo
		R[ql_${w}_hi]=$hi
		note "  $w workers: ${R[ql_${w}_4096]} / ${R[ql_${w}_65536]} / ${R[ql_${w}_1048576]} jobs/s; lowest / best $(ratio "$lo" "$hi"); master CPU ${R[qlcpu_${w}_4096]} / ${R[qlcpu_${w}_65536]} / ${R[qlcpu_${w}_1048576]} ns/job"
		unset qrates qcpus
	done
}

run_mix() {
	section "8c. job mixes, 4 workers, poolctl submit --fifo -: noop and a 10% log / 90% noop mix ($(commas "$N_SCALE") each), short log ($(commas "$N_LOG")), alternating, median of $RUNS; 4 KiB log lines against dd"
	local big out n_big=$((N_LOG / 20)) mib r noops=() logs=() mixes=()
	awk -v n="$N_SCALE" 'BEGIN { for (i = 1; i <= n; i++) print (i % 10 == 0 ? "log mix-" i : "noop") }' >"$WORK/mix.txt"
	big=$(head -c 4000 /dev/zero | tr '\0' 'x')
	awk -v n="$n_big" -v b="$big" 'BEGIN { for (i = 1; i <= n; i++) print "log " i " " b }' >"$WORK/big.txt"
	start_daemon 4
	# The parts and the mix in turn, so a busy stretch of the machine
	# falls on all three rather than on one.
	for ((r = 0; r < RUNS; r++)); do
		bulk "$WORK/noop-scale.txt" "$N_SCALE" poolctl
		noops+=("$BULK_RATE")
		bulk "$WORK/log.txt" "$N_LOG" poolctl
		logs+=("$BULK_RATE")
		bulk "$WORK/mix.txt" "$N_SCALE" poolctl
		mixes+=("$BULK_RATE")
	done
	R[mix_noop]=$(median "${noops[@]}")
	R[mix_log]=$(median "${logs[@]}")
	R[mix_mix]=$(median "${mixes[@]}")
	bulk "$WORK/big.txt" "$n_big" poolctl
	R[big_lines]=$BULK_RATE
	check_jobs $((RUNS * (2 * N_SCALE + N_LOG) + n_big))
	stop_daemon
	# What the parts predict: 10% of the jobs at the log rate, 90% at noop's.
	R[mix_pred]=$((1000000000 / (100000000 / R[mix_log] + 900000000 / R[mix_noop])))
	R[big_mibs]=$((R[big_lines] * 4010 / 1048576))
	out=$(dd if=/dev/zero of="$WORK/dd.out" bs=1M count=512 conv=fdatasync 2>&1) || die "dd failed: $out"
	rm -f "$WORK/dd.out"
	[[ $out =~ ([0-9.]+)\ (GB|MB)/s ]] || die "dd: $out"
	mib=${BASH_REMATCH[1]%.*}
	[[ ${BASH_REMATCH[2]} == GB ]] && mib=$((mib * 1000))
	R[dd_mibs]=$((mib * 1000000 / 1048576))
	note "  noop ${R[mix_noop]}/s (runs: ${noops[*]}), log ${R[mix_log]} lines/s (runs: ${logs[*]}), mix ${R[mix_mix]}/s (runs: ${mixes[*]}; the parts predict ${R[mix_pred]}/s: $(ratio "${R[mix_mix]}" "${R[mix_pred]}"))"
	note "  4 KiB log lines: ${R[big_lines]} lines/s, ${R[big_mibs]} MiB/s; dd bs=1M conv=fdatasync ${R[dd_mibs]} MiB/s ($(ratio "${R[big_mibs]}" "${R[dd_mibs]}"))"
}

run_forks() {
	section "8d. 1000 workers to READY against 1000 bare forks (bench/forks.c), alternating, median of $READY_STARTS"
	local r out fk=() rd=()
	for ((r = 0; r < READY_STARTS; r++)); do
		out=$("$FORKS" 1000) || die "forks failed"
		[[ $out =~ ms=([0-9]+) ]] || die "forks: $out"
		fk+=("${BASH_REMATCH[1]}")
		start_daemon 1000
		rd+=($((READY_WALL_US / 1000)))
		stop_daemon
	done
	R[forks_ms]=$(median "${fk[@]}")
	R[ready2_ms]=$(median "${rd[@]}")
	note "  bare forks ${R[forks_ms]} ms (runs: ${fk[*]}); poold exec to \"ready:\" ${R[ready2_ms]} ms (runs: ${rd[*]}); $(ratio "${R[ready2_ms]}" "${R[forks_ms]}")x"
}

run_instr() {
	section "8e. master instructions per noop job: callgrind, 4 workers, $(commas "$N_INSTR") jobs through poolctl submit --fifo - (start and stop included)"
	if ! command -v valgrind >/dev/null; then
		note "  valgrind not installed: skipped"
		return
	fi
	local d=$WORK/cg f ir
	mkdir -p "$d"
	printf '[pool]\nworkers = 4\n' >"$d/poold.ini"
	awk -v n="$N_INSTR" 'BEGIN { for (i = 0; i < n; i++) print "noop" }' >"$d/noop.txt"
	valgrind --tool=callgrind --callgrind-out-file="$d/cg.%p" "$POOLD" -c "$d/poold.ini" \
		>/dev/null 2>"$d/log" {NAP_FD}<&- &
	DPID=$!
	PIDS+=("$DPID")
	DCFG=$d/poold.ini
	DLOG=$d/log
	until grep -q 'ready:' "$d/log"; do
		alive "$DPID" || die "poold under valgrind did not start: $(tail -3 "$d/log")"
		nap 0.05
	done
	pctl submit --fifo - <"$d/noop.txt" || die "poolctl submit --fifo - failed"
	pctl_wait
	check_jobs "$N_INSTR"
	stop_daemon
	f=$(grep -l "^cmd: .*poold" "$d"/cg.* | xargs ls -S | head -n 1)
	ir=$(awk '/^summary:/ { print $2 }' "$f")
	R[ir_job]=$((ir / N_INSTR))
	note "  ${R[ir_job]} instructions per job in the master (user space, libraries included)"
}

perf_value() {
	awk -F, -v e="$2" '$3 == e { v = $1 } END { print (v ~ /^[0-9.]+$/) ? int(v) : 0 }' "$1"
}

perf_top() { # perf_top DATA LINES
	perf report -i "$1" --stdio --no-children --sort dso,symbol --percent-limit 1 2>/dev/null |
		awk -v n="$2" '/^#/ || NF == 0 { next }
			++k <= n { printf "    %s", $1; for (i = 2; i <= NF - 2; i++) printf " %s", $i; print "" }'
}

# Counts, then samples, for the master, the workers and poolctl separately,
# during 4-worker bulk runs.  Sampling is by cpu-clock (no PMU in most VMs),
# so kernel time spent with interrupts off lands on the function that turns
# them back on (_raw_spin_unlock_irqrestore: waking a pipe's reader;
# finish_task_switch: a context switch).
run_profile() {
	section "profile: 4 workers, $(commas "$N_NOOP") noop jobs per run, master, workers and poolctl profiled apart"
	command -v perf >/dev/null || {
		note "  perf not installed (apt-get install linux-perf); skipped"
		return
	}
	local events=task-clock,context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_write,syscalls:sys_enter_read
	local wl pm pw who f clock cs sys wr rd
	perf stat -x, -e "$events" -o /dev/null true 2>/dev/null || events=task-clock,context-switches
	start_daemon 4
	wl=$(pgrep -P "$DPID" | paste -sd,)
	perf stat -x, -e "$events" -p "$DPID" -o "$WORK/stat-master.csv" {NAP_FD}<&- &
	pm=$!
	perf stat -x, -e "$events" -p "$wl" -o "$WORK/stat-workers.csv" {NAP_FD}<&- &
	pw=$!
	PIDS+=("$pm" "$pw")
	nap 0.3
	perf stat -x, -e "$events" -o "$WORK/stat-poolctl.csv" -- "$POOLCTL" -c "$DCFG" submit --fifo - \
		<"$WORK/noop.txt" || die "poolctl submit --fifo - failed"
	pctl_wait
	kill -INT "$pm" "$pw"
	wait "$pm" "$pw" || true
	forget_pid "$pm"
	forget_pid "$pw"
	check_jobs "$N_NOOP"
	note "  per job, from perf stat (CPU time in ns; syscalls; jobs per write):"
	for who in master workers poolctl; do
		f=$WORK/stat-$who.csv
		clock=$(perf_value "$f" task-clock)
		cs=$(perf_value "$f" context-switches)
		sys=$(perf_value "$f" raw_syscalls:sys_enter)
		wr=$(perf_value "$f" syscalls:sys_enter_write)
		rd=$(perf_value "$f" syscalls:sys_enter_read)
		printf '    %-8s cpu %5s ns/job, %s syscalls (%s write, %s read), %s context switches; %s jobs per syscall\n' \
			"$who" "$(awk -v c="$clock" -v n="$N_NOOP" 'BEGIN { printf "%.0f", c * 1e6 / n }')" \
			"$(commas "$sys")" "$(commas "$wr")" "$(commas "$rd")" "$(commas "$cs")" \
			"$(awk -v s="$sys" -v n="$N_NOOP" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "n/a" }')"
	done
	perf record -F 2999 -p "$DPID" -o "$WORK/perf-master.data" {NAP_FD}<&- >/dev/null 2>&1 &
	pm=$!
	perf record -F 2999 -p "$wl" -o "$WORK/perf-workers.data" {NAP_FD}<&- >/dev/null 2>&1 &
	pw=$!
	PIDS+=("$pm" "$pw")
	nap 0.3
	perf record -F 2999 -o "$WORK/perf-poolctl.data" -- "$POOLCTL" -c "$DCFG" submit --fifo - \
		<"$WORK/noop.txt" >/dev/null 2>&1 || die "poolctl submit --fifo - failed"
	pctl_wait
	kill -INT "$pm" "$pw"
	wait "$pm" "$pw" || true
	forget_pid "$pm"
	forget_pid "$pw"
	check_jobs $((2 * N_NOOP))
	for who in master workers poolctl; do
		note "  top symbols, $who (perf record -F 2999, share of its samples):"
		perf_top "$WORK/perf-$who.data" 12
	done
	stop_daemon
}

# ---- plot and table ------------------------------------------------------

write_dat() {
	local w
	{
		printf '# workers poold_poolctl_jobs_s poold_cat_jobs_s naive_codes_s p99_10k_us p99_sat_us p99_floor_us\n'
		for w in "${WORKER_COUNTS[@]}"; do
			printf '%s %s %s %s %s %s %s\n' "$w" "${R[tp_$w]:-NaN}" "${R[tpcat_$w]:-NaN}" \
				"${R[naive_$w]:-NaN}" "${R[lat_${w}_p99]:-NaN}" "${R[sat_${w}_p99]:-NaN}" \
				"${R[floor_${w}_p99]:-NaN}"
		done
	} >"$RESULTS/throughput.dat"
}

run_plot() {
	section "7. plot"
	write_dat
	if ! command -v gnuplot >/dev/null; then
		note "  gnuplot not installed (apt-get install gnuplot-nox); wrote $RESULTS/throughput.dat only"
		return
	fi
	gnuplot <<EOF || die "gnuplot failed"
set terminal pngcairo size 1100,650 font "sans,10"
set output "$RESULTS/throughput.png"
set title "poold: noop jobs end to end, and p99 accepted-to-done latency, against worker count\\n($MODE run, $(nproc) CPUs, load average at start ${R[load_start]%%,*})"
set logscale x 2
set xtics ("1" 1, "2" 2, "4" 4, "64" 64, "1000" 1000)
set xlabel "workers"
set ylabel "million jobs (or task codes) per second"
set yrange [0:*]
set y2label "p99 latency, microseconds (log scale)"
set logscale y2 10
set format y2 "%.0f"
set y2tics
set ytics nomirror
set key outside below horizontal maxcols 3
set grid
plot "$RESULTS/throughput.dat" using 1:(\$2/1e6) with linespoints lw 2 pt 7 lc rgb "#1f4e9c" title "poold, poolctl submit --fifo - (jobs/s)", \\
     "" using 1:(\$3/1e6) with linespoints lw 1 pt 6 lc rgb "#4f8fdf" title "poold, cat > FIFO (jobs/s)", \\
     "" using 1:(\$4/1e6) with linespoints lw 2 pt 5 lc rgb "#555555" title "naive textbook pool (codes/s)", \\
     "" using 1:5 axes x1y2 with linespoints lw 2 dt 2 pt 9 lc rgb "#d62728" title "p99 at 10,000 jobs/s (right axis)", \\
     "" using 1:6 axes x1y2 with linespoints lw 1 dt 3 pt 11 lc rgb "#ff7f0e" title "p99 near saturation (right axis)", \\
     "" using 1:7 axes x1y2 with linespoints lw 1 dt 4 pt 13 lc rgb "#2ca02c" title "p99 floor: bare pipe round trip (right axis)"
EOF
	note "  wrote $RESULTS/throughput.png and $RESULTS/throughput.dat"
}

verdict() { # verdict OK?(0/1) -> PASS / MISS
	if (($1)); then printf 'PASS'; else printf 'MISS'; fi
}

# A figure with thousands separators, or "-" if it was not measured.
fig() {
	if [[ -n ${R[$1]:-} ]]; then
		commas "${R[$1]}"
	else
		printf -- '-'
	fi
}

# Prints the markdown table; a run of every section also writes it to
# results/results.md.
table() {
	local w v lo hi out=$WORK/results.md
	{
		printf '## Results (%s run, %s)\n\n' "$MODE" "$(date -u +%Y-%m-%dT%H:%MZ)"
		printf 'Machine: %s.  \n' "${R[machine]}"
		printf 'Load average at start %s, at end %s.  \n' "${R[load_start]}" "$(loadavg)"
		printf "Command: \`bench/run.sh%s\`\n\n" "$ARGS"
		printf '| workers | poolctl submit --fifo - (jobs/s) | cat > FIFO (jobs/s) | naive (codes/s) | poold / naive | 10k jobs/s: p50 / p99 / p99.9 (us) | 10k jobs/s, write(2) to done: p50 / p99 / p99.9 (us) | floor, pipe round trip: p50 / p99 / p99.9 (us) | near saturation: rate (jobs/s), p50 / p99 / p99.9 (us) | master VmRSS after the runs (kB) |\n'
		printf '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n'
		for w in "${WORKER_COUNTS[@]}"; do
			printf '| %s | %s | %s | %s | %s | %s / %s / %s | %s / %s / %s | %s / %s / %s | %s: %s / %s / %s | %s |\n' "$w" \
				"$(fig "tp_$w")" "$(fig "tpcat_$w")" "$(fig "naive_$w")" "${R[ratio_$w]:--}" \
				"$(fig "lat_${w}_p50")" "$(fig "lat_${w}_p99")" "$(fig "lat_${w}_p999")" \
				"${R[wd_lat_${w}_p50]:--}" "${R[wd_lat_${w}_p99]:--}" "${R[wd_lat_${w}_p999]:--}" \
				"$(fig "floor_${w}_p50")" "$(fig "floor_${w}_p99")" "$(fig "floor_${w}_p999")" \
				"$(fig "sat_${w}_rate")" "$(fig "sat_${w}_p50")" "$(fig "sat_${w}_p99")" \
				"$(fig "sat_${w}_p999")" "$(fig "rss_$w")"
		done
		printf '\n| figure | value |\n| --- | ---: |\n'
		printf '| 1000 workers: start to READY (master log) | %s s |\n' "${R[ready_log]:--}"
		printf '| 1000 workers: exec to "ready:" line (wall clock) | %s ms |\n' "${R[ready_wall_ms]:--}"
		printf '| 1000 workers: master VmRSS at READY / after %s jobs (VmHWM) | %s / %s (%s) kB |\n' \
			"$(commas "$N_SCALE")" "${R[rss_ready]:--}" "${R[rss_after]:--}" "${R[hwm_after]:--}"
		printf '| 1000 workers: per worker Pss / Private_Dirty / Private, at READY | %s / %s / %s kB |\n' \
			"${R[w_pss0]:--}" "${R[w_pdirty0]:--}" "${R[w_priv0]:--}"
		printf '| 1000 workers: per worker Pss / Private_Dirty / Private, after jobs | %s / %s / %s kB |\n' \
			"${R[w_pss]:--}" "${R[w_pdirty]:--}" "${R[w_priv]:--}"
		printf '| 1000 workers: graceful stop | %s ms |\n' "${R[stop_1000_ms]:--}"
		printf '| log lines/s, 2 / 4 workers (%s lines, none torn) | %s / %s |\n' "$(commas "$N_LOG")" \
			"$(fig log_2)" "$(fig log_4)"
		printf '| backup 1 GiB / cp + sync / cp alone | %s / %s / %s MiB/s |\n' "${R[bk_mibs]:--}" \
			"${R[cps_mibs]:--}" "${R[cp_mibs]:--}"
		printf '| backup speed vs cp + sync / vs cp alone | %sx / %sx |\n' "${R[bk_vs_cps]:--}" \
			"${R[bk_vs_cp]:--}"
		printf '| net probes/s, 2 / 4 workers (loopback, %s each) | %s / %s |\n' "$(commas "$N_NET")" \
			"$(fig net_2)" "$(fig net_4)"
		printf '| reload 4 -> 8 -> 4 under load: median / lowest 100 ms window, jobs lost | %s / %s jobs/s, %s |\n' \
			"$(fig reload_median)" "$(fig reload_min)" "${R[reload_lost]:--}"
		printf '\n| target | measured | verdict |\n| --- | --- | --- |\n'
		if [[ -n ${R[tp_4]:-} ]]; then
			printf '| >= 2,000,000 noop jobs/s, 4 workers | %s | %s |\n' "$(commas "${R[tp_4]}")" \
				"$(verdict $((R[tp_4] >= 2000000)))"
		fi
		if [[ -n ${R[tp_4]:-} && -n ${R[naive_4]:-} ]]; then
			printf '| >= 2x naive, 4 workers | %sx | %s |\n' "${R[ratio_4]}" \
				"$(verdict $((R[tp_4] >= 2 * R[naive_4])))"
		fi
		if [[ -n ${R[lat_4_p99]:-} ]]; then
			printf '| p99 <= 100 us at 10k jobs/s (4 workers; all counts in the table) | %s us (floor %s us) | %s |\n' \
				"${R[lat_4_p99]}" "${R[floor_4_p99]:--}" "$(verdict $((R[lat_4_p99] <= 100)))"
		fi
		if [[ -n ${R[wd_lat_4_p99]:-} ]]; then
			v=$(awk -v p="${R[wd_lat_4_p99]}" 'BEGIN { print (p <= 100) }')
			printf "| p99 <= 100 us at 10k jobs/s, from the writer's write(2) to done (4 workers; exact) | %s us (%s%% within 100 us; write to read p99 %s, read to completion p99 %s; floor %s us) | %s |\n" \
				"${R[wd_lat_4_p99]}" "${R[wd_lat_4_within]}" "${R[wd_lat_4_intake99]}" \
				"${R[wd_lat_4_master99]}" "${R[floor_4_p99]:--}" "$(verdict "$v")"
		fi
		if [[ -n ${R[ready_log]:-} ]]; then
			v=$((R[ready_wall_ms] <= 1000))
			printf '| 1000 workers READY <= 1 s (wall clock) | %s ms | %s |\n' "${R[ready_wall_ms]}" \
				"$(verdict "$v")"
			v=$((R[rss_ready] <= 16384 && R[rss_after] <= 16384))
			printf '| master RSS <= 16 MiB (1000 workers, at READY and after jobs) | %s / %s kB | %s |\n' \
				"${R[rss_ready]}" "${R[rss_after]}" "$(verdict "$v")"
			v=$((R[w_priv] <= 256 && R[w_priv0] <= 256))
			printf '| <= 256 KiB private memory per worker (Private clean+dirty) | %s kB | %s |\n' \
				"${R[w_priv]}" "$(verdict "$v")"
		fi
		if [[ -n ${R[log_4]:-} ]]; then
			printf '| log >= 1,000,000 short lines/s, 4 workers (2 workers: %s) | %s | %s |\n' \
				"$(commas "${R[log_2]}")" "$(commas "${R[log_4]}")" "$(verdict $((R[log_4] >= 1000000)))"
		fi
		if [[ -n ${R[bk_us]:-} ]]; then
			printf '| backup >= 0.8x cp + sync | %sx | %s |\n' "${R[bk_vs_cps]}" \
				"$(verdict $((R[cps_us] * 10 >= R[bk_us] * 8)))"
		fi
		if [[ -n ${R[tp_4]:-} && -n ${R[tp_1000]:-} ]]; then
			v=$((R[tp_1000] * 10 >= R[tp_4] * 9))
			printf '| 1000 workers >= 0.9x the 4-worker noop rate (poolctl --fifo) | %s -> %s (%sx); master CPU %s -> %s ns/job, run-queue wait %s -> %s | %s |\n' \
				"$(commas "${R[tp_4]}")" "$(commas "${R[tp_1000]}")" \
				"$(ratio "${R[tp_1000]}" "${R[tp_4]}")" "${R[tpcpu_4]}" "${R[tpcpu_1000]}" \
				"${R[tpwait_4]}" "${R[tpwait_1000]}" "$(verdict "$v")"
		fi
		if [[ -n ${R[fs_always]:-} ]]; then
			printf '| fsync = always >= 0.5x interval (4 workers, cat) | %s / %s (%sx) | %s |\n' \
				"$(commas "${R[fs_always]}")" "$(commas "${R[fs_interval]}")" \
				"$(ratio "${R[fs_always]}" "${R[fs_interval]}")" \
				"$(verdict $((R[fs_always] * 2 >= R[fs_interval])))"
		fi
		for w in 4 1000; do
			[[ -n ${R[ql_${w}_lo]:-} ]] || continue
			lo=${R[ql_${w}_lo]}
			hi=${R[ql_${w}_hi]}
			printf '| no queue_limit cliff, %s workers: 4,096 / 65,536 / 1,048,576 within 10%% of the best | %s / %s / %s (lowest %sx); master CPU %s / %s / %s ns/job | %s |\n' \
				"$w" "$(fig "ql_${w}_4096")" "$(fig "ql_${w}_65536")" "$(fig "ql_${w}_1048576")" \
				"$(ratio "$lo" "$hi")" "${R[qlcpu_${w}_4096]}" "${R[qlcpu_${w}_65536]}" \
				"${R[qlcpu_${w}_1048576]}" "$(verdict $((lo * 10 >= hi * 9)))"
		done
		if [[ -n ${R[mix_mix]:-} ]]; then
			printf '| 10%% log / 90%% noop >= 0.9x what its parts predict | %s / %s (%sx) | %s |\n' \
				"$(commas "${R[mix_mix]}")" "$(commas "${R[mix_pred]}")" \
				"$(ratio "${R[mix_mix]}" "${R[mix_pred]}")" \
				"$(verdict $((R[mix_mix] * 10 >= R[mix_pred] * 9)))"
			printf '| 4 KiB log lines >= 0.8x the disk (dd bs=1M conv=fdatasync) | %s / %s MiB/s (%sx) | %s |\n' \
				"${R[big_mibs]}" "${R[dd_mibs]}" "$(ratio "${R[big_mibs]}" "${R[dd_mibs]}")" \
				"$(verdict $((R[big_mibs] * 10 >= R[dd_mibs] * 8)))"
		fi
		if [[ -n ${R[forks_ms]:-} ]]; then
			printf '| 1000 workers to READY <= 1.2x 1000 bare forks | %s / %s ms (%sx) | %s |\n' \
				"${R[ready2_ms]}" "${R[forks_ms]}" "$(ratio "${R[ready2_ms]}" "${R[forks_ms]}")" \
				"$(verdict $((R[ready2_ms] * 10 <= R[forks_ms] * 12)))"
		fi
		if [[ -n ${R[ir_job]:-} ]]; then
			printf '| master instructions per noop job <= 1,000 (callgrind, %s jobs) | %s | %s |\n' \
				"$(commas "$N_INSTR")" "$(commas "${R[ir_job]}")" "$(verdict $((R[ir_job] <= 1000)))"
		fi
	} >"$out"
	if [[ -z $ONLY ]]; then
		cp "$out" "$RESULTS/results.md"
		section "results (markdown, also in $RESULTS/results.md)"
	else
		section "results of the sections run (markdown)"
	fi
	cat "$out"
}

# ---- main ----------------------------------------------------------------

ARGS=""
[[ $MODE == quick ]] && ARGS+=" --quick"
[[ -n $ONLY ]] && ARGS+=" --only $ONLY"
((PROFILE)) && ARGS+=" --profile"
for s in ${ONLY//,/ }; do
	[[ " ${ALL_SECTIONS[*]} " == *" $s "* ]] || {
		printf 'run.sh: unknown section %s\n' "$s" >&2
		exit 64
	}
done

trap cleanup EXIT
trap 'exit 130' INT TERM
WORK=$(mktemp -d /tmp/poold-bench.XXXXXX)
mkfifo "$WORK/nap"
exec {NAP_FD}<>"$WORK/nap"
mkdir -p "$RESULTS"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true # naive.c holds a pipe per child; poold raises its own limit

machine
build
gen_files
T_START=${EPOCHREALTIME/./}
want throughput && run_throughput
want naive && run_naive
want latency && run_latency
want scale && run_scale
want log && run_log
want backup && run_backup
want net && run_net
want reload && run_reload
want fsync && run_fsync
want qlimit && run_qlimit
want mix && run_mix
want forks && run_forks
want instr && run_instr
((PROFILE)) && run_profile
want plot && run_plot
table
note ""
note "total time $(((${EPOCHREALTIME/./} - T_START) / 1000000)) s (after the build); load average at end $(loadavg)"
