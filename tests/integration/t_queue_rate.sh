#!/bin/bash
# [queue.NAME] rate and burst, per host: 4 workers, `log` jobs limited to
# 20 a second with a burst of 5.  41 jobs submitted at once: the first 5
# go at once, then one every 50 ms, so from the jobs' own timestamps the
# 41 lines span at least 1.75 s (36 intervals of 1/20 s, less 1 % for
# clock rounding) whatever the number of workers; held jobs stay queued
# and all run once.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

write_config workers=4 extra="[queue.slow]\nkinds = log\nrate = 20\nburst = 5\n[token.gpu]\ncount = 2"
start_daemon
gen_ids r 41 | pctl submit - || fail "poolctl submit - exited $?"
wait_accepted 41
pctl_wait || fail "poolctl wait: $(cat "$T/wait.out")"
check_ids r 41 once
span=$(awk '$3 ~ /^r-/ { split($1, t, "T"); split(t[2], h, ":"); s = h[1] * 3600 + h[2] * 60 + h[3]
	if (min == "" || s < min) min = s; if (s > max) max = s } END { printf "%.3f", max - min }' "$JOBLOG")
log "41 jobs at rate 20/s, burst 5: their lines span $span s"
awk -v s="$span" 'BEGIN { exit !(s >= 1.75) }' || fail "41 jobs span $span s: the rate was not kept"
# The first five (the burst) went at once.
first=$(awk '$3 ~ /^r-/ { split($1, t, "T"); split(t[2], h, ":"); print h[1] * 3600 + h[2] * 60 + h[3] }' "$JOBLOG" |
	sort -n | awk 'NR == 1 { a = $1 } NR == 5 { printf "%.3f", $1 - a }')
log "the burst of 5 took $first s"
# Tokens in status and metrics (none held: no queue needs gpu).
[[ $(stat_of tokens.gpu.free) == 2 && $(stat_of tokens.gpu.count) == 2 ]] ||
	fail "status --json does not show [token.gpu] with 2 free"
pctl status | grep -q "token gpu: 2 of 2 free" || fail "status does not show [token.gpu]"
pctl metrics | grep -qx 'poold_token_free{token="gpu"} 2' || fail "metrics do not show [token.gpu]"
true
