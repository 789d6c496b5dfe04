/*
 * The POSIX message-queue intake ([control] mqueue = /NAME): a job source
 * beside the FIFO.  One message is one job line, so a half-written line
 * can never be glued onto another writer's: the kernel hands over whole
 * messages or nothing.  On Linux the mqd_t is a file descriptor that
 * epoll (and so libev) watches like a pipe; System V queues (msgget) have
 * no descriptor, cannot be polled, and outlive every process until
 * somebody runs ipcrm, which is why poold does not use them.
 *
 * The queue is made with the FIFO's mode ([control] mode: no read bit
 * for group or others, since a reader takes jobs) and mq_msgsize =
 * CTL_LINE_MAX, so the kernel refuses an oversized message to its sender
 * (EMSGSIZE) before poold sees it.  mq_receive takes the oldest message
 * of the highest priority first; the message priority becomes the job's
 * priority (0..QUEUE_PRI_MAX, higher ones capped).
 *
 * Backpressure as the FIFO's: when [pool] queue_limit jobs are unfinished
 * the master stops receiving, the queue fills to its depth and then
 * mq_send blocks (or fails with EAGAIN for a non-blocking sender).
 * Messages are journaled when taken; unlike the FIFO's peek-then-consume
 * there is no way to look at a message without taking it, so a SIGKILL
 * between mq_receive and the journal's write loses that one message.
 * At the stop, what the queue holds is taken in (journaled) like what the
 * FIFO holds.  The queue is not unlinked at exit: what is sent while poold
 * is down waits for the next start (bounded by depth x 4 KiB of kernel
 * memory); `rm /dev/mqueue/NAME` (or mq_unlink) removes it, and so does
 * systemd's RemoveIPC= for the packaged unit.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobs.h"
#include "log.h"
#include "master.h"

/* Messages taken per wake-up, so a flood cannot starve completions. */
#define MQ_READS_PER_WAKE 64

struct mq_source {
	struct source src;
	mqd_t mqd;
	ev_io w;
	bool paused; /* queue_limit reached: not receiving */
	char *buf;   /* mq_msgsize bytes */
	size_t bufsz;
	unsigned depth; /* mq_maxmsg */
	uint64_t received, rejected;
};

static const struct source_ops mq_ops;

static void mq_reject(struct mq_source *q, const char *msg, size_t len, const char *why)
{
	q->rejected++;
	source_reject_log(q->src.m, "mqueue message", msg, len, why);
}

/* One message: one job line, with or without its newline. */
static void mq_message(struct mq_source *q, const char *msg, size_t len, unsigned prio,
                       bool past_limit)
{
	struct admit_req rq = {.past_limit = past_limit};
	enum admit_result r;
	char err[200];

	if (len > 0 && msg[len - 1] == '\n')
		len--;
	rq.pri = prio > QUEUE_PRI_MAX ? QUEUE_PRI_MAX : (uint8_t)prio;
	r = source_admit_line(&q->src, msg, len, &rq, err, sizeof(err));
	if (r != ADMIT_OK && r != ADMIT_DUP) /* a duplicate is counted, not refused */
		mq_reject(q, msg, len, err);
}

/* Receives up to max messages while there is room (always, past the
 * limit); returns true if it stopped at the limit. */
static bool mq_read(struct mq_source *q, unsigned max, bool past_limit)
{
	struct master *m = q->src.m;
	unsigned prio, i;
	ssize_t n;

	for (i = 0; i < max; i++) {
		if (!past_limit && queue_room(m) == 0)
			return true;
		n = mq_receive(q->mqd, q->buf, q->bufsz, &prio);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			if (errno != EAGAIN)
				log_warn("mq_receive %s", m->cfg.mqueue);
			break;
		}
		q->received++;
		mq_message(q, q->buf, (size_t)n, prio, past_limit);
	}
	return false;
}

static void mq_pause(struct mq_source *q)
{
	q->paused = true;
	ev_io_stop(q->src.m->loop, &q->w);
}

static void mq_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct mq_source *q = container_of(w, struct mq_source, w);
	struct master *m = q->src.m;

	if (m->stopping) { /* drained at the stop; later messages wait in the queue */
		ev_io_stop(loop, w);
		return;
	}
	if (mq_read(q, MQ_READS_PER_WAKE, false))
		mq_pause(q);
	journal_after_read(m); /* the settle step dispatches them */
}

/* Opens (creating it if need be) the queue and checks it is ours. */
static int mq_open_checked(struct master *m, mqd_t *out, char *err, size_t errlen)
{
	struct mq_attr attr = {.mq_maxmsg = m->cfg.mqueue_depth, .mq_msgsize = CTL_LINE_MAX};
	const char *name = m->cfg.mqueue;
	struct stat st;
	mqd_t mqd;

	mqd = mq_open(name, O_RDONLY | O_CREAT | O_NONBLOCK | O_CLOEXEC, m->cfg.mode, &attr);
	if (mqd == (mqd_t)-1) {
		snprintf(err, errlen, "cannot open message queue %s: %s%s", name, strerror(errno),
		         errno == EINVAL || errno == EMFILE
		             ? " (is [control] mqueue_depth over /proc/sys/fs/mqueue/msg_max?)"
		             : "");
		return -1;
	}
	if (fstat(mqd, &st) == -1 || st.st_uid != geteuid()) {
		snprintf(err, errlen, "message queue %s exists and is not owned by us", name);
		mq_close(mqd);
		return -1;
	}
	if (fchmod(mqd, m->cfg.mode) == -1) {
		snprintf(err, errlen, "chmod message queue %s: %s", name, strerror(errno));
		mq_close(mqd);
		return -1;
	}
	*out = mqd;
	return 0;
}

int mqueue_start(struct master *m, char *err, size_t errlen)
{
	struct mq_source *q;
	struct mq_attr attr;

	if (m->cfg.mqueue[0] == '\0')
		return 0;
	q = calloc(1, sizeof(*q));
	if (q == NULL || mq_open_checked(m, &q->mqd, err, errlen) == -1) {
		if (q == NULL)
			snprintf(err, errlen, "out of memory");
		free(q);
		return -1;
	}
	/* A queue left by an earlier run keeps its own sizes. */
	if (mq_getattr(q->mqd, &attr) == -1 || attr.mq_msgsize <= 0 ||
	    (q->buf = malloc((size_t)attr.mq_msgsize)) == NULL) {
		snprintf(err, errlen, "message queue %s: %s", m->cfg.mqueue, strerror(errno));
		mq_close(q->mqd);
		free(q);
		return -1;
	}
	q->bufsz = (size_t)attr.mq_msgsize;
	q->depth = (unsigned)attr.mq_maxmsg;
	q->src.ops = &mq_ops;
	q->src.journaled = true;
	source_add(m, &q->src);
	ev_io_init(&q->w, mq_cb, q->mqd, EV_READ);
	ev_io_start(m->loop, &q->w);
	log_info("message queue %s (depth %ld, %ld messages waiting)", m->cfg.mqueue,
	         (long)attr.mq_maxmsg, (long)attr.mq_curmsgs);
	return 0;
}

/* The source ops. */
static void mq_job_ended(struct source *src, struct job *j, uint32_t status, const char *msg,
                         size_t len)
{
	journal_end(src->m, j);
}

static bool mq_stats(const struct source *src, struct source_stats *st)
{
	const struct mq_source *q = container_of(src, struct mq_source, src);
	const struct source_stat v[] = {
	    {"received", "received", "Messages taken from the POSIX message queue.", false,
	     q->received},
	    {"rejected", "rejected", "Messages of the message queue refused as jobs.", false,
	     q->rejected},
	};

	st->state = q->paused ? "full (not receiving)" : "receiving";
	st->group = "messages";
	st->n = sizeof(v) / sizeof(v[0]);
	memcpy(st->v, v, sizeof(v));
	return true;
}

static void mq_room(struct source *src)
{
	struct mq_source *q = container_of(src, struct mq_source, src);

	if (!q->paused || queue_room(src->m) == 0 || src->m->stopping)
		return;
	q->paused = false;
	ev_io_start(src->m->loop, &q->w); /* level-triggered: fires if messages wait */
}

/* What the queue holds (its depth, at most: a sender adding more as
 * fast as we take cannot keep us here), past the limit: before a `wait`
 * and at the stop (under systemd, RemoveIPC= deletes the queue then). */
static void mq_drain(struct source *src)
{
	struct mq_source *q = container_of(src, struct mq_source, src);

	(void)mq_read(q, q->depth, true);
	journal_after_read(src->m);
}

static void mq_source_close(struct source *src)
{
	struct mq_source *q = container_of(src, struct mq_source, src);

	ev_io_stop(src->m->loop, &q->w);
	mq_close(q->mqd);
	free(q->buf);
	free(q);
}

static const struct source_ops mq_ops = {
    .name = "mqueue",
    .ended = mq_job_ended,
    .stats = mq_stats,
    .room = mq_room,
    .drain = mq_drain,
    .close = mq_source_close,
};
