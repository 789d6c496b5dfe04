/*
 * The queues as operators see them: which kind goes to which queue,
 * `poolctl pause` / `resume`, and the queues and tokens in status and
 * metrics.  sched.c is the dispatch side.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "log.h"
#include "master.h"
#include "modkind.h"
#include "opkind.h"

/* Kind i's unique mode and retry settings: each key its [kind.NAME] or
 * [module.NAME] sets, else its queue's (unique.c, retry.c).  Built-in
 * kinds have no section: theirs are their queue's. */
static void sched_kind_own(struct master *m, unsigned i, const char *name, unsigned lane)
{
	const struct config *c = &m->cfg;
	const struct config_queue *q = &c->queues[lane < c->nqueues ? lane : 0];
	const struct opkind *op = opkind_find(c, name);
	const struct modkind *mk = modkind_find(c, name);
	int mode = q->unique;

	m->queue.kind_retry[i] = q->retry;
	if (op != NULL) {
		if (op->raw[OPK_UNIQUE] != NULL)
			mode = op->unique;
		retry_merge(&m->queue.kind_retry[i], &q->retry, &op->retry, &op->raw[OPK_RETRY]);
	} else if (mk != NULL) {
		if (mk->mod->raw[MODK_UNIQUE] != NULL)
			mode = mk->mod->unique;
		retry_merge(&m->queue.kind_retry[i], &q->retry, &mk->mod->retry,
		            &mk->mod->raw[MODK_RETRY]);
	}
	m->queue.kind_unique[i] = (unsigned char)mode;
}

/* A kind goes to the queue whose `kinds` names it, else to "long" (1)
 * if it may run long, else to "default" (0).  A queue that holds a kind
 * that may run long and sets no `inflight` gets 1, as "long" has: else a
 * long job handed to a busy worker ahead of time waits there while
 * another worker is idle, and a `concurrency` cap counts it as running
 * while it waits (a cap of 2 ran one job at a time on one worker). */
void sched_map_kinds(struct master *m)
{
	const struct config *c = &m->cfg;
	const struct job_kind *k;
	unsigned i, qi, ki, lane;

	for (qi = 0; qi < c->nqueues && qi < QUEUE_LANES; qi++)
		m->queue.lane[qi].inflight = c->queues[qi].inflight;
	for (i = 0; i < jobs_count() && i < JOBS_MAX; i++) {
		k = jobs_at(i);
		lane = k->may_be_long ? 1 : 0;
		for (qi = 0; qi < c->nqueues && qi < QUEUE_LANES; qi++)
			for (ki = 0; ki < c->queues[qi].nkinds; ki++)
				if (strcmp(c->queues[qi].kinds[ki], k->name) == 0)
					lane = qi;
		m->queue.kind_lane[i] = (unsigned char)lane;
		if (k->may_be_long && lane < c->nqueues && c->queues[lane].inflight == 0)
			m->queue.lane[lane].inflight = 1;
		sched_kind_own(m, i, k->name, lane);
	}
}

int sched_pause(struct master *m, const char *name, bool pause, char *reply, size_t len)
{
	struct joblane *ln = jobq_lane(&m->queue, name);

	if (ln == NULL) {
		snprintf(reply, len, "error no queue '%.40s'\n", name);
		return -1;
	}
	if (ln->paused != pause)
		log_info("queue %s %s (%zu queued, %u running)", ln->name,
		         pause ? "paused" : "resumed", ln->len, ln->running);
	ln->paused = pause;
	snprintf(reply, len, "queue %s %s\n", ln->name, pause ? "paused" : "running");
	return 0; /* resumed: the settle step dispatches its jobs */
}

/* One line: the lanes, then the tokens. */
void sched_status_text(const struct master *m, FILE *f)
{
	const struct jobq *q = &m->queue;
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;
	const struct joblane *ln;

	fputs("queues:", f);
	for (i = 0; i < n; i++) {
		ln = &q->lane[i];
		fprintf(f, "%s %s%s %zu queued, %u running", i ? ";" : "", ln->name,
		        ln->paused ? " PAUSED," : ":", ln->len, ln->running);
		if (ln->cap > 0)
			fprintf(f, " (cap %u)", ln->cap);
		if (ln->rate > 0)
			fprintf(f, " (rate %g/s, burst %g)", ln->rate, ln->burst);
	}
	for (i = 0; i < q->ntokens; i++)
		fprintf(f, "; token %s: %u of %u free", m->cfg.tokens[i].name, q->token_free[i],
		        q->token_count[i]);
	fputc('\n', f);
}

/* Sets obj[key] = v (owned); -1 if anything is NULL or fails. */
static int sched_set(json_t *obj, const char *key, json_t *v)
{
	return obj != NULL && v != NULL && json_object_set_new(obj, key, v) == 0 ? 0 : -1;
}

/* "queues":{"NAME":{"state","queued","running","concurrency","running_max",
 * "handed","rate","burst","inflight"},...},"tokens":{"NAME":{"free",
 * "in_use","count"},...} into root. */
int sched_status_json(const struct master *m, json_t *root)
{
	const struct jobq *q = &m->queue;
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;
	json_t *qs = json_object(), *ts = json_object(), *o;
	const struct joblane *ln;
	int rc = 0;

	for (i = 0; i < n; i++) {
		ln = &q->lane[i];
		o = json_object();
		rc |= sched_set(o, "state", json_string(ln->paused ? "paused" : "running"));
		rc |= sched_set(o, "queued", json_integer((json_int_t)ln->len));
		rc |= sched_set(o, "running", json_integer(ln->running));
		rc |= sched_set(o, "concurrency", json_integer(ln->cap));
		rc |= sched_set(o, "running_max", json_integer(ln->running_max));
		rc |= sched_set(o, "handed", json_integer((json_int_t)ln->handed));
		rc |= sched_set(o, "rate", json_real(ln->rate));
		rc |= sched_set(o, "burst", json_real(ln->rate > 0 ? ln->burst : 0));
		rc |= sched_set(o, "inflight", json_integer(ln->inflight));
		rc |= sched_set(qs, ln->name, o);
	}
	for (i = 0; i < q->ntokens; i++) {
		o = json_object();
		rc |= sched_set(o, "free", json_integer(q->token_free[i]));
		rc |= sched_set(o, "in_use", json_integer(q->token_count[i] - q->token_free[i]));
		rc |= sched_set(o, "count", json_integer(q->token_count[i]));
		rc |= sched_set(ts, m->cfg.tokens[i].name, o);
	}
	rc |= sched_set(root, "queues", qs);
	rc |= sched_set(root, "tokens", ts);
	return rc;
}

enum { SM_QUEUED, SM_RUNNING, SM_PAUSED, SM_CONCURRENCY, SM_RATE, SM_FREE, SM_COUNT };

static const struct {
	const char *name, *label, *help;
} sched_metric[] = {
    [SM_QUEUED] = {"queue_queued", "queue", "Jobs waiting in a [queue.NAME]."},
    [SM_RUNNING] = {"queue_running", "queue", "Jobs of a [queue.NAME] handed to workers."},
    [SM_PAUSED] = {"queue_paused", "queue", "Whether a [queue.NAME] is paused (1) or not (0)."},
    [SM_CONCURRENCY] = {"queue_concurrency", "queue",
                        "A [queue.NAME]'s cap on jobs handed out at once (0: none)."},
    [SM_RATE] = {"queue_rate", "queue", "A [queue.NAME]'s rate limit, jobs a second (0: none)."},
    [SM_FREE] = {"token_free", "token", "Units of a [token.NAME] not held by a job."},
    [SM_COUNT] = {"token_count", "token", "Units of a [token.NAME] in all."},
};

/* Metric k of lane or token i. */
static double sched_metric_value(const struct jobq *q, unsigned k, unsigned i)
{
	const struct joblane *ln = &q->lane[i];

	switch (k) {
	case SM_QUEUED:
		return (double)ln->len;
	case SM_RUNNING:
		return ln->running;
	case SM_PAUSED:
		return ln->paused ? 1 : 0;
	case SM_CONCURRENCY:
		return ln->cap;
	case SM_RATE:
		return ln->rate;
	case SM_FREE:
		return q->token_free[i];
	default:
		return q->token_count[i];
	}
}

/* Each metric as one group (its HELP, TYPE and a sample per queue or
 * token), as the text format wants. */
void sched_metrics(const struct master *m, FILE *f)
{
	const struct jobq *q = &m->queue;
	unsigned k, i, n;

	for (k = 0; k < sizeof(sched_metric) / sizeof(sched_metric[0]); k++) {
		n = k >= SM_FREE ? q->ntokens : (q->nlanes > 0 ? q->nlanes : 1);
		fprintf(f, "# HELP poold_%s %s\n# TYPE poold_%s gauge\n", sched_metric[k].name,
		        sched_metric[k].help, sched_metric[k].name);
		for (i = 0; i < n; i++)
			fprintf(f, "poold_%s{%s=\"%s\"} %.15g\n", sched_metric[k].name,
			        sched_metric[k].label,
			        k >= SM_FREE ? m->cfg.tokens[i].name : q->lane[i].name,
			        sched_metric_value(q, k, i));
	}
}
