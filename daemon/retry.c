/*
 * Retries of failed jobs, the master's side.  A worker's report of a
 * failure comes here first (retry_record): if the job's kind retries it
 * (common/retry.h: `retry`, `retry_on` of its [kind.NAME] or
 * [module.NAME], else of its queue) and it has retries left, the
 * attempt's reason is kept (results_tried), the job waits out its
 * back-off in later.c's hold (journaled with its due time, so a restart
 * keeps it) in state `retrying`, then is queued again; after the last
 * attempt it is buried with every reason kept.  Worker deaths stay
 * dispatch.c's ([pool] max_attempts), and a cancel asked wins.
 *
 * Buried jobs are kept whole (code, arguments, options) for `poolctl
 * kick` (buried.c), so a job whose arguments the
 * results registry cut short can still come back; `poolctl retry ID`
 * takes a buried job from there, or a failed (or timed-out) one from its
 * record if its arguments were kept whole.  Either way the job comes back
 * as a copy with a new id (a new job: its own journal record, attempts
 * from 1), and the original's record says `retried as job N`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobopt.h"
#include "jobs.h"
#include "master.h"

/* The job's kind's settings: its section's keys over its queue's
 * (sched_map_kinds resolves them at start-up and at each reload). */
static const struct retry_conf *retry_conf_of(const struct master *m, const struct job *j)
{
	return j->kind < MASTER_MAX_KINDS ? &m->queue.kind_retry[j->kind] : &m->cfg.queues[0].retry;
}

/* Holds j until due, in state retrying until later.c queues it; -1 (out
 * of memory) if it could not be held. */
static int retry_hold(struct master *m, struct job *j, double due, const char *msg, size_t len)
{
	if (later_hold(m, j, due) == -1)
		return -1;
	journal_retry(m, j, ev_now(m->loop), due, msg, len);
	log_notice("job %llu %s failed (attempt %u of %u), retried in %.1f s: %.*s",
	           (unsigned long long)j->id, jobs_at(j->kind)->name, (unsigned)j->retries,
	           retry_conf_of(m, j)->count + 1, due - ev_now(m->loop), (int)len, msg);
	m->count.retry_held++;
	if (j->res != NULL && j->res->state == RESULT_SCHEDULED)
		results_retrying(&m->results, j->res);
	return 0;
}

/* A failure: retried, buried or recorded (retry_record). */
static void retry_failed(struct master *m, struct job *j, uint32_t status, const char *msg,
                         size_t len, unsigned slot)
{
	const struct retry_conf *rc = retry_conf_of(m, j);
	char why[PROTO_MSG_MAX + 64];
	int n;

	if (!retry_wanted(rc, status) || jobctl_cancel_asked(j)) {
		outcome_record(m, j, status, msg, len, slot);
		return;
	}
	if (j->res != NULL)
		results_tried(j->res, ev_now(m->loop), msg, len);
	if (j->retries >= rc->count) {
		n = snprintf(why, sizeof(why), "buried after %u attempts; the last: %.*s",
		             (unsigned)j->retries + 1, (int)len, msg);
		outcome_record(m, j, OUTCOME_BURIED, why, n > 0 ? (size_t)n : 0, slot);
		return;
	}
	j->retries++;
	if (retry_hold(m, j, ev_now(m->loop) + retry_delay(rc, j->retries, &m->retry_seed), msg,
	               len) == -1)
		outcome_record(m, j, status, msg, len, slot); /* out of memory: not retried */
}

/* A job that went well goes straight on: the frame above (the reason
 * buffer of a burial) is built only for a failure. */
void retry_record(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                  unsigned slot)
{
	if (status == PROTO_OK)
		outcome_record(m, j, status, msg, len, slot);
	else
		retry_failed(m, j, status, msg, len, slot);
}

/* Admits a copy of a job (its code, kind, arguments, options); the
 * original's record, if kept, points at it, and the key it kept
 * (until-done) passes to the copy.  0 with the new id in *id,
 * or -1 with the reason in msg. */
static int retry_admit(struct master *m, struct admit_req *rq, uint64_t old, uint64_t *id,
                       char *msg, size_t msglen)
{
	struct result *res = results_find(&m->results, old);
	char key[JOBOPT_KEY_MAX + 1];
	uint64_t holder = 0;
	enum admit_result ar;
	struct job *j;
	bool passed;

	if (m->stopping) {
		snprintf(msg, msglen, "job %llu: not queued again: poold is stopping",
		         (unsigned long long)old);
		return -1;
	}
	passed = unique_pass(m, old, key, sizeof(key));
	rq->dup = &holder;
	ar = queue_admit(m, &m->fifo_src, rq, &j);
	if (ar != ADMIT_OK && passed)
		unique_pass_undo(m, old, key);
	switch (ar) {
	case ADMIT_OK:
		journal_after_read(m);
		*id = j->id;
		if (res != NULL)
			res->again = j->id;
		m->count.kicked++;
		return 0;
	case ADMIT_FULL:
		snprintf(msg, msglen, "job %llu: not queued again: queue full",
		         (unsigned long long)old);
		return -1;
	case ADMIT_DUP:
		snprintf(msg, msglen, "job %llu: not queued again: job %llu holds its key",
		         (unsigned long long)old, (unsigned long long)holder);
		return -1;
	default:
		snprintf(msg, msglen, "job %llu: not queued again: out of memory",
		         (unsigned long long)old);
		return -1;
	}
}

/* A kept buried job back as a new one; it stays kept if that fails. */
static int retry_from_kept(struct master *m, struct job *k, char *msg, size_t msglen)
{
	struct admit_req rq = {.code = k->code, .kind = k->kind, .args = k->args, .len = k->len};
	struct jobopt opt;
	uint64_t id;

	rq.pri = k->pri;
	if (k->optlen > 0 && jobopt_read(k->args + k->len, k->optlen, &opt) == 0)
		rq.opt = &opt;
	if (retry_admit(m, &rq, k->id, &id, msg, msglen) == -1) {
		buried_put_back(m, k); /* kept, first again */
		return -1;
	}
	snprintf(msg, msglen, "job %llu: queued again as job %llu", (unsigned long long)k->id,
	         (unsigned long long)id);
	job_free(k);
	return 0;
}

/* A failed job back from its record, if its arguments were kept whole. */
static int retry_from_record(struct master *m, const struct result *res, char *msg, size_t msglen)
{
	struct admit_req rq = {.code = jobs_at(res->kind)->code,
	                       .kind = res->kind,
	                       .args = res->text,
	                       .len = res->args_len};
	struct jobopt opt = {.key = res->key, .key_len = res->key ? strlen(res->key) : 0};
	uint64_t id;

	if (res->args_cut) {
		snprintf(msg, msglen,
		         "job %llu: its arguments were longer than the %d bytes kept; submit it "
		         "again",
		         (unsigned long long)res->id, RESULTS_TEXT_MAX);
		return -1;
	}
	rq.opt = res->key != NULL ? &opt : NULL;
	if (retry_admit(m, &rq, res->id, &id, msg, msglen) == -1)
		return -1;
	snprintf(msg, msglen, "job %llu: queued again as job %llu", (unsigned long long)res->id,
	         (unsigned long long)id);
	return 0;
}

int retry_again(struct master *m, uint64_t id, char *msg, size_t msglen)
{
	struct result *res = results_find(&m->results, id);
	struct job *k;

	if (res != NULL && res->again != 0) {
		snprintf(msg, msglen, "job %llu: already queued again as job %llu",
		         (unsigned long long)id, (unsigned long long)res->again);
		return -1;
	}
	if (res != NULL && res->state != RESULT_BURIED && res->state != RESULT_FAILED &&
	    res->state != RESULT_TIMEDOUT) {
		snprintf(msg, msglen, "job %llu: %s, not buried or failed", (unsigned long long)id,
		         results_state_name(res->state));
		return -1;
	}
	if ((k = buried_take(m, id)) != NULL)
		return retry_from_kept(m, k, msg, msglen);
	if (res == NULL) {
		snprintf(msg, msglen, "job %llu: unknown (never accepted, or forgotten)",
		         (unsigned long long)id);
		return -1;
	}
	return retry_from_record(m, res, msg, msglen);
}

void retry_kick(struct master *m, unsigned long n, FILE *f)
{
	char msg[160];
	unsigned long done = 0;
	struct job *k;

	while ((n == 0 || done < n) && (k = buried_take(m, 0)) != NULL) {
		if (retry_from_kept(m, k, msg, sizeof(msg)) == -1) {
			fprintf(f, "error %s\n", msg);
			return;
		}
		fprintf(f, "ok %s\n", msg);
		done++;
	}
	if (done == 0)
		fprintf(f, "ok no buried job kept to kick\n");
}
