/*
 * The pool census: one pass over the slot table and the counters that
 * status, metrics, the scoreboard and sd_notify's STATUS= all read, so
 * they count workers and jobs the same way.  Reads master state only;
 * writes nothing but the census it fills.  O(slots + kinds).
 */
#include <string.h>

#include "master.h"

static void census_slot(const struct slot *s, struct census *c)
{
	c->workers++;
	c->in_flight += s->ring_len;
	c->holding += s->ring_len > 0;
	switch (s->state) {
	case SLOT_STARTING:
		c->starting++;
		break;
	case SLOT_READY:
		c->ready++;
		if (s->ring_len > 0)
			c->busy++;
		else
			c->idle++;
		break;
	case SLOT_RETIRING:
		c->retiring++;
		break;
	case SLOT_BACKOFF:
		c->backoff++;
		break;
	}
}

void census_take(const struct master *m, struct census *c)
{
	unsigned i;
	size_t k;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL)
			census_slot(m->slots[i], c);
	/* Kinds past the job table count nothing, so summing all is exact. */
	for (k = 0; k < MASTER_MAX_KINDS; k++) {
		c->accepted += m->count.accepted[k];
		c->done += m->count.done[k];
		c->failed += m->count.failed[k];
		c->timedout += m->count.timedout[k];
		c->buried += m->count.buried[k];
		c->cancelled += m->count.cancelled[k];
	}
	c->ended = c->done + c->failed + c->timedout + c->buried + c->cancelled;
	c->wanted = m->target;
	c->queued = m->queue.len;
	c->retrying = m->results.nretrying;
	/* The held jobs but the retries: jobs of in= and at=. */
	c->scheduled = later_count(m) > c->retrying ? later_count(m) - c->retrying : 0;
	c->live = m->live;
	c->waiting = m->waits.waiters;
}
