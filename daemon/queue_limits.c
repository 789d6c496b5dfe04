/*
 * The limits of the queue's lanes ([queue.NAME], [token.NAME]): which
 * queued job may be handed to a worker now.  Pure bookkeeping (no libev,
 * no master), so the rules are unit-tested as they are; sched.c calls it
 * from dispatch.
 *
 * A job counts as handed out from jobq_pick until jobq_release (it ended,
 * or its worker died and it is queued again).  A lane holds its jobs back
 * while it is paused; while `concurrency` of its jobs are handed out (a
 * counter in the one master that hands out jobs: exact on this host, no
 * SysV semaphore); while its [token.NAME] has no unit left (shared by
 * every lane that needs it); while its rate bucket is empty (`rate` jobs
 * a second, `burst` at once; refilled with time, per host); and for a
 * worker already holding `inflight` jobs.  Held jobs stay queued, in
 * order.  Lanes are looked at in turn, starting after the last one that
 * got a job, so a busy lane cannot shut the others out.
 */
#include <string.h>

#include "master.h"

void jobq_configure(struct jobq *q, const struct config *cfg)
{
	const struct config_queue *cq;
	struct joblane *ln;
	unsigned i;

	q->nlanes = cfg->nqueues > 0 ? cfg->nqueues : 1;
	for (i = 0; i < QUEUE_LANES; i++)
		q->lane[i].token = -1;
	for (i = 0; i < cfg->nqueues && i < QUEUE_LANES; i++) {
		cq = &cfg->queues[i];
		ln = &q->lane[i];
		memcpy(ln->name, cq->name, sizeof(ln->name));
		ln->cap = cq->concurrency;
		ln->inflight = cq->inflight;
		ln->token = cq->token;
		ln->rate = cq->rate;
		ln->burst = cq->burst > 0 ? cq->burst : (cq->rate > 1 ? cq->rate : 1);
		ln->bucket = ln->burst;
		ln->filled = -1;
		ln->plain = ln->cap == 0 && ln->inflight == 0 && ln->token < 0 && ln->rate <= 0;
	}
	q->hot = 0;
	q->ntokens = cfg->ntokens;
	for (i = 0; i < cfg->ntokens; i++)
		q->token_free[i] = q->token_count[i] = cfg->tokens[i].count;
}

/* The lane's token, or -1 (none, or a zeroed queue that was never
 * configured). */
static int jobq_token(const struct jobq *q, const struct joblane *ln)
{
	return ln->token >= 0 && (unsigned)ln->token < q->ntokens ? ln->token : -1;
}

/* Tops the rate bucket up to now; true if it holds a whole job. */
static bool jobq_rate_ok(struct joblane *ln, double now, double *wake)
{
	double at;

	if (ln->rate <= 0)
		return true;
	if (ln->filled >= 0 && now > ln->filled)
		ln->bucket += (now - ln->filled) * ln->rate;
	if (ln->bucket > ln->burst)
		ln->bucket = ln->burst;
	ln->filled = now;
	if (ln->bucket >= 1)
		return true;
	at = now + (1 - ln->bucket) / ln->rate;
	if (*wake <= 0 || at < *wake)
		*wake = at;
	return false;
}

/* True if the lane may hand a job to a worker holding `load` jobs. */
static bool jobq_lane_open(struct jobq *q, struct joblane *ln, unsigned load, double now,
                           double *wake)
{
	if (ln->len == 0 || ln->paused)
		return false;
	if (ln->cap > 0 && ln->running >= ln->cap)
		return false;
	if (ln->inflight > 0 && load >= ln->inflight)
		return false;
	if (jobq_token(q, ln) >= 0 && q->token_free[ln->token] == 0)
		return false;
	return jobq_rate_ok(ln, now, wake);
}

/* Counts a job of lane ln as handed out and takes it. */
static struct job *jobq_hand(struct jobq *q, struct joblane *ln)
{
	ln->running++;
	if (ln->running > ln->running_max)
		ln->running_max = ln->running;
	ln->handed++;
	if (ln->plain) /* no token, no rate */
		return jobq_lane_pop(q, ln);
	if (jobq_token(q, ln) >= 0)
		q->token_free[ln->token]--;
	if (ln->rate > 0)
		ln->bucket -= 1;
	return jobq_lane_pop(q, ln);
}

struct job *jobq_pick(struct jobq *q, unsigned load, double now, double *wake)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1, k, i;
	struct joblane *ln = &q->lane[q->hot < n ? q->hot : 0];

	/* The common case: every queued job is in the lane that got the last
	 * one (so no other lane waits for its turn) and it has no limits. */
	if (ln->len == q->len && ln->len > 0 && ln->plain && !ln->paused)
		return jobq_hand(q, ln);
	for (k = 0; k < n && q->len > 0; k++) {
		i = (q->next + k) % n;
		ln = &q->lane[i];
		if (!jobq_lane_open(q, ln, load, now, wake))
			continue;
		q->next = (i + 1) % n;
		q->hot = i;
		return jobq_hand(q, ln);
	}
	return NULL;
}

unsigned jobq_release(struct jobq *q, const struct job *j)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1;
	struct joblane *ln = &q->lane[j->lane < n ? j->lane : n - 1];

	if (ln->running > 0)
		ln->running--;
	if (jobq_token(q, ln) >= 0 && q->token_free[ln->token] < q->token_count[ln->token])
		q->token_free[ln->token]++;
	return ln->inflight;
}

void jobq_unpick(struct jobq *q, const struct job *j)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1;
	struct joblane *ln = &q->lane[j->lane < n ? j->lane : n - 1];

	jobq_release(q, j);
	if (ln->handed > 0)
		ln->handed--;
	if (ln->rate > 0)
		ln->bucket += 1;
}

unsigned jobq_inflight(const struct jobq *q, const struct job *j)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1;

	return q->lane[j->lane < n ? j->lane : n - 1].inflight;
}

struct joblane *jobq_lane(struct jobq *q, const char *name)
{
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;

	for (i = 0; i < n; i++)
		if (strcmp(q->lane[i].name, name) == 0)
			return &q->lane[i];
	return NULL;
}
