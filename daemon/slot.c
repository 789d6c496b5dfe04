/*
 * A slot's state machine, the s6/runit way: a table of state x event.
 * Every write of a slot's state and of its flags (broken, liar, recycle,
 * kill_sent, overdue_id, refused) happens here; pool.c, dispatch.c and deadline.c
 * raise events.  Pure: no I/O, no call into another daemon file (the
 * callers do the side effects: buckets, pipes, timers, signals).
 *
 *   event \ state  STARTING    READY       RETIRING    BACKOFF
 *   SPAWNED        STARTING*   STARTING*   STARTING*   STARTING*
 *   HELLO          READY       refused     refused     refused
 *   RETIRE         RETIRING    RETIRING    RETIRING    RETIRING
 *   SHRINK         RETIRING-r  RETIRING-r  RETIRING-r  RETIRING-r
 *   RECYCLE        refused     RETIRING+r  refused     refused
 *   DIED_YOUNG     BACKOFF     BACKOFF     BACKOFF     BACKOFF
 *   PIPE_BROKEN    =+b         =+b         =+b         =+b
 *   LIED           =+b+l       =+b+l       =+b+l       =+b+l
 *   OVERDUE        =+b+o       =+b+o       =+b+o       =+b+o
 *   KILL_SENT      =+k         =+k         =+k         =+k
 *
 * "=" keeps the state; +b broken (no more jobs for it), +l liar (nothing
 * more it sends counts), +r / -r sets / clears recycle (retiring to be
 * replaced, not to shrink the pool), +o overdue (its running job passed
 * its time limit: overdue_id and term_at are set), +k kill_sent; "*"
 * clears every flag (a new process).  A refused event changes nothing and
 * returns -1.
 */
#include "master.h"

#define SLOT_KEEP (-1)
#define SLOT_ALL                                                                                   \
	((1u << SLOT_STARTING) | (1u << SLOT_READY) | (1u << SLOT_RETIRING) | (1u << SLOT_BACKOFF))

enum {
	SLOT_F_BROKEN = 1u << 0,
	SLOT_F_LIAR = 1u << 1,
	SLOT_F_RECYCLE = 1u << 2,
	SLOT_F_KILL_SENT = 1u << 3,
	SLOT_F_OVERDUE = 1u << 4,
	SLOT_F_EVERY = (1u << 5) - 1,
};

struct slot_rule {
	unsigned from; /* states it applies in (bits); refused in others */
	int to;        /* the next state, or SLOT_KEEP */
	unsigned set, clear;
};

static const struct slot_rule slot_table[SLOT_NEVENTS] = {
    [SLOT_EV_SPAWNED] = {SLOT_ALL, SLOT_STARTING, 0, SLOT_F_EVERY},
    [SLOT_EV_HELLO] = {1u << SLOT_STARTING, SLOT_READY, 0, 0},
    [SLOT_EV_RETIRE] = {SLOT_ALL, SLOT_RETIRING, 0, 0},
    [SLOT_EV_SHRINK] = {SLOT_ALL, SLOT_RETIRING, 0, SLOT_F_RECYCLE},
    [SLOT_EV_RECYCLE] = {1u << SLOT_READY, SLOT_RETIRING, SLOT_F_RECYCLE, 0},
    [SLOT_EV_DIED_YOUNG] = {SLOT_ALL, SLOT_BACKOFF, 0, 0},
    [SLOT_EV_PIPE_BROKEN] = {SLOT_ALL, SLOT_KEEP, SLOT_F_BROKEN, 0},
    [SLOT_EV_LIED] = {SLOT_ALL, SLOT_KEEP, SLOT_F_BROKEN | SLOT_F_LIAR, 0},
    [SLOT_EV_OVERDUE] = {SLOT_ALL, SLOT_KEEP, SLOT_F_BROKEN | SLOT_F_OVERDUE, 0},
    [SLOT_EV_KILL_SENT] = {SLOT_ALL, SLOT_KEEP, SLOT_F_KILL_SENT, 0},
};

static void slot_flag(bool *flag, unsigned bit, const struct slot_rule *r)
{
	if (r->clear & bit)
		*flag = false;
	if (r->set & bit)
		*flag = true;
}

int slot_event(struct slot *s, enum slot_event ev, ev_tstamp now)
{
	const struct slot_rule *r;

	if ((unsigned)ev >= SLOT_NEVENTS)
		return -1;
	r = &slot_table[ev];
	if (!(r->from & (1u << s->state)))
		return -1;
	if (r->to != SLOT_KEEP)
		s->state = (enum slot_state)r->to;
	slot_flag(&s->broken, SLOT_F_BROKEN, r);
	slot_flag(&s->liar, SLOT_F_LIAR, r);
	slot_flag(&s->recycle, SLOT_F_RECYCLE, r);
	slot_flag(&s->kill_sent, SLOT_F_KILL_SENT, r);
	if (r->clear & SLOT_F_OVERDUE)
		s->overdue_id = 0;
	if (ev == SLOT_EV_SPAWNED)
		s->refused = 0; /* a new process says anew what it refuses */
	if ((r->set & SLOT_F_OVERDUE) && s->ring_len > 0) {
		s->overdue_id = s->ring[s->ring_head]->id;
		s->term_at = now;
	}
	return 0;
}

int slot_hello(struct slot *s, uint32_t refused, ev_tstamp now)
{
	if (slot_event(s, SLOT_EV_HELLO, now) == -1)
		return -1;
	s->refused = refused;
	return 0;
}

const char *slot_overdue(const struct slot *s, const struct job *j)
{
	return s->overdue_id != 0 && j->id == s->overdue_id ? "ran past its time limit" : NULL;
}
