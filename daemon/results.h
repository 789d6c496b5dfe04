/*
 * The results registry: every live job and the recently ended ones, by id
 * (and by the client's key), for `poolctl job`, `jobs`, `wait ID` and
 * `cancel`.  Ended jobs are kept up to `keep` of them and for at most
 * `max_age` seconds, whichever comes first: memory is bounded by
 * keep + the live jobs (themselves bounded by [pool] queue_limit), each
 * record holding at most RESULTS_TEXT_MAX bytes of arguments and reason.
 * The kept output of operator kinds (at most PROTO_OUT_MAX bytes a job)
 * has a bound of its own, output_max bytes for all ended jobs together:
 * past it the oldest ended jobs' output is dropped (their records stay).
 * Knows nothing of the master: times are passed in, the caller owns the
 * struct results.
 */
#ifndef POOLD_RESULTS_H
#define POOLD_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "slab.h"

/* Bytes of arguments, reason and source reference kept per job. */
#define RESULTS_TEXT_MAX 256

enum result_state {
	RESULT_QUEUED,
	RESULT_RUNNING, /* held by a worker */
	RESULT_DONE,
	RESULT_FAILED,
	RESULT_TIMEDOUT,
	RESULT_BURIED,
	RESULT_CANCELLED,
	RESULT_SCHEDULED, /* held until its due time (later.c): in=, at= */
	RESULT_RETRYING,  /* failed; held until its back-off ends (retry.c, later.c) */
	RESULT_NSTATES,
};

/* Failed attempts kept per job (the last ones; the count is kept), and
 * bytes of each one's reason. */
#define RESULTS_TRIES_MAX  8
#define RESULTS_TRY_REASON 120

/* One failed attempt of a job that was retried (or buried after it). */
struct result_try {
	double at; /* when it ended */
	char reason[RESULTS_TRY_REASON];
};

/* A new field is set in results_add or results_clear: a reused record
 * is not zeroed whole. */
struct result {
	struct result *hnext;       /* chain of the id table */
	struct result *knext;       /* chain of the key table */
	struct result *prev, *next; /* the live list or the ended list, oldest first */
	uint64_t id;
	uint16_t kind;
	uint16_t attempt;
	uint8_t state; /* enum result_state */
	bool args_cut; /* the arguments were longer than what is kept */
	bool cancel;   /* a cancel was asked while it ran */
	bool small;    /* allocated with RESULTS_SMALL_TEXT bytes of text: reusable */
	bool blocks;   /* reason, output or tries may have been allocated */
	unsigned worker;
	struct slab_block
	    *slab; /* small, in a block of RESULTS_SLAB (slab.h): never freed alone; else NULL */
	double accepted, started, ended; /* 0 when not (yet) */
	double due;                      /* when it was last held until (later.c); 0 never */
	char *reason;                    /* malloc'd when ended; may be NULL */
	char *output;                    /* kept output, malloc'd; NULL if none */
	uint32_t output_len;
	bool output_dropped; /* it had output, dropped for output_max */
	const char *key;     /* in text[], NULL if none */
	const char *ref;     /* the source's name for it, in text[]; NULL */
	uint32_t args_len;
	struct result_try *tries; /* malloc'd at the first failed attempt; NULL */
	uint16_t ntries;          /* failed attempts in all (the last RESULTS_TRIES_MAX kept) */
	uint64_t again;           /* `poolctl retry`/`kick`: the id of its copy; 0 */
	char text[];              /* args (not NUL-terminated), key NUL, ref NUL */
};

struct results {
	struct result **ids, **keys; /* chained hash tables, power-of-two sizes */
	size_t mask;                 /* both tables have mask + 1 heads */
	size_t count;                /* records held */
	struct result *live_first, *live_last;
	struct result *ended_first, *ended_last; /* oldest ended first */
	size_t nended;
	size_t nretrying;           /* live records in RESULT_RETRYING */
	size_t keep;                /* ended records kept at most; 0 keeps none */
	double max_age;             /* seconds an ended record is kept; 0 no limit */
	size_t output_max;          /* bytes of output kept for all ended jobs */
	size_t output_bytes;        /* bytes of output the ended records hold */
	struct result *output_from; /* none before it holds output; NULL: the oldest */
	struct result *spare;       /* dropped small records, for the next adds */
	size_t nspare;              /* records on the spare list */
	size_t nspare_heap;         /* those of them not in a block */
	struct slab slab;           /* blocks of RESULTS_SLAB small records (slab.h) */
};

/* Text bytes of a small record (arguments, key and ref with their NULs:
 * every noop, most log lines), and how many dropped ones are kept for
 * reuse at most: in a steady stream each add takes the record the last
 * drop left, no calloc/free per job.  Spares are kept only while the
 * records held and the spares together are no more than the tables'
 * heads (which follow the peak of records held): live jobs that ebb
 * after a burst leave their records to the next burst, not to free(). */
#define RESULTS_SMALL_TEXT 64
#define RESULTS_SPARE_MAX  16384

/* Small records are made RESULTS_SLAB at a time, in one block, until the
 * blocks hold keep + RESULTS_SPARE_MAX of them: one malloc (and one free
 * at the end) for RESULTS_SLAB records while the registry fills up to
 * keep + the live jobs, rather than one calloc and one free each.  A
 * record of a block is never freed alone: dropped, it is always a spare.
 * So that the memory kept after a burst stays bounded (at most keep +
 * RESULTS_SPARE_MAX spare records beside the records held), the other
 * small records are kept as spares only while they and the blocks'
 * records together are fewer than keep + RESULTS_SPARE_MAX. */
#define RESULTS_SLAB 64

/* output_max unless results_output_bound says otherwise. */
#define RESULTS_OUTPUT_DEFAULT (16u << 20)

/* Names for states ("queued", "running", "done", "failed", "timed out",
 * "buried", "cancelled", "scheduled") and the reverse (-1 if unknown). */
const char *results_state_name(enum result_state st);
int results_state_by_name(const char *name);

void results_init(struct results *r, size_t keep, double max_age);
/* Applies new bounds (a reload); the excess goes at the next expiry. */
void results_configure(struct results *r, size_t keep, double max_age);
/* The bound of the ended jobs' output, in bytes (0 keeps none). */
void results_output_bound(struct results *r, size_t bytes);

/*
 * Records an accepted job as queued.  key and ref may be NULL.  Returns
 * the record (owned by r), or NULL when out of memory (the job runs
 * untracked).
 */
struct result *results_add(struct results *r, uint64_t id, uint16_t kind, const char *args,
                           size_t len, const char *key, size_t key_len, const char *ref,
                           double now);
/* The job was given to worker `worker` for attempt `attempt`. */
void results_started(struct results *r, struct result *res, unsigned worker, unsigned attempt,
                     double now);
/* Back in the queue (its worker died, a retry, or its due time came). */
void results_requeued(struct results *r, struct result *res);
/* One failed attempt that ended at `at` with reason (cut to
 * RESULTS_TRY_REASON); the oldest is forgotten past RESULTS_TRIES_MAX. */
void results_tried(struct result *res, double at, const char *reason, size_t len);
/* The i-th kept failed attempt, oldest first; NULL past the last. */
const struct result_try *results_try_at(const struct result *res, unsigned i);
/* Waits for its retry's back-off (RESULT_RETRYING). */
void results_retrying(struct results *r, struct result *res);
/* Held until `due` (wall-clock seconds), in no queue (later.c). */
void results_scheduled(struct results *r, struct result *res, double due);
/* The job's output (before results_ended); kept if it fits output_max. */
void results_output(const struct results *r, struct result *res, const char *out, size_t len);
/* The job ended: moves it to the ended list and applies the bounds. */
void results_ended(struct results *r, struct result *res, enum result_state st, const char *reason,
                   size_t len, double now);
/* Drops ended records past max_age or over keep. */
void results_expire(struct results *r, double now);

/* Look-ups; NULL if unknown or forgotten.  By key: the newest job with it. */
struct result *results_find(const struct results *r, uint64_t id);
struct result *results_find_key(const struct results *r, const char *key, size_t len);

void results_free(struct results *r);

#endif
