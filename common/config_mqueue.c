/*
 * The [control] mqueue value: the name of the POSIX message queue poold
 * reads jobs from (mq_overview(7)).  Part of the config module (see
 * config_values.h); no I/O: daemon/sources/mqueue.c opens the queue.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config_values.h"

/*
 * "none" (the default: no queue, the field left "") or a queue name as
 * mq_open(3) wants it on Linux: a slash, then 1 to NAME_MAX - 1 printable
 * ASCII characters with no other slash and no space.
 */
int config_parse_mqueue(struct config *cfg, const struct config_key *k, const char *value,
                        char *reason, size_t rlen)
{
	size_t i, n = strlen(value);

	if (strcmp(value, "none") == 0) {
		*(char *)config_field(cfg, k) = '\0';
		return 0;
	}
	if (value[0] != '/' || n < 2 || n >= sizeof(cfg->mqueue)) {
		snprintf(reason, rlen,
		         "'%s': a queue name is '/' and 1 to %d characters (e.g. /poold)", value,
		         (int)sizeof(cfg->mqueue) - 2);
		return -1;
	}
	for (i = 1; i < n; i++) {
		if (value[i] <= ' ' || value[i] > '~' || value[i] == '/') {
			snprintf(
			    reason, rlen,
			    "'%s': after the first '/', only printable ASCII without '/' or spaces",
			    value);
			return -1;
		}
	}
	memcpy(config_field(cfg, k), value, n + 1);
	return 0;
}
