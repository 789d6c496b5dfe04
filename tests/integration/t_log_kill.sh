#!/bin/bash
# Workers SIGKILLed in the middle of a stream of `log` jobs, between jobs
# whose completions they had not sent yet (workers send them in batches):
# the jobs a dead worker finished are reported done from its done line,
# once, and never run again; only the job it was writing when it died
# runs again.  From the log itself: every id is there, a line more than
# the jobs only per killed worker, and only for a job a kill interrupted;
# from the counters: accepted = done, nothing failed or buried, and
# nothing taken for a crash loop.
#
# The kills come from the fault tool, seeded: each worker SIGKILLs itself
# right after its K-th log write (K from 2 to 300, drawn from the seed
# and its pid), the worst moment: its line is out, its done line not
# moved yet, the jobs before it done and (mostly) unreported.  (Kills
# from outside at any moment: t_chaos, with the same bound.)
#
# With NOLINES=1 (t_log_kill_nolines) the done lines cannot be made: the
# workers then report each log job as it ends, and the bounds hold all
# the same, with no job done from a done line.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

[[ -n ${FAULT_INJECT:-} && -f $FAULT_INJECT ]] || fail "FAULT_INJECT does not name the tool library"
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
SEED=${POOLD_TEST_SEED:-$RANDOM}
log "seed $SEED (POOLD_TEST_SEED=$SEED to repeat)"

N=40000
SELF=25
# max_attempts at its maximum: a job may have its worker killed under it
# more than three times here, and t_buried is about burying.
write_config workers=4 extra_pool="max_attempts = 100"
NOLINES=${NOLINES:-0}
memfd=
((NOLINES)) && memfd=poold-doneline
LD_PRELOAD=$FAULT_INJECT FAULT_KILL_PATH=jobs.log FAULT_KILL_SEED=$SEED FAULT_MEMFD=$memfd \
	FAULT_KILL_MARK=$T/kill FAULT_KILL_MAX=$SELF start_daemon
if ((NOLINES)); then
	dlog_has 'no done lines' || fail "the master did not say it has no done lines"
fi

gen_ids k "$N" >"$T/jobs.in"
bg_sh 'timeout 300 "$POOLCTL" -c "$CONF" submit - <"$T/jobs.in" 2>>"$T/client-submit.log"'
submit=$BG_PID

wait_exit "$submit" 300 || fail "poolctl submit - did not finish"
((WAIT_RC == 0)) || fail "poolctl submit - exited $WAIT_RC"
wait_accepted "$N" 120
pctl_wait 300 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

self=$(find "$T" -maxdepth 1 -name 'kill.*' | wc -l)
deaths=$(grep -c 'pid [0-9]* killed by signal 9 ' "$DLOG")
recovered=$(grep -o '[0-9]* jobs\? it finished had no completion sent' "$DLOG" | awk '{ n += $1 } END { print n + 0 }')
log "$self kills by the fault tool, $deaths deaths by SIGKILL; $recovered jobs done from done lines"
((self == SELF)) || fail "the fault tool killed $self workers, not $SELF"
((deaths == self)) || fail "$deaths deaths by SIGKILL in the log for $self kills"

# Each death leaves at most one job run twice (or a fragment of its line):
# the one it was writing.
joblog_check '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z job=[0-9]+ k-[0-9]+$'
((JOBLOG_BAD == 0)) || fail "$JOBLOG_BAD torn, glued or foreign lines in the log"
IDS_LOG=$T/joblog.whole check_ids k "$N" atleast
extra=$(($(wc -l <"$T/joblog.whole") - N))
log "$extra lines more than jobs, $JOBLOG_FRAGMENTS fragments"
((extra + JOBLOG_FRAGMENTS <= deaths)) ||
	fail "$extra jobs ran twice and $JOBLOG_FRAGMENTS fragments for $deaths killed workers"
# And the jobs that ran twice are jobs a kill interrupted (the fault tool
# keeps the line each killed worker was writing in its mark).
grep -o ' job=[0-9]* ' "$T/joblog.whole" | sort | uniq -d >"$T/twice"
cat "$T"/kill.* | grep -o ' job=[0-9]* ' | sort -u >"$T/interrupted"
[[ -z $(comm -23 "$T/twice" "$T/interrupted") ]] ||
	fail "jobs ran twice that no kill interrupted: $(comm -23 "$T/twice" "$T/interrupted" | head -3 | tr '\n' ' ')"

# Every job reported once: done, nothing failed, buried or lost.
j=$(status_json)
[[ $(jget "$j" jobs.accepted) == "$N" ]] || fail "jobs.accepted is not $N: $j"
[[ $(jget "$j" jobs.done) == "$N" ]] || fail "jobs.done is not $N: $j"
[[ $(jget "$j" jobs.failed) == 0 ]] || fail "jobs.failed is not 0: $j"
[[ $(jget "$j" jobs.buried) == 0 ]] || fail "jobs.buried is not 0: $j"
# The kills fell between jobs whose completions were still unsent.
if ((NOLINES)); then
	((recovered == 0)) || fail "$recovered jobs done from done lines that do not exist"
else
	((recovered > 0)) || fail "no job of a killed worker was done from its done line"
fi
# A worker whose jobs were all still unreported when it was killed had
# done some: not a crash loop, no back-off.
! dlog_has 'early deaths in a row' || fail "killed workers were taken for a crash loop: $(grep 'early deaths' "$DLOG" | head -3)"
true
