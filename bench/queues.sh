#!/bin/bash
# Queues and the message queue (issue 14), each beside the plain pool in
# the same run: noop jobs/s through the FIFO with no queue section
# (plain); with a [queue.NAME] holding noop under a concurrency cap that
# does not bind, every job still counted in and out (queue); the same
# with every other line `pri=9 noop`, so two priority levels take
# weighted turns (queue-pri); and the same noop jobs through the POSIX
# message queue (`poolctl submit --mq`, one mq_send per job: mq), and in
# the queue from two concurrent senders at message priorities 0 and 9
# (mq-pri, beside mq: the same intake).  Rounds alternate the setups;
# medians are printed with the load.  Not a test (exits 1 only if a job
# is lost or failed).
#   bench/queues.sh BUILD_DIR [COUNT] [ROUNDS]
set -eu -o pipefail
B=$(realpath -e "${1:?usage: bench/queues.sh BUILD_DIR [COUNT] [ROUNDS]}")
N=${2:-300000}
R=${3:-3}
W=$(mktemp -d /tmp/poold-bench-queues.XXXXXX)
MQ=/poold-bench-$$
PID=
cleanup() {
	[[ -n $PID ]] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -f "/dev/mqueue$MQ" 2>/dev/null || true
	"$B/tests/mqtool" unlink "$MQ" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

now() { date +%s.%N; }
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN { printf "%.0f", n / (b - a) }'; }
median() { tr ' ' '\n' | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print "noop" }' >"$W/jobs"
head -n $((N / 2)) "$W/jobs" >"$W/half"
awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) print (i % 2 ? "pri=9 noop" : "noop") }' >"$W/prijobs"

# run SETUP: jobs/s from the first submit until `poolctl wait` returns.
run() {
	local extra="" t0 t1 j acc ndone sp
	[[ $1 == queue* || $1 == mq-pri ]] && extra=$'[queue.q]\nkinds = noop\nconcurrency = 100000'
	mkdir -p "$W/run"
	rm -f "$W/run/journal"
	cat >"$W/p.ini" <<EOC
[pool]
workers = 2
[control]
fifo = $W/run/control
socket = $W/run/sock
mqueue = $MQ
[log]
file = $W/jobs.log
level = warning
[journal]
file = $W/run/journal
$extra
EOC
	"$B/poold" -c "$W/p.ini" 2>"$W/d.log" &
	PID=$!
	until "$B/poolctl" -c "$W/p.ini" status >/dev/null 2>&1; do sleep 0.05; done
	t0=$(now)
	case $1 in
	plain | queue) "$B/poolctl" -c "$W/p.ini" submit --fifo - <"$W/jobs" ;;
	queue-pri) "$B/poolctl" -c "$W/p.ini" submit --fifo - <"$W/prijobs" ;;
	mq-pri)
		"$B/poolctl" -c "$W/p.ini" submit --mq --priority 0 - <"$W/half" &
		sp=$!
		"$B/poolctl" -c "$W/p.ini" submit --mq --priority 9 - <"$W/half"
		wait "$sp"
		;;
	mq) "$B/poolctl" -c "$W/p.ini" submit --mq - <"$W/jobs" ;;
	esac
	until [[ $("$B/poolctl" -c "$W/p.ini" status --json | grep -o '"accepted":[0-9]*' | head -1 | cut -d: -f2) -ge $N ]]; do sleep 0.01; done
	"$B/poolctl" -c "$W/p.ini" wait --timeout 600s >/dev/null
	t1=$(now)
	j=$("$B/poolctl" -c "$W/p.ini" status --json)
	acc=$(grep -o '"jobs":{[^}]*}' <<<"$j" | grep -o '"accepted":[0-9]*' | cut -d: -f2)
	ndone=$(grep -o '"jobs":{[^}]*}' <<<"$j" | grep -o '"done":[0-9]*' | cut -d: -f2)
	kill "$PID"
	wait "$PID" || true
	PID=
	if [[ $acc != "$N" || $ndone != "$N" ]]; then
		echo "LOST in $1: accepted $acc, done $ndone of $N" >&2
		exit 1
	fi
	rate "$N" "$t0" "$t1"
}

declare -A got
for ((r = 1; r <= R; r++)); do
	for s in plain queue queue-pri mq mq-pri; do
		got[$s]="${got[$s]:-} $(run "$s")"
	done
done
read -r load _ </proc/loadavg
echo "noop jobs/s, 2 workers, $N jobs, median of $R rounds (load $load, $(nproc) cores):"
for s in plain queue queue-pri mq mq-pri; do
	printf '  %-10s %9s   (%s)\n' "$s" "$(echo "${got[$s]}" | median)" "${got[$s]# }"
done
ratio() { # ratio SETUP BASE
	awk -v a="$(echo "${got[$1]}" | median)" -v b="$(echo "${got[$2]}" | median)" \
		-v s="$1" -v t="$2" 'BEGIN { printf "  %-10s / %-6s %.2f\n", s, t ":", a / b }'
}
for s in queue queue-pri mq; do ratio "$s" plain; done
ratio mq-pri mq
