/*
 * Outcomes: what the master does when a job ends.  Counts it per kind,
 * logs it (at debug when it went well; at warning with its reason when it
 * did not), keeps failures until a `poolctl wait` has reported them, and
 * tells waiting clients; then its source is told (source.h: the FIFO's
 * journal records the end, a stream acknowledges its entry).  The job is
 * freed here: this is where every accepted job ends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "master.h"

/* Failures kept for `poolctl wait`; more are counted, not listed. */
#define OUTCOME_FAILURES_MAX 1024
/* Failures listed in one `wait` reply. */
#define OUTCOME_LIST_MAX 20

const char *outcome_name(uint32_t status)
{
	switch (status) {
	case PROTO_OK:
		return "ok";
	case PROTO_TIMEDOUT:
		return "timed out";
	case OUTCOME_BURIED:
		return "buried";
	case OUTCOME_CANCELLED:
		return "cancelled";
	default:
		return "failed";
	}
}

static void outcome_keep_failure(struct master *m, const struct job *j, const char *msg, size_t len)
{
	struct failure *f;

	if (m->failures == NULL)
		m->failures = calloc(OUTCOME_FAILURES_MAX, sizeof(*m->failures));
	if (m->failures == NULL || m->nfailures == OUTCOME_FAILURES_MAX) {
		m->failures_dropped++;
		return;
	}
	f = &m->failures[m->nfailures++];
	f->id = j->id;
	f->kind = j->kind;
	if (len >= sizeof(f->reason))
		len = sizeof(f->reason) - 1;
	memcpy(f->reason, msg, len);
	f->reason[len] = '\0';
}

/* " key=K while queued" (scheduled, retrying) / " on worker[N]", for the
 * log lines of a job. */
static void outcome_where(const struct job *j, unsigned slot, char *where, size_t size)
{
	const char *key = j->res != NULL ? j->res->key : NULL;
	const char *held = " while queued";

	if (j->res != NULL && j->res->state == RESULT_SCHEDULED)
		held = " while scheduled";
	else if (j->res != NULL && j->res->state == RESULT_RETRYING)
		held = " while retrying";
	/* The client's key is echoed, so its own name finds the line. */
	snprintf(where, size, "%s%s%s", key ? " key=" : "", key ? key : "",
	         slot == OUTCOME_NO_SLOT ? held : "");
	if (slot != OUTCOME_NO_SLOT)
		snprintf(where + strlen(where), size - strlen(where), " on worker[%u]", slot);
}

/* Counts a job that did not go well, or one that did when debug lines
 * are wanted, and logs it (outcome_record; the line's buffers are here,
 * off the path of a job that went well). */
static void outcome_note(struct master *m, struct job *j, uint32_t status, const char *msg,
                         size_t len, unsigned slot)
{
	const char *name = jobs_at(j->kind)->name;
	char where[64];

	outcome_where(j, slot, where, sizeof(where));
	if (status == PROTO_OK) {
		m->count.done[j->kind]++;
		log_debug("job %llu %s ok%s%s%.*s", (unsigned long long)j->id, name, where,
		          len ? ": " : "", (int)len, msg);
		return;
	}
	if (status == PROTO_TIMEDOUT)
		m->count.timedout[j->kind]++;
	else if (status == OUTCOME_BURIED)
		m->count.buried[j->kind]++;
	else if (status == OUTCOME_CANCELLED)
		m->count.cancelled[j->kind]++;
	else
		m->count.failed[j->kind]++;
	log_msg(status == OUTCOME_CANCELLED ? LOG_LVL_NOTICE : LOG_LVL_WARNING,
	        "job %llu %s %s%s: %.*s", (unsigned long long)j->id, name, outcome_name(status),
	        where, (int)len, msg);
	outcome_keep_failure(m, j, msg, len);
}

void outcome_record(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                    unsigned slot)
{
	ev_tstamp now = ev_now(m->loop);

	if (status == PROTO_OK && !log_wants(LOG_LVL_DEBUG)) /* no line built per job */
		m->count.done[j->kind]++;
	else
		outcome_note(m, j, status, msg, len, slot);
	m->live--;
	j->src->live--;
	j->src->ops->ended(j->src, j, status, msg, len);
	latency_add(&m->latency, now - j->accepted);
	jobctl_ended(m, j, status, msg, len, now);
	if (m->clients != NULL)
		waitset_mark_ended(&m->waits, j->id); /* answered by the settle step */
	if (status == OUTCOME_BURIED)
		buried_keep(m, j); /* for `poolctl kick` */
	else
		job_put(&m->jobcache, j);
}

/*
 * Lists, one line each, the failures kept since the previous `wait`
 * returned, up to job id `upto`, and counts them in *nfailed (with those
 * over the cap, which are counted only).  Forgets what it reported.
 * *text is malloc'd for the caller.
 */
int outcome_failures_since(struct master *m, uint64_t upto, char **text, size_t *len,
                           uint64_t *nfailed)
{
	size_t cap = 128 + OUTCOME_LIST_MAX * 160, n = 0, i, kept = 0, listed = 0;
	uint64_t count = m->failures_dropped;
	char *buf = malloc(cap);

	if (buf == NULL)
		return -1;
	for (i = 0; i < m->nfailures; i++)
		if (m->failures[i].id <= upto)
			count++;
	buf[0] = '\0';
	for (i = 0; i < m->nfailures; i++) {
		struct failure *f = &m->failures[i];

		if (f->id > upto) {
			m->failures[kept++] = *f;
			continue;
		}
		if (listed++ < OUTCOME_LIST_MAX && n < cap)
			n += (size_t)snprintf(buf + n, cap - n, "job %llu %s: %s\n",
			                      (unsigned long long)f->id, jobs_at(f->kind)->name,
			                      f->reason);
	}
	m->nfailures = kept;
	m->failures_dropped = 0;
	if (upto > m->wait_mark)
		m->wait_mark = upto;
	*text = buf;
	*len = n < cap ? n : cap - 1;
	*nfailed = count;
	return 0;
}

void outcome_free(struct master *m)
{
	free(m->failures);
	m->failures = NULL;
	m->nfailures = 0;
}
