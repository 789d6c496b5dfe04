#!/bin/bash
# Journal damage (issue 15, item 4).  200 jobs accepted and unfinished
# when the master and its worker are SIGKILLed; one byte of the first
# job's record (the first ACCEPT: an id reservation record may come
# before it) is then damaged (offset and value random, seeded and printed).
# The restart must replay every valid record after the damage (199
# jobs, each run once), keep the damaged file aside byte for byte, and
# say at error level what was lost.  A torn tail (the last record cut
# short) stays normal: a warning, the rest replayed, nothing kept aside.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

SEED=${POOLD_TEST_SEED:-$RANDOM}
RANDOM=$SEED
log "seed $SEED (POOLD_TEST_SEED=$SEED replays this run)"
J=$RUN/journal
MAGIC_LEN=16 # "poold-journal-1\n"
REC_LEN=24   # a record's header; its arguments follow

# crash PREFIX N: N log jobs accepted while the only worker is stopped,
# then the master and the worker SIGKILLed (nothing runs, nothing ends).
crash() {
	local w
	expect_workers 1
	w=${pids[0]}
	kill -STOP "$w"
	gen_ids "$1" "$2" | pctl submit - || fail "poolctl submit - exited $?"
	wait_for "grep -aq '$1-$2' '$J'" 20 "job $1-$2 in the journal"
	kill -KILL "$MASTER_PID"
	daemon_exit 10
	kill -KILL "$w"
	wait_for "! alive $w" 10 "the killed worker gone"
}

# ids_ran PREFIX: the ids of PREFIX-* lines in the job log, sorted.
ids_ran() {
	awk -v p="$1-" 'index($3, p) == 1 { print substr($3, length(p) + 1) }' "$JOBLOG" | sort -n
}

write_config workers=1 journal_fsync=always
start_daemon
crash dmg 200
cp "$J" "$T/journal.clean"

# rec_type OFF, rec_len OFF: a record's type byte and argument length.
rec_type() { od -An -tu1 -j "$(($1 + 4))" -N1 "$J" | tr -d ' '; }
rec_len() { od -An -tu4 -j "$(($1 + 8))" -N4 "$J" | tr -d ' '; }

# One byte of the first ACCEPT record (job 1: a header and "dmg-1") changed.
first=$MAGIC_LEN
while [[ $(rec_type "$first") != 65 ]]; do # 'A'
	first=$((first + REC_LEN + $(rec_len "$first")))
	((first < 4096)) || fail "no ACCEPT record near the start of the journal"
done
log "the first ACCEPT record is at byte $first"
off=$((first + RANDOM % (REC_LEN + 5)))
old=$(od -An -tu1 -j "$off" -N1 "$J" | tr -d ' ')
new=$(((old + 1 + RANDOM % 255) % 256))
printf "$(printf '\\%03o' "$new")" | dd of="$J" bs=1 seek="$off" conv=notrunc status=none
log "byte $off changed from $old to $new"
cmp -s "$J" "$T/journal.clean" && fail "the test did not change the journal"
cp "$J" "$T/journal.damaged"

start_daemon
dlog_has "journal: $J is damaged: [0-9]+ bytes in 1 places \(the first at byte $first\) could not be read and are lost, at least 1 records; 199 valid records after the damage recovered" ||
	fail "no error line saying what the damage cost"
dlog_has '199 unfinished jobs of a previous run queued again' || fail "199 jobs were not replayed"
kept=("$J".damaged-*)
((${#kept[@]} == 1)) && [[ -f ${kept[0]} ]] || fail "the damaged file was not kept aside: $(ls "$RUN")"
cmp -s "${kept[0]}" "$T/journal.damaged" || fail "${kept[0]} is not the damaged file"
dlog_has "the damaged file is kept as ${kept[0]}" || fail "the log does not name ${kept[0]}"
pctl_wait || fail "the replayed jobs failed ($(cat "$T/wait.out"))"
ids_ran dmg >"$T/ran"
seq 2 200 >"$T/want"
cmp -s "$T/ran" "$T/want" ||
	fail "not jobs 2..200 once each: $(diff "$T/want" "$T/ran" | head -5 | tr '\n' ' ')"

# A torn tail: a warning only, the whole records before it replayed.
crash tail 5
truncate -s -3 "$J"
start_daemon
dlog_has 'ignoring [0-9]+ bytes of a torn tail' || fail "no torn-tail warning"
dlog_has '4 unfinished jobs of a previous run queued again' || fail "4 jobs were not replayed"
[[ $(grep -c 'is damaged' "$DLOG") == 1 ]] || fail "a torn tail was reported as damage"
kept=("$J".damaged-*)
((${#kept[@]} == 1)) || fail "a torn tail was kept aside: $(ls "$RUN")"
pctl_wait || fail "the replayed jobs failed ($(cat "$T/wait.out"))"
[[ $(ids_ran tail | tr '\n' ' ') == "1 2 3 4 " ]] || fail "not tail-1..4: $(ids_ran tail)"
