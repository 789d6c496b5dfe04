/* Unique job keys: key -> the live job holding it (uniq.c).  A zeroed
 * struct uniq is empty. */
#ifndef POOLD_UNIQ_H
#define POOLD_UNIQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct uniq_slot {
	char *key; /* NULL: never used; (char *)1: removed */
	size_t len;
	uint64_t id;
};

struct uniq {
	struct uniq_slot *v;
	size_t cap;  /* a power of two, or 0 */
	size_t len;  /* live keys */
	size_t used; /* live keys and tombstones */
};

/* Claims key for job id: 0 (now held by id), 1 (held already: its id in
 * *holder), or -1 (out of memory: not claimed). */
int uniq_claim(struct uniq *u, const char *key, size_t len, uint64_t id, uint64_t *holder);
/* Ends key's life if job id holds it; true if it did. */
bool uniq_release(struct uniq *u, const char *key, size_t len, uint64_t id);
void uniq_free(struct uniq *u);

#endif
