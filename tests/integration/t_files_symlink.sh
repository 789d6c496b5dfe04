#!/bin/bash
# Files poold writes, in directories others can write (issue 15, item 1).
# As another user with write access to those directories would, the test
# plants symlinks (and a hard link) to a victim file at the names poold
# writes: the metrics file's old fixed temporary FILE.tmp and the metrics
# file itself (a textfile-collector directory, mode 0777), the job log
# (a log directory, mode 0777), and the journal's compaction temporary.
# poold (root, when the suite runs as root) must never write through
# them: the victims keep their bytes, the metrics file is replaced by a
# regular file, and a log job on a planted name fails with the reason.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$T/victims" "$T/shared" "$T/logs" "$RUN"
chmod 0700 "$RUN"
chmod 0777 "$T/shared" "$T/logs"
for v in metrics-tmp metrics log journal-tmp hardlink; do
	echo "precious $v" >"$T/victims/$v"
done
cp -a "$T/victims" "$T/victims.orig"
victims_intact() {
	diff -r "$T/victims.orig" "$T/victims" >"$T/victims.diff" ||
		fail "poold wrote into a victim file through a planted name: $(cat "$T/victims.diff")"
}

PROM=$T/shared/poold.prom
ln -s "$T/victims/metrics-tmp" "$PROM.tmp"
ln -s "$T/victims/metrics" "$PROM"
ln -s "$T/victims/log" "$T/logs/jobs.log"
ln -s "$T/victims/journal-tmp" "$RUN/journal.tmp"

write_config workers=1 level=debug log_file="$T/logs/jobs.log" \
	extra="[metrics]\nfile = $PROM\ninterval = 100ms"
start_daemon

# The metrics file: the planted symlink at its name is replaced by a
# regular file (rename never follows it), FILE.tmp is never used.
wait_for '[[ -f $PROM && ! -L $PROM ]] && grep -q "^poold_jobs_total" "$PROM"' 10 \
	"a regular metrics file in place of the planted symlink"
# Planted again while poold runs: replaced again at the next interval.
ln -sfn "$T/victims/metrics" "$PROM"
wait_for '[[ -f $PROM && ! -L $PROM ]]' 10 "the metrics file replaced again"
victims_intact
[[ -L $PROM.tmp ]] || fail "the planted $PROM.tmp was touched"
[[ $(find "$T/shared" -name '.poold.prom.tmp-*' | wc -l) -le 1 ]] ||
	fail "metrics temporaries pile up: $(ls -a "$T/shared")"

# The job log: a symlink at its name is refused with the reason.
fifo_send "log through-a-symlink"
wait_accepted 1
pctl_wait && fail "a log job through a planted symlink did not fail"
dlog_has 'job [0-9]+ log failed on worker\[[0-9]+\]: open .*jobs.log: it is a symlink' ||
	fail "the daemon log does not say why the log job failed"

# A hard link to the victim at the log's name (root may make one to any
# file; fs.protected_hardlinks only stops other users): refused too.
rm -f "$T/logs/jobs.log"
ln "$T/victims/hardlink" "$T/logs/jobs.log"
fifo_send "log through-a-hard-link"
wait_accepted 2
pctl_wait && fail "a log job through a planted hard link did not fail"
dlog_has 'log failed on worker\[[0-9]+\]: open .*jobs.log: it has more than one hard link' ||
	fail "the daemon log does not say why the hard-linked log was refused"

# With the name freed, the log works again (the file is created afresh).
rm -f "$T/logs/jobs.log"
fifo_send "log after-the-plants"
wait_accepted 3
pctl_wait || fail "a log job on a clean name failed ($(cat "$T/wait.out"))"
grep -q ' after-the-plants$' "$T/logs/jobs.log" || fail "the log line is missing"
victims_intact
[[ -f $T/logs/jobs.log && ! -L $T/logs/jobs.log ]] || fail "the job log is not a regular file"

# The journal was compacted at start (and is again at stop) beside the
# planted journal.tmp, never through it.
stop_daemon
((DAEMON_RC == 0)) || fail "poold exited $DAEMON_RC"
[[ -L $RUN/journal.tmp ]] || fail "the planted $RUN/journal.tmp was touched"
[[ -f $RUN/journal && ! -L $RUN/journal ]] || fail "the journal is not a regular file"
head -c 16 "$RUN/journal" | grep -q '^poold-journal-2$' || fail "the journal lacks its magic"
victims_intact
