/*
 * Jobs by id, the master's side: keeps the results registry (results.c)
 * in step with each job's life (admitted, given to a worker, put back,
 * ended), admits jobs sent over the control socket, and cancels jobs.
 * A queued job is cancelled at once: taken out of the queue and ended as
 * cancelled, which writes its journal END, so a restart does not run it.
 * A running one is marked; the deadline tick (deadline.c) stops its
 * worker like an overdue one (TERM, KILL after kill_timeout) and the
 * reaped job is recorded as cancelled (dispatch.c); the jobs the worker
 * held behind it run elsewhere.  Requests and replies are in jobctl_req.c.
 */
#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "master.h"

/* How often ended jobs past [results] max_age are dropped. */
#define JOBCTL_EXPIRE_TICK 1.0

static void jobctl_expire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, results_w);

	results_expire(&m->results, ev_now(loop));
}

void jobctl_start(struct master *m)
{
	results_init(&m->results, m->cfg.results_keep, m->cfg.results_max_age_ms / 1000.0);
	ev_timer_init(&m->results_w, jobctl_expire_cb, JOBCTL_EXPIRE_TICK, JOBCTL_EXPIRE_TICK);
	ev_timer_start(m->loop, &m->results_w);
}

void jobctl_configure(struct master *m)
{
	results_configure(&m->results, m->cfg.results_keep, m->cfg.results_max_age_ms / 1000.0);
	results_expire(&m->results, ev_now(m->loop));
}

void jobctl_admitted(struct master *m, struct job *j, const struct jobopt *opt, const char *ref)
{
	j->res =
	    results_add(&m->results, j->id, j->kind, j->args, j->len, opt != NULL ? opt->key : NULL,
	                opt != NULL ? opt->key_len : 0, ref, ev_now(m->loop));
}

void jobctl_started(struct master *m, struct job *j, unsigned worker)
{
	if (j->res != NULL)
		results_started(j->res, worker, j->attempts, ev_now(m->loop));
}

void jobctl_requeued(struct job *j)
{
	if (j->res != NULL)
		results_requeued(j->res);
}

static enum result_state jobctl_state(uint32_t status)
{
	switch (status) {
	case PROTO_OK:
		return RESULT_DONE;
	case PROTO_TIMEDOUT:
		return RESULT_TIMEDOUT;
	case OUTCOME_BURIED:
		return RESULT_BURIED;
	case OUTCOME_CANCELLED:
		return RESULT_CANCELLED;
	default:
		return RESULT_FAILED;
	}
}

void jobctl_ended(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len)
{
	struct result *res = j->res;

	j->res = NULL;
	if (res != NULL)
		results_ended(&m->results, res, jobctl_state(status), msg, len, ev_now(m->loop));
}

bool jobctl_cancel_asked(const struct job *j)
{
	return j->res != NULL && j->res->cancel;
}

/* Takes job id out of the queue; NULL if it is not queued. */
static struct job *jobctl_unqueue(struct master *m, uint64_t id)
{
	struct jobq *q = &m->queue;
	struct job *j, *prev = NULL;

	for (j = q->head; j != NULL; prev = j, j = j->next) {
		if (j->id != id)
			continue;
		if (prev != NULL)
			prev->next = j->next;
		else
			q->head = j->next;
		if (q->tail == j)
			q->tail = prev;
		q->len--;
		j->next = NULL;
		return j;
	}
	return NULL;
}

int jobctl_cancel(struct master *m, uint64_t id, char *msg, size_t msglen)
{
	struct result *res = results_find(&m->results, id);
	struct job *j;

	if (res == NULL) {
		snprintf(msg, msglen, "job %llu: unknown (never accepted, or forgotten)",
		         (unsigned long long)id);
		return -1;
	}
	if (res->state != RESULT_QUEUED && res->state != RESULT_RUNNING) {
		snprintf(msg, msglen, "job %llu: already ended (%s)", (unsigned long long)id,
		         results_state_name(res->state));
		return -1;
	}
	j = res->state == RESULT_QUEUED ? jobctl_unqueue(m, id) : NULL;
	if (j != NULL) {
		outcome_record(m, j, OUTCOME_CANCELLED, "cancelled", 9, OUTCOME_NO_SLOT);
		snprintf(msg, msglen, "job %llu: cancelled", (unsigned long long)id);
		return 0;
	}
	res->cancel = true;
	snprintf(msg, msglen, "job %llu: cancelling (running on worker[%u])",
	         (unsigned long long)id, res->worker);
	return 0;
}

int jobctl_submit(struct master *m, const char *line, size_t len, uint64_t *id, char *err,
                  size_t errlen)
{
	const struct job_kind *kind;
	struct ctl_line cl;
	struct job *j;

	if (m->stopping) {
		snprintf(err, errlen, "poold is stopping");
		return -1;
	}
	kind = jobs_check_line(line, len, &cl, err, errlen);
	if (kind == NULL) {
		m->count.rejected++;
		return -1;
	}
	j = job_new(kind->code, (uint16_t)jobs_index(kind), cl.args, cl.args_len);
	if (j == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* TODO(issue 10): one admission path shared with fifo.c and redis_entry.c. */
	j->id = journal_next_id(m);
	j->accepted = ev_now(m->loop);
	m->live++;
	m->count.accepted[j->kind]++;
	jobq_push(&m->queue, j);
	journal_accept(m, j);
	jobctl_admitted(m, j, &cl.opt, NULL);
	*id = j->id;
	return 0;
}

bool jobctl_full(const struct master *m)
{
	return m->live >= m->cfg.queue_limit;
}

void jobctl_free(struct master *m)
{
	results_free(&m->results);
}
