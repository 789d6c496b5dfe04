/*
 * Jobs and the job queue of the master.  A job is one allocation holding
 * its arguments; the queue has a lane per [queue.NAME] (queue_limits.c
 * applies their limits) and, in each, one intrusive FIFO per priority
 * (0 .. 9, higher first), O(1) at both ends, taken by weighted turns.
 *
 * Jobs with short arguments (at most JOB_SMALL_ARGS bytes, every noop and
 * most log lines) are allocated at one size and, when they end, kept on a
 * LIFO free list of up to JOB_CACHE_MAX for the next admission
 * (job_take/job_put): no malloc/free per job, and the block taken is the
 * one freed last, still in cache.  While the registry of live jobs fills
 * up (the first JOB_CACHE_MAX of them), small jobs are made JOB_SLAB at a
 * time in one block: one malloc for JOB_SLAB jobs, and a block is freed
 * when the last of its jobs is, whatever frees it and in whatever order
 * (job_free counts them down), so a job from a block is freed like any
 * other.  The
 * queue does not enforce [pool] queue_limit: admission does (admit.c), and
 * the sources stop reading when the queue is full (backpressure), so the
 * bound is kept where the input comes in.
 */
#include <stdlib.h>
#include <string.h>

#include "master.h"

static void job_init(struct job *j, uint32_t code, uint16_t kind, const char *args, size_t len,
                     const char *opts, size_t optlen)
{
	j->next = NULL;
	j->id = 0;
	j->code = code;
	j->kind = kind;
	j->attempts = 0;
	j->timeouts = 0;
	j->retries = 0;
	j->pri = 0;
	j->len = (uint32_t)len;
	j->src = NULL;
	j->datum = NULL;
	j->res = NULL;
	j->optlen = (uint16_t)optlen;
	if (len > 0)
		memcpy(j->args, args, len);
	if (optlen > 0)
		memcpy(j->args + len, opts, optlen);
}

struct job *job_new(uint32_t code, uint16_t kind, const char *args, size_t len)
{
	return job_new_opts(code, kind, args, len, NULL, 0);
}

struct job *job_new_opts(uint32_t code, uint16_t kind, const char *args, size_t len,
                         const char *opts, size_t optlen)
{
	size_t n = len + optlen;
	struct job *j = malloc(sizeof(*j) + (n < JOB_SMALL_ARGS ? JOB_SMALL_ARGS : n));

	if (j != NULL) {
		j->slab = NULL;
		job_init(j, code, kind, args, len, opts, optlen);
	}
	return j;
}

#define JOB_SMALL_SIZE (sizeof(struct job) + JOB_SMALL_ARGS)

_Static_assert(JOB_SMALL_SIZE % _Alignof(struct job) == 0, "jobs of a block are aligned");

/* A never used small job: from the newest block, or a new block while the
 * blocks hold fewer than JOB_CACHE_MAX; NULL past that or out of memory. */
static struct job *job_carve(struct jobcache *c)
{
	struct slab_block *b;
	struct job *j = slab_take(&c->slab, JOB_SMALL_SIZE, JOB_SLAB, JOB_CACHE_MAX, &b);

	if (j != NULL)
		j->slab = b;
	return j;
}

/* job_new_opts for job_take (a small job from a block if it can), not
 * inlined there: a block from the free list then costs no saved
 * registers. */
__attribute__((noinline)) static struct job *job_take_new(struct jobcache *c, uint32_t code,
                                                          uint16_t kind, const char *args,
                                                          size_t len, const char *opts,
                                                          size_t optlen)
{
	struct job *j = len + optlen <= JOB_SMALL_ARGS ? job_carve(c) : NULL;

	if (j == NULL)
		return job_new_opts(code, kind, args, len, opts, optlen);
	job_init(j, code, kind, args, len, opts, optlen);
	return j;
}

struct job *job_take(struct jobcache *c, uint32_t code, uint16_t kind, const char *args, size_t len,
                     const char *opts, size_t optlen)
{
	struct job *j = c->free;

	if (j == NULL || len + optlen > JOB_SMALL_ARGS)
		return job_take_new(c, code, kind, args, len, opts, optlen);
	c->free = j->next;
	c->len--;
	job_init(j, code, kind, args, len, opts, optlen);
	return j;
}

void job_put(struct jobcache *c, struct job *j)
{
	if (j->len + j->optlen > JOB_SMALL_ARGS || c->len >= JOB_CACHE_MAX) {
		job_free(j);
		return;
	}
	if (j->datum != NULL) {
		free(j->datum);
		j->datum = NULL;
	}
	j->next = c->free;
	c->free = j;
	c->len++;
}

void jobcache_clear(struct jobcache *c)
{
	struct job *j;

	while ((j = c->free) != NULL) {
		c->free = j->next;
		job_free(j);
	}
	c->len = 0;
	slab_clear(&c->slab);
}

/* Frees the job and its source's datum (one allocation, source.h). */
void job_free(struct job *j)
{
	free(j->datum);
	if (j->slab != NULL)
		slab_put(j->slab);
	else
		free(j);
}

/* Turns are 2^p apart for level QUEUE_PRI_MAX - p: level 9 has weight
 * 512, level 0 weight 1. */
static uint64_t jobq_stride(unsigned level)
{
	return (uint64_t)1 << (QUEUE_PRI_MAX - level);
}

static unsigned jobq_pri(const struct job *j)
{
	return j->pri > QUEUE_PRI_MAX ? QUEUE_PRI_MAX : j->pri;
}

/* The job's lane (the last one if the configuration has fewer). */
static struct joblane *jobq_lane_of(const struct jobq *q, const struct job *j)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1;

	return (struct joblane *)&q->lane[j->lane < n ? j->lane : n - 1];
}

/* A level that was empty joins one stride after the current time: it
 * cannot bank the turns it did not use while it had nothing to run, and
 * a higher level that joins with it goes first. */
static struct joblevel *jobq_level(struct jobq *q, const struct job *j, struct joblane **out)
{
	struct joblane *ln = jobq_lane_of(q, j);
	struct joblevel *l = &ln->lv[jobq_pri(j)];
	uint64_t join = ln->vtime + jobq_stride(jobq_pri(j));

	if (l->len == 0 && l->pass < join)
		l->pass = join;
	*out = ln;
	return l;
}

void jobq_push(struct jobq *q, struct job *j)
{
	struct joblane *ln;
	struct joblevel *l = jobq_level(q, j, &ln);

	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->len++;
	ln->len++;
	q->len++;
}

void jobq_push_front(struct jobq *q, struct job *j)
{
	struct joblane *ln;
	struct joblevel *l = jobq_level(q, j, &ln);

	j->next = l->head;
	l->head = j;
	if (l->tail == NULL)
		l->tail = j;
	l->len++;
	ln->len++;
	q->len++;
}

/*
 * Weighted turns between priorities within a lane (stride scheduling):
 * the non-empty level with the smallest pass goes next (the higher one on
 * a tie), and its pass then grows by its stride.  So while levels stay
 * busy, level p gets 2^(p-q) turns for each of level q's, and no level
 * starves: while level p has jobs queued, at most the sum over the other
 * busy levels q of (2^(q-p) + 1) jobs of the lane are taken between two
 * of its own (level 0 behind all of 1..9: at most 1,031; behind level 9
 * alone: at most 513).
 */
struct job *jobq_lane_pop(struct jobq *q, struct joblane *ln)
{
	struct joblevel *l = NULL;
	unsigned i = QUEUE_PRI_MAX + 1, best = ln->level;
	struct job *j;

	/* The level taken last holds every job of the lane (one priority in
	 * use, the common case): no other level to weigh it against. */
	if (best <= QUEUE_PRI_MAX && ln->len > 0 && ln->lv[best].len == ln->len)
		l = &ln->lv[best];
	else
		while (i-- > 0)
			if (ln->lv[i].len > 0 && (l == NULL || ln->lv[i].pass < l->pass)) {
				l = &ln->lv[i];
				best = i;
			}
	if (l == NULL)
		return NULL;
	j = l->head;
	l->head = j->next;
	if (l->head == NULL)
		l->tail = NULL;
	l->len--;
	ln->len--;
	q->len--;
	ln->vtime = l->pass;
	ln->level = best;
	l->pass += jobq_stride(best);
	j->next = NULL;
	return j;
}

/* The next job of the first lane that has one, whatever the limits. */
struct job *jobq_pop(struct jobq *q)
{
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;

	for (i = 0; i < n; i++)
		if (q->lane[i].len > 0)
			return jobq_lane_pop(q, &q->lane[i]);
	return NULL;
}

/* The first job from level `from` down, in lanes from `lane` on. */
static struct job *jobq_scan(const struct jobq *q, unsigned lane, unsigned from)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1, i;

	for (; lane < n; lane++, from = QUEUE_PRI_MAX + 1)
		for (i = from; i-- > 0;)
			if (q->lane[lane].lv[i].head != NULL)
				return q->lane[lane].lv[i].head;
	return NULL;
}

struct job *jobq_first(const struct jobq *q)
{
	return jobq_scan(q, 0, QUEUE_PRI_MAX + 1);
}

struct job *jobq_next(const struct jobq *q, const struct job *j)
{
	if (j->next != NULL)
		return j->next;
	return jobq_scan(q, (unsigned)(jobq_lane_of(q, j) - q->lane), jobq_pri(j));
}

/* Unlinks job id from the level l of lane ln; NULL if it is not there. */
static struct job *jobq_unlink(struct jobq *q, struct joblane *ln, struct joblevel *l, uint64_t id)
{
	struct job *j, *prev = NULL;

	for (j = l->head; j != NULL; prev = j, j = j->next) {
		if (j->id != id)
			continue;
		if (prev != NULL)
			prev->next = j->next;
		else
			l->head = j->next;
		if (l->tail == j)
			l->tail = prev;
		l->len--;
		ln->len--;
		q->len--;
		j->next = NULL;
		return j;
	}
	return NULL;
}

struct job *jobq_remove(struct jobq *q, uint64_t id)
{
	unsigned n = q->nlanes > 0 ? q->nlanes : 1, i, p;
	struct job *j;

	for (i = 0; i < n; i++)
		for (p = 0; p <= QUEUE_PRI_MAX && q->lane[i].len > 0; p++)
			if ((j = jobq_unlink(q, &q->lane[i], &q->lane[i].lv[p], id)) != NULL)
				return j;
	return NULL;
}

void jobq_clear(struct jobq *q)
{
	struct job *j;
	unsigned i;

	while ((j = jobq_pop(q)) != NULL)
		job_free(j);
	for (i = 0; i < QUEUE_LANES; i++)
		memset(q->lane[i].lv, 0, sizeof(q->lane[i].lv));
	q->len = 0;
}
