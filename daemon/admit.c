/*
 * Admission: the one way a job gets into the master, whatever its source
 * (the FIFO, a stream, the journal's replay at start).  Here, and only here,
 * a job gets its id, the [pool] queue_limit rule is applied, the job is
 * counted (accepted per kind, live per source) and, for a source that
 * journals, its ACCEPT record is buffered.  Sources parse and check their
 * input; they never touch the queue, the ids or the counters themselves.
 */
#include "jobopt.h"
#include "master.h"

uint64_t queue_room(const struct master *m)
{
	return m->live < m->cfg.queue_limit ? m->cfg.queue_limit - m->live : 0;
}

/*
 * What a source that can hold its input back (the FIFO: writers wait in
 * write(2)) should take now: the room, and no more than keeps a few
 * batches queued (two of [pool] inflight, at least QUEUE_INTAKE_MIN),
 * whatever the number of workers.  Pulling the whole input into the queue
 * would only move the backlog from the kernel into the master, where each
 * job's memory is touched again long after it was written (out of cache),
 * and with short jobs it would hand a batch to every worker of a wide
 * pool, each a process to wake: a large queue_limit would be slower.
 * Jobs that wait for the journal's sync (fsync = always) do not count:
 * reading on meanwhile is what lets the next sync cover many reads.
 */
uint64_t queue_intake(const struct master *m)
{
	uint64_t room = queue_room(m), want = 2 * (uint64_t)m->cfg.inflight;

	if (want < QUEUE_INTAKE_MIN)
		want = QUEUE_INTAKE_MIN;
	want += journal_unsynced(m);
	want = m->queue.len < want ? want - m->queue.len : 0;
	return want < room ? want : room;
}

/*
 * The job's options as they are kept (journal, replay): in= becomes the
 * absolute at= it means now, so a replay after a crash keeps the due time
 * rather than restarting the delay.  *due gets the due time, 0 if none,
 * rounded up to the millisecond the journal keeps (jobopt_format): the
 * replayed job is due at the same time, never a hair earlier.
 */
static const struct jobopt *admit_when(const struct master *m, const struct jobopt *opt,
                                       struct jobopt *abs, double *due)
{
	long long ms;

	*due = 0;
	if (opt == NULL || (!opt->has_in && !opt->has_at))
		return opt;
	*abs = *opt;
	if (abs->has_in) {
		abs->has_in = false;
		abs->has_at = true;
		abs->at = ev_now(m->loop) + opt->in;
	}
	ms = (long long)(abs->at * 1000);
	if ((double)ms < abs->at * 1000)
		ms++;
	/* As jobopt_decimal reads "S.mmm" back: the same double. */
	abs->at = (double)(ms / 1000) + (double)(ms % 1000) / 1000;
	*due = abs->at;
	return abs;
}

/* True if o asks for nothing (no key, priority or due time): the common
 * job, admitted without option text, key check or due time. */
static bool admit_plain(const struct jobopt *o)
{
	return o == NULL || (o->key == NULL && !o->has_pri && !o->has_in && !o->has_at);
}

/* The option text kept with the job (journal, replay) into opts, its
 * length returned, and the due time into *due (0 if none). */
__attribute__((noinline)) static size_t admit_opts(const struct master *m, const struct jobopt *o,
                                                   char *opts, size_t size, double *due)
{
	struct jobopt abs;
	const struct jobopt *opt = admit_when(m, o, &abs, due);

	return opt->key != NULL || opt->has_pri || opt->has_at ? jobopt_format(opt, opts, size) : 0;
}

enum admit_result queue_admit(struct master *m, struct source *src, const struct admit_req *rq,
                              struct job **out)
{
	char opts[JOBOPT_TEXT_MAX];
	bool plain = admit_plain(rq->opt);
	double due = 0;
	size_t optlen = plain ? 0 : admit_opts(m, rq->opt, opts, sizeof(opts), &due);
	struct job *j;
	int umode = 0;

	if (out != NULL)
		*out = NULL;
	if (!rq->past_limit && queue_room(m) == 0)
		return ADMIT_FULL;
	/* A job without a key is never a duplicate. */
	if (!plain && rq->opt->key != NULL && (umode = unique_check(m, src, rq)) == -1)
		return ADMIT_DUP;
	if (due > 0 && later_room(m) == -1)
		return ADMIT_NOMEM;
	j = job_take(&m->jobcache, rq->code, rq->kind, rq->args, rq->len, opts, optlen);
	if (j == NULL)
		return ADMIT_NOMEM;
	j->src = src;
	j->datum = rq->datum;
	j->pri = !plain && rq->opt->has_pri ? rq->opt->pri : rq->pri;
	j->lane = rq->kind < MASTER_MAX_KINDS ? m->queue.kind_lane[rq->kind] : 0;
	if (rq->id != 0) {
		j->id = rq->id;
		if (rq->id > m->next_id)
			m->next_id = rq->id;
		m->count.replayed++;
	} else {
		j->id = journal_next_id(m);
	}
	j->accepted = ev_now(m->loop);
	j->uniq = 0;
	if (umode > 0)
		unique_claim(m, j, rq->opt, umode);
	m->live++;
	src->live++;
	m->count.accepted[j->kind]++;
	if (src->journaled && rq->id == 0)
		journal_accept(m, j);
	jobctl_admitted(m, j, rq->opt, rq->ref);
	if (due > 0)
		(void)later_hold(m, j, due); /* later_room made sure it cannot fail */
	else
		jobq_push(&m->queue, j);
	if (out != NULL)
		*out = j;
	return ADMIT_OK;
}
