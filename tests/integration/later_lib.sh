# shellcheck shell=bash
#
# Helpers for the delayed-job tests (t_later*.sh), sourced after lib.sh:
# a job's due time from `poolctl job --json`, and whether it ran once, not
# before that time and within LATER_TOL seconds after it, measured from
# the job log's own timestamp (the worker writes it when the job runs).

# Late by at most this much (seconds, scaled): the timer looks at the wall
# clock at least every second, and a loaded machine runs the worker late.
LATER_TOL=$(awk -v k="$TIME_SCALE" 'BEGIN { print 5 * k }')

# job_due POOLCTL_ARGS... ID|key=K: the job's due time (Unix seconds).
job_due() {
	"$@" --json | grep -o '"due":[0-9.]*' | cut -d: -f2
}

# ran_at LOG TAG: the Unix time of the line for "log TAG" in job log LOG,
# which must be there exactly once.
ran_at() {
	local lines
	lines=$(grep -c " $2\$" "$1")
	[[ $lines == 1 ]] || fail "job $2 ran $lines times (log: $(grep " $2\$" "$1"))"
	date -u -d "$(grep " $2\$" "$1" | cut -d' ' -f1)" +%s.%N
}

# on_time LOG DUE TAG: TAG ran once, not before DUE, within LATER_TOL after.
on_time() {
	local r
	r=$(ran_at "$1" "$3")
	awk -v d="$2" -v r="$r" -v t="$LATER_TOL" 'BEGIN { exit !(r >= d && r <= d + t) }' ||
		fail "job $3 due at $2 ran at $r (not in [due, due + $LATER_TOL s])"
	log "${3:0:20}: due $2, ran $(awk -v d="$2" -v r="$r" 'BEGIN { printf "%.3f", r - d }') s after"
}
