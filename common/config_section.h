/*
 * INI keys owned by another module: a job kind declares its section's
 * keys here and keeps their values in a struct of its own (its blob),
 * which struct config holds opaquely in kind_conf[].  The loader of
 * config.c reads a kind's keys with the kind's own parsers, runs its
 * checks, and compares two loads by each key's reload policy, without
 * knowing any of them by name.  The kinds are handed in by the program
 * that loads a configuration (config_kinds_register): common/ never
 * names the kind table (worker/kinds/jobs.c), it sits below it.
 */
#ifndef POOLD_CONFIG_SECTION_H
#define POOLD_CONFIG_SECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* What a reload does when a key's value changed. */
enum config_reload {
	CONFIG_RELOAD_LIVE,    /* the master applies it at once (job time limits) */
	CONFIG_RELOAD_WORKERS, /* workers hold it: every worker is replaced */
	CONFIG_RELOAD_RESTART, /* only a restart applies it; a reload keeps the old value */
};

/*
 * One INI key: where it lives, its default (parsed like file text) and
 * how its value is read.  off names the field in struct config, or in
 * the owning kind's blob for a kind's key (config_field finds which);
 * min..max bound the number and duration parsers.  clear is set for
 * lists, whose first line replaces the default and whose indented
 * continuation lines add to it.  For a kind's key: reload is its enum
 * config_reload, same compares the key's values in two blobs of its kind
 * (for a CONFIG_RELOAD_WORKERS key), and written marks a file poold writes (it must be none of the
 * other such files).
 */
struct config_key {
	const char *section;
	const char *key;
	const char *def;
	int (*parse)(struct config *cfg, const struct config_key *k, const char *value,
	             char *reason, size_t rlen);
	void (*clear)(struct config *cfg, const struct config_key *k);
	size_t off;
	unsigned long min, max;
	int reload;
	bool (*same)(const struct config_key *k, const void *a, const void *b);
	bool written;
};

/* A kind's section: its keys, the size of its blob (zeroed, then filled
 * with the defaults), a check of the whole once loaded (may be NULL;
 * returns 0 or -1 with a reason) and what frees what the blob owns (may
 * be NULL; the blob itself is freed by config_free). */
struct config_section {
	const struct config_key *keys;
	size_t nkeys;
	size_t size;
	int (*check)(const struct config *cfg, const void *blob, char *reason, size_t rlen);
	void (*free)(void *blob);
};

/*
 * The job kinds as the loader sees them.  section: the section of the
 * kind at index i of the kind table, NULL for a kind without settings;
 * *n gets the number of kinds.  builtin: true if a kind the operator
 * declares ([kind.NAME], [module.NAME]) would take a built-in kind's name
 * or code, with that kind's name and code in *bname and *bcode.
 */
struct config_kinds {
	const struct config_section *(*section)(size_t i, size_t *n);
	bool (*builtin)(const char *name, uint32_t code, const char **bname, uint32_t *bcode);
};

/*
 * Makes kinds the kinds every later load, comparison and release sees
 * (the kind table's: jobs_config_kinds in worker/kinds/jobs.h).  Called
 * once by a program before it loads a configuration; until then the
 * loader knows no kind's keys.  kinds must outlive every configuration.
 */
void config_kinds_register(const struct config_kinds *kinds);

/* The struct k's value lives in: its kind's blob, or cfg itself. */
void *config_blob(struct config *cfg, const struct config_key *k);

/* Where k's value lives in cfg: config_blob(cfg, k) + k->off. */
void *config_field(struct config *cfg, const struct config_key *k);

/*
 * Joins path to base (unless path is absolute) and normalizes the result
 * lexically into out.  Returns 0, or -1 if it does not fit in outlen.
 */
int config_resolve(const char *base, const char *path, char *out, size_t outlen);

/* Value parsers a kind's key table may name. */
int config_parse_count(struct config *cfg, const struct config_key *k, const char *value,
                       char *reason, size_t rlen);
int config_parse_time(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen);
int config_parse_path(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen);
/* A bool named by two words, false then true: k->min 0 is refuse/allow,
 * 1 is no/yes. */
int config_parse_choice(struct config *cfg, const struct config_key *k, const char *value,
                        char *reason, size_t rlen);

/* Comparisons for `same`: an unsigned field, a bool, a NUL-terminated
 * string. */
bool config_same_uint(const struct config_key *k, const void *a, const void *b);
bool config_same_bool(const struct config_key *k, const void *a, const void *b);
bool config_same_str(const struct config_key *k, const void *a, const void *b);

#endif
