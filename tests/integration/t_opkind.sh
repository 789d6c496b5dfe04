#!/bin/bash
# Operator kinds, per-job mode (issue 11): a [kind.NAME] section runs a
# script the test writes, through the FIFO and `poolctl submit`.  Every
# placeholder type accepted and refused at the FIFO (rejected count and
# reason in the log), injection attempts, exit 0 / 1 / 75 / signal, a clean
# environment, output kept bounded, and a time limit that stops a script
# that forked a `sleep` (no survivor, checked by pid).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/media/sub" "$T/outside"
echo x >"$T/media/cat.jpg"
echo secret >"$T/outside/secret"
ln -s "$T/outside" "$T/media/escape"
mkfifo "$T/media/fifo"
cat >"$T/job.sh" <<EOS
#!/bin/sh
# One write per job (two workers run jobs at once): its arguments, then
# its environment, as two lines.
printf '%s\nid=%s home=%s path=%s lang=%s\n' "\$(printf '%s|' "\$@")" "\$POOLD_JOB_ID" \
	"\${HOME-unset}" "\$PATH" "\$LANG" >>"$T/args.log"
case \$1 in
ok) exit 0 ;;
fail) echo "first line" >&2; echo "bad thing \$2" >&2; exit 1 ;;
temp) exit 75 ;;
sig) kill -KILL \$\$ ;;
big) i=0; while [ \$i -lt 3000 ]; do echo "line \$i of output"; i=\$((i + 1)); done ;;
fork) sleep 300 & echo \$! >"$T/sleep.pid"; wait ;;
esac
EOS
chmod +x "$T/job.sh"

write_config workers=2 level=debug kill_timeout=2s extra="[kind.job]
code = 1001
exec = $T/job.sh {1:enum:ok|fail|temp|sig|big|fork} {2:int:1..99} {3:path:$T/media} {4:text}
timeout = 2s
output = 1K
env = LANG=C.UTF-8
[kind.word]
code = 1002
exec = /bin/true {1:word}"
start_daemon

# Accepted: every type, through the FIFO, by code and through poolctl.
fifo_send "job ok 5 $T/media/cat.jpg hello world" "1001 ok 99 $T/media/sub/new.jpg x" \
	"word v1.2_rc-3"
pctl submit job ok 1 "$T/media/cat.jpg" '$(id) `id` ; rm -rf /' || fail "poolctl submit refused a good job"
wait_accepted 4
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
grep -q "^ok|5|$T/media/cat.jpg|hello world|$" "$T/args.log" || fail "arguments not passed as one argv each: $(cat "$T/args.log")"
grep -q '^ok|1|.*|$(id) `id` ; rm -rf /|$' "$T/args.log" || fail "the text value was not passed verbatim"
grep -q "home=unset path=/usr/local/bin:/usr/bin:/bin lang=C.UTF-8" "$T/args.log" || fail "environment not clean"
grep -Eq "^id=[0-9]+ " "$T/args.log" || fail "POOLD_JOB_ID not set"
[[ $(jget "$(status_json)" tasks.job.done) == 3 ]] || fail "three job jobs not done"

# Refused at the FIFO, each with its reason in the log.
rej0=$(stat_of jobs.rejected)
bad=(
	"job ok 0 $T/media/cat.jpg t"      # int below the range
	"job ok 100 $T/media/cat.jpg t"    # int above
	"job ok 5x $T/media/cat.jpg t"     # not a number
	"job rm 5 $T/media/cat.jpg t"      # not in the enum
	"job ok;rm 5 $T/media/cat.jpg t"   # shell syntax in an enum
	"job ok 5 /etc/passwd t"           # path outside the root
	"job ok 5 $T/media/../outside/secret t" # ..
	"job ok 5 media/cat.jpg t"         # relative
	"job ok 5 $T/media/cat.jpg -rf"    # text with a leading -
	"job ok 5"                         # too few
	"word -rf"                         # word with a leading -
	"word a/b"                         # word with a slash
	'word $(id)'                       # shell syntax
	"word a b"                         # too many
	"word $(head -c 300 /dev/zero | tr '\0' a)" # overlong word
)
fifo_send "${bad[@]}"
fifo_send_raw 'word a\001b\n'
wait_for "[[ \$(stat_of jobs.rejected) -ge $((rej0 + ${#bad[@]} + 1)) ]]" 10 "every bad line rejected"
for r in "out of range 1..99" "not one of" ": argument 3: not under " "may not start with '-'" \
	"expected, got"; do
	grep -q "rejected FIFO line .*$r" "$DLOG" || fail "no rejection with '$r' in the log"
done
pctl submit word -rf 2>"$T/submit.err" && fail "poolctl submit accepted a word '-rf'"
grep -q "rejected" "$T/submit.err" || fail "poolctl gave no reason: $(cat "$T/submit.err")"

# A symlink out of the root and a FIFO pass the master's lexical check but
# not the worker's: the job fails, nothing runs.
runs=$(grep -c '^id=' "$T/args.log")
fifo_send "job ok 5 $T/media/escape/secret t" "job ok 5 $T/media/fifo t"
wait_for 'dlog_has "job [0-9]+ job failed .*refused: .*symlink"' 10 "the symlink escape refused"
wait_for 'dlog_has "job [0-9]+ job failed .*refused: .*(FIFO|fifo|device|special)"' 10 "the FIFO refused"
(($(grep -c '^id=' "$T/args.log") == runs)) || fail "the script ran for a refused path"

# Exit statuses, and the output kept bounded.
fifo_send "job fail 7 $T/media/cat.jpg t" "job temp 7 $T/media/cat.jpg t" \
	"job sig 7 $T/media/cat.jpg t" "job big 7 $T/media/cat.jpg t"
wait_for 'dlog_has "job [0-9]+ job failed on worker\[.\]: exit 1: bad thing 7"' 10 "exit 1 with stderr's last line"
wait_for 'dlog_has "job [0-9]+ job failed on worker\[.\]: temporary failure: exit 75"' 10 "exit 75"
wait_for 'dlog_has "job [0-9]+ job failed on worker\[.\]: killed by signal 9"' 10 "the signal"
wait_for 'dlog_has "job: [0-9]+ bytes of output, last: .*line 2999 of output"' 10 "the output's end"
grep -Eq "job: [0-9]{5} bytes of output" "$DLOG" || fail "the output's size is not counted"
last=$(grep -E "job: [0-9]+ bytes of output" "$DLOG" | tail -1)
((${#last} < 700)) || fail "more output kept than asked: ${#last} bytes of log line"

# Past its time limit: the script and the sleep it forked are stopped.
fifo_send "job fork 7 $T/media/cat.jpg t"
wait_for '[[ -s $T/sleep.pid ]]' 10 "the script's sleep"
sleep_pid=$(<"$T/sleep.pid")
wait_for 'dlog_has "job [0-9]+ job timed out"' 15 "the job to time out"
wait_for '! alive $sleep_pid' 10 "the forked sleep $sleep_pid to be gone"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 10 "the slot to get a new worker"
pctl_wait_failed
log "ok: per-job operator kinds"
