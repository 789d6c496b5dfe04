/*
 * Job time limits.  A worker runs the jobs it holds in order, so the
 * oldest job in a slot's ring is the running one, and slot->head_since is
 * when it started (when it was sent to an idle worker, or when the job
 * before it ended).  A timer checks every slot a few times a second (work
 * per tick is O(workers), never per job): a job past its limit gets its
 * worker a TERM, then a KILL after [pool] kill_timeout; when the worker is
 * reaped, that job is recorded as timed out and the others it held go to
 * other workers.  A stopped (SIGSTOP) worker is handled the same way, so
 * it stalls only its own jobs, and only until their limit.  A running job
 * whose cancel was asked (`poolctl cancel`) is stopped the same way at the
 * next tick, and recorded as cancelled.
 */
#include <signal.h>
#include <stdio.h>

#include "jobs.h"
#include "log.h"
#include "master.h"

#define DEADLINE_TICK 0.1

static void deadline_check(struct master *m, struct slot *s, ev_tstamp now)
{
	struct job *j = s->ring[s->ring_head];
	double limit = jobs_timeout_ms(jobs_at(j->kind), &m->cfg) / 1000.0;
	bool cancel = jobctl_cancel_asked(j);

	if (!cancel && (limit <= 0 || now - s->head_since < limit))
		return;
	if (cancel)
		log_info("worker[%u]: job %llu %s cancelled; stopping pid %d", s->index,
		         (unsigned long long)j->id, jobs_at(j->kind)->name, (int)s->pid);
	else
		log_warnx("worker[%u]: job %llu %s has run %.1f s, past its limit of %.1f s; "
		          "stopping pid %d",
		          s->index, (unsigned long long)j->id, jobs_at(j->kind)->name,
		          now - s->head_since, limit, (int)s->pid);
	slot_event(s, SLOT_EV_OVERDUE, now); /* no more jobs for it */
	dispatch_slot_remove(s);
	kill(s->pid, SIGTERM);
	kill(s->pid, SIGCONT); /* a stopped worker must see its TERM */
}

static void deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, deadline_w);
	ev_tstamp now = ev_now(loop);
	struct slot *s;
	unsigned i;

	for (i = 0; i < m->nslots; i++) {
		s = m->slots[i];
		if (s == NULL || s->pid == 0)
			continue;
		if (s->overdue_id == 0 && s->ring_len > 0)
			deadline_check(m, s, now);
		else if (s->overdue_id != 0 && !s->kill_sent &&
		         now - s->term_at >= m->cfg.kill_timeout_ms / 1000.0) {
			log_warnx("worker[%u]: pid %d still there %.1f s after TERM; sending KILL",
			          s->index, (int)s->pid, now - s->term_at);
			kill(s->pid, SIGKILL);
			slot_event(s, SLOT_EV_KILL_SENT, now);
		}
	}
}

void deadline_start(struct master *m)
{
	ev_timer_init(&m->deadline_w, deadline_cb, DEADLINE_TICK, DEADLINE_TICK);
	ev_timer_start(m->loop, &m->deadline_w);
}
