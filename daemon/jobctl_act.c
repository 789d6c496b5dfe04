/*
 * What a socket client does to jobs: submits them (through queue_admit,
 * like every source) and cancels them.  A queued job is cancelled at
 * once: taken out of the queue and ended as cancelled, which writes its
 * journal END, so a restart does not run it.  A running one is marked;
 * the deadline tick (deadline.c) stops its worker like an overdue one and
 * the reaped job is recorded as cancelled (dispatch.c).  A scheduled one
 * (in=, at=) or retrying one (retry.c) is taken from later.c's heap and
 * ended like a queued one.  An ended job that still holds an `until-done`
 * key (it failed) has it released.
 * Owns nothing.
 */
#include <stdio.h>
#include <string.h>

#include "jobs.h"
#include "master.h"

/* Takes job id out of the queue; NULL if it is not queued. */
static struct job *jobctl_unqueue(struct master *m, uint64_t id)
{
	return jobq_remove(&m->queue, id);
}

int jobctl_cancel(struct master *m, uint64_t id, char *msg, size_t msglen)
{
	struct result *res = results_find(&m->results, id);
	struct job *j;

	if ((res == NULL || (res->state != RESULT_QUEUED && res->state != RESULT_RUNNING)) &&
	    unique_cancel_ended(m, id, msg, msglen) == 0)
		return 0; /* ended without success, holding an until-done key */
	if (res == NULL) {
		snprintf(msg, msglen, "job %llu: unknown (never accepted, or forgotten)",
		         (unsigned long long)id);
		return -1;
	}
	if (res->state != RESULT_QUEUED && res->state != RESULT_RUNNING &&
	    res->state != RESULT_SCHEDULED && res->state != RESULT_RETRYING) {
		snprintf(msg, msglen, "job %llu: already ended (%s)", (unsigned long long)id,
		         results_state_name(res->state));
		return -1;
	}
	j = res->state == RESULT_QUEUED    ? jobctl_unqueue(m, id)
	    : res->state != RESULT_RUNNING ? later_remove(m, id)
	                                   : NULL;
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

/*
 * A socket submission is a job of the FIFO's source: the journaled one.
 * What makes that source is its durability (an ACCEPT record before the
 * id is answered, an END with the outcome, replay at start), and a
 * replayed job is one of its jobs whatever carried the line in; a source
 * of its own would need its name journaled to come back as itself, for
 * nothing it does differently.  Admission is queue_admit's, as for every
 * line; the answer waits for the journal (ctlsock flushes it first).
 */
int jobctl_submit(struct master *m, const char *line, size_t len, uint64_t *id, char *err,
                  size_t errlen)
{
	const struct job_kind *kind;
	struct ctl_line cl;
	struct admit_req rq = {0};
	struct job *j;

	if (m->stopping) {
		snprintf(err, errlen, "unavailable: poold is stopping");
		return -1;
	}
	kind = jobs_check_line(line, len, &cl, err, errlen);
	if (kind == NULL) {
		m->count.rejected++;
		return -1;
	}
	rq.code = kind->code;
	rq.kind = (uint16_t)jobs_index(kind);
	rq.args = cl.args;
	rq.len = cl.args_len;
	rq.opt = &cl.opt;
	rq.dup = id;
	switch (queue_admit(m, &m->fifo_src, &rq, &j)) {
	case ADMIT_OK:
		*id = j->id;
		return 0;
	case ADMIT_DUP: /* answered with the id of the job holding the key */
		return 0;
	case ADMIT_FULL:
		snprintf(err, errlen, "queue full");
		return -1;
	default:
		snprintf(err, errlen, "out of memory");
		return -1;
	}
}

bool jobctl_full(const struct master *m)
{
	return queue_room(m) == 0;
}
