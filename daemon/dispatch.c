/*
 * Dispatch: which worker gets the next job, and the bytes that go to
 * workers.  What comes back (completions, and a dead worker's jobs) is
 * in dispatch_done.c, which calls the bucket functions here (dispatch.h);
 * nothing here calls it.
 *
 * Least-loaded in O(1): READY slots sit in buckets by their number of jobs
 * in flight, and m->min_load names the lowest non-empty bucket, so picking
 * a worker and moving it after a send or a completion never scans the
 * pool.  A slot never holds more than [pool] inflight jobs.
 *
 * Batching: frames are encoded into each slot's out buffer during a pass
 * and written once per slot at the end of it.  "Try the write now,
 * install the writable watcher only if bytes remain": a full pipe is
 * backpressure (the jobs stay in the slot's out buffer and ring), never a
 * blocked loop or a dropped job.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "buf.h"
#include "dispatch.h"
#include "log.h"
#include "master.h"

/* Jobs one pass may hold back because only busy workers run their kind;
 * past it the pass ends (the rest waits for the next). */
#define DISPATCH_HOLD_MAX 256

/* The time a full batch of [pool] inflight jobs may take for a worker to
 * be filled rather than the work spread (dispatch_share). */
#define DISPATCH_FILL_TIME 0.05

void dispatch_bucket_insert(struct master *m, struct slot *s)
{
	unsigned k = s->ring_len;

	s->bprev = NULL;
	s->bnext = m->bucket[k];
	if (s->bnext != NULL)
		s->bnext->bprev = s;
	m->bucket[k] = s;
	s->in_bucket = true;
	if (k < m->min_load)
		m->min_load = k;
}

void dispatch_bucket_unlink(struct master *m, struct slot *s)
{
	unsigned k = s->ring_len;

	if (s->bprev != NULL)
		s->bprev->bnext = s->bnext;
	else
		m->bucket[k] = s->bnext;
	if (s->bnext != NULL)
		s->bnext->bprev = s->bprev;
	s->bprev = s->bnext = NULL;
	s->in_bucket = false;
}

/* After a removal: the lowest non-empty bucket, or nbuckets if none. */
void dispatch_bucket_fix_min(struct master *m)
{
	while (m->min_load < m->nbuckets && m->bucket[m->min_load] == NULL)
		m->min_load++;
}

int dispatch_init(struct master *m)
{
	m->rbuf = malloc(PROTO_DONE_MAX + MASTER_READ_SIZE);
	if (m->rbuf == NULL)
		return -1;
	sched_init(m);
	return dispatch_resize(m, m->cfg.inflight);
}

/*
 * Makes room for slots of up to `inflight` jobs.  Only valid while no slot
 * is filed in a bucket (at start, or on reload after every slot retired).
 */
int dispatch_resize(struct master *m, unsigned inflight)
{
	struct slot **b = calloc(inflight + 1, sizeof(*b));

	if (b == NULL)
		return -1;
	free(m->bucket);
	m->bucket = b;
	m->nbuckets = inflight + 1;
	m->min_load = m->nbuckets;
	m->short_ran = DISPATCH_FILL_TIME / inflight;
	return 0;
}

void dispatch_free(struct master *m)
{
	free(m->bucket);
	m->bucket = NULL;
	free(m->rbuf);
	m->rbuf = NULL;
}

void dispatch_slot_ready(struct slot *s)
{
	dispatch_bucket_insert(s->m, s);
}

void dispatch_slot_remove(struct slot *s)
{
	if (!s->in_bucket)
		return;
	dispatch_bucket_unlink(s->m, s);
	dispatch_bucket_fix_min(s->m);
}

static int out_reserve(struct slot *s, size_t more)
{
	if (s->out_len + more <= s->out_cap)
		return 0;
	return buf_reserve(&s->out, &s->out_cap, s->out_len, more, 4096);
}

static void slot_mark_dirty(struct slot *s)
{
	if (s->dirty)
		return;
	s->dirty = true;
	s->dirty_next = s->m->dirty;
	s->m->dirty = s;
}

/* Appends the job's frame to the slot and records it as in flight (the
 * caller files the slot in its new bucket). */
static int slot_assign(struct slot *s, struct job *j, ev_tstamp now)
{
	unsigned idx;

	if (out_reserve(s, sizeof(struct proto_task) + j->len) == -1)
		return -1;
	if (s->ring_len == 0) {
		s->head_since = now; /* an idle worker starts it at once */
		s->woken = true;
	}
	j->sent = now;
	s->out_len += proto_job_encode(s->out + s->out_len, s->out_cap - s->out_len, j->code, j->id,
	                               j->attempts + 1u, j->args, j->len);
	idx = s->ring_head + s->ring_len;
	if (idx >= s->ring_cap)
		idx -= s->ring_cap;
	s->ring[idx] = j;
	s->ring_len++;
	j->attempts++;
	jobctl_started(s->m, j, s->index, now);
	return 0;
}

/*
 * Writes what the slot has buffered.  Returns with the writable watcher
 * active if the pipe is full; on EPIPE the worker is gone and its jobs wait
 * for the child watcher to hand them on.
 */
static void slot_write(struct slot *s)
{
	ssize_t n;

	while (s->out_off < s->out_len) {
		n = write(s->task_fd, s->out + s->out_off, s->out_len - s->out_off);
		if (n > 0) {
			s->out_off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			ev_io_start(s->m->loop, &s->task_w);
			return;
		}
		log_warn("worker[%u]: write to task pipe", s->index);
		ev_io_stop(s->m->loop, &s->task_w);
		slot_event(s, SLOT_EV_PIPE_BROKEN, ev_now(s->m->loop));
		dispatch_slot_remove(s);
		return;
	}
	s->out_off = s->out_len = 0;
	ev_io_stop(s->m->loop, &s->task_w);
	if (s->state == SLOT_RETIRING && s->ring_len == 0)
		pool_retire(s);
}

static void dispatch_flush(struct master *m)
{
	struct slot *s;

	while ((s = m->dirty) != NULL) {
		m->dirty = s->dirty_next;
		s->dirty = false;
		s->dirty_next = NULL;
		if (s->task_fd != -1)
			slot_write(s);
	}
}

/*
 * How many jobs one worker may hold now.  When recent jobs are short (a
 * full batch of [pool] inflight of them ends within DISPATCH_FILL_TIME),
 * inflight: whole batches go to as few workers as the load needs, the
 * ones active last (dispatch_run), so a wide pool with little work wakes
 * few processes, each for a large batch.  Otherwise, and until jobs have
 * been measured (at start, when replayed jobs come in), an even share of
 * the unfinished jobs over the workers wanted, rounded up, at least 1 and
 * at most inflight.  Least-loaded alone is not enough when the queue fills
 * while few workers are ready: jobs replayed at start, or handed back by a
 * dead worker, would all go to the first worker to say hello, up to
 * inflight of them, and run one after another there while its siblings,
 * ready a moment later, idle.  Bounded by the share, the rest waits for
 * them.  With plenty of work the share is inflight (full batches); a
 * worker that finishes early takes more as the share shrinks.
 */
static unsigned dispatch_share(const struct master *m)
{
	uint64_t workers = m->target > 0 ? m->target : 1;
	uint64_t share = (m->live + workers - 1) / workers;

	if (m->short_jobs)
		return m->nbuckets - 1;
	if (share < 1)
		share = 1;
	return share < m->nbuckets - 1 ? (unsigned)share : m->nbuckets - 1;
}

/*
 * The slot to fill next, or NULL when none has room under the share: the
 * least loaded; with short jobs, a worker that holds some and has room
 * first (the lowest such bucket; at most share buckets looked at per
 * pick), so that one already awake takes more before an idle one is
 * woken, and of idle ones the one filed last (active last).
 */
static struct slot *dispatch_pick(const struct master *m, unsigned share)
{
	unsigned k;

	if (m->min_load >= share)
		return NULL;
	if (m->short_jobs)
		for (k = m->min_load > 0 ? m->min_load : 1; k < share; k++)
			if (m->bucket[k] != NULL)
				return m->bucket[k];
	return m->bucket[m->min_load];
}

/*
 * With short jobs, the slot a pass fills is held out of its bucket until
 * the pass moves on to another slot or ends (dispatch_file): one job
 * after another goes to it without moving it from bucket to bucket (it
 * may take more, or the pass lets go of it: slot_take).  The least load
 * of a slot that may take more is then the lower of the buckets' and its
 * own.
 */
static unsigned dispatch_low(const struct master *m, const struct slot *cur)
{
	return cur != NULL && cur->ring_len < m->min_load ? cur->ring_len : m->min_load;
}

/* Files the slot held out by the pass under its load. */
static void dispatch_file(struct master *m, struct slot **cur)
{
	if (*cur == NULL)
		return;
	dispatch_bucket_insert(m, *cur);
	*cur = NULL;
}

/*
 * The slot for j: the one the pass holds while it has room under the
 * share (short jobs), else dispatch_pick's, or if it refuses j's kind
 * (refuse.c) another under the share and under j's queue's inflight (the
 * limit sched_pick checked against the least-loaded); NULL to hold j.  A
 * pool where no worker refuses anything pays a test of a zero mask.
 */
static struct slot *dispatch_slot_for(struct master *m, const struct job *j, unsigned share,
                                      struct slot **cur, uint32_t *blocked)
{
	struct slot *s = *cur;
	unsigned lim;

	if (s != NULL && s->ring_len < share &&
	    (s->refused == 0 || (s->refused >> j->kind & 1u) == 0))
		return s;
	dispatch_file(m, cur);
	s = dispatch_pick(m, share);
	if (s->refused == 0 || (s->refused >> j->kind & 1u) == 0)
		return s;
	lim = jobq_inflight(&m->queue, j);
	return refuse_pick(m, j->kind, lim > 0 && lim < share ? lim : share, blocked);
}

/* Gives j to s.  s comes out of its bucket (unless the pass holds it out
 * already: *cur) and goes back under its new load, or with short jobs
 * the pass holds it while it may take more (*cur = s; dispatch_slot_for
 * filed the one it held before). */
static int slot_take(struct master *m, struct slot *s, struct job *j, ev_tstamp now,
                     struct slot **cur)
{
	bool held = s == *cur;

	if (!held)
		dispatch_bucket_unlink(m, s);
	if (slot_assign(s, j, now) == -1) { /* out of memory: s as it was */
		if (!held) {
			dispatch_bucket_insert(m, s);
			dispatch_bucket_fix_min(m);
		}
		return -1;
	}
	slot_mark_dirty(s);
	if (!sched_assigned(s, j))
		*cur = NULL; /* a queue's inflight: out of the buckets until a job leaves */
	else if (m->short_jobs)
		*cur = s;
	else
		dispatch_bucket_insert(m, s);
	if (!held)
		dispatch_bucket_fix_min(m);
	return 0;
}

/* Puts a picked job back at the front of the queue. */
static void dispatch_unpick(struct master *m, struct job *j)
{
	jobq_unpick(&m->queue, j);
	jobq_push_front(&m->queue, j);
}

/*
 * Gives queued jobs (in the scheduler's order, sched_pick) to the slots
 * dispatch_pick chooses, within their share, and writes every slot that
 * got frames.  Jobs whose journal records are not durable yet (fsync =
 * always) wait for the sync thread (journal_holds).  Called by the settle
 * step only (settle.c); calls nothing above dispatch.
 */
void dispatch_run(struct master *m)
{
	unsigned share = dispatch_share(m);
	ev_tstamp now = ev_now(m->loop);
	struct job *held = NULL; /* jobs whose takers are busy, last first */
	unsigned nheld = 0;
	uint32_t blocked = 0;
	struct slot *s, *cur = NULL;
	struct job *j;

	while (m->queue.len > 0 && dispatch_low(m, cur) < share &&
	       (j = sched_pick(m, dispatch_low(m, cur), now)) != NULL) {
		if (journal_holds(m, j)) {
			dispatch_unpick(m, j);
			break;
		}
		if ((s = dispatch_slot_for(m, j, share, &cur, &blocked)) == NULL) {
			jobq_unpick(&m->queue, j); /* its queue's limits: free now */
			j->next = held;
			held = j;
			if (++nheld >= DISPATCH_HOLD_MAX)
				break;
			continue;
		}
		if (slot_take(m, s, j, now, &cur) == -1) {
			log_warnx("out of memory while dispatching; retrying later");
			dispatch_unpick(m, j);
			break;
		}
	}
	dispatch_file(m, &cur);
	while (held != NULL) { /* back in front, in their order */
		j = held;
		held = j->next;
		jobq_push_front(&m->queue, j);
	}
	dispatch_flush(m);
}

int dispatch_send_control(struct slot *s, uint32_t code)
{
	if (s->task_fd == -1 || out_reserve(s, sizeof(struct proto_task)) == -1)
		return -1;
	s->out_len +=
	    proto_task_encode(s->out + s->out_len, s->out_cap - s->out_len, code, 0, NULL, 0);
	slot_write(s);
	return 0;
}

void dispatch_task_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	slot_write(container_of(w, struct slot, task_w));
}
