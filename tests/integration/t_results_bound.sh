#!/bin/bash
# Results retention is bounded: with [results] keep = 1000 the master
# keeps the 1000 newest ended jobs for `poolctl job` and forgets the
# rest, so its RSS after 1,000,000 jobs submitted over the socket (ids
# answered and tracked) is what it was after 200,000; and max_age drops
# ended jobs by age even under keep (after a reload to max_age = 1s, every
# ended job is forgotten, the live ones stay).
# ctest-labels: slow
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# Under ASan, freed memory waits in a quarantine that would look like growth.
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=4
write_config workers=2 extra="[results]\nkeep = 1000\nmax_age = 1h"
start_daemon
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$MASTER_PID/status"; }
kept() { pctl jobs --limit 100000 | tail -n +2 | wc -l; }

head -n 200000 < <(yes noop) | pctl submit --quiet - || fail "submit of 200k exited $?"
pctl_wait 300 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
rss1=$(rss)
n=$(kept)
((n == 1000)) || fail "$n jobs kept after 200k, not keep = 1000"
head -n 800000 < <(yes noop) | pctl submit --quiet - || fail "submit of 800k exited $?"
pctl_wait 600 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
rss2=$(rss)
n=$(kept)
((n == 1000)) || fail "$n jobs kept after 1M, not keep = 1000"
[[ $(jget "$(status_json)" jobs.done) == 1000000 ]] || fail "not every job done: $(status_json)"
pctl job 1 2>/dev/null && fail "job 1 is still kept past keep = 1000"
pctl job 1000000 | grep -q '^state: done$' || fail "the newest job is not kept: $(pctl job 1000000)"
log "RSS after 200k jobs ${rss1} KiB, after 1M ${rss2} KiB"
((rss2 - rss1 <= 2048)) || fail "RSS grew by $((rss2 - rss1)) KiB from 200k to 1M jobs"

# max_age: the ended jobs go by age; a live one stays.
expect_workers 2
kill -STOP "${pids[@]}"
live=$(pctl submit log still-live) || fail "submit exited $?"
write_config workers=2 extra="[results]\nkeep = 1000\nmax_age = 1s"
kill -HUP "$MASTER_PID"
wait_for '[[ $(kept) == 1 ]]' 20 "the ended jobs to be forgotten after max_age = 1s"
pctl job "$live" | grep -q '^state: \(queued\|running\)' || fail "the live job $live was dropped"
kill -CONT "${pids[@]}"
pctl_wait 30 || fail "poolctl wait exited $?"
true
