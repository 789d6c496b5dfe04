/*
 * Native module kinds: [module.NAME] sections of the INI file (file,
 * code, timeout) and the kinds each module declares (poold/module.h),
 * read from the module's file at load time without running it
 * (modfile.h).  The kind table (worker/kinds/jobs.c) makes each kind a
 * row, like an operator kind's: the master checks a job line against the
 * kind's schema; workers load the module and run it (job_mod.c).
 */
#ifndef POOLD_MODKIND_H
#define POOLD_MODKIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "config.h"
#include "opkind.h"
#include "poold/module.h"
#include "template.h"

enum modconf_key {
	MODK_FILE,
	MODK_CODE,
	MODK_TIMEOUT,
	MODK_UNIQUE,
	MODK_RETRY, /* MODK_RETRY to MODK_RETRY_ON: enum retry_key's order (retry.h) */
	MODK_BACKOFF,
	MODK_RETRY_ON,
	MODK_N
};

/* One [module.NAME] section and the declaration read from its file. */
struct modconf {
	char name[OPKIND_NAME_MAX + 1];
	char file[PATH_MAX];     /* absolute */
	uint32_t code;           /* its first kind's; the next ones follow */
	unsigned timeout_ms;     /* 0: [pool] job_timeout */
	int unique;              /* enum config_unique of its kinds; unset (raw): their queue's */
	struct retry_conf retry; /* each key with raw[MODK_RETRY + key] unset: their queue's */
	struct stat st;          /* the file when read: a reload compares it */
	struct poold_module decl;
	char *raw[MODK_N]; /* owned: each value as written, NULL if unset */
	/* schema.KIND keys: the operator's narrower schema of a kind. */
	unsigned n_narrow;
	struct modnarrow {
		char *kind;   /* owned */
		char *schema; /* owned */
	} narrow[POOLD_MODULE_KINDS_MAX];
};

/* One kind of a module: a row of the kind table. */
struct modkind {
	const struct modconf *mod;
	unsigned index; /* in mod->decl.kinds */
	const char *name;
	uint32_t code;
	bool batch;
	struct tpl tpl; /* the schema */
};

/* True if section names a module ("module.NAME", NAME well formed). */
bool modkind_section(const char *section);

/* Sets key of [module.NAME] in cfg (file, code, timeout, unique, retry,
 * backoff, retry_on, schema.KIND).
 * 0, or -1 with a reason. */
int modkind_set(struct config *cfg, const char *section, const char *key, const char *value,
                char *reason, size_t rlen);

/* Once the file is read: reads each module's declaration, makes its
 * kinds, checks codes and names against every other kind.  0, or -1. */
int modkind_check_all(struct config *cfg, char *reason, size_t rlen);

/* True if a and b load the same modules (keys as written, same files),
 * the keys only the master reads (unique, the retry keys) left out. */
bool modkind_same_all(const struct config *a, const struct config *b);

/* The module kind named name in cfg, or NULL. */
const struct modkind *modkind_find(const struct config *cfg, const char *name);

void modkind_free_all(struct config *cfg);

#endif
