#!/bin/bash
# An operator narrows a module kind's schema (issue 12): the shipped
# checksum module declares {1:enum:sha256|sha512} {2:path:/}, any file
# the workers can read; `schema.checksum` in its section keeps it to one
# root and one hash.  The master refuses lines outside it (poolctl and
# the FIFO), runs the ones inside; a schema that is not narrower (wider
# root, other type, larger enum, a placeholder missing, a kind the module
# does not declare) makes the file invalid, with the reason.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

BUILD=$(dirname "$POOLD")
SO=$BUILD/modules/checksum.so
[[ -f $SO ]] || fail "no $SO"
mkdir -p "$T/data" "$T/other"
seed=${POOLD_TEST_SEED:-$RANDOM}
log "seed $seed"
awk -v s="$seed" 'BEGIN { srand(s); for (i = 0; i < 100 + int(rand() * 900); i++) print rand() }' >"$T/data/in.txt"
cp "$T/data/in.txt" "$T/other/out.txt"

section() { # section SCHEMA
	printf '[module.checksum]\nfile = %s\ncode = 2001\nschema.checksum = %s' "$SO" "$1"
}
refused_conf() { # refused_conf SCHEMA REASON
	write_config extra="$(section "$1")"
	"$POOLD" -t -c "$CONF" >"$T/t.out" 2>&1 && fail "poold -t accepted schema.checksum = $1"
	grep -qF -- "$2" "$T/t.out" || fail "schema.checksum = $1: no '$2' in: $(cat "$T/t.out")"
}
refused_conf "{1:enum:sha256} {2:path:/}x" "[module.checksum] schema.checksum: '{2:path:/}x': a placeholder must be a whole argument"
refused_conf "{1:enum:sha256|md5} {2:path:$T/data}" "placeholder 1: its words are not a subset of the module's"
refused_conf "{1:word} {2:path:$T/data}" "placeholder 1: its type is not the module's"
refused_conf "{1:enum:sha256}" "1 placeholders, the module declares 2"
write_config extra="$(section "{1:enum:sha256} {2:path:$T/data}")\nschema.nosuch = {1:word}"
"$POOLD" -t -c "$CONF" >"$T/t.out" 2>&1 && fail "poold -t accepted schema.nosuch"
grep -qF "[module.checksum] schema.nosuch: the module has no kind nosuch" "$T/t.out" ||
	fail "schema.nosuch: $(cat "$T/t.out")"

write_config workers=2 level=debug extra="$(section "{1:enum:sha256} {2:path:$T/data}")"
"$POOLD" -t -c "$CONF" >"$T/t.out" 2>&1 || fail "poold -t refused a narrower schema: $(cat "$T/t.out")"
start_daemon
expect_workers 2
pctl submit checksum sha256 "$T/other/out.txt" 2>"$T/submit.err" && fail "a path outside the narrowed root was accepted"
grep -q "argument 2: not under $T/data" "$T/submit.err" || fail "refusal: $(cat "$T/submit.err")"
pctl submit checksum sha512 "$T/data/in.txt" 2>"$T/submit.err" && fail "sha512 was accepted"
grep -q "argument 1" "$T/submit.err" || fail "refusal: $(cat "$T/submit.err")"
fifo_send "checksum sha256 $T/other/out.txt" "checksum sha256 /etc/hostname" "checksum sha256 $T/data/in.txt"
wait_accepted 1
pctl_wait 60
# The FIFO's lines are taken in order: the two before the one accepted
# were refused.
[[ $(stat_of jobs.accepted) == 1 ]] || fail "jobs accepted: $(stat_of jobs.accepted), not 1"
[[ $(stat_of tasks.checksum.done) == 1 ]] || fail "checksum jobs done: $(stat_of tasks.checksum.done), not 1"
dlog_has "checksum ok on worker\[[01]\]: sha256 $(sha256sum <"$T/data/in.txt" | cut -d' ' -f1)" ||
	fail "no right sha256 of in.txt"
[[ $(grep -c "checksum ok on" "$DLOG") == 1 ]] || fail "a job outside the narrowed root ran"
log "ok: schema.checksum narrowed the root and the hash; wider schemas refused"
