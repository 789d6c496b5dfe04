/*
 * Dispatch's return path: the completions workers send, and the jobs a
 * dead worker held.  Completions are read with one read(2) for as many
 * records as are waiting; each ends its job (retry.c, outcome.c) and
 * times it for the dispatch mode (dispatch_share in dispatch.c).  A gone
 * worker's jobs go back to the queue, or are recorded as timed out,
 * buried or cancelled (slot_give_back).  Calls dispatch.c's bucket
 * functions (dispatch.h) to file a slot under its new load; dispatch.c
 * never calls this file.
 *
 * The completion channel is a pipe per worker rather than one shared pipe
 * or a scoreboard: a record is known to come from the slot it arrived on,
 * so a worker that lies (a completion for a job it does not hold, a bad
 * length) is caught and killed, and EOF tells that this worker is gone.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dispatch.h"
#include "doneline.h"
#include "log.h"
#include "master.h"

/* Jobs measured before the dispatch mode is chosen again (dispatch_share
 * in dispatch.c). */
#define DISPATCH_RAN_WINDOW 256

/* Stops listening to a worker that broke the protocol, and kills it. */
static void slot_kill(struct slot *s, const char *why)
{
	log_err("worker[%u]: pid %d %s; killing it", s->index, (int)s->pid, why);
	s->m->count.killed++;
	slot_event(s, SLOT_EV_LIED, ev_now(s->m->loop));
	ev_io_stop(s->m->loop, &s->done_w);
	dispatch_slot_remove(s);
	if (s->pid > 0)
		kill(s->pid, SIGKILL);
}

/* Adds a job's run time (the first after the worker was woken, whose
 * time holds the wake-up, only when short); every DISPATCH_RAN_WINDOW jobs, jobs are short
 * (dispatch_share) if most of them were: at that pace a full batch ends
 * within DISPATCH_FILL_TIME.  A majority, not a mean, so that a worker
 * preempted now and then on a busy machine does not count as slow work. */
static void dispatch_measure(struct master *m, double ran)
{
	m->ran_short += ran <= m->short_ran;
	if (++m->ran_n < DISPATCH_RAN_WINDOW)
		return;
	if (m->short_jobs != (2 * m->ran_short > m->ran_n))
		log_debug("dispatch: %u of %u jobs short: %s", m->ran_short, m->ran_n,
		          m->short_jobs ? "spreading" : "filling");
	m->short_jobs = 2 * m->ran_short > m->ran_n;
	m->ran_short = 0;
	m->ran_n = 0;
}

/* Takes j, the oldest job of the ring, out: it is done. */
static void slot_pop(struct slot *s, struct job *j)
{
	if (++s->ring_head == s->ring_cap)
		s->ring_head = 0;
	s->ring_len--;
	sched_left(s, j);
	s->jobs_done++;
	s->proc_jobs++;
}

/* Handles one completion record read at loop time now; -1 if the worker
 * lied. */
static int slot_record(struct slot *s, const struct proto_done *d, const char *msg, ev_tstamp now)
{
	struct proto_hello hello;
	struct job *j;
	char why[96];

	if (d->status == PROTO_HELLO) {
		memcpy(&hello, msg, sizeof(hello)); /* its length is checked */
		if (slot_hello(s, hello.refused, now) == -1)
			return -1;
		refuse_hello(s->m, s);
		pool_slot_hello(s);
		return 0;
	}
	j = s->ring_len > 0 ? s->ring[s->ring_head] : NULL;
	if (j == NULL || j->id != d->id) {
		snprintf(why, sizeof(why), "reported job %llu it does not hold",
		         (unsigned long long)d->id);
		slot_kill(s, why);
		return -1;
	}
	slot_pop(s, j);
	/* The first job after a wake-up also timed the wake-up: it can only
	 * tell that jobs are short. */
	if (!s->woken || now - s->head_since <= s->m->short_ran)
		dispatch_measure(s->m, now - s->head_since);
	s->woken = false;
	metrics_observe(s->m, j->kind, j->sent - j->accepted, now - s->head_since);
	s->head_since = now; /* the next job starts now */
	if (s->ring_len == 0)
		s->idle_since = s->head_since;
	if (d->out_len > 0)
		jobctl_output(s->m, j, msg + d->len, d->out_len);
	retry_record(s->m, j, d->status, msg, d->len, s->index);
	if (s->recycle_at != 0 && s->proc_jobs >= s->recycle_at && s->state == SLOT_READY) {
		log_info("worker[%u]: pid %d ran %llu jobs; replacing it", s->index, (int)s->pid,
		         (unsigned long long)s->proc_jobs);
		slot_event(s, SLOT_EV_RECYCLE, now);
		pool_retire(s);
	}
	return 0;
}

/* Decodes every whole record in buf; keeps a partial one in the slot.
 * The records of one read share the loop's time. */
static int slot_parse(struct slot *s, char *buf, size_t len)
{
	ev_tstamp now = ev_now(s->m->loop);
	struct proto_done d;
	const char *msg;
	size_t off = 0;
	long n;

	while ((n = proto_done_decode(buf + off, len - off, &d, &msg)) > 0) {
		if (slot_record(s, &d, msg, now) == -1)
			return -1;
		off += (size_t)n;
	}
	if (n == -1) {
		slot_kill(s, "sent a malformed completion record");
		return -1;
	}
	if (off < len && s->in == NULL && (s->in = malloc(PROTO_DONE_MAX)) == NULL) {
		slot_kill(s,
		          "cut a record the master has no memory to keep"); /* its jobs go back */
		return -1;
	}
	s->in_len = len - off;
	if (s->in_len > 0)
		memcpy(s->in, buf + off, s->in_len);
	return 0;
}

/* What one read of a completion pipe brought (slot_read_once). */
enum slot_read {
	SLOT_READ_RECORDS, /* bytes, handled */
	SLOT_READ_AGAIN,   /* nothing there (EAGAIN) */
	SLOT_READ_GONE,    /* EOF or an error: the worker is gone or going, its
	                    * child watcher follows */
};

/* Reads and handles what one read(2) brings from the slot's completion
 * pipe. */
static enum slot_read slot_read_once(struct slot *s)
{
	struct master *m = s->m;
	char *buf = m->rbuf;
	bool filed = s->in_bucket, held = !filed && s->lim > 0;
	ssize_t n;

	if (s->in_len > 0)
		memcpy(buf, s->in, s->in_len);
	n = read(s->done_fd, buf + s->in_len, MASTER_READ_SIZE);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return SLOT_READ_AGAIN;
	if (n <= 0) {
		if (n == -1)
			log_warn("worker[%u]: read completion pipe", s->index);
		ev_io_stop(m->loop, &s->done_w);
		slot_event(s, SLOT_EV_PIPE_BROKEN, ev_now(m->loop));
		dispatch_slot_remove(s);
		return SLOT_READ_GONE;
	}
	/* Take the slot out of its bucket while its load changes (one that a
	 * queue's inflight held out may come back). */
	if (filed)
		dispatch_bucket_unlink(m, s);
	slot_parse(s, buf, s->in_len + (size_t)n);
	if ((filed || held) && !s->in_bucket && !s->broken && s->state == SLOT_READY &&
	    sched_slot_open(s))
		dispatch_bucket_insert(m, s);
	dispatch_bucket_fix_min(m);
	return SLOT_READ_RECORDS;
}

void dispatch_done_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct slot *s = container_of(w, struct slot, done_w);

	if (slot_read_once(s) != SLOT_READ_RECORDS)
		return;
	if (s->state == SLOT_RETIRING && s->ring_len == 0 && s->out_len == 0)
		pool_retire(s);
}

/*
 * What happens to one job a dead worker held.  The oldest one was running:
 * it counts an attempt, and if it ran past its limit it is run again
 * ([pool] timeout_retries) or recorded as timed out; it is buried once it
 * has had max_attempts; the others never ran and go back as they were.
 * A job whose cancel was asked (jobctl.c) ends here as cancelled.
 */
static void slot_give_back(struct slot *s, struct job *j, bool running, const char *how)
{
	struct master *m = s->m;
	const char *overdue = running ? slot_overdue(s, j) : NULL;
	char why[PROTO_MSG_MAX];
	int n;

	if (jobctl_cancel_asked(j)) {
		outcome_record(m, j, OUTCOME_CANCELLED, "cancelled", 9, s->index);
		return;
	}
	if (overdue != NULL && j->timeouts < m->cfg.timeout_retries) {
		j->timeouts++; /* [pool] timeout_retries: once more, elsewhere */
		jobctl_requeued(m, j);
		jobq_push_front(&m->queue, j);
		m->count.retried++;
		return;
	}
	if (overdue != NULL) {
		outcome_record(m, j, PROTO_TIMEDOUT, overdue, strlen(overdue), s->index);
		return;
	}
	if (!running)
		j->attempts--;
	/* Attempts since its last failure that was retried (retry.c). */
	if (running && (unsigned)(j->attempts - j->retries) >= m->cfg.max_attempts) {
		n = snprintf(why, sizeof(why), "buried after %u attempts; its worker %s",
		             (unsigned)j->attempts, how);
		outcome_record(m, j, OUTCOME_BURIED, why, n > 0 ? (size_t)n : 0, s->index);
		return;
	}
	jobctl_requeued(m, j);
	jobq_push_front(&m->queue, j);
	m->count.retried += running;
}

/*
 * The jobs a gone worker finished whose records never came.  Its done
 * line (common/doneline.h) counts the jobs its process finished, which
 * ran in the order they were sent, the order of the ring; a job the
 * count covers and whose record did not come ended "ok, no message" (a
 * worker sends any other result before its count moves past it).  They
 * end as if their records had come.  A liar's count is not read; a count
 * past what the worker held is cut to it.
 */
static void slot_recover(struct slot *s)
{
	uint64_t count, left;
	struct job *j;
	unsigned n;

	if (!doneline_take(s->index, s->pid, &count) || s->liar || count <= s->proc_jobs)
		return;
	left = count - s->proc_jobs;
	n = left < s->ring_len ? (unsigned)left : s->ring_len;
	if (left > n)
		log_warnx("worker[%u]: its done line says %llu jobs, %llu more than it held",
		          s->index, (unsigned long long)count, (unsigned long long)(left - n));
	log_info("worker[%u]: %u job%s it finished had no completion sent: done", s->index, n,
	         n == 1 ? "" : "s");
	while (n-- > 0) {
		j = s->ring[s->ring_head];
		slot_pop(s, j);
		retry_record(s->m, j, PROTO_OK, "", 0, s->index);
	}
}

/*
 * The worker of this slot is gone: stop its watchers, count the jobs it
 * finished as done (slot_recover) and give the others back to the queue,
 * oldest first at the front, so they run again on another worker
 * (at-least-once).
 */
void dispatch_slot_gone(struct slot *s, const char *how)
{
	struct master *m = s->m;
	unsigned idx;

	/* Completions the worker sent before it died still count: libev may
	 * report the death before the pipe's last records were read. */
	while (s->done_fd != -1 && !s->liar && slot_read_once(s) == SLOT_READ_RECORDS)
		;
	ev_io_stop(m->loop, &s->task_w);
	ev_io_stop(m->loop, &s->done_w);
	dispatch_slot_remove(s);
	slot_recover(s);
	while (s->ring_len > 0) {
		idx = s->ring_head + s->ring_len - 1;
		if (idx >= s->ring_cap)
			idx -= s->ring_cap;
		s->ring_len--;
		sched_left(s, s->ring[idx]);
		slot_give_back(s, s->ring[idx], s->ring_len == 0, how);
	}
	s->lim = 0;
	s->ring_head = 0;
	s->out_off = s->out_len = 0;
	s->in_len = 0;
}
