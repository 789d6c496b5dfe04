/*
 * [kind.NAME] sections: the keys of an operator-declared kind read into
 * a struct opkind (opkind.h), and the checks of the whole once the file
 * is read.  Each value is also kept as written, so two loads compare key
 * by key (a reload that changes a kind replaces the workers, unless only
 * the keys the master alone reads changed: unique, retry, backoff,
 * retry_on).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_section.h"
#include "config_values.h"
#include "opkind.h"

#define OPKIND_PREFIX       "kind."
#define OPKIND_DEFAULT_PATH "PATH=/usr/local/bin:/usr/bin:/bin"

static const char *const opkind_keys[OPK_N] = {
    "code",      "exec",      "mode",   "timeout", "output",  "env",      "memory_max",
    "tasks_max", "cpu_quota", "unique", "retry",   "backoff", "retry_on",
};
_Static_assert(OPK_RETRY_ON - OPK_RETRY == RETRY_KEY_ON, "the retry keys in retry.h's order");

/* Keys only the master reads: a reload that changes them keeps the
 * workers (the next job, or the next failure, sees the new value). */
static bool opkind_master_key(int key)
{
	return key == OPK_UNIQUE || (key >= OPK_RETRY && key <= OPK_RETRY_ON);
}

bool opkind_name_ok(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > OPKIND_NAME_MAX || !isalpha((unsigned char)name[0]))
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") ==
	       n;
}

bool opkind_section(const char *section)
{
	return strncmp(section, OPKIND_PREFIX, strlen(OPKIND_PREFIX)) == 0 &&
	       opkind_name_ok(section + strlen(OPKIND_PREFIX));
}

const struct opkind *opkind_find(const struct config *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->n_opkinds; i++)
		if (strcmp(cfg->opkinds[i]->name, name) == 0)
			return cfg->opkinds[i];
	return NULL;
}

/* The kind of section in cfg, made (with its defaults) if new. */
static struct opkind *opkind_get(struct config *cfg, const char *name, char *reason, size_t rlen)
{
	struct opkind *k = (struct opkind *)opkind_find(cfg, name);

	if (k != NULL)
		return k;
	if (cfg->n_opkinds == CONFIG_MAX_OPKINDS) {
		snprintf(reason, rlen, "more than %d [kind.NAME] sections", CONFIG_MAX_OPKINDS);
		return NULL;
	}
	k = calloc(1, sizeof(*k));
	if (k == NULL) {
		snprintf(reason, rlen, "out of memory");
		return NULL;
	}
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->output = 64 * 1024;
	k->env[0] = (char *)OPKIND_DEFAULT_PATH;
	retry_defaults(&k->retry);
	cfg->opkinds[cfg->n_opkinds++] = k;
	return k;
}

/* "512M", "64K", "1G" or plain bytes. */
static int opkind_bytes(const char *v, unsigned long long max, unsigned long long *out,
                        char *reason, size_t rlen)
{
	static const char units[] = "KMGT";
	unsigned long long n = 0, mul = 1;
	const char *p = v, *u;

	for (; isdigit((unsigned char)*p) && n <= max; p++)
		n = n * 10 + (unsigned long long)(*p - '0');
	if (*p != '\0' && (u = strchr(units, toupper((unsigned char)*p))) != NULL && p[1] == '\0')
		for (mul = 1024; u > units; u--)
			mul *= 1024;
	else if (*p != '\0')
		p = NULL;
	if (p == v || p == NULL || n > max / mul || n * mul > max) {
		snprintf(reason, rlen, "'%s' is not a size up to %llu bytes (K, M, G suffixes)", v,
		         max);
		return -1;
	}
	*out = n * mul;
	return 0;
}

/* env = NAME=VALUE ...: blank-separated, no quoting; PATH unless set. */
static int opkind_env(struct opkind *k, const char *v, char *reason, size_t rlen)
{
	char *p, *save = NULL, *eq;
	unsigned n = 0;
	bool path = false;

	k->envbuf = strdup(v);
	if (k->envbuf == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	for (p = strtok_r(k->envbuf, " \t", &save); p != NULL; p = strtok_r(NULL, " \t", &save)) {
		eq = strchr(p, '=');
		if (eq == NULL || eq == p ||
		    strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
		              "vwxyz0123456789_") != (size_t)(eq - p) ||
		    strncmp(p, "POOLD_", 6) == 0 || n == OPKIND_ENV_MAX) {
			snprintf(reason, rlen, "'%.60s' is not NAME=VALUE (at most %d, no POOLD_*)",
			         p, OPKIND_ENV_MAX);
			return -1;
		}
		path = path || strncmp(p, "PATH=", 5) == 0;
		k->env[n++] = p;
	}
	if (!path)
		k->env[n++] = (char *)OPKIND_DEFAULT_PATH;
	k->env[n] = NULL;
	return 0;
}

static int opkind_value(struct opkind *k, int key, const char *v, char *reason, size_t rlen)
{
	unsigned long n;
	unsigned long long b;

	switch (key) {
	case OPK_CODE:
		if (config_number(v, 1, 2000000000UL, &n, reason, rlen) < 0)
			return -1;
		k->code = (uint32_t)n;
		return 0;
	case OPK_EXEC:
		return tpl_parse(&k->tpl, v, reason, rlen);
	case OPK_MODE:
		k->resident = strcmp(v, "resident") == 0;
		if (k->resident || strcmp(v, "per-job") == 0)
			return 0;
		snprintf(reason, rlen, "'%s' is neither per-job nor resident", v);
		return -1;
	case OPK_TIMEOUT:
		if (config_parse_duration(v, &k->timeout_ms) == 0)
			return 0;
		snprintf(reason, rlen, "'%s' is not a duration (250ms, 3s, 2m, 1h)", v);
		return -1;
	case OPK_OUTPUT:
		if (opkind_bytes(v, OPKIND_OUTPUT_MAX, &b, reason, rlen) < 0)
			return -1;
		k->output = (unsigned)b;
		return 0;
	case OPK_ENV:
		return opkind_env(k, v, reason, rlen);
	case OPK_MEMORY_MAX:
		return opkind_bytes(v, 1ULL << 50, &k->memory_max, reason, rlen);
	case OPK_TASKS_MAX:
		if (config_number(v, 1, 4194304, &n, reason, rlen) < 0)
			return -1;
		k->tasks_max = (unsigned)n;
		return 0;
	case OPK_UNIQUE:
		return config_parse_unique(v, &k->unique, reason, rlen);
	case OPK_RETRY:
	case OPK_BACKOFF:
	case OPK_RETRY_ON:
		return retry_parse_key(key - OPK_RETRY, v, &k->retry, reason, rlen);
	default: /* OPK_CPU_QUOTA: "50%", percent of one CPU */
		if (v[strlen(v) - 1] != '%' || strlen(v) > 8) {
			snprintf(reason, rlen, "'%s' is not a percentage of one CPU (50%%, 200%%)",
			         v);
			return -1;
		}
		{
			char num[8];

			snprintf(num, sizeof(num), "%.*s", (int)strlen(v) - 1, v);
			if (config_number(num, 1, 100000, &n, reason, rlen) < 0)
				return -1;
		}
		k->cpu_quota = (unsigned)n;
		return 0;
	}
}

int opkind_set(struct config *cfg, const char *section, const char *key, const char *value,
               char *reason, size_t rlen)
{
	struct opkind *k;
	int i;

	for (i = 0; i < OPK_N && strcmp(opkind_keys[i], key) != 0; i++)
		;
	if (i == OPK_N) {
		snprintf(reason, rlen, "unknown key '%s' in [%s]", key, section);
		return -1;
	}
	k = opkind_get(cfg, section + strlen(OPKIND_PREFIX), reason, rlen);
	if (k == NULL)
		return -1;
	if (k->raw[i] != NULL) {
		snprintf(reason, rlen, "duplicate key '%s' in [%s]", key, section);
		return -1;
	}
	k->raw[i] = strdup(value);
	if (k->raw[i] == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	return opkind_value(k, i, value, reason, rlen);
}

/* Refuses k if it takes a built-in kind's name or code. */
static int opkind_builtin(const struct opkind *k, char *reason, size_t rlen)
{
	const char *bname;
	uint32_t bcode;

	if (!config_kind_builtin(k->name, k->code, &bname, &bcode))
		return 0;
	snprintf(reason, rlen, "[kind.%s] code %u: the built-in kind %s (code %u) has %s", k->name,
	         k->code, bname, bcode, bcode == k->code ? "this code" : "this name");
	return -1;
}

int opkind_check_all(const struct config *cfg, char *reason, size_t rlen)
{
	const struct opkind *k;
	unsigned i, j;

	for (i = 0; i < cfg->n_opkinds; i++) {
		k = cfg->opkinds[i];
		if (k->raw[OPK_CODE] == NULL || k->raw[OPK_EXEC] == NULL) {
			snprintf(reason, rlen, "[kind.%s] needs code and exec", k->name);
			return -1;
		}
		if (opkind_builtin(k, reason, rlen) < 0)
			return -1;
		for (j = 0; j < i; j++) {
			if (cfg->opkinds[j]->code == k->code) {
				snprintf(reason, rlen, "[kind.%s] code %u is also [kind.%s]'s",
				         k->name, k->code, cfg->opkinds[j]->name);
				return -1;
			}
		}
	}
	return 0;
}

bool opkind_same_all(const struct config *a, const struct config *b)
{
	const struct opkind *ka, *kb;
	unsigned i;
	int key;

	if (a->n_opkinds != b->n_opkinds)
		return false;
	for (i = 0; i < a->n_opkinds; i++) {
		ka = a->opkinds[i];
		kb = opkind_find(b, ka->name);
		if (kb == NULL)
			return false;
		for (key = 0; key < OPK_N; key++)
			if (!opkind_master_key(key) &&
			    ((ka->raw[key] == NULL) != (kb->raw[key] == NULL) ||
			     (ka->raw[key] != NULL && strcmp(ka->raw[key], kb->raw[key]) != 0)))
				return false;
	}
	return true;
}

void opkind_free_all(struct config *cfg)
{
	struct opkind *k;
	unsigned i;
	int key;

	for (i = 0; i < cfg->n_opkinds; i++) {
		k = cfg->opkinds[i];
		tpl_free(&k->tpl);
		free(k->envbuf);
		for (key = 0; key < OPK_N; key++)
			free(k->raw[key]);
		free(k);
		cfg->opkinds[i] = NULL;
	}
	cfg->n_opkinds = 0;
}
