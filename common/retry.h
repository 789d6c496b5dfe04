/*
 * Retries of failed jobs (retry.c): the keys `retry`, `backoff` and
 * `retry_on` of [queue.NAME], [kind.NAME] and [module.NAME] sections (one
 * parser for all three), which outcomes they retry, and the wait before
 * each retry.  No I/O, no libev: the daemon's retry.c applies it.
 */
#ifndef POOLD_RETRY_H
#define POOLD_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RETRY_MAX 100 /* `retry` at most */

/* Which failures are retried. */
enum retry_on {
	RETRY_ON_TEMPFAIL, /* temporary failures only (PROTO_TEMPFAIL) */
	RETRY_ON_ANY,      /* every failure and time-out a worker reports */
};

/* A queue's retry settings; retry_defaults gives none (count 0). */
struct retry_conf {
	unsigned count;  /* retries after the first attempt; 0: none */
	unsigned min_ms; /* backoff's bounds: every wait is within them */
	unsigned max_ms;
	int on; /* enum retry_on */
};

void retry_defaults(struct retry_conf *rc);

/* The retry keys, in this order wherever a section lists its keys. */
enum retry_key {
	RETRY_KEY_RETRY,   /* `retry = N`, 0 to RETRY_MAX */
	RETRY_KEY_BACKOFF, /* `backoff = 1s..5m` (or one duration for both) */
	RETRY_KEY_ON,      /* `retry_on = tempfail | any` */
	RETRY_KEYS
};

/* Sets key (enum retry_key) of rc from value as written: 0, or -1 with a
 * reason. */
int retry_parse_key(int key, const char *value, struct retry_conf *rc, char *reason, size_t rlen);

/*
 * A kind's settings: *out is base (its queue's) with each key whose
 * set[key] (enum retry_key; the section's values as written, NULL if
 * not given) is non-NULL taken from own (the kind's section).
 */
void retry_merge(struct retry_conf *out, const struct retry_conf *base,
                 const struct retry_conf *own, char *const *set);
/* "tempfail" or "any". */
const char *retry_on_name(int on);

/* True if a job that ended with status (enum proto_status) is retried
 * under rc (retries left is the caller's business). */
bool retry_wanted(const struct retry_conf *rc, uint32_t status);

/*
 * Seconds to wait before retry number n (1 = the first): exponential
 * with jitter (common/backoff.c), a random point of [d/2, d] with
 * d = min(max, 2 * min * 2^(n-1)), and never below min.  *seed is the
 * generator's state.
 */
double retry_delay(const struct retry_conf *rc, unsigned n, uint64_t *seed);

#endif
