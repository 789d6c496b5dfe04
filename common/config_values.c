/*
 * What each configuration value means: the key table (section, key,
 * default, parser), the value parsers, lexical path resolution and
 * durations, the built-in defaults and the comparison a reload needs.
 * The defaults go through the same parsers as the file, so what a file
 * accepts and what poold does without one cannot drift apart.
 *
 * Nothing here reads files or knows line numbers (config.c does), and
 * nothing touches the filesystem: paths are resolved by name only,
 * because the daemon creates them later and a reload must be judged the
 * same way as a start.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_values.h"
#include "log.h"

static const struct {
	const char *name;
	int level;
} config_levels[] = {
    {"error", LOG_LVL_ERR}, {"warning", LOG_LVL_WARNING}, {"notice", LOG_LVL_NOTICE},
    {"info", LOG_LVL_INFO}, {"debug", LOG_LVL_DEBUG},
};

/*
 * config_resolve: "//" and "." vanish, ".." drops the component
 * before it and stops at "/".  The filesystem is never consulted, so a
 * ".." after a symbolic link is taken by name, not by where the link
 * points.  Returns 0, or -1 if the result does not fit in outlen bytes.
 */
int config_resolve(const char *base, const char *path, char *out, size_t outlen)
{
	char joined[2 * PATH_MAX + 2];
	char *save, *comp;
	size_t len = 0, n;
	int w;

	if (path[0] == '/')
		w = snprintf(joined, sizeof(joined), "%s", path);
	else
		w = snprintf(joined, sizeof(joined), "%s/%s", base, path);
	if (w < 0 || (size_t)w >= sizeof(joined) || outlen < 2)
		return -1;
	for (comp = strtok_r(joined, "/", &save); comp != NULL; comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			while (len > 0 && out[--len] != '/')
				;
			continue;
		}
		n = strlen(comp);
		if (len + 1 + n >= outlen)
			return -1;
		out[len++] = '/';
		memcpy(out + len, comp, n);
		len += n;
	}
	if (len == 0)
		out[len++] = '/';
	out[len] = '\0';
	return 0;
}

int config_absolute(const char *path, char *out, char *reason, size_t rlen)
{
	char cwd[PATH_MAX] = "/";

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL) {
		snprintf(reason, rlen, "cannot get the working directory: %s", strerror(errno));
		return -1;
	}
	if (config_resolve(cwd, path, out, PATH_MAX) < 0) {
		snprintf(reason, rlen, "path too long (more than %d characters)", PATH_MAX - 1);
		return -1;
	}
	return 0;
}

/* Reads a decimal number in min..max: digits only, no sign, no suffix. */
int config_number(const char *s, unsigned long min, unsigned long max, unsigned long *out,
                  char *reason, size_t rlen)
{
	unsigned long long v;
	char *end;

	if (s[0] == '-') {
		snprintf(reason, rlen, "negative value '%s'", s);
		return -1;
	}
	if (!isdigit((unsigned char)s[0])) {
		snprintf(reason, rlen, "'%s' is not a number", s);
		return -1;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end != '\0') {
		snprintf(reason, rlen, "trailing garbage in '%s'", s);
		return -1;
	}
	if (errno == ERANGE || v < min || v > max) {
		snprintf(reason, rlen, "%s out of range %lu..%lu", s, min, max);
		return -1;
	}
	*out = (unsigned long)v;
	return 0;
}

/* A count in k->min..k->max into the unsigned field k names. */
int config_parse_count(struct config *cfg, const struct config_key *k, const char *value,
                       char *reason, size_t rlen)
{
	unsigned long v;

	if (config_number(value, k->min, k->max, &v, reason, rlen) < 0)
		return -1;
	*(unsigned *)config_field(cfg, k) = (unsigned)v;
	return 0;
}

/* "auto" is the number of online CPUs now, kept within 1..k->max. */
static int config_parse_workers(struct config *cfg, const struct config_key *k, const char *value,
                                char *reason, size_t rlen)
{
	long n;

	cfg->workers_auto = strcmp(value, "auto") == 0;
	if (!cfg->workers_auto) {
		if (!isdigit((unsigned char)value[0]) && value[0] != '-') {
			snprintf(reason, rlen, "'%s' is neither a number nor 'auto'", value);
			return -1;
		}
		return config_parse_count(cfg, k, value, reason, rlen);
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	cfg->workers = (unsigned long)n > k->max ? (unsigned)k->max : (unsigned)n;
	return 0;
}

/* A duration of at least k->min ms into the unsigned field k names. */
int config_parse_time(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen)
{
	unsigned ms;

	if (value[0] == '-') {
		snprintf(reason, rlen, "negative duration '%s'", value);
		return -1;
	}
	if (config_parse_duration(value, &ms) < 0) {
		snprintf(reason, rlen,
		         "bad duration '%s' (e.g. 250ms, 3s, 1.5s, 2m, 1h; at most 24h)", value);
		return -1;
	}
	if (ms < k->min) {
		snprintf(reason, rlen, "%s is too short (at least %lums)", value, k->min);
		return -1;
	}
	*(unsigned *)config_field(cfg, k) = ms;
	return 0;
}

/* A path, relative to the base directory unless absolute, normalized. */
int config_parse_path(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen)
{
	if (config_resolve(cfg->basedir, value, config_field(cfg, k), PATH_MAX) < 0) {
		snprintf(reason, rlen, "path too long (more than %d characters)", PATH_MAX - 1);
		return -1;
	}
	return 0;
}

/* A path, or "none" for a feature that is off (an empty string in cfg). */
static int config_parse_opt_path(struct config *cfg, const struct config_key *k, const char *value,
                                 char *reason, size_t rlen)
{
	if (strcmp(value, "none") == 0) {
		*(char *)config_field(cfg, k) = '\0';
		return 0;
	}
	return config_parse_path(cfg, k, value, reason, rlen);
}

/* Permission bits of the FIFO and the socket: the daemon must read and
 * write them itself, and letting everybody write would let anyone submit
 * jobs, so o+w is refused (grant a group instead).  Reading a FIFO takes
 * its lines, so a reader other than poold would steal jobs (and see their
 * text): no read bit for group or others.  Submitters need only write,
 * and so do socket clients (connect(2) needs write permission). */
static int config_parse_mode(struct config *cfg, const struct config_key *k, const char *value,
                             char *reason, size_t rlen)
{
	unsigned long m;

	if (value[strspn(value, "01234567")] != '\0') {
		snprintf(reason, rlen, "bad mode '%s' (octal, e.g. 0620)", value);
		return -1;
	}
	errno = 0;
	m = strtoul(value, NULL, 8);
	if (errno == ERANGE || m > 0777) {
		snprintf(reason, rlen, "mode %s has bits outside 0777", value);
		return -1;
	}
	if ((m & 0600) != 0600) {
		snprintf(reason, rlen, "mode %04lo: the owner needs read and write (0600)", m);
		return -1;
	}
	if (m & 0002) {
		snprintf(reason, rlen, "mode %04lo is world-writable (o+w)", m);
		return -1;
	}
	if (m & 0044) {
		snprintf(reason, rlen,
		         "mode %04lo lets others read the FIFO, which takes jobs from it "
		         "(submitters need write only, e.g. 0620)",
		         m);
		return -1;
	}
	cfg->mode = (mode_t)m;
	return 0;
}

/* [pool] mode: static or dynamic. */
static int config_parse_pool_mode(struct config *cfg, const struct config_key *k, const char *value,
                                  char *reason, size_t rlen)
{
	if (strcmp(value, "static") == 0 || strcmp(value, "dynamic") == 0) {
		cfg->dynamic = value[0] == 'd';
		return 0;
	}
	snprintf(reason, rlen, "unknown mode '%s' (static, dynamic)", value);
	return -1;
}

/* A key with two words, false then true, chosen by k->min ([backup]
 * hardlinks, partial). */
int config_parse_choice(struct config *cfg, const struct config_key *k, const char *value,
                        char *reason, size_t rlen)
{
	static const char *const words[][2] = {{"refuse", "allow"}, {"no", "yes"}};
	const char *const *w = words[k->min];
	bool *b = config_field(cfg, k);

	if (strcmp(value, w[0]) == 0 || strcmp(value, w[1]) == 0) {
		*b = strcmp(value, w[1]) == 0;
		return 0;
	}
	snprintf(reason, rlen, "unknown value '%s' (%s, %s)", value, w[0], w[1]);
	return -1;
}

/* [journal] fsync: when journal writes are made durable. */
static int config_parse_fsync(struct config *cfg, const struct config_key *k, const char *value,
                              char *reason, size_t rlen)
{
	static const char *const names[] = {
	    [CONFIG_FSYNC_ALWAYS] = "always",
	    [CONFIG_FSYNC_INTERVAL] = "interval",
	    [CONFIG_FSYNC_NEVER] = "never",
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(value, names[i]) == 0) {
			cfg->journal_fsync = (int)i;
			return 0;
		}
	}
	snprintf(reason, rlen, "unknown fsync policy '%s' (always, interval, never)", value);
	return -1;
}

static int config_parse_level(struct config *cfg, const struct config_key *k, const char *value,
                              char *reason, size_t rlen)
{
	size_t i;

	for (i = 0; i < sizeof(config_levels) / sizeof(config_levels[0]); i++) {
		if (strcmp(value, config_levels[i].name) == 0) {
			cfg->log_level = config_levels[i].level;
			return 0;
		}
	}
	snprintf(reason, rlen, "unknown level '%s' (error, warning, notice, info, debug)", value);
	return -1;
}

#define CONFIG_AT(field) offsetof(struct config, field)

/* A core key's reload policy (reload.c applies it; no `same`, no file
 * check: those are for the kinds' keys). */
#define CONFIG_LIVE    CONFIG_RELOAD_LIVE, NULL, false
#define CONFIG_RESTART CONFIG_RELOAD_RESTART, NULL, false

static const struct config_key config_keys[] = {
    {"pool", "workers", "auto", config_parse_workers, NULL, CONFIG_AT(workers), 1,
     CONFIG_MAX_WORKERS, CONFIG_LIVE},
    {"pool", "inflight", "128", config_parse_count, NULL, CONFIG_AT(inflight), 1, 65536,
     CONFIG_LIVE},
    {"pool", "queue_limit", "65536", config_parse_count, NULL, CONFIG_AT(queue_limit), 1, 100000000,
     CONFIG_LIVE},
    {"pool", "shutdown_timeout", "30s", config_parse_time, NULL, CONFIG_AT(shutdown_timeout_ms), 0,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"pool", "kill_timeout", "5s", config_parse_time, NULL, CONFIG_AT(kill_timeout_ms), 0,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"pool", "job_timeout", "5m", config_parse_time, NULL, CONFIG_AT(job_timeout_ms), 0,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"pool", "max_attempts", "3", config_parse_count, NULL, CONFIG_AT(max_attempts), 1, 100,
     CONFIG_LIVE},
    {"pool", "timeout_retries", "0", config_parse_count, NULL, CONFIG_AT(timeout_retries), 0, 100,
     CONFIG_LIVE},
    {"pool", "max_jobs_per_worker", "0", config_parse_count, NULL, CONFIG_AT(max_jobs_per_worker),
     0, 4000000000UL, CONFIG_LIVE},
    {"pool", "mode", "static", config_parse_pool_mode, NULL, CONFIG_AT(dynamic), 0, 0, CONFIG_LIVE},
    {"pool", "min_workers", "1", config_parse_count, NULL, CONFIG_AT(min_workers), 1,
     CONFIG_MAX_WORKERS, CONFIG_LIVE},
    {"pool", "max_workers", "64", config_parse_count, NULL, CONFIG_AT(max_workers), 1,
     CONFIG_MAX_WORKERS, CONFIG_LIVE},
    {"pool", "idle_timeout", "10s", config_parse_time, NULL, CONFIG_AT(idle_timeout_ms), 100,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"control", "fifo", "poold.d/control", config_parse_path, NULL, CONFIG_AT(fifo), 0, 0,
     CONFIG_RESTART},
    {"control", "socket", "poold.d/control.sock", config_parse_path, NULL, CONFIG_AT(socket), 0, 0,
     CONFIG_RESTART},
    {"control", "mode", "0620", config_parse_mode, NULL, CONFIG_AT(mode), 0, 0, CONFIG_RESTART},
    {"control", "mqueue", "none", config_parse_mqueue, NULL, CONFIG_AT(mqueue), 0, 0,
     CONFIG_RESTART},
    {"control", "mqueue_depth", "10", config_parse_count, NULL, CONFIG_AT(mqueue_depth), 1, 65536,
     CONFIG_RESTART},
    {"log", "level", "info", config_parse_level, NULL, CONFIG_AT(log_level), 0, 0, CONFIG_LIVE},
    {"journal", "file", "poold.d/journal", config_parse_path, NULL, CONFIG_AT(journal_file), 0, 0,
     CONFIG_RESTART},
    {"journal", "fsync", "interval", config_parse_fsync, NULL, CONFIG_AT(journal_fsync), 0, 0,
     CONFIG_LIVE},
    {"journal", "interval", "1s", config_parse_time, NULL, CONFIG_AT(journal_interval_ms), 1,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"results", "keep", "10000", config_parse_count, NULL, CONFIG_AT(results_keep), 0, 10000000,
     CONFIG_LIVE},
    {"results", "max_age", "1h", config_parse_time, NULL, CONFIG_AT(results_max_age_ms), 0,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"results", "output_kib", "16384", config_parse_count, NULL, CONFIG_AT(results_output_kib), 0,
     1048576, CONFIG_LIVE},
    {"metrics", "file", "none", config_parse_opt_path, NULL, CONFIG_AT(metrics_file), 0, 0,
     CONFIG_LIVE},
    {"metrics", "interval", "15s", config_parse_time, NULL, CONFIG_AT(metrics_interval_ms), 100,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"redis", "url", "none", config_parse_redis_url, NULL, CONFIG_AT(redis_host), 0, 0,
     CONFIG_LIVE},
    {"redis", "stream", "poold", config_parse_name, NULL, CONFIG_AT(redis_stream), 0, 0,
     CONFIG_LIVE},
    {"redis", "group", "poold", config_parse_name, NULL, CONFIG_AT(redis_group), 0, 0, CONFIG_LIVE},
    {"redis", "consumer", "auto", config_parse_name, NULL, CONFIG_AT(redis_consumer), 1, 0,
     CONFIG_LIVE},
    {"redis", "batch", "128", config_parse_count, NULL, CONFIG_AT(redis_batch), 1, 10000,
     CONFIG_LIVE},
    {"redis", "claim_idle", "30s", config_parse_time, NULL, CONFIG_AT(redis_claim_idle_ms), 100,
     CONFIG_DAY_MS, CONFIG_LIVE},
    {"redis", "max_attempts", "3", config_parse_count, NULL, CONFIG_AT(redis_max_attempts), 1, 100,
     CONFIG_LIVE},
    {"redis", "dead_letter", "auto", config_parse_name, NULL, CONFIG_AT(redis_dead_letter), 1, 0,
     CONFIG_LIVE},
};

_Static_assert(sizeof(config_keys) / sizeof(config_keys[0]) == CONFIG_N_KEYS,
               "CONFIG_N_KEYS in config_values.h must match the key table");

int config_key_count(void)
{
	const struct config_section *s;
	size_t i, n = 1;
	int count = CONFIG_N_KEYS;

	for (i = 0; i < n; i++) {
		s = config_kind_section(i, &n);
		count += s != NULL ? (int)s->nkeys : 0;
	}
	return count;
}

const struct config_key *config_key_at(int key)
{
	const struct config_section *s;
	size_t i, n = 1, k;

	if (key < (int)CONFIG_N_KEYS)
		return &config_keys[key];
	k = (size_t)key - CONFIG_N_KEYS;
	for (i = 0; i < n; i++) {
		s = config_kind_section(i, &n);
		if (s != NULL && k < s->nkeys)
			return &s->keys[k];
		k -= s != NULL ? s->nkeys : 0;
	}
	return NULL;
}

int config_key_find(const char *section, const char *key)
{
	const struct config_key *k;
	int i, n = config_key_count();

	for (i = 0; i < n; i++) {
		k = config_key_at(i);
		if (strcmp(k->section, section) == 0 && strcmp(k->key, key) == 0)
			return i;
	}
	return -1;
}

bool config_section_known(const char *section)
{
	int i, n = config_key_count();

	for (i = 0; i < n; i++) {
		if (strcmp(config_key_at(i)->section, section) == 0)
			return true;
	}
	return false;
}

bool config_key_is_list(int key)
{
	return config_key_at(key)->clear != NULL;
}

void config_key_clear(struct config *cfg, int key)
{
	const struct config_key *k = config_key_at(key);

	if (k->clear != NULL)
		k->clear(cfg, k);
}

int config_key_parse(struct config *cfg, int key, const char *value, char *reason, size_t rlen)
{
	const struct config_key *k = config_key_at(key);

	return k->parse(cfg, k, value, reason, rlen);
}

int config_defaults_at(struct config *cfg, const char *basedir, char *reason, size_t rlen)
{
	const struct config_key *k;
	char why[256];
	int i, n = config_key_count();

	memset(cfg, 0, sizeof(*cfg));
	if (config_absolute(basedir, cfg->basedir, reason, rlen) < 0)
		return -1;
	if (config_kinds_alloc(cfg, reason, rlen) < 0) {
		config_free(cfg);
		return -1;
	}
	for (i = 0; i < n; i++) {
		k = config_key_at(i);
		if (k->parse(cfg, k, k->def, why, sizeof(why)) < 0) {
			snprintf(reason, rlen, "default [%s] %s: %s", k->section, k->key, why);
			config_free(cfg);
			return -1;
		}
	}
	config_queues_defaults(cfg);
	return config_queues_finish(cfg, reason, rlen); /* cannot fail on the defaults */
}

int config_defaults(struct config *cfg, char *err, size_t errlen)
{
	if (config_defaults_at(cfg, ".", err, errlen) < 0)
		return -1;
	/* What config.c's checks do after a file: "auto" is STREAM:dead. */
	snprintf(cfg->redis_dead_letter, sizeof(cfg->redis_dead_letter), "%s:dead",
	         cfg->redis_stream);
	return 0;
}
