#!/bin/bash
# Three poold instances share one Redis stream and consumer group.
# 100,000 `log` jobs with unique ids are added with `poolctl submit
# --redis -`; one instance is SIGKILLed in the middle.  Every id ends in
# some instance's job log, and the ids logged twice come only from the
# killed instance's pending entries: each of them is in its log too, and
# there are no more of them than it had pending when it died (read with
# XPENDING while it was stopped, just before the kill).  Everything ends
# acknowledged, nothing in the dead-letter stream.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=redis_lib.sh
. "$(dirname "$0")/redis_lib.sh"

N=100000
start_redis
for i in 1 2 3; do
	write_inst "i$i" workers=2 extra="$(redis_section stream=jobs consumer=inst$i claim_idle=1s)"
	start_inst "i$i"
done
for i in 1 2 3; do
	wait_for "[[ \$(istat i$i redis.connected) == 1 ]]" 10 "instance i$i connected to Redis"
done

total_done() {
	local s=0 i v
	for i in "${!INST_PID[@]}"; do
		v=$(istat "$i" jobs.done) || v=0
		s=$((s + v))
	done
	echo "$s"
}

gen_ids r "$N" >"$T/jobs.in"
t0=$(now_us)
export SUBMIT_CONF
SUBMIT_CONF=$(inst_dir i1)/poold.ini
bg_sh 'timeout 120 "$POOLCTL" -c "$SUBMIT_CONF" submit --redis - <"$T/jobs.in" 2>>"$T/client-submit.log"'
submit=$BG_PID

wait_for '(( $(total_done) >= N / 3 ))' 60 "a third of the jobs done"
done_then=$(total_done)
victim=${INST_PID[i2]}
# Stopped, it acknowledges nothing more: what it has pending now is all
# that may run twice.  (Nobody claims it for claim_idle = 1 s.)
kill -STOP "$victim"
pending=$(($(rcli XPENDING jobs poold - + 1000000 inst2 | wc -l) / 4))
kill -KILL "$victim"
log "instance i2 (pid $victim) killed with $pending entries pending, $done_then jobs done in all"
# Its workers run what their pipes still hold, see EOF and leave.
wait_exit "$victim" 10 || fail "instance i2 did not die of SIGKILL"
wait_for '[[ -z $(session_procs '"$victim"') ]]' 20 "instance i2's workers to exit"
unset "INST_PID[i2]"

wait_exit "$submit" 120 || fail "poolctl submit --redis - did not finish"
((WAIT_RC == 0)) || fail "poolctl submit --redis - exited $WAIT_RC ($(cat "$T/client-submit.log"))"
[[ $(rcli XLEN jobs) == "$N" ]] || fail "the stream holds $(rcli XLEN jobs) entries, not $N"

# Done when the group has delivered everything and nothing is pending.
group_field() {
	rcli XINFO GROUPS jobs | awk -v k="$1" 'prev == k { print; exit } { prev = $0 }'
}
wait_for '[[ $(group_field lag) == 0 && $(group_field pending) == 0 ]]' 120 \
	"every entry delivered and acknowledged"
elapsed_ms=$((($(now_us) - t0) / 1000))

logged_ids r "$T"/inst-i*/jobs.log | sort >"$T/ids.got"
seq 1 "$N" | sort >"$T/ids.want"
missing=$(sort -u "$T/ids.got" | comm -23 "$T/ids.want" - | wc -l)
((missing == 0)) || fail "$missing of $N ids missing from the job logs"
[[ -z $(sort -u "$T/ids.got" | comm -13 "$T/ids.want" -) ]] || fail "ids that were never sent were logged"
uniq -d "$T/ids.got" >"$T/ids.dup"
dups=$(wc -l <"$T/ids.dup")
most=$(uniq -c "$T/ids.got" | sort -rn | awk 'NR == 1 { print $1 }')
logged_ids r "$(inst_dir i2)/jobs.log" | sort -u >"$T/ids.i2"
not_i2=$(comm -23 "$T/ids.dup" "$T/ids.i2" | wc -l)

claimed=0
for i in 1 3; do
	c=$(istat "i$i" redis.claimed) || fail "no status from instance i$i"
	claimed=$((claimed + c))
	log "instance i$i: $(istat "i$i" jobs.done) jobs done, $(istat "i$i" redis.read) read, $(istat "i$i" redis.acked) acked, $c claimed"
done
log "$N jobs in $elapsed_ms ms; $dups ids logged twice (at most $most times each), $pending pending at the kill, $claimed claimed by the survivors"
((not_i2 == 0)) || fail "$not_i2 ids were logged twice without the killed instance having run them"
((dups <= pending)) || fail "$dups ids logged twice, more than the $pending entries the killed instance had pending"
((most <= 2)) || fail "an id was logged $most times"
((pending == 0 || claimed >= 1)) || fail "nobody claimed the killed instance's $pending pending entries"
[[ $(rcli XLEN jobs:dead) == 0 ]] || fail "entries in the dead-letter stream: $(rcli XRANGE jobs:dead - + COUNT 4 | tr '\n' ' ')"
for i in 1 3; do
	[[ $(istat "i$i" jobs.failed) == 0 ]] || fail "instance i$i has failed jobs"
	stop_inst "i$i" || fail "instance i$i did not stop cleanly"
done
for i in 1 3; do
	grep -q 'master: redis: connected to' "$T/daemon-i$i.log" || fail "instance i$i did not log its connection"
done
