/*
 * Unique job keys (issue 14, `unique = queued | active | until-done` for
 * the job option `key`): a hash from key to the id of the live job that
 * holds it, so a second job with a live key is answered with the first
 * one's id instead of running twice.  Exact on one host because only the
 * master admits jobs.  Open addressing with linear probing and
 * tombstones, FNV-1a, grown at 70 % load; keys are copied.  Which event
 * ends a key's life (dispatch, end, successful end) is the caller's
 * policy.
 *
 * Only the mechanism so far: the `key` option and its journal record
 * need jobctl's common/jobopt.c (issue 13), which has not landed
 * (TODO issue 14: wire it in and journal the keys once jobopt lands).
 */
#include <stdlib.h>
#include <string.h>

#include "uniq.h"

#define UNIQ_TOMB ((char *)1)

static uint64_t uniq_hash(const char *key, size_t len)
{
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)key[i]) * 1099511628211ULL;
	return h;
}

/* The slot holding key, or (not found) the first free one on its path. */
static struct uniq_slot *uniq_find(const struct uniq *u, const char *key, size_t len, bool *found)
{
	size_t mask = u->cap - 1, i = (size_t)uniq_hash(key, len) & mask;
	struct uniq_slot *free_slot = NULL, *s;

	for (;; i = (i + 1) & mask) {
		s = &u->v[i];
		if (s->key == NULL) {
			*found = false;
			return free_slot != NULL ? free_slot : s;
		}
		if (s->key == UNIQ_TOMB) {
			if (free_slot == NULL)
				free_slot = s;
		} else if (s->len == len && memcmp(s->key, key, len) == 0) {
			*found = true;
			return s;
		}
	}
}

static int uniq_grow(struct uniq *u)
{
	struct uniq old = *u;
	struct uniq_slot *s;
	bool found;
	size_t i;

	u->cap = old.cap > 0 ? old.cap * 2 : 64;
	u->v = calloc(u->cap, sizeof(*u->v));
	if (u->v == NULL) {
		*u = old;
		return -1;
	}
	u->used = u->len;
	for (i = 0; i < old.cap; i++) {
		if (old.v[i].key == NULL || old.v[i].key == UNIQ_TOMB)
			continue;
		s = uniq_find(u, old.v[i].key, old.v[i].len, &found);
		*s = old.v[i];
	}
	free(old.v);
	return 0;
}

int uniq_claim(struct uniq *u, const char *key, size_t len, uint64_t id, uint64_t *holder)
{
	struct uniq_slot *s;
	bool found;

	if ((u->used + 1) * 10 >= u->cap * 7 && uniq_grow(u) == -1)
		return -1;
	s = uniq_find(u, key, len, &found);
	if (found) {
		*holder = s->id;
		return 1;
	}
	if (s->key == NULL)
		u->used++;
	s->key = malloc(len > 0 ? len : 1);
	if (s->key == NULL) {
		s->key = UNIQ_TOMB;
		return -1;
	}
	memcpy(s->key, key, len);
	s->len = len;
	s->id = id;
	u->len++;
	*holder = id;
	return 0;
}

bool uniq_release(struct uniq *u, const char *key, size_t len, uint64_t id)
{
	struct uniq_slot *s;
	bool found;

	if (u->cap == 0)
		return false;
	s = uniq_find(u, key, len, &found);
	if (!found || s->id != id)
		return false;
	free(s->key);
	s->key = UNIQ_TOMB;
	u->len--;
	return true;
}

void uniq_free(struct uniq *u)
{
	size_t i;

	for (i = 0; i < u->cap; i++)
		if (u->v[i].key != NULL && u->v[i].key != UNIQ_TOMB)
			free(u->v[i].key);
	free(u->v);
	*u = (struct uniq){0};
}
