/*
 * The [queue.NAME] and [token.NAME] sections: named sections, so they
 * are not rows of the key table; config.c hands their keys here.  Part of
 * the config module (see config_values.h); no I/O.  The daemon's sched.c
 * applies them.
 *
 * Every kind belongs to exactly one queue: the one whose `kinds` names it,
 * else the built-in "long" (kinds that may run for seconds: backup, net)
 * or "default" (the others).  Both built-in queues always exist and may be
 * given keys like any other.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_values.h"
#include "modkind.h"
#include "opkind.h"
#include "retry.h"

enum {
	QK_KINDS,
	QK_CONCURRENCY,
	QK_RATE,
	QK_BURST,
	QK_INFLIGHT,
	QK_NEEDS,
	QK_UNIQUE,
	QK_RETRY, /* QK_RETRY to QK_RETRY_ON: enum retry_key's order */
	QK_BACKOFF,
	QK_RETRY_ON,
	QK_COUNT
};
_Static_assert(QK_RETRY_ON - QK_RETRY == RETRY_KEY_ON, "the retry keys in retry.h's order");

static const char *const config_queue_keys[] = {
    [QK_KINDS] = "kinds",       [QK_CONCURRENCY] = "concurrency",
    [QK_RATE] = "rate",         [QK_BURST] = "burst",
    [QK_INFLIGHT] = "inflight", [QK_NEEDS] = "needs",
    [QK_UNIQUE] = "unique",     [QK_RETRY] = "retry",
    [QK_BACKOFF] = "backoff",   [QK_RETRY_ON] = "retry_on",
    [QK_COUNT] = "count",
};

bool config_queue_section(const char *section)
{
	return strncmp(section, "queue.", 6) == 0 || strncmp(section, "token.", 6) == 0;
}

void config_queues_defaults(struct config *cfg)
{
	memset(cfg->queues, 0, sizeof(cfg->queues));
	snprintf(cfg->queues[0].name, sizeof(cfg->queues[0].name), "default");
	snprintf(cfg->queues[1].name, sizeof(cfg->queues[1].name), "long");
	cfg->queues[0].token = cfg->queues[1].token = -1;
	cfg->queues[1].inflight = 1; /* see conf/poold.ini: no job behind a long one */
	retry_defaults(&cfg->queues[0].retry);
	retry_defaults(&cfg->queues[1].retry);
	cfg->nqueues = 2;
	cfg->ntokens = 0;
}

/* 1 to 31 characters of [a-z0-9_-]. */
static int config_queue_name(const char *name, char *reason, size_t rlen)
{
	size_t i, n = strlen(name);

	for (i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) && !isdigit((unsigned char)name[i]) &&
		    name[i] != '_' && name[i] != '-')
			break;
	if (n == 0 || n >= CONFIG_QUEUE_NAME || i < n) {
		snprintf(reason, rlen, "bad name '%s' (1 to %d of a-z, 0-9, _ and -)", name,
		         CONFIG_QUEUE_NAME - 1);
		return -1;
	}
	return 0;
}

/* `kinds = noop log`: kind names (built-in, [kind.NAME], [module.NAME]), by blanks or
 * commas; config_queues_finish checks that they exist. */
static int config_queue_kinds(struct config_queue *q, const char *value, char *reason, size_t rlen)
{
	const char *p = value;
	size_t n;

	while (*p != '\0') {
		p += strspn(p, " \t,");
		n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if (n >= CONFIG_KIND_NAME || q->nkinds == CONFIG_QUEUE_KINDS) {
			snprintf(reason, rlen, "%s",
			         n >= CONFIG_KIND_NAME ? "kind name too long" : "too many kinds");
			return -1;
		}
		snprintf(q->kinds[q->nkinds++], CONFIG_KIND_NAME, "%.*s", (int)n, p);
		p += n;
	}
	return 0;
}

int config_parse_unique(const char *value, int *mode, char *reason, size_t rlen)
{
	static const char *const names[] = {
	    [CONFIG_UNIQUE_NONE] = "none",
	    [CONFIG_UNIQUE_QUEUED] = "queued",
	    [CONFIG_UNIQUE_ACTIVE] = "active",
	    [CONFIG_UNIQUE_DONE] = "until-done",
	};
	int i;

	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++)
		if (strcmp(value, names[i]) == 0) {
			*mode = i;
			return 0;
		}
	snprintf(reason, rlen, "'%.40s' is none of none, queued, active, until-done", value);
	return -1;
}

/* `rate = 5`, `rate = 0.5/s`, `rate = 30/m`, `rate = 100/h`: jobs a second. */
static int config_queue_rate(const char *value, double *rate, char *reason, size_t rlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(value, &end);
	if (strcmp(end, "/m") == 0)
		v /= 60;
	else if (strcmp(end, "/h") == 0)
		v /= 3600;
	else if (*end != '\0' && strcmp(end, "/s") != 0)
		v = -1;
	if (errno != 0 || end == value || !(v >= 0 && v <= 1e6) ||
	    !isdigit((unsigned char)*value)) {
		snprintf(reason, rlen, "bad rate '%s' (jobs a second, or N/s, N/m, N/h)", value);
		return -1;
	}
	*rate = v;
	return 0;
}

static int config_queue_value(struct config *cfg, struct config_queue *q, int key,
                              const char *value, char *reason, size_t rlen)
{
	unsigned long v = 0;

	switch (key) {
	case QK_KINDS:
		return config_queue_kinds(q, value, reason, rlen);
	case QK_RATE:
		return config_queue_rate(value, &q->rate, reason, rlen);
	case QK_UNIQUE:
		return config_parse_unique(value, &q->unique, reason, rlen);
	case QK_NEEDS:
		if (config_queue_name(value, reason, rlen) < 0)
			return -1;
		snprintf(q->needs, sizeof(q->needs), "%s", value);
		return 0;
	case QK_RETRY:
	case QK_BACKOFF:
	case QK_RETRY_ON:
		return retry_parse_key(key - QK_RETRY, value, &q->retry, reason, rlen);
	}
	if (config_number(value, key == QK_CONCURRENCY ? 0 : 1,
	                  key == QK_INFLIGHT ? 65536 : 1000000, &v, reason, rlen) < 0)
		return -1;
	if (key == QK_CONCURRENCY)
		q->concurrency = (unsigned)v;
	else if (key == QK_BURST)
		q->burst = (unsigned)v;
	else
		q->inflight = (unsigned)v;
	return 0;
}

/* The queue or token named, made if new; NULL with a reason if full. */
static void *config_queue_find(struct config *cfg, bool token, const char *name, char *reason,
                               size_t rlen)
{
	unsigned i, n = token ? cfg->ntokens : cfg->nqueues;
	char *slot;

	for (i = 0; i < n; i++) {
		slot = token ? cfg->tokens[i].name : cfg->queues[i].name;
		if (strcmp(slot, name) == 0)
			return token ? (void *)&cfg->tokens[i] : (void *)&cfg->queues[i];
	}
	if (n == (token ? CONFIG_MAX_TOKENS : CONFIG_MAX_QUEUES)) {
		snprintf(reason, rlen, "more than %d %s sections", (int)n,
		         token ? "token" : "queue");
		return NULL;
	}
	if (token) {
		snprintf(cfg->tokens[n].name, CONFIG_QUEUE_NAME, "%s", name);
		return &cfg->tokens[cfg->ntokens++];
	}
	memset(&cfg->queues[n], 0, sizeof(cfg->queues[n]));
	snprintf(cfg->queues[n].name, CONFIG_QUEUE_NAME, "%s", name);
	cfg->queues[n].token = -1;
	retry_defaults(&cfg->queues[n].retry);
	return &cfg->queues[cfg->nqueues++];
}

int config_queue_key(struct config *cfg, const char *section, const char *key, const char *value,
                     char *reason, size_t rlen)
{
	bool token = section[0] == 't';
	struct config_token *t;
	struct config_queue *q;
	void *found;
	int k;

	if (config_queue_name(section + 6, reason, rlen) < 0)
		return -1;
	for (k = 0; k <= QK_COUNT; k++)
		if (strcmp(key, config_queue_keys[k]) == 0 && (k == QK_COUNT) == token)
			break;
	if (k > QK_COUNT) {
		snprintf(reason, rlen, "unknown key '%s' in [%s]", key, section);
		return -1;
	}
	if ((found = config_queue_find(cfg, token, section + 6, reason, rlen)) == NULL)
		return -1;
	q = found;
	t = found;
	if (token) {
		unsigned long v;

		if (config_number(value, 1, 1000000, &v, reason, rlen) < 0)
			return -1;
		t->count = (unsigned)v;
		return 0;
	}
	if (q->seen & (1u << k)) {
		snprintf(reason, rlen, "duplicate key '%s' in [%s]", key, section);
		return -1;
	}
	q->seen |= 1u << k;
	return config_queue_value(cfg, q, k, value, reason, rlen);
}

/* A built-in kind (code 0 is none's: the name decides), or one of cfg's. */
static bool config_queue_kind_known(const struct config *cfg, const char *kind)
{
	const char *bname;
	uint32_t bcode;

	return config_kind_builtin(kind, 0, &bname, &bcode) || opkind_find(cfg, kind) != NULL ||
	       modkind_find(cfg, kind) != NULL;
}

/* The queue before qi that names kind, or -1. */
static int config_queue_owner(const struct config *cfg, unsigned qi, const char *kind)
{
	unsigned i, k;

	for (i = 0; i < qi; i++)
		for (k = 0; k < cfg->queues[i].nkinds; k++)
			if (strcmp(cfg->queues[i].kinds[k], kind) == 0)
				return (int)i;
	return -1;
}

/* After the file: every kind named exists and is in one queue only, every
 * `needs` names a token.  (Kinds no queue names go to the built-in
 * "long" or "default": the daemon's sched.c.) */
int config_queues_finish(struct config *cfg, char *reason, size_t rlen)
{
	struct config_queue *q;
	const char *kind;
	unsigned qi, i;

	for (qi = 0; qi < cfg->nqueues; qi++) {
		q = &cfg->queues[qi];
		if (qi >= 2 && q->nkinds == 0) {
			snprintf(reason, rlen, "[queue.%s] names no kinds (kinds = ...)", q->name);
			return -1;
		}
		for (i = 0; i < q->nkinds; i++) {
			kind = q->kinds[i];
			if (!config_queue_kind_known(cfg, kind)) {
				snprintf(reason, rlen, "[queue.%s] kinds: unknown kind '%s'",
				         q->name, kind);
				return -1;
			}
			if (config_queue_owner(cfg, qi, kind) >= 0) {
				snprintf(reason, rlen, "kind %s is in two queues (the second: %s)",
				         kind, q->name);
				return -1;
			}
		}
		for (q->token = -1, i = 0; q->needs[0] != '\0' && i < cfg->ntokens; i++)
			if (strcmp(cfg->tokens[i].name, q->needs) == 0)
				q->token = (int)i;
		if (q->needs[0] != '\0' && q->token < 0) {
			snprintf(reason, rlen, "[queue.%s] needs = %s: no [token.%s]", q->name,
			         q->needs, q->needs);
			return -1;
		}
	}
	return 0;
}
