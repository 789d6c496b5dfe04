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
	bool ended; /* its job ended without success (until-done): the job's record may be gone */
};

struct uniq {
	struct uniq_slot *v;
	size_t cap;    /* a power of two, or 0 */
	size_t len;    /* live keys */
	size_t used;   /* live keys and tombstones */
	size_t nended; /* of len, keys held by ended jobs (slot.ended) */
};

/* What happened to the job holding a key (uniq_event). */
enum uniq_event {
	UNIQ_STARTED,   /* a worker started it */
	UNIQ_OK,        /* it ended well */
	UNIQ_FAILED,    /* it ended otherwise: failed, timed out, buried */
	UNIQ_CANCELLED, /* poolctl cancel */
};

/* Claims key for job id: 0 (now held by id), 1 (held already: its id in
 * *holder), or -1 (out of memory: not claimed). */
int uniq_claim(struct uniq *u, const char *key, size_t len, uint64_t id, uint64_t *holder);
/* Ends key's life if job id holds it; true if it did. */
bool uniq_release(struct uniq *u, const char *key, size_t len, uint64_t id);
/* True if key is held; the holder's id in *holder. */
bool uniq_held(const struct uniq *u, const char *key, size_t len, uint64_t *holder);
/*
 * Applies mode's rule (enum config_unique) to the key job id holds, at
 * event ev: `queued` ends at the start or any end, `active` at any end,
 * `until-done` at a good end or a cancel (a failure keeps it, marked as
 * held by an ended job).  True if the key's life ended.
 */
bool uniq_event(struct uniq *u, int mode, enum uniq_event ev, const char *key, size_t len,
                uint64_t id);
/* Releases the key an ended job id holds (a cancel of a failed job, which
 * may be forgotten by then: a scan); its key is copied to key (size bytes,
 * NUL-terminated).  True if there was one. */
bool uniq_release_ended(struct uniq *u, uint64_t id, char *key, size_t size);
/* Calls fn for each key held by an ended job, in no order. */
void uniq_each_ended(const struct uniq *u,
                     void (*fn)(void *arg, const char *key, size_t len, uint64_t id), void *arg);
void uniq_free(struct uniq *u);

#endif
