/*
 * Jobs and the job queue of the master.  A job is one allocation holding
 * its arguments; the queue is one intrusive FIFO per priority (0 .. 9,
 * higher first), O(1) at both ends, taken by weighted turns (jobq_pop).  The
 * queue does not enforce [pool] queue_limit: admission does (admit.c), and
 * the sources stop reading when the queue is full (backpressure), so the
 * bound is kept where the input comes in.
 */
#include <stdlib.h>
#include <string.h>

#include "master.h"

struct job *job_new(uint32_t code, uint16_t kind, const char *args, size_t len)
{
	struct job *j = malloc(sizeof(*j) + len);

	if (j == NULL)
		return NULL;
	j->next = NULL;
	j->id = 0;
	j->code = code;
	j->kind = kind;
	j->attempts = 0;
	j->timeouts = 0;
	j->pri = 0;
	j->len = (uint32_t)len;
	j->src = NULL;
	j->datum = NULL;
	if (len > 0)
		memcpy(j->args, args, len);
	return j;
}

/* Frees the job and its source's datum (one allocation, source.h). */
void job_free(struct job *j)
{
	free(j->datum);
	free(j);
}

/* Turns are 2^p apart for level QUEUE_PRI_MAX - p: level 9 has weight
 * 512, level 0 weight 1. */
static uint64_t jobq_stride(unsigned level)
{
	return (uint64_t)1 << (QUEUE_PRI_MAX - level);
}

/* A level that was empty joins at the current time, so it cannot bank
 * the turns it did not use while it had nothing to run. */
static struct joblevel *jobq_level(struct jobq *q, const struct job *j)
{
	struct joblevel *l = &q->lv[j->pri > QUEUE_PRI_MAX ? QUEUE_PRI_MAX : j->pri];

	if (l->len == 0 && l->pass < q->vtime)
		l->pass = q->vtime;
	return l;
}

void jobq_push(struct jobq *q, struct job *j)
{
	struct joblevel *l = jobq_level(q, j);

	j->next = NULL;
	if (l->tail != NULL)
		l->tail->next = j;
	else
		l->head = j;
	l->tail = j;
	l->len++;
	q->len++;
}

void jobq_push_front(struct jobq *q, struct job *j)
{
	struct joblevel *l = jobq_level(q, j);

	j->next = l->head;
	l->head = j;
	if (l->tail == NULL)
		l->tail = j;
	l->len++;
	q->len++;
}

/*
 * Weighted turns between priorities (stride scheduling): the non-empty
 * level with the smallest pass goes next (the higher one on a tie), and
 * its pass then grows by its stride.  So while levels stay busy, level p
 * gets 2^(p-q) turns for each of level q's, and no level starves: while
 * level p has jobs queued, at most sum over the other busy levels q of
 * (2^(q-p) + 1) jobs are taken between two of its own (level 0 behind
 * all of 1..9: at most 1,031; behind level 9 alone: at most 513).
 */
struct job *jobq_pop(struct jobq *q)
{
	struct joblevel *l = NULL;
	struct job *j;
	unsigned i = QUEUE_PRI_MAX + 1, best = 0;

	while (i-- > 0) {
		if (q->lv[i].len > 0 && (l == NULL || q->lv[i].pass < l->pass)) {
			l = &q->lv[i];
			best = i;
		}
	}
	if (l == NULL)
		return NULL;
	j = l->head;
	l->head = j->next;
	if (l->head == NULL)
		l->tail = NULL;
	l->len--;
	q->len--;
	q->vtime = l->pass;
	l->pass += jobq_stride(best);
	j->next = NULL;
	return j;
}

struct job *jobq_first(const struct jobq *q)
{
	unsigned i = QUEUE_PRI_MAX + 1;

	while (i-- > 0)
		if (q->lv[i].head != NULL)
			return q->lv[i].head;
	return NULL;
}

struct job *jobq_next(const struct jobq *q, const struct job *j)
{
	unsigned i = j->pri > QUEUE_PRI_MAX ? QUEUE_PRI_MAX : j->pri;

	if (j->next != NULL)
		return j->next;
	while (i-- > 0)
		if (q->lv[i].head != NULL)
			return q->lv[i].head;
	return NULL;
}

void jobq_clear(struct jobq *q)
{
	struct job *j;

	while ((j = jobq_pop(q)) != NULL)
		job_free(j);
	memset(q, 0, sizeof(*q));
}
