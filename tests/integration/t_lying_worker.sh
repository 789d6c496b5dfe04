#!/bin/bash
# The master never trusts a worker: bytes written into a worker's
# completion pipe that are not an honest record (a bad length, a job it
# does not hold) get that worker killed and replaced; its jobs run
# elsewhere and the pool keeps serving.  The lies are injected through
# /proc/PID/fd, into the real pipe.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=2
start_daemon

# done_fd: the fd of a worker that is the write end of a pipe the master
# reads, i.e. not its task pipe (the one it reads).
done_fd() {
	local fd
	for fd in /proc/"$1"/fd/*; do
		[[ $(readlink "$fd") == pipe:* ]] || continue
		[[ $(awk '/^flags/ { print $2 }' "/proc/$1/fdinfo/${fd##*/}") == *1 ]] && {
			echo "$fd"
			return
		}
	done
}

lie() { # lie PID BYTES(printf format)
	local fd
	fd=$(done_fd "$1")
	[[ -n $fd ]] || fail "no completion pipe found for worker $1"
	# shellcheck disable=SC2059
	printf "$2" >"$fd"
}

expect_workers 2
victim=${pids[0]}
# A record for job 999999 that this worker does not hold: 16-byte header.
lie "$victim" '\x3f\x42\x0f\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00'
wait_for '! alive '"$victim" 10 "the lying worker to be killed"
dlog_has "does not hold; killing it" || fail "the master did not say why it killed the worker"

wait_for '[[ $(stat_of workers.ready) == 2 ]]' 10 "a replacement worker"
expect_workers 2
victim=${pids[1]}
# A header claiming a 1 GiB message.
lie "$victim" '\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x40'
wait_for '! alive '"$victim" 10 "the worker with a bad length to be killed"
dlog_has "malformed completion record" || fail "the bad length was not reported"
wait_for '[[ $(stat_of workers.ready) == 2 ]]' 10 "a replacement worker"

gen_ids l 1000 | pctl submit - || fail "poolctl submit - exited $?"
pctl_wait || fail "poolctl wait exited $? ($(cat "$T/wait.out"))"
check_ids l 1000 once
(($(stat_of killed) == 2)) || fail "status does not count the two killed workers"
true
