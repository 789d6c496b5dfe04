/*
 * The settle step: what the master does once per loop turn, after the
 * callbacks of that turn ran and before it sleeps (an ev_prepare watcher;
 * Redis calls its own `beforeSleep`).  Event handlers (a FIFO read, a
 * completion, a dead worker, a signal, a control request, a reload) only
 * change state; this is the one place that acts on the state they left,
 * in a fixed order:
 *
 *   1. journal flush:  records of the jobs accepted this turn are written
 *                      before any of those jobs reaches a worker;
 *   2. dispatch:       queued jobs go to the least-loaded READY slots,
 *                      within each slot's share (dispatch.c);
 *   3. slot writes:    each slot that got frames writes them once;
 *   4. intake:         each source is told the queue's room (source.h
 *                      room op: the FIFO, paused at the queue limit, is
 *                      read again once there is room; never while
 *                      stopping);
 *   5. waiters:        `poolctl wait` clients whose jobs all ended this
 *                      turn are answered (ctlsock.c);
 *   6. drain check:    while stopping, retire what is idle and end the
 *                      loop when no worker is left (signals.c).
 *
 * Source flushes (Redis acknowledgements and reads) run in the source's
 * own prepare watcher, which runs after this one (lower priority), so it
 * sees the queue's room after dispatch.
 *
 * Nothing here is called from below: settle.c calls down into dispatch,
 * the sources (source.c), journal, ctlsock and signals, and no file calls into settle.c but
 * main.c.  It must not block and does O(work done) per turn.
 */
#include "master.h"

static void settle_run(struct master *m);

static void settle_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	settle_run(container_of(w, struct master, settle_w));
}

/* Does nothing but keep this turn's poll from blocking (see settle_run). */
static void settle_again_cb(struct ev_loop *loop, ev_idle *w, int revents)
{
	ev_idle_stop(loop, w);
}

static void settle_run(struct master *m)
{
	unsigned pending;

	journal_flush(m, false);
	dispatch_run(m);
	pending = ev_pending_count(m->loop);
	source_room_all(m);
	/* A source that resumed may have fed its watcher an event, whose
	 * callback runs after this step in this turn: an idle watcher makes
	 * the poll return at once, so the next turn's settle step dispatches
	 * what that callback accepted without waiting for another event. */
	if (ev_pending_count(m->loop) > pending)
		ev_idle_start(m->loop, &m->settle_again_w);
	ctlsock_settle(m);
	if (m->stopping)
		signals_check_drained(m);
}

void settle_start(struct master *m)
{
	ev_prepare_init(&m->settle_w, settle_cb);
	ev_set_priority(&m->settle_w, EV_MAXPRI);
	ev_prepare_start(m->loop, &m->settle_w);
	ev_idle_init(&m->settle_again_w, settle_again_cb);
}

void settle_stop(struct master *m)
{
	ev_prepare_stop(m->loop, &m->settle_w);
	ev_idle_stop(m->loop, &m->settle_again_w);
}
