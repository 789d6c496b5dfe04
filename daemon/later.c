/*
 * Jobs held until a due time: the delayed jobs of the `in=` and `at=`
 * options, and (issue 14) retries waiting out their back-off.  A held
 * job was admitted like any other (it has its id, is counted live and,
 * if its source journals, its ACCEPT record carries its absolute due time
 * as `at=`), but it is in no queue: it sits in a min-heap by due time
 * (timerheap.c), and one ev_timer on the loop is armed for the earliest.
 * When the timer fires, every job due by then goes to its queue, and the
 * timer is armed for the next one.  A million held jobs cost one timer.
 *
 * Due times are wall-clock Unix seconds (ev_now), so they mean the same
 * after a restart.  An ev_timer counts on the monotonic clock, so after
 * the wall clock is set it would fire at the wrong wall time: the timer
 * never sleeps more than LATER_RECHECK, and every wake compares the heap
 * with the loop's wall-clock time afresh.  A clock set forward releases
 * what became due within LATER_RECHECK; one set back releases nothing
 * early.  Only the heap says what is due, never the timer, so no jump can
 * lose a job.
 *
 * While the master stops (TERM or INT), nothing is released: the held
 * jobs stay in the journal and are held again at the next start.  This
 * file owns the heap and the timer; the jobs stay owned by the master
 * (outcome_record frees them when they end).
 */
#include <errno.h>

#include "master.h"

/* The shortest sleep: a timer that fired a hair early (ev_now is the time
 * the loop woke) sleeps this long, rather than spinning. */
#define LATER_MIN 0.001

static void later_arm(struct master *m)
{
	struct later *l = &m->later;
	const struct th_entry *e = th_peek(&l->heap);
	double wait;

	ev_timer_stop(m->loop, &l->w);
	if (e == NULL || m->stopping)
		return;
	wait = e->due - ev_now(m->loop);
	if (wait < LATER_MIN)
		wait = LATER_MIN;
	if (wait > LATER_RECHECK)
		wait = LATER_RECHECK;
	ev_timer_set(&l->w, wait, 0.);
	ev_timer_start(m->loop, &l->w);
}

/* j's due time came: to its queue.  Its queue time and latency (metrics,
 * status) count from now: the delay its in=, at= or retry's back-off
 * asked for is not the pool's wait (`poolctl job` keeps the acceptance). */
static void later_release(struct master *m, struct job *j, double now)
{
	j->accepted = now;
	jobq_push(&m->queue, j);
	if (j->res != NULL)
		results_requeued(&m->results, j->res);
}

static void later_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, later.w);
	struct later *l = &m->later;
	double now = ev_now(loop);
	const struct th_entry *e;

	while (!m->stopping && (e = th_peek(&l->heap)) != NULL && e->due <= now)
		later_release(m, th_pop(&l->heap, NULL), now);
	later_arm(m);
}

void later_start(struct master *m)
{
	ev_timer_init(&m->later.w, later_cb, LATER_RECHECK, 0.);
}

int later_hold(struct master *m, struct job *j, double due)
{
	struct later *l = &m->later;

	if (due <= ev_now(m->loop)) {
		later_release(m, j, ev_now(m->loop));
		return 0;
	}
	if (th_push(&l->heap, due, j) == -1) {
		errno = ENOMEM;
		return -1;
	}
	if (j->res != NULL)
		results_scheduled(&m->results, j->res, due);
	if (th_peek(&l->heap)->item == j) /* the new earliest */
		later_arm(m);
	return 0;
}

struct job *later_remove(struct master *m, uint64_t id)
{
	struct later *l = &m->later;
	size_t i;

	for (i = 0; i < l->heap.len; i++)
		if (((struct job *)l->heap.v[i].item)->id == id) {
			struct job *j = th_remove_at(&l->heap, i);

			if (i == 0)
				later_arm(m);
			return j;
		}
	return NULL;
}

int later_room(struct master *m)
{
	if (th_reserve(&m->later.heap) == -1) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

struct job *later_at(const struct master *m, size_t i)
{
	return i < m->later.heap.len ? m->later.heap.v[i].item : NULL;
}

void later_free(struct master *m)
{
	struct job *j;

	ev_timer_stop(m->loop, &m->later.w);
	while ((j = th_pop(&m->later.heap, NULL)) != NULL)
		job_free(j);
	th_free(&m->later.heap);
}
