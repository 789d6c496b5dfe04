/*
 * The queues' side of dispatch: what dispatch.c asks before it hands a job
 * to a worker and tells when a job leaves one, kept here so dispatch.c
 * only calls in (queue_limits.c holds the rules themselves), and the rate
 * timer.  Nothing here dispatches: the settle step does, each loop turn
 * (settle.c).  sched_view.c maps kinds to queues and shows the queues.
 *
 * `inflight` works on both sides: a lane's job goes only to a worker that
 * holds fewer than that many jobs, and a worker that holds such a job
 * takes no more than that many in all until it is gone.  So with the
 * built-in queue "long" (inflight 1) a long job only ever goes to an idle
 * worker and nothing is queued behind it in that worker: no job waits in
 * a busy worker's pipe while another worker is idle (conf/poold.ini).
 */
#include "log.h"
#include "master.h"

/* A rate lets a held job go now: this turn's settle step dispatches it
 * (the timer only ends the loop's wait). */
static void sched_rate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

void sched_init(struct master *m)
{
	jobq_configure(&m->queue, &m->cfg);
	ev_init(&m->sched_w, sched_rate_cb);
}

struct job *sched_pick(struct master *m, unsigned load, ev_tstamp now)
{
	double wake = 0;
	struct job *j = jobq_pick(&m->queue, load, now, &wake);

	if (j == NULL && wake > 0 && !ev_is_active(&m->sched_w)) {
		ev_timer_set(&m->sched_w, wake - now, 0.);
		ev_timer_start(m->loop, &m->sched_w);
	}
	return j;
}

bool sched_slot_open(const struct slot *s)
{
	return s->lim == 0 || s->ring_len < s->lim;
}

bool sched_assigned(struct slot *s, const struct job *j)
{
	unsigned k = jobq_inflight(&s->m->queue, j);

	if (k > 0 && (s->lim == 0 || k < s->lim))
		s->lim = k;
	return sched_slot_open(s);
}

void sched_left(struct slot *s, const struct job *j)
{
	unsigned i, k;

	if (jobq_release(&s->m->queue, j) == 0) /* no inflight in its lane */
		return;
	s->lim = 0; /* a limiting job left: the others' limit */
	for (i = 0; i < s->ring_len; i++) {
		k = jobq_inflight(&s->m->queue, s->ring[(s->ring_head + i) % s->ring_cap]);
		if (k > 0 && (s->lim == 0 || k < s->lim))
			s->lim = k;
	}
}
