/*
 * Jobs by id, the master's side: keeps the results registry (results.c)
 * in step with each job's life, fed from three places only: admission
 * (admit.c, for every source and the replay), a worker taking it
 * (dispatch.c) and its outcome (outcome.c); and its put-backs.  The same
 * events end a unique key's life (unique.c).  Submits
 * and cancels are in jobctl_act.c, requests and replies in jobctl_req.c.
 * Needs only the registry and the loop's clock.
 */
#include <stdio.h>
#include <string.h>

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
	results_output_bound(&m->results, (size_t)m->cfg.results_output_kib * 1024);
	ev_timer_init(&m->results_w, jobctl_expire_cb, JOBCTL_EXPIRE_TICK, JOBCTL_EXPIRE_TICK);
	ev_timer_start(m->loop, &m->results_w);
}

void jobctl_configure(struct master *m)
{
	results_configure(&m->results, m->cfg.results_keep, m->cfg.results_max_age_ms / 1000.0);
	results_output_bound(&m->results, (size_t)m->cfg.results_output_kib * 1024);
	results_expire(&m->results, ev_now(m->loop));
}

void jobctl_admitted(struct master *m, struct job *j, const struct jobopt *opt, const char *ref)
{
	j->res =
	    results_add(&m->results, j->id, j->kind, j->args, j->len, opt != NULL ? opt->key : NULL,
	                opt != NULL ? opt->key_len : 0, ref, j->accepted); /* admit.c's now */
}

/* A job without a key (j->uniq 0, most of them) costs unique.c no call. */
void jobctl_started(struct master *m, struct job *j, unsigned worker, ev_tstamp now)
{
	if (j->uniq != 0)
		unique_started(m, j);
	if (j->res != NULL)
		results_started(&m->results, j->res, worker, j->attempts, now);
}

void jobctl_requeued(struct master *m, struct job *j)
{
	if (j->res != NULL)
		results_requeued(&m->results, j->res);
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

void jobctl_ended(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                  ev_tstamp now)
{
	struct result *res = j->res;

	if (j->uniq != 0)
		unique_ended(m, j, status);
	j->res = NULL;
	if (res != NULL)
		results_ended(&m->results, res, jobctl_state(status), msg, len, now);
}

void jobctl_output(struct master *m, struct job *j, const char *out, size_t len)
{
	if (j->res != NULL)
		results_output(&m->results, j->res, out, len);
}

bool jobctl_cancel_asked(const struct job *j)
{
	return j->res != NULL && j->res->cancel;
}

void jobctl_free(struct master *m)
{
	results_free(&m->results);
	uniq_free(&m->uniq);
}
