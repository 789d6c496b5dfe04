#!/bin/bash
# Chaos: 100,000 `log` jobs with unique ids while a worker is SIGKILLed
# every 20 ms and HUP resizes the pool between 3 and 6 workers.  Every id
# ends in the log, no line is torn, and ids logged twice are no more than
# the workers killed (each can have been running one job it had not yet
# reported).
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# max_attempts at its maximum: under this kill rate a job can legitimately
# have its worker killed under it three times (the default) on a loaded
# machine and be buried, which is right but not what this test is about;
# t_buried proves that only the running job is charged an attempt.
N=100000
pool_extra="max_attempts = 100"
write_config workers=4 extra_pool="$pool_extra"
start_daemon
gen_ids x "$N" >"$T/jobs.in"
stream_jobs "$T/jobs.in" 100
submit=$BG_PID

# A builtin 20 ms sleep (read with a timeout on a FIFO nobody writes):
# forking sleep(1) 50 times a second would slow the chaos on a busy machine.
mkfifo "$T/tick"
exec 8<>"$T/tick"
kills=0 i=0 size=3
while alive "$submit" && ((i < 1500)); do
	read -ra ws <"/proc/$MASTER_PID/task/$MASTER_PID/children"
	if ((${#ws[@]} > 0)); then
		kill -KILL "${ws[RANDOM % ${#ws[@]}]}" 2>/dev/null && kills=$((kills + 1))
	fi
	if ((i % 50 == 25)); then
		write_config workers=$size extra_pool="$pool_extra"
		kill -HUP "$MASTER_PID"
		size=$((size == 3 ? 6 : 3))
	fi
	i=$((i + 1))
	read -rt 0.02 -u 8 _ || true
done
exec 8>&-
wait_exit "$submit" 180 || fail "the submitter did not finish"
log "$kills workers killed in $i rounds"
((kills >= 50)) || fail "only $kills kills: the chaos was too mild to prove anything"
pctl_wait 180 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"

# No torn line: every line is one whole record, or the fragment a worker
# killed in its write left on a line of its own (a prefix of the same
# job's retried line), at most one per kill.
joblog_check '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z job=[0-9]+ x-[0-9]+$'
((JOBLOG_BAD == 0)) || fail "$JOBLOG_BAD torn, glued or foreign lines in the log"
log "$JOBLOG_FRAGMENTS fragments of killed writers"
((JOBLOG_FRAGMENTS <= kills)) || fail "$JOBLOG_FRAGMENTS fragments for $kills killed workers"
IDS_LOG=$T/joblog.whole check_ids x "$N" atleast
dups=$(uniq -d "$T/ids.got" | wc -l)
log "$dups ids logged twice"
((dups <= kills)) || fail "$dups duplicates for $kills killed workers"
j=$(status_json)
[[ $(jget "$j" jobs.buried) == 0 ]] || fail "a job was buried: $j"
true
