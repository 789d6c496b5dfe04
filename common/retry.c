/*
 * Retries of failed jobs: parsing the keys of [queue.NAME], [kind.NAME]
 * and [module.NAME] (config_queue.c, config_opkind.c and config_module.c
 * hand them here), a kind's own keys over its queue's, which outcomes are retried, and the
 * back-off.  Which failures are temporary is the worker's call (PROTO_TEMPFAIL: exit 75 of an
 * operator kind, `retry` from a resident handler, POOLD_RETRY from a module, a refused or
 * unreachable `net` target); this file only says what a queue does with them.
 */
#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "config.h"
#include "config_values.h"
#include "proto.h"
#include "retry.h"

void retry_defaults(struct retry_conf *rc)
{
	rc->count = 0;
	rc->min_ms = 1000;
	rc->max_ms = 300000;
	rc->on = RETRY_ON_TEMPFAIL;
}

static int retry_parse_backoff(const char *value, struct retry_conf *rc, char *reason, size_t rlen)
{
	const char *dots = strstr(value, "..");
	char lo[32];
	unsigned min, max;
	size_t n = dots != NULL ? (size_t)(dots - value) : strlen(value);

	if (n >= sizeof(lo))
		n = sizeof(lo) - 1;
	memcpy(lo, value, n);
	lo[n] = '\0';
	if (config_parse_duration(lo, &min) == -1 ||
	    config_parse_duration(dots != NULL ? dots + 2 : lo, &max) == -1 || min == 0 ||
	    max < min) {
		snprintf(reason, rlen,
		         "bad backoff '%s' (MIN..MAX durations, 0 < MIN <= MAX, e.g. 1s..5m)",
		         value);
		return -1;
	}
	rc->min_ms = min;
	rc->max_ms = max;
	return 0;
}

static int retry_parse_on(const char *value, struct retry_conf *rc, char *reason, size_t rlen)
{
	if (strcmp(value, "tempfail") == 0)
		rc->on = RETRY_ON_TEMPFAIL;
	else if (strcmp(value, "any") == 0)
		rc->on = RETRY_ON_ANY;
	else {
		snprintf(reason, rlen, "bad retry_on '%s' (tempfail or any)", value);
		return -1;
	}
	return 0;
}

int retry_parse_key(int key, const char *value, struct retry_conf *rc, char *reason, size_t rlen)
{
	unsigned long v;

	if (key == RETRY_KEY_BACKOFF)
		return retry_parse_backoff(value, rc, reason, rlen);
	if (key == RETRY_KEY_ON)
		return retry_parse_on(value, rc, reason, rlen);
	if (config_number(value, 0, RETRY_MAX, &v, reason, rlen) < 0)
		return -1;
	rc->count = (unsigned)v;
	return 0;
}

void retry_merge(struct retry_conf *out, const struct retry_conf *base,
                 const struct retry_conf *own, char *const *set)
{
	*out = *base;
	if (set[RETRY_KEY_RETRY] != NULL)
		out->count = own->count;
	if (set[RETRY_KEY_BACKOFF] != NULL) {
		out->min_ms = own->min_ms;
		out->max_ms = own->max_ms;
	}
	if (set[RETRY_KEY_ON] != NULL)
		out->on = own->on;
}

const char *retry_on_name(int on)
{
	return on == RETRY_ON_ANY ? "any" : "tempfail";
}

bool retry_wanted(const struct retry_conf *rc, uint32_t status)
{
	if (rc->count == 0)
		return false;
	if (status == PROTO_TEMPFAIL)
		return true;
	return rc->on == RETRY_ON_ANY && (status == PROTO_FAILED || status == PROTO_TIMEDOUT);
}

double retry_delay(const struct retry_conf *rc, unsigned n, uint64_t *seed)
{
	double min = rc->min_ms / 1000.0, max = rc->max_ms / 1000.0;
	double d = backoff_delay(n, 2 * min, max, seed);

	return d < min ? min : d;
}
