/*
 * Operator-declared job kinds: a [kind.NAME] section of the INI file
 * (code, exec, mode, timeout, output, env, memory_max, tasks_max,
 * cpu_quota, unique, retry, backoff, retry_on), parsed at load time into a struct opkind held by
 * struct config.  The kind table (worker/kinds/jobs.c) makes each one a row whose run and check
 * functions take it as their data (jobs_install), so master, workers and poolctl see the same rows.
 */
#ifndef POOLD_OPKIND_H
#define POOLD_OPKIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "template.h"

#define OPKIND_NAME_MAX   32
#define OPKIND_ENV_MAX    32
#define OPKIND_OUTPUT_MAX (1024u * 1024u)

enum opkind_key {
	OPK_CODE,
	OPK_EXEC,
	OPK_MODE,
	OPK_TIMEOUT,
	OPK_OUTPUT,
	OPK_ENV,
	OPK_MEMORY_MAX,
	OPK_TASKS_MAX,
	OPK_CPU_QUOTA,
	OPK_UNIQUE,
	OPK_RETRY, /* OPK_RETRY to OPK_RETRY_ON: enum retry_key's order (retry.h) */
	OPK_BACKOFF,
	OPK_RETRY_ON,
	OPK_N
};

struct opkind {
	char name[OPKIND_NAME_MAX + 1];
	uint32_t code;
	struct tpl tpl;                /* exec */
	bool resident;                 /* mode = resident */
	unsigned timeout_ms;           /* 0: [pool] job_timeout */
	unsigned output;               /* bytes of output kept per job */
	char *env[OPKIND_ENV_MAX + 2]; /* NAME=VALUE, PATH added, NULL ended */
	char *envbuf;                  /* owned: what env points into */
	unsigned long long memory_max; /* bytes, 0: none */
	unsigned tasks_max;            /* 0: none */
	unsigned cpu_quota;            /* percent of one CPU, 0: none */
	int unique;              /* enum config_unique; with raw[OPK_UNIQUE] unset: its queue's */
	struct retry_conf retry; /* each key with raw[OPK_RETRY + key] unset: its queue's */
	char *raw[OPK_N];        /* owned: each value as written, NULL if unset */
};

/*
 * Sets key of [kind.NAME] (section is "kind.NAME") in cfg, making the kind
 * at its first key.  0, or -1 with a reason (unknown key, duplicate key,
 * bad value).
 */
int opkind_set(struct config *cfg, const char *section, const char *key, const char *value,
               char *reason, size_t rlen);

/* True if name is a well-formed kind name: letters, digits, _ and -,
 * starting with a letter, at most OPKIND_NAME_MAX bytes. */
bool opkind_name_ok(const char *name);

/* True if section names an operator kind ("kind.NAME", NAME well formed). */
bool opkind_section(const char *section);

/* Checks the kinds of cfg once loaded: code and exec present, codes and
 * names clash neither with a built-in kind nor with each other.  0, or -1
 * with a reason. */
int opkind_check_all(const struct config *cfg, char *reason, size_t rlen);

/* True if a and b declare the same kinds, key by key as written, the keys
 * only the master reads (unique and the retry keys: applied live) left
 * out. */
bool opkind_same_all(const struct config *a, const struct config *b);

/* The kind named name in cfg, or NULL. */
const struct opkind *opkind_find(const struct config *cfg, const char *name);

/* Frees cfg's kinds. */
void opkind_free_all(struct config *cfg);

#endif
