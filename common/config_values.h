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
#include <stdint.h>

#include "config.h"
#include "config_section.h"

/* Rows in the core key table (checked where the table is defined); the
 * kinds' keys follow them, numbered from CONFIG_N_KEYS on, up to
 * CONFIG_MAX_KEYS in all (config_defaults_at refuses more). */
#define CONFIG_N_KEYS   35
#define CONFIG_MAX_KEYS 256

#define CONFIG_DAY_MS 86400000u

/* Helpers of the value parsers, shared by config_values.c and
 * config_redis.c. */
int config_number(const char *s, unsigned long min, unsigned long max, unsigned long *out,
                  char *reason, size_t rlen);

/* The [redis] value parsers (config_redis.c). */
int config_parse_name(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen);
int config_parse_redis_url(struct config *cfg, const struct config_key *k, const char *value,
                           char *reason, size_t rlen);

/* [control] mqueue: a POSIX message queue's name or none (config_mqueue.c). */
int config_parse_mqueue(struct config *cfg, const struct config_key *k, const char *value,
                        char *reason, size_t rlen);

/* [queue.NAME] and [token.NAME] (config_queue.c): named sections whose
 * keys config.c hands over as they come; the built-in queues default and
 * long; the checks once the whole file is read (kinds to queues, needs to
 * tokens).  0, or -1 with a reason. */
bool config_queue_section(const char *section);
int config_queue_key(struct config *cfg, const char *section, const char *key, const char *value,
                     char *reason, size_t rlen);
void config_queues_defaults(struct config *cfg);
/* `unique = none | queued | active | until-done` ([queue.NAME], [kind.NAME]):
 * the enum config_unique in *mode; 0, or -1 with a reason. */
int config_parse_unique(const char *value, int *mode, char *reason, size_t rlen);
int config_queues_finish(struct config *cfg, char *reason, size_t rlen);

/* The index of [section] key, or -1 if there is no such key. */
int config_key_find(const char *section, const char *key);

/* The row of key index i (0 .. config_key_count() - 1). */
const struct config_key *config_key_at(int i);

/* The number of keys: the core table's and every kind's. */
int config_key_count(void);

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

/* The registered kinds' section at index i (NULL for none) and their
 * count in *n (0 before config_kinds_register), and whether name or code
 * is a built-in kind's (struct config_kinds; config_kinds.c). */
const struct config_section *config_kind_section(size_t i, size_t *n);
bool config_kind_builtin(const char *name, uint32_t code, const char **bname, uint32_t *bcode);

/* Gives each kind with settings a zeroed blob in cfg (config_kinds.c).
 * Returns 0, or -1 with a reason (what was allocated stays for
 * config_free). */
int config_kinds_alloc(struct config *cfg, char *reason, size_t rlen);

/* Fills cfg with the defaults, relative paths resolved against basedir
 * (itself relative to the working directory if not absolute).  Returns 0,
 * or -1 with a reason and nothing left allocated. */
int config_defaults_at(struct config *cfg, const char *basedir, char *reason, size_t rlen);

/* Makes path absolute against the working directory and normalizes it
 * lexically into out (PATH_MAX bytes).  Returns 0, or -1 with a reason. */
int config_absolute(const char *path, char *out, char *reason, size_t rlen);

#endif
