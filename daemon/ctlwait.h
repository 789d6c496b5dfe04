/*
 * The clients of `poolctl wait` that are still waiting, grouped by the
 * last job id they wait for.  Private to daemon/ctlsock.c and
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
	uint64_t total;   /* sum of left over the groups */
	uint64_t waiters; /* on any group */
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
 * A job ended.  Calls done(w, arg) for each waiter whose jobs have all
 * ended now, after taking it out (done may free it).  O(log groups).
 */
void waitset_job_ended(struct waitset *ws, uint64_t id, void (*done)(struct waiter *, void *),
                       void *arg);

void waitset_free(struct waitset *ws);

#endif
