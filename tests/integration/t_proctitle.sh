#!/bin/bash
# Process titles, as nginx and PHP-FPM show theirs: the master is
# "poold: master" followed by its command line, each worker "poold:
# worker N" (N its slot, as in the log's worker[N]) in ps (/proc/PID/
# cmdline), and the same names in top and the journal (/proc/PID/comm,
# 15 bytes: "poold: wN" from slot 10 on).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# cmdline PID: the command line as ps shows it (NULs as spaces, trailing
# padding dropped).
cmdline() {
	tr '\0' ' ' <"/proc/$1/cmdline" | sed 's/ *$//'
}

write_config workers=11
start_daemon
expect_workers 11

[[ $(cat "/proc/$MASTER_PID/comm") == "poold: master" ]] ||
	fail "master comm is '$(cat "/proc/$MASTER_PID/comm")', not 'poold: master'"
[[ $(cmdline "$MASTER_PID") == "poold: master $POOLD -c $CONF" ]] ||
	fail "master command line is '$(cmdline "$MASTER_PID")', not 'poold: master $POOLD -c $CONF'"
ps -o args= -p "$MASTER_PID" | grep -qx "poold: master $POOLD -c $CONF" ||
	fail "ps shows the master as '$(ps -o args= -p "$MASTER_PID")'"

seen=()
for p in "${pids[@]}"; do
	title=$(cmdline "$p")
	[[ $title =~ ^poold:\ worker\ ([0-9]+)$ ]] || fail "worker $p has the command line '$title'"
	n=${BASH_REMATCH[1]}
	want="poold: worker $n"
	((${#want} > 15)) && want="poold: w$n"
	[[ $(cat "/proc/$p/comm") == "$want" ]] ||
		fail "worker $p (slot $n) has comm '$(cat "/proc/$p/comm")', not '$want'"
	seen+=("$n")
done
[[ $(printf '%s\n' "${seen[@]}" | sort -n | tr '\n' ' ') == "0 1 2 3 4 5 6 7 8 9 10 " ]] ||
	fail "worker titles name slots ${seen[*]}, not 0..10 once each"

# A replacement worker takes its slot's title.
victim=${pids[3]}
n=$(cmdline "$victim")
kill_worker KILL "$victim"
wait_for '[[ $(stat_of workers.ready) == 11 && $(workers_pids | wc -l) == 11 ]]' 30 "a replacement worker"
mapfile -t now < <(workers_pids)
found=
for p in "${now[@]}"; do
	[[ $(cmdline "$p") == "$n" ]] && found=$p
done
[[ -n $found && $found != "$victim" ]] || fail "no new worker titled '$n' after $victim died"
