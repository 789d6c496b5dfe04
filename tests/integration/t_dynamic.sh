#!/bin/bash
# [pool] mode = dynamic under load: the pool grows while jobs wait (one
# worker, then twice as many each second, up to max_workers), shrinks to
# min_workers once workers have been idle for idle_timeout, and runs
# every job exactly once through it all.
#
# So that jobs keep waiting however fast or slow the machine (the growth
# restarts at one worker whenever a tick finds the queue empty), every
# worker is stopped (SIGSTOP) as soon as the master has forked it, until
# the pool has its 6; then they all continue.  (The children are watched
# through /proc with no fork, so a new one is stopped before it runs many
# jobs even on a loaded machine.)  bench/dynamic.sh pushes a million jobs
# through the same pool and prints the figures.
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=200000 # the master takes a few batches in; the rest wait in the FIFO
write_config workers=1 inflight=1 queue_limit=250000 \
	extra_pool="mode = dynamic\nmin_workers = 1\nmax_workers = 6\nidle_timeout = 2s"
sed -i 's/\\n/\n/g' "$CONF"
start_daemon
declare -A stopped=()
AT_EXIT=('for p in "${!stopped[@]}"; do kill -CONT "$p" 2>/dev/null; done; true' "${AT_EXIT[@]}")
# The first worker too, before any job: the jobs must still wait when the
# first tick comes, however long the submission takes.
expect_workers 1
kill_worker STOP "${pids[0]}" && stopped[${pids[0]}]=1
# Submitted beside the loop below, so that a worker forked while the
# lines go in is stopped at once too.
gen_ids d "$N" >"$T/jobs.in"
bg_sh '"$POOLCTL" -c "$CONF" submit --fifo - <"$T/jobs.in"'
submitter=$BG_PID
mkfifo "$T/tick"
exec 8<>"$T/tick" # read -t on it: a 10 ms pause without forking sleep(1)
deadline=$(($(now_us) + $(scale_us 120)))
i=0
while :; do
	mapfile -t kids < <(workers_pids) # its spawner is no worker
	for p in "${kids[@]}"; do
		if [[ -z ${stopped[$p]:-} ]] && is_worker "$p"; then
			kill -STOP "$p" && stopped[$p]=1
		fi
	done
	if ((i++ % 20 == 0)); then
		(($(now_us) < deadline)) || fail "the pool did not grow to max_workers 6 within 120 s"
		j=$(status_json) || fail "no status"
		if (($(jget "$j" jobs.accepted) > 0)); then
			(($(jget "$j" jobs.queued) > 0)) || fail "no job waits any more: $j"
			(($(jget "$j" workers.wanted) == 6 && ${#kids[@]} == 6 && ${#stopped[@]} >= 6)) && break
		fi
	fi
	read -rt 0.01 -u 8 _
done
exec 8>&-
log "the pool grew to 6 workers with $(jget "$j" jobs.queued) jobs still queued"
kill -CONT "${!stopped[@]}"
wait_exit "$submitter" 120 || fail "the submitter did not end"
((WAIT_RC == 0)) || fail "poolctl submit --fifo - exited $WAIT_RC"
wait_for '[[ $(stat_of workers.ready) == 6 ]]' 30 "6 workers ready"
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
dlog_has "dynamic: .* starting 1 more workers \\(2 in all\\)" || fail "growth did not start with one"
# The spawn rule, step by step from the log: each tick that finds jobs
# waiting starts min(rate, room) workers and doubles the rate; a tick that
# finds none (the master logs it) starts the rate again at 1.  A loaded
# machine may drain the queue between ticks, so the steps are checked
# against the rule, and one doubling at least must have been seen.
rule=$(grep -E 'dynamic: (.* starting [0-9]+ more workers \([0-9]+ in all\)|no job waits)' "$DLOG" |
	awk '/no job waits/ { rate = 1; next }
	{ if (!rate) rate = 1; n = $(NF - 5); all = $(NF - 2); sub(/\(/, "", all)
	  room = 6 - (all - n); want = rate < room ? rate : room
	  if (n != want) { print "bad: " $0 " (want " want ")"; exit }
	  if (n >= 2) doubled = 1
	  rate = rate * 2 > 32 ? 32 : rate * 2 }
	END { if (!doubled) print "bad: the rate never doubled" }')
[[ -z $rule ]] || fail "the spawn rate did not follow its rule: $rule"
wait_for '[[ $(stat_of workers.ready) == 1 && $(stat_of workers.wanted) == 1 ]]' 30 \
	"the pool to shrink back to min_workers"
dlog_has "dynamic: retired" || fail "no retirement was logged"
check_ids d "$N" once
[[ $(stat_of restarts) == 0 ]] || fail "workers died"
