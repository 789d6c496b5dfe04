/*
 * The clients of `poolctl wait` that are still waiting, grouped by the
 * last job id they wait for.  Private to daemon/ctlsock*.c and
 * daemon/ctlwait.c (master.h embeds the set); it knows nothing of sockets.
 */
#ifndef POOLD_CTLWAIT_H
#define POOLD_CTLWAIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One waiting client: embedded in it, on its group's list. */
struct waiter {
	struct waiter *prev, *next;
	uint64_t upto; /* waits for every job with an id up to this one */
	bool on;       /* in a group */
	bool ready;    /* its jobs ended: on the ready list, to be answered */
};

/* The waiters that came while the same jobs were accepted. */
struct wait_group {
	uint64_t upto;
	uint64_t left; /* unfinished jobs with ids above the previous group's upto, up to upto */
	struct waiter *head;
};

/* Groups by upto, ascending: g[first] to g[first + len - 1]. */
struct waitset {
	struct wait_group *g;
	size_t first, len, cap;
	uint64_t total;       /* sum of left over the groups */
	uint64_t waiters;     /* on any group */
	struct waiter *ready; /* done, not yet answered (waitset_take_ready) */
};

/*
 * Adds w, waiting for the jobs with ids up to upto, of which `live` (all
 * the unfinished jobs; none has a higher id) are unfinished.  Returns 0,
 * or -1 (ENOMEM).  A waiter with nothing to wait for is not added: the
 * caller answers it at once (returns 1).
 */
int waitset_add(struct waitset *ws, struct waiter *w, uint64_t upto, uint64_t live);

/* Takes w out (its client left).  Does nothing if it is not in. */
void waitset_remove(struct waitset *ws, struct waiter *w);

/*
 * A job ended.  Moves each waiter whose jobs have all ended now to the
 * ready list, where it stays until waitset_take_ready (or its removal).
 * O(log groups); calls nothing, so a job's end never calls up into the
 * socket code.
 */
void waitset_mark_ended(struct waitset *ws, uint64_t id);

/* Takes each ready waiter off the list and calls done(w, arg) (done may
 * free it). */
void waitset_take_ready(struct waitset *ws, void (*done)(struct waiter *, void *), void *arg);

/*
 * waitset_mark_ended, then waitset_take_ready.  Calls done(w, arg) for each waiter whose jobs have
 * all ended now, after taking it out (done may free it).  O(log groups).
 */
void waitset_job_ended(struct waitset *ws, uint64_t id, void (*done)(struct waiter *, void *),
                       void *arg);

void waitset_free(struct waitset *ws);

#endif
