#!/bin/bash
# HUP that adds, changes and removes operator kinds under a stream of
# jobs (issue 11): nothing accepted is lost; the workers holding the old
# definitions are replaced; jobs of a changed kind run with the new
# definition once accepted after the reload; a removed kind's name is
# refused at the FIFO from then on.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/rec.sh" <<EOS
#!/bin/sh
echo "\$1 \$2" >>"$T/rec.log"
EOS
chmod +x "$T/rec.sh"
kinds() { # kinds VERSION [extra sections]
	printf '[kind.rec]\ncode = 1001\nexec = %s %s {1:word}\n%b' "$T/rec.sh" "$1" "${2:-}"
}
write_config workers=2 extra="$(kinds v1 '[kind.gone]\ncode = 1002\nexec = /bin/true {1:word}')"
start_daemon

seq -f "rec r%g" 1 4000 >"$T/jobs"
stream_jobs "$T/jobs" 4
streamer=$BG_PID
wait_for '[[ -s $T/rec.log ]]' 10 "the first jobs"
write_config workers=2 extra="$(kinds v2 '[kind.added]\ncode = 1003\nexec = /bin/true {1:word}')"
# Under load: jobs accepted and not yet run when the HUP comes (each job
# forks a shell, so 4,000 of them outlast the first one by far).
j=$(status_json)
(($(jget "$j" jobs.queued) + $(jget "$j" jobs.in_flight) > 0)) ||
	fail "no job was left to run at the HUP: the reload was not under load: $j"
kill -HUP "$MASTER_PID"
wait_for 'dlog_has "replacing every worker"' 10 "the reload"
fifo_send "added a1" "gone g1"
wait_for 'dlog_has "rejected FIFO line \"gone g1\": unknown task"' 10 "the removed kind refused"
wait_exit "$streamer" 120 || fail "the submitter did not finish"
wait_accepted 4001 120
pctl_wait 120 || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
[[ $(stat_of tasks.added.done) == 1 ]] || fail "the job of the added kind did not run"
# Every job ran exactly once, with v1 or v2.
n=$(awk '{print $2}' "$T/rec.log" | sort -u | wc -l)
((n == 4000)) || fail "$n distinct jobs ran, not 4000"
(($(wc -l <"$T/rec.log") == 4000)) || fail "a job ran twice"
grep -q "^v2 " "$T/rec.log" || fail "no job ran with the new definition"
[[ $(tail -1 "$T/rec.log" | cut -d' ' -f1) == v2 ]] || fail "the last job ran with the old definition"
log "ok: kinds added, changed and removed under load"
