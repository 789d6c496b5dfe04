/*
 * Private to the config module: the key table seen from the INI reader.
 * config_values.c owns the table (section, key, default, parser) and
 * what each value means; config.c owns reading the file and the errors
 * with their line numbers.  Nothing outside common/config*.c includes
 * this header.  Keys are named by their index in the table.
 */
#ifndef POOLD_CONFIG_VALUES_H
#define POOLD_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Rows in the key table (checked where the table is defined). */
#define CONFIG_N_KEYS 40

#define CONFIG_DAY_MS 86400000u

/* One INI key: where it lives, its default (parsed like file text) and
 * how its value is read.  off names the field in struct config (for the
 * number and duration parsers, with min..max); clear is set for lists,
 * whose first line replaces the default and whose indented continuation
 * lines add to it. */
struct config_key {
	const char *section;
	const char *key;
	const char *def;
	int (*parse)(struct config *cfg, const struct config_key *k, const char *value,
	             char *reason, size_t rlen);
	void (*clear)(struct config *cfg);
	size_t off;
	unsigned long min, max;
};

/* Helpers of the value parsers, shared by config_values.c and
 * config_redis.c. */
void *config_field(struct config *cfg, const struct config_key *k);
int config_number(const char *s, unsigned long min, unsigned long max, unsigned long *out,
                  char *reason, size_t rlen);
int config_resolve(const char *base, const char *path, char *out, size_t outlen);

/* The [redis] value parsers (config_redis.c). */
int config_parse_name(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen);
int config_parse_redis_url(struct config *cfg, const struct config_key *k, const char *value,
                           char *reason, size_t rlen);

/* The index of [section] key, or -1 if there is no such key. */
int config_key_find(const char *section, const char *key);

/* True if some key lives in [section]. */
bool config_section_known(const char *section);

/* True if the key is a list: its first line replaces the default and
 * indented continuation lines add to it. */
bool config_key_is_list(int key);

/* Drops a list's entries (its default) before the first line sets it. */
void config_key_clear(struct config *cfg, int key);

/* Reads one value (not empty) of the key into cfg.  Returns 0, or -1
 * with a reason ("0 out of range 1..4096") in reason. */
int config_key_parse(struct config *cfg, int key, const char *value, char *reason, size_t rlen);

/* Fills cfg with the defaults, relative paths resolved against basedir
 * (itself relative to the working directory if not absolute).  Returns 0,
 * or -1 with a reason and nothing left allocated. */
int config_defaults_at(struct config *cfg, const char *basedir, char *reason, size_t rlen);

/* Makes path absolute against the working directory and normalizes it
 * lexically into out (PATH_MAX bytes).  Returns 0, or -1 with a reason. */
int config_absolute(const char *path, char *out, char *reason, size_t rlen);

#endif
