/*
 * The kinds' side of the configuration: where a kind's key keeps its
 * value (the kind's blob in struct config's kind_conf[]), the blobs'
 * allocation and release, and the comparisons a key's `same` may name.
 * The kinds themselves are those the program registered
 * (config_kinds_register); nothing here names one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_section.h"
#include "config_values.h"
#include "modkind.h"
#include "opkind.h"

/* Set once by the program before its first load (config_section.h). */
static const struct config_kinds *config_kinds_registered;

void config_kinds_register(const struct config_kinds *kinds)
{
	config_kinds_registered = kinds;
}

const struct config_section *config_kind_section(size_t i, size_t *n)
{
	if (config_kinds_registered == NULL) {
		*n = 0;
		return NULL;
	}
	return config_kinds_registered->section(i, n);
}

bool config_kind_builtin(const char *name, uint32_t code, const char **bname, uint32_t *bcode)
{
	return config_kinds_registered != NULL && config_kinds_registered->builtin != NULL &&
	       config_kinds_registered->builtin(name, code, bname, bcode);
}

/* A key of a kind's table lives in that kind's blob, any other in cfg;
 * which table k is a row of tells which (addresses compared as numbers:
 * the tables are unrelated arrays). */
void *config_blob(struct config *cfg, const struct config_key *k)
{
	const struct config_section *s;
	uintptr_t at = (uintptr_t)k;
	size_t i, n = 1;

	for (i = 0; i < n; i++) {
		s = config_kind_section(i, &n);
		if (s != NULL && at >= (uintptr_t)s->keys && at < (uintptr_t)(s->keys + s->nkeys))
			return cfg->kind_conf[i];
	}
	return cfg;
}

void *config_field(struct config *cfg, const struct config_key *k)
{
	return (char *)config_blob(cfg, k) + k->off;
}

bool config_same_uint(const struct config_key *k, const void *a, const void *b)
{
	return *(const unsigned *)((const char *)a + k->off) ==
	       *(const unsigned *)((const char *)b + k->off);
}

bool config_same_bool(const struct config_key *k, const void *a, const void *b)
{
	return *(const bool *)((const char *)a + k->off) ==
	       *(const bool *)((const char *)b + k->off);
}

bool config_same_str(const struct config_key *k, const void *a, const void *b)
{
	return strcmp((const char *)a + k->off, (const char *)b + k->off) == 0;
}

int config_kinds_alloc(struct config *cfg, char *reason, size_t rlen)
{
	const struct config_section *s;
	size_t i, n = 1;

	if (config_key_count() > CONFIG_MAX_KEYS) {
		snprintf(reason, rlen, "more than %d keys in the kinds' sections", CONFIG_MAX_KEYS);
		return -1;
	}
	config_kind_section(0, &n);
	cfg->n_kind_conf = n;
	cfg->kind_conf = calloc(n > 0 ? n : 1, sizeof(*cfg->kind_conf));
	for (i = 0; i < n && cfg->kind_conf != NULL; i++) {
		s = config_kind_section(i, &n);
		if (s != NULL && (cfg->kind_conf[i] = calloc(1, s->size)) == NULL)
			break;
	}
	if (cfg->kind_conf == NULL || i < n) {
		snprintf(reason, rlen, "out of memory");
		return -1;
	}
	return 0;
}

void config_free(struct config *cfg)
{
	const struct config_section *s;
	size_t i, n = cfg->n_kind_conf;

	for (i = 0; i < cfg->n_kind_conf && cfg->kind_conf != NULL; i++) {
		s = config_kind_section(i, &n);
		if (cfg->kind_conf[i] != NULL && s != NULL && s->free != NULL)
			s->free(cfg->kind_conf[i]);
		free(cfg->kind_conf[i]);
	}
	free(cfg->kind_conf);
	opkind_free_all(cfg);
	modkind_free_all(cfg);
	cfg->kind_conf = NULL;
	cfg->n_kind_conf = 0;
}
