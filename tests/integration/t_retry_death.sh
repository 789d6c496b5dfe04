#!/bin/bash
# A worker's death and a queue's retries count apart (issue 14): with
# [pool] max_attempts = 2 and retry = 2, a resident handler that answers
# `retry` twice and then dies with the job (taking its worker) has the
# job delivered again, not buried: only the deaths since its last retried
# failure count against max_attempts.  The fourth attempt succeeds.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

cat >"$T/handler.sh" <<EOS
#!/bin/sh
while read -r name; do
	echo "\$name" >>"$T/attempts.log"
	n=\$(grep -c . "$T/attempts.log")
	case \$n in
	1 | 2) echo "retry not yet" ;;
	3) exit 3 ;;
	*) echo "ok at last" ;;
	esac
done
EOS
chmod +x "$T/handler.sh"

write_config workers=1 extra_pool="max_attempts = 2" extra="[kind.res]
code = 1100
mode = resident
exec = $T/handler.sh {1:word}
[queue.res]
retry = 2
backoff = 100ms
kinds = res"
start_daemon

id=$(pctl submit res x) || fail "submit"
pctl wait "$id" >/dev/null || fail "the job did not succeed: $(pctl job "$id")"
[[ $(grep -c . "$T/attempts.log") == 4 ]] || fail "not 4 attempts: $(cat "$T/attempts.log")"
pctl job "$id" | grep -q "^failed attempts: 2$" || fail "not 2 failed attempts kept: $(pctl job "$id")"
true
