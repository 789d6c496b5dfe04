#!/bin/bash
# Hostile FIFO input: NUL bytes, invalid UTF-8, a 1 MiB line, 100,000
# empty lines and a megabyte of random bytes are each rejected and
# counted; the good lines around them run and the daemon is unaffected.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
started=$(now_us)
start_daemon
rejected() { stat_of jobs.rejected; }

fifo_send "log g-1"
printf 'log a\0b\n' >"$FIFO"
printf 'log \xff\xfe\n' >"$FIFO"
fifo_send "log g-2"
wait_for '[[ $(rejected) == 2 ]]' 10 "the NUL and invalid UTF-8 lines to be rejected"

head -c 1048576 /dev/zero | tr '\0' 'x' >"$T/big"
{ cat "$T/big"; printf '\nlog g-3\n'; } >"$FIFO"
wait_for '[[ $(rejected) == 3 ]]' 10 "the 1 MiB line to be rejected once"

yes '' | head -n 100000 >"$FIFO"
fifo_send "log g-4"
wait_for '[[ $(rejected) == 100003 ]]' 20 "100,000 empty lines to be rejected"

# Random bytes: how many "lines" they make is unknown, but the line after
# them (after a newline of its own) must run.
before=$(rejected)
{ head -c 1048576 /dev/urandom; printf '\nlog g-5\n'; } >"$FIFO"
# (Random bytes can make a valid job now and then: "\n2\n" is a `log` with
# no text.  So wait for the line itself, not for a count of log jobs.)
wait_for 'grep -q " g-5$" "$JOBLOG"' 20 "the line after the random bytes"
(($(rejected) > before)) || fail "the random bytes were not rejected"
check_ids g 5 once
alive "$MASTER_PID" || fail "the master died"
# Rejections are logged at a bounded rate (10 a second, daemon/fifo.c),
# not one line each: at most 10 for each second the daemon has run so far
# (however long a loaded machine took), far below the 100,000 rejections.
secs=$((($(now_us) - started) / 1000000 + 1))
n=$(grep -c "rejected FIFO line" "$T/daemon.log")
log "$n rejection lines logged in $secs s for $(rejected) rejections"
((n <= 10 * (secs + 1))) || fail "$n rejection lines in the daemon log in $secs s: not rate-limited"
