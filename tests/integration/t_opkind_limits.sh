#!/bin/bash
# Operator kinds' limits without cgroup delegation (issue 11): a plain
# foreground run says at start, in one line, which limits are enforced
# and how (no cgroup, and why; RLIMIT_AS, RLIMIT_NPROC, RLIMIT_CPU), and
# the rlimit fallbacks hold end to end: memory_max as RLIMIT_AS (a Python
# script that allocates more fails with MemoryError, one that stays below
# succeeds), cpu_quota as a total of timeout x cpu_quota CPU seconds
# (a busy loop is killed by SIGXCPU long before its time limit), no core
# dumps.  tasks_max (RLIMIT_NPROC) does not bind root, which the line says
# when we run as root; the real-systemd test checks it as user poold.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
need python3 python3

cat >"$T/mem.py" <<'EOS'
#!/usr/bin/python3
import sys
b = b"x" * (int(sys.argv[1]) << 20)  # touched, not just reserved
print(len(b))
EOS
cat >"$T/busy.sh" <<'EOS'
#!/bin/sh
ulimit -c
while :; do :; done
EOS
chmod +x "$T/mem.py" "$T/busy.sh"

# cpu_quota 5% of a 30 s time limit: RLIMIT_CPU of 30 x 5 / 100 + 1 = 2 s.
write_config workers=2 level=debug kill_timeout=2s extra="[kind.mem]
code = 1001
exec = $T/mem.py {1:int:1..4096}
memory_max = 64M
[kind.busy]
code = 1002
exec = $T/busy.sh
timeout = 30s
cpu_quota = 5%
tasks_max = 16"
start_daemon

line=$(grep -m1 "operator kinds' limits:" "$DLOG") || fail "no start-up line about the limits"
log "start-up: ${line#*: }"
[[ $line == *"no cgroup ("*"); memory_max by RLIMIT_AS (address space), tasks_max by RLIMIT_NPROC"* &&
	$line == *"cpu_quota by RLIMIT_CPU (a total of timeout x cpu_quota CPU seconds); no core dumps" ]] ||
	fail "the start-up line does not say the rlimit fallbacks: $line"
if ((EUID == 0)); then
	[[ $line == *"RLIMIT_NPROC, which does not bind root"* ]] || fail "the line does not say root is exempt"
else
	[[ $line == *"RLIMIT_NPROC (every process of our user counts)"* ]] || fail "the line does not say NPROC is per user"
fi

fifo_send "mem 256" "mem 8" "busy"
wait_accepted 3
start=$(now_us)
pctl_wait_failed 60
took=$((($(now_us) - start) / 1000))
grep -q 'mem: .*exit 1: MemoryError' "$T/wait.out" ||
	fail "256M under memory_max 64M did not fail with MemoryError: $(cat "$T/wait.out")"
wait_for 'dlog_has "job [0-9]+ busy failed on worker\[.\]: killed by signal 24"' 30 \
	"the busy loop to be killed by SIGXCPU (RLIMIT_CPU)"
[[ $(jget "$(status_json)" tasks.mem.done) == 1 ]] || fail "8M under memory_max 64M did not succeed"
[[ $(jget "$(status_json)" tasks.busy.timed_out) == 0 ]] || fail "the busy loop met its time limit, not RLIMIT_CPU"
dlog_has "busy: .*bytes of output, last: 0\\\\n" || fail "core dumps not off (ulimit -c is not 0)"
log "RLIMIT_AS and RLIMIT_CPU held ($took ms for the three jobs)"
stop_daemon
