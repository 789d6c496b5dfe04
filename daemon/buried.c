/*
 * Buried jobs kept whole (code, kind, arguments, options, priority) for
 * `poolctl kick` and `retry ID` (retry.c): the last BURIED_KEEP_MAX of
 * them, oldest buried first; past the bound the oldest is freed.  Their
 * sources were told they ended (outcome.c), so a kept job holds no
 * source, datum or record.  Owns the list and its jobs.
 */
#include <stdlib.h>

#include "master.h"

/* Buried jobs kept whole, at most. */
#define BURIED_KEEP_MAX 1024

void buried_keep(struct master *m, struct job *j)
{
	struct job *old;

	free(j->datum); /* its source was told it ended */
	j->datum = NULL;
	j->src = NULL;
	j->res = NULL;
	j->next = NULL;
	if (m->buried_last != NULL)
		m->buried_last->next = j;
	else
		m->buried_first = j;
	m->buried_last = j;
	if (++m->nburied <= BURIED_KEEP_MAX)
		return;
	old = m->buried_first;
	m->buried_first = old->next;
	m->nburied--;
	job_free(old);
}

struct job *buried_take(struct master *m, uint64_t id)
{
	struct job **pp, *j, *prev = NULL;

	for (pp = &m->buried_first; (j = *pp) != NULL; prev = j, pp = &j->next)
		if (id == 0 || j->id == id)
			break;
	if (j == NULL)
		return NULL;
	*pp = j->next;
	if (m->buried_last == j)
		m->buried_last = prev;
	m->nburied--;
	j->next = NULL;
	return j;
}

void buried_put_back(struct master *m, struct job *j)
{
	j->next = m->buried_first;
	m->buried_first = j;
	if (m->buried_last == NULL)
		m->buried_last = j;
	m->nburied++;
}

void buried_free(struct master *m)
{
	struct job *j;

	while ((j = buried_take(m, 0)) != NULL)
		job_free(j);
}
