/*
 * [module.NAME] sections (modkind.h): file, code and timeout as written,
 * then, once the whole file is read, each module's declaration read from
 * its file (modfile.h: no code of it runs here) and made into kinds whose
 * codes follow the section's code in the order the module declares them.
 * A reload that changes a section, or finds a module's file changed on
 * disk, replaces the workers (they hold the old code); the keys only the
 * master reads (unique, retry, backoff, retry_on) are applied live.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_section.h"
#include "config_values.h"
#include "modfile.h"
#include "modkind.h"

#define MODKIND_PREFIX "module."
#define MODKIND_SCHEMA "schema."

static const char *const modkind_keys[MODK_N] = {
    "file", "code", "timeout", "unique", "retry", "backoff", "retry_on",
};
_Static_assert(MODK_RETRY_ON - MODK_RETRY == RETRY_KEY_ON, "the retry keys in retry.h's order");

bool modkind_section(const char *section)
{
	return strncmp(section, MODKIND_PREFIX, strlen(MODKIND_PREFIX)) == 0 &&
	       opkind_name_ok(section + strlen(MODKIND_PREFIX));
}

static struct modconf *modkind_module(struct config *cfg, const char *name, char *reason,
                                      size_t rlen)
{
	struct modconf *m;
	unsigned i;

	for (i = 0; i < cfg->n_modules; i++)
		if (strcmp(cfg->modules[i]->name, name) == 0)
			return cfg->modules[i];
	if (cfg->n_modules == CONFIG_MAX_MODULES) {
		snprintf(reason, rlen, "more than %d [module.NAME] sections", CONFIG_MAX_MODULES);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(reason, rlen, "out of memory");
		return NULL;
	}
	snprintf(m->name, sizeof(m->name), "%s", name);
	retry_defaults(&m->retry);
	cfg->modules[cfg->n_modules++] = m;
	return m;
}

static int modkind_value(struct config *cfg, struct modconf *m, int key, const char *v,
                         char *reason, size_t rlen)
{
	unsigned long n;

	switch (key) {
	case MODK_FILE:
		if (config_resolve(cfg->basedir, v, m->file, sizeof(m->file)) == 0)
			return 0;
		snprintf(reason, rlen, "path too long (more than %d characters)", PATH_MAX - 1);
		return -1;
	case MODK_CODE:
		if (config_number(v, 1, 2000000000UL, &n, reason, rlen) < 0)
			return -1;
		m->code = (uint32_t)n;
		return 0;
	case MODK_UNIQUE:
		return config_parse_unique(v, &m->unique, reason, rlen);
	case MODK_RETRY:
	case MODK_BACKOFF:
	case MODK_RETRY_ON:
		return retry_parse_key(key - MODK_RETRY, v, &m->retry, reason, rlen);
	default: /* MODK_TIMEOUT */
		if (config_parse_duration(v, &m->timeout_ms) == 0)
			return 0;
		snprintf(reason, rlen, "'%s' is not a duration (250ms, 3s, 2m, 1h)", v);
		return -1;
	}
}

/* schema.KIND = SCHEMA: kept as written, checked once the file is read. */
static int modkind_narrow_set(struct modconf *m, const char *kind, const char *value, char *reason,
                              size_t rlen)
{
	struct modnarrow *n;
	unsigned i;

	for (i = 0; i < m->n_narrow && strcmp(m->narrow[i].kind, kind) != 0; i++)
		;
	if (i < m->n_narrow || m->n_narrow == POOLD_MODULE_KINDS_MAX) {
		snprintf(reason, rlen, "%s key 'schema.%s' in [module.%s]",
		         i < m->n_narrow ? "duplicate" : "one too many", kind, m->name);
		return -1;
	}
	n = &m->narrow[m->n_narrow];
	n->kind = strdup(kind);
	n->schema = strdup(value);
	if (n->kind == NULL || n->schema == NULL) {
		free(n->kind);
		free(n->schema);
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	m->n_narrow++;
	return 0;
}

int modkind_set(struct config *cfg, const char *section, const char *key, const char *value,
                char *reason, size_t rlen)
{
	struct modconf *m;
	int i;

	for (i = 0; i < MODK_N && strcmp(modkind_keys[i], key) != 0; i++)
		;
	if (i == MODK_N && strncmp(key, MODKIND_SCHEMA, strlen(MODKIND_SCHEMA)) != 0) {
		snprintf(reason, rlen, "unknown key '%s' in [%s]", key, section);
		return -1;
	}
	m = modkind_module(cfg, section + strlen(MODKIND_PREFIX), reason, rlen);
	if (m == NULL)
		return -1;
	if (i == MODK_N)
		return modkind_narrow_set(m, key + strlen(MODKIND_SCHEMA), value, reason, rlen);
	if (m->raw[i] != NULL) {
		snprintf(reason, rlen, "duplicate key '%s' in [%s]", key, section);
		return -1;
	}
	m->raw[i] = strdup(value);
	if (m->raw[i] == NULL) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	return modkind_value(cfg, m, i, value, reason, rlen);
}

const struct modkind *modkind_find(const struct config *cfg, const char *name)
{
	unsigned i;

	for (i = 0; i < cfg->n_modkinds; i++)
		if (strcmp(cfg->modkinds[i]->name, name) == 0)
			return cfg->modkinds[i];
	return NULL;
}

/* Does k clash with a kind made before it (built-in, operator, module)? */
static int modkind_clash(const struct config *cfg, const struct modkind *k, char *reason,
                         size_t rlen)
{
	const char *bname = NULL;
	uint32_t bcode = 0;
	bool b;
	unsigned i;

	b = config_kind_builtin(k->name, k->code, &bname, &bcode);
	for (i = 0; !b && i < cfg->n_opkinds; i++)
		if (strcmp(cfg->opkinds[i]->name, k->name) == 0 ||
		    cfg->opkinds[i]->code == k->code) {
			snprintf(reason, rlen,
			         "[module.%s] kind %s code %u: [kind.%s] (code %u) has %s",
			         k->mod->name, k->name, k->code, cfg->opkinds[i]->name,
			         cfg->opkinds[i]->code,
			         cfg->opkinds[i]->code == k->code ? "this code" : "this name");
			return -1;
		}
	for (i = 0; !b && cfg->modkinds[i] != k; i++)
		if (strcmp(cfg->modkinds[i]->name, k->name) == 0 ||
		    cfg->modkinds[i]->code == k->code) {
			snprintf(
			    reason, rlen,
			    "[module.%s] kind %s code %u: kind %s of [module.%s] (code %u) has %s",
			    k->mod->name, k->name, k->code, cfg->modkinds[i]->name,
			    cfg->modkinds[i]->mod->name, cfg->modkinds[i]->code,
			    cfg->modkinds[i]->code == k->code ? "this code" : "this name");
			return -1;
		}
	if (b)
		snprintf(reason, rlen,
		         "[module.%s] kind %s code %u: the built-in kind %s (code %u) has %s",
		         k->mod->name, k->name, k->code, bname, bcode,
		         bcode == k->code ? "this code" : "this name");
	return b ? -1 : 0;
}

static bool modkind_declares(const struct modconf *m, const char *kind)
{
	unsigned i;

	for (i = 0; i < m->decl.nkinds && strcmp(m->decl.kinds[i].name, kind) != 0; i++)
		;
	return i < m->decl.nkinds;
}

/*
 * The operator's schema.KIND for kind k, if any, replaces the module's
 * declared schema once it is found narrower (template.h tpl_narrower):
 * the master then refuses lines outside it, and the worker checks paths
 * under its roots.
 */
static int modkind_narrow(const struct modconf *m, struct modkind *k, char *reason, size_t rlen)
{
	struct tpl t;
	char why[256];
	unsigned i;

	for (i = 0; i < m->n_narrow && strcmp(m->narrow[i].kind, k->name) != 0; i++)
		;
	if (i == m->n_narrow)
		return 0;
	if (tpl_parse_schema(&t, m->narrow[i].schema, why, sizeof(why)) == -1) {
		snprintf(reason, rlen, "[module.%s] schema.%s: %s", m->name, k->name, why);
		return -1;
	}
	if (tpl_narrower(&k->tpl, &t, why, sizeof(why)) == -1) {
		snprintf(reason, rlen,
		         "[module.%s] schema.%s = %s: not narrower than the module's \"%s\": %s",
		         m->name, k->name, m->narrow[i].schema, m->decl.kinds[k->index].schema,
		         why);
		tpl_free(&t);
		return -1;
	}
	tpl_free(&k->tpl);
	k->tpl = t;
	return 0;
}

/* Reads module m's file and makes its kinds. */
static int modkind_load(struct config *cfg, struct modconf *m, char *reason, size_t rlen)
{
	struct modkind *k;
	char why[PATH_MAX + 256];
	unsigned i;

	if (m->raw[MODK_FILE] == NULL || m->raw[MODK_CODE] == NULL) {
		snprintf(reason, rlen, "[module.%s] needs file and code", m->name);
		return -1;
	}
	if (stat(m->file, &m->st) == -1) {
		snprintf(reason, rlen, "[module.%s] file %s: %s", m->name, m->file,
		         strerror(errno));
		return -1;
	}
	if (modfile_read(m->file, &m->decl, why, sizeof(why)) == -1) {
		snprintf(reason, rlen, "[module.%s] %s", m->name, why);
		return -1;
	}
	for (i = 0; i < m->decl.nkinds; i++) {
		if (cfg->n_opkinds + cfg->n_modkinds == CONFIG_MAX_OPKINDS) {
			snprintf(reason, rlen,
			         "[module.%s]: more than %d operator and module kinds", m->name,
			         CONFIG_MAX_OPKINDS);
			return -1;
		}
		k = calloc(1, sizeof(*k));
		if (k == NULL) {
			snprintf(reason, rlen, "out of memory");
			return -1;
		}
		cfg->modkinds[cfg->n_modkinds++] = k;
		*k = (struct modkind){.mod = m,
		                      .index = i,
		                      .name = m->decl.kinds[i].name,
		                      .code = m->code + i,
		                      .batch = (m->decl.kinds[i].flags & POOLD_KIND_BATCH) != 0};
		if (tpl_parse_schema(&k->tpl, m->decl.kinds[i].schema, why, sizeof(why)) == -1 ||
		    modkind_clash(cfg, k, reason, rlen) == -1 ||
		    modkind_narrow(m, k, reason, rlen) == -1)
			return -1; /* the schema was checked by modfile_read */
	}
	for (i = 0; i < m->n_narrow; i++)
		if (!modkind_declares(m, m->narrow[i].kind)) {
			snprintf(reason, rlen, "[module.%s] schema.%s: the module has no kind %s",
			         m->name, m->narrow[i].kind, m->narrow[i].kind);
			return -1;
		}
	return 0;
}

int modkind_check_all(struct config *cfg, char *reason, size_t rlen)
{
	unsigned i;

	for (i = 0; i < cfg->n_modules; i++)
		if (modkind_load(cfg, cfg->modules[i], reason, rlen) == -1)
			return -1;
	return 0;
}

static bool modkind_same(const struct modconf *a, const struct modconf *b)
{
	int key;

	unsigned i;

	for (key = 0; key < MODK_N; key++)
		if (key != MODK_UNIQUE && /* it and the retry keys: the master's, live */
		    (key < MODK_RETRY || key > MODK_RETRY_ON) &&
		    ((a->raw[key] == NULL) != (b->raw[key] == NULL) ||
		     (a->raw[key] != NULL && strcmp(a->raw[key], b->raw[key]) != 0)))
			return false;
	if (a->n_narrow != b->n_narrow)
		return false;
	for (i = 0; i < a->n_narrow; i++)
		if (strcmp(a->narrow[i].kind, b->narrow[i].kind) != 0 ||
		    strcmp(a->narrow[i].schema, b->narrow[i].schema) != 0)
			return false;
	return a->st.st_dev == b->st.st_dev && a->st.st_ino == b->st.st_ino &&
	       a->st.st_size == b->st.st_size && a->st.st_mtim.tv_sec == b->st.st_mtim.tv_sec &&
	       a->st.st_mtim.tv_nsec == b->st.st_mtim.tv_nsec;
}

bool modkind_same_all(const struct config *a, const struct config *b)
{
	unsigned i, j;

	if (a->n_modules != b->n_modules)
		return false;
	for (i = 0; i < a->n_modules; i++) {
		for (j = 0;
		     j < b->n_modules && strcmp(a->modules[i]->name, b->modules[j]->name) != 0; j++)
			;
		if (j == b->n_modules || !modkind_same(a->modules[i], b->modules[j]))
			return false;
	}
	return true;
}

void modkind_free_all(struct config *cfg)
{
	unsigned i;
	int key;

	for (i = 0; i < cfg->n_modkinds; i++) {
		tpl_free(&cfg->modkinds[i]->tpl);
		free(cfg->modkinds[i]);
		cfg->modkinds[i] = NULL;
	}
	for (i = 0; i < cfg->n_modules; i++) {
		for (key = 0; key < MODK_N; key++)
			free(cfg->modules[i]->raw[key]);
		for (key = 0; key < (int)cfg->modules[i]->n_narrow; key++) {
			free(cfg->modules[i]->narrow[key].kind);
			free(cfg->modules[i]->narrow[key].schema);
		}
		free(cfg->modules[i]);
		cfg->modules[i] = NULL;
	}
	cfg->n_modkinds = 0;
	cfg->n_modules = 0;
}
