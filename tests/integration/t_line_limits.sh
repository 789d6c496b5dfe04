#!/bin/bash
# The line limit is the one the README states, on every intake: a line of
# 4096 bytes with its newline (4095 without: a Redis entry's task, a blank
# and args) is a job, also a `log` line whose text fills it; one byte more
# is rejected.  A rejected overlong line is logged with its escaped
# beginning, so its producer can be found.
HERE=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
. "$HERE/lib.sh"

write_config workers=2
start_daemon

x() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }

# ---- the FIFO ----------------------------------------------------------------
fifo_send "log A$(x 4090)" "2 B$(x 4092)" "log C$(x 4091)" "2 D$(x 4093)" "log fifo-after"
wait_accepted 3
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
grep -q " job=[0-9]* A$(x 4090)\$" "$JOBLOG" || fail "a log line of 4096 bytes did not run"
grep -q " job=[0-9]* B$(x 4092)\$" "$JOBLOG" || fail "a '2 TEXT' line of 4096 bytes did not run"
grep -q ' fifo-after$' "$JOBLOG" || fail "the line after the overlong ones was lost"
grep -q " [CD]xxx" "$JOBLOG" && fail "a line of 4097 bytes ran"
[[ $(stat_of jobs.rejected) == 2 ]] || fail "jobs.rejected is $(stat_of jobs.rejected), not 2"
dlog_has 'rejected FIFO line "log Cx{50,}\.\.\.": line over 4096 bytes' ||
	fail "the overlong line was not logged with its beginning: $(grep 'rejected FIFO' "$DLOG")"
dlog_has 'rejected FIFO line ""' && fail "a rejected line was logged as \"\""

# ---- poolctl submit, both forms ---------------------------------------------------
pctl submit log "E$(x 4090)" 2>>"$T/client.log" || fail "poolctl submit of a 4096-byte log line failed"
pctl submit log "F$(x 4091)" 2>"$T/submit-long.err" && fail "poolctl submit took a 4097-byte line"
grep -q "4096" "$T/submit-long.err" || fail "poolctl did not say the limit: $(cat "$T/submit-long.err")"
printf 'log G%s\nlog H%s\n' "$(x 4090)" "$(x 4091)" | pctl submit - 2>"$T/submit-stdin.err"
rc=$?
((rc == 65)) || fail "poolctl submit - with one 4097-byte line exited $rc, not 65"
wait_accepted 5
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
grep -q " job=[0-9]* E$(x 4090)\$" "$JOBLOG" || fail "poolctl's 4096-byte line did not run"
grep -q " job=[0-9]* G$(x 4090)\$" "$JOBLOG" || fail "poolctl submit -'s 4096-byte line did not run"
grep -q " [FH]xxx" "$JOBLOG" && fail "poolctl let a 4097-byte line through"

# ---- Redis entries: task, a blank and args, 4095 bytes at most ------------------------
stop_daemon
# shellcheck source=redis_lib.sh
. "$HERE/redis_lib.sh"
start_redis
write_config workers=2 extra="$(redis_section stream=jobs consumer=a)"
start_daemon
wait_for '[[ $(stat_of redis.connected) == 1 ]]' 10 "poold connected to Redis"
rcli XADD jobs '*' task log args "I$(x 4090)" id at-limit >/dev/null
rcli XADD jobs '*' task log args "J$(x 4091)" id over-limit >/dev/null
wait_for 'grep -q " job=[0-9]* I$(x 4090)\$" "$JOBLOG"' 20 "the 4095-byte Redis entry to run"
wait_for '[[ $(rcli XLEN jobs:dead) == 1 ]]' 20 "the 4096-byte Redis entry in the dead letters"
grep -q " Jxxx" "$JOBLOG" && fail "a Redis entry over the limit ran"
true
