/*
 * Unique job keys (issue 14, `unique = queued | active | until-done` for
 * the job option `key`): a hash from key to the id of the live job that
 * holds it, so a second job with a live key is answered with the first
 * one's id instead of running twice.  Exact on one host because only the
 * master admits jobs.  Open addressing with linear probing and
 * tombstones, FNV-1a, rebuilt at 70 % of slots used (live or removed) to
 * a size where the live keys fill at most 35 %, so churn never grows it
 * past twice what the live keys need; keys are copied.  Which event ends
 * a key's life is the mode's rule (uniq_event); the master's unique.c
 * feeds it the job's life and journals the keys of ended jobs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
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

	/* Sized by the live keys, not the tombstones: churn rebuilds in place. */
	for (u->cap = 64; (u->len + 1) * 20 >= u->cap * 7;)
		u->cap *= 2;
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
	s->ended = false;
	u->len++;
	*holder = id;
	return 0;
}

static void uniq_drop(struct uniq *u, struct uniq_slot *s)
{
	free(s->key);
	s->key = UNIQ_TOMB;
	u->len--;
	u->nended -= s->ended;
	s->ended = false;
}

/* The slot of key if job id holds it, else NULL. */
static struct uniq_slot *uniq_of(const struct uniq *u, const char *key, size_t len, uint64_t id)
{
	struct uniq_slot *s;
	bool found;

	if (u->cap == 0)
		return NULL;
	s = uniq_find(u, key, len, &found);
	return found && s->id == id ? s : NULL;
}

bool uniq_release(struct uniq *u, const char *key, size_t len, uint64_t id)
{
	struct uniq_slot *s = uniq_of(u, key, len, id);

	if (s == NULL)
		return false;
	uniq_drop(u, s);
	return true;
}

bool uniq_held(const struct uniq *u, const char *key, size_t len, uint64_t *holder)
{
	struct uniq_slot *s;
	bool found;

	if (u->cap == 0)
		return false;
	s = uniq_find(u, key, len, &found);
	if (found)
		*holder = s->id;
	return found;
}

bool uniq_event(struct uniq *u, int mode, enum uniq_event ev, const char *key, size_t len,
                uint64_t id)
{
	struct uniq_slot *s = uniq_of(u, key, len, id);
	bool ends;

	if (s == NULL)
		return false;
	switch (mode) {
	case CONFIG_UNIQUE_QUEUED:
		ends = true;
		break;
	case CONFIG_UNIQUE_ACTIVE:
		ends = ev != UNIQ_STARTED;
		break;
	case CONFIG_UNIQUE_DONE:
		ends = ev == UNIQ_OK || ev == UNIQ_CANCELLED;
		if (ev == UNIQ_FAILED && !s->ended) {
			s->ended = true;
			u->nended++;
		}
		break;
	default: /* none: a job holds no key so; ended, it lets go (defensive) */
		ends = ev != UNIQ_STARTED;
		break;
	}
	if (ends)
		uniq_drop(u, s);
	return ends;
}

bool uniq_release_ended(struct uniq *u, uint64_t id, char *key, size_t size)
{
	struct uniq_slot *s;
	size_t i;

	for (i = 0; i < u->cap && u->nended > 0; i++) {
		s = &u->v[i];
		if (s->key == NULL || s->key == UNIQ_TOMB || !s->ended || s->id != id)
			continue;
		if (size > 0)
			snprintf(key, size, "%.*s", (int)s->len, s->key);
		uniq_drop(u, s);
		return true;
	}
	return false;
}

void uniq_each_ended(const struct uniq *u,
                     void (*fn)(void *arg, const char *key, size_t len, uint64_t id), void *arg)
{
	const struct uniq_slot *s;
	size_t i;

	for (i = 0; i < u->cap && u->nended > 0; i++) {
		s = &u->v[i];
		if (s->key != NULL && s->key != UNIQ_TOMB && s->ended)
			fn(arg, s->key, s->len, s->id);
	}
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
