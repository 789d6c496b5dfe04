/*
 * Jobs and the job queue of the master.  A job is one allocation holding
 * its arguments; the queue is an intrusive FIFO, O(1) at both ends.  The
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

void jobq_push(struct jobq *q, struct job *j)
{
	j->next = NULL;
	if (q->tail != NULL)
		q->tail->next = j;
	else
		q->head = j;
	q->tail = j;
	q->len++;
}

void jobq_push_front(struct jobq *q, struct job *j)
{
	j->next = q->head;
	q->head = j;
	if (q->tail == NULL)
		q->tail = j;
	q->len++;
}

struct job *jobq_pop(struct jobq *q)
{
	struct job *j = q->head;

	if (j == NULL)
		return NULL;
	q->head = j->next;
	if (q->head == NULL)
		q->tail = NULL;
	q->len--;
	j->next = NULL;
	return j;
}

void jobq_clear(struct jobq *q)
{
	struct job *j;

	while ((j = jobq_pop(q)) != NULL)
		job_free(j);
}
