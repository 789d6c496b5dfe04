#!/bin/bash
# Compaction while jobs flow, committed by the sync thread (fdatasync,
# rename, directory fsync off the event loop): 2,000,000 noop jobs write
# about 90 MiB of journal records, past the 64 MiB at which the journal
# is compacted; every job is done, no compaction fails, no temporary is
# left beside the journal, the journal ends small, and the master still
# answers on its socket (it once closed a descriptor it did not own).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=2000000
write_config workers=2
start_daemon
J=$(awk -F' = ' '$1 == "file" && seen { print $2; exit } /^\[journal\]/ { seen = 1 }' "$CONF")
[[ -n $J ]] || fail "no [journal] file in $CONF"
yes noop | head -n "$N" >"$T/jobs.in"
pctl submit - <"$T/jobs.in" || fail "poolctl submit - exited $?"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
j=$(status_json)
[[ $(jget "$j" jobs.done) == "$N" ]] || fail "jobs.done is not $N: $j"
! grep -q "compaction of .* failed" "$DLOG" || fail "a compaction failed: $(grep -m1 compaction "$DLOG")"
left=$(find "$(dirname "$J")" -maxdepth 1 -name ".$(basename "$J").tmp-*" | wc -l)
((left == 0)) || fail "$left compaction temporaries left beside $J"
size=$(stat -c %s "$J")
log "journal after $N jobs: $size bytes"
((size < 64 * 1048576)) || fail "the journal holds $size bytes: it was not compacted"
true
