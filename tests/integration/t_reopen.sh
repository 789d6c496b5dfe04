#!/bin/bash
# USR1 reopens the [log] file (logrotate): after the file is moved away and
# the master gets USR1, every worker writes to a new file at the
# configured path, and nothing more goes to the old one.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=3
start_daemon

# Enough jobs that every worker opens the file: the workers are stopped
# while they go in, so each is handed some (with quick jobs the master
# would rather fill the workers it saw active).
expect_workers 3
kill -STOP "${pids[@]}"
gen_ids before 300 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 300
wait_for every_slot_holds 30 "every stopped worker to hold jobs"
kill -CONT "${pids[@]}"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
j=$(status_json)
for d in $(slots_field "$j" "done"); do
	((d > 0)) || fail "a worker ran no job before the rotation, the test proves less: $j"
done

mv "$JOBLOG" "$JOBLOG.1"
kill -USR1 "$MASTER_PID"
wait_for 'dlog_has "signal USR1: 3 workers reopen"' 10 "the master to log the reopen"

gen_ids after 300 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 600
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ -f $JOBLOG ]] || fail "no new $JOBLOG after USR1"
check_ids after 300 once
grep -q ' after-' "$JOBLOG.1" && fail "lines went to the rotated file after USR1"
JOBLOG=$JOBLOG.1 check_ids before 300 once
[[ $(jget "$(status_json)" jobs.failed) == 0 ]] || fail "log jobs failed around the rotation"
