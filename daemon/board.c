/*
 * The master's half of the scoreboard (common/scoreboard.h): a memfd
 * mapped shared before the first fork, rewritten from master state ten
 * times a second under the sequence lock, and passed to clients that ask
 * for it.  The work is O(workers) per tick and none per job.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "jobs.h"
#include "log.h"
#include "master.h"
#include "scoreboard.h"

#define BOARD_TICK 0.1

static uint32_t board_state(const struct slot *s)
{
	switch (s->state) {
	case SLOT_STARTING:
		return SB_STARTING;
	case SLOT_READY:
		return s->ring_len > 0 ? SB_BUSY : SB_IDLE;
	case SLOT_RETIRING:
		return SB_RETIRING;
	default:
		return SB_BACKOFF;
	}
}

_Static_assert(JOBS_MAX <= SCOREBOARD_KINDS, "the scoreboard names fewer kinds than JOBS_MAX");

static void board_slots(struct master *m, struct scoreboard *sb)
{
	const struct slot *s;
	unsigned i, n = m->nslots < SCOREBOARD_SLOTS ? m->nslots : SCOREBOARD_SLOTS;

	for (i = 0; i < n; i++) {
		struct scoreboard_slot *o = &sb->slot[i];
		const struct job *j;

		s = m->slots[i];
		if (s == NULL) {
			memset(o, 0, sizeof(*o));
			o->last_status = -1;
			continue;
		}
		j = s->ring_len > 0 ? s->ring[s->ring_head] : NULL;
		o->pid = (int32_t)s->pid;
		o->state = board_state(s);
		o->job_id = j ? j->id : 0;
		o->job_kind = j ? j->kind + 1u : 0;
		o->job_started = j ? s->head_since : 0;
		o->in_flight = s->ring_len;
		o->jobs_done = s->jobs_done;
		o->last_status = s->last_status;
	}
	for (; i < sb->nslots; i++)
		memset(&sb->slot[i], 0, sizeof(sb->slot[i]));
	sb->nslots = n;
}

_Static_assert(QUEUE_LANES <= SCOREBOARD_QUEUES, "the scoreboard holds fewer queues than lanes");
_Static_assert(CONFIG_MAX_TOKENS <= SCOREBOARD_TOKENS, "the scoreboard holds fewer tokens");

/* The queues and tokens as status shows them (sched_view.c). */
static void board_queues(const struct master *m, struct scoreboard *sb)
{
	const struct jobq *q = &m->queue;
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;

	for (i = 0; i < n; i++) {
		const struct joblane *ln = &q->lane[i];
		struct scoreboard_queue *o = &sb->queue[i];

		snprintf(o->name, sizeof(o->name), "%s", ln->name);
		o->queued = ln->len;
		o->running = ln->running;
		o->cap = ln->cap;
		o->inflight = ln->inflight;
		o->paused = ln->paused;
		o->rate = ln->rate;
		o->burst = ln->burst;
	}
	sb->nqueues = n;
	for (i = 0; i < q->ntokens; i++) {
		snprintf(sb->token[i].name, sizeof(sb->token[i].name), "%s", m->cfg.tokens[i].name);
		sb->token[i].count = q->token_count[i];
		sb->token[i].in_use = q->token_count[i] - q->token_free[i];
	}
	sb->ntokens = q->ntokens;
}

static void board_update(struct master *m)
{
	struct scoreboard *sb = m->board;
	struct census c;
	size_t k;

	if (sb == NULL)
		return;
	census_take(m, &c);
	__atomic_store_n(&sb->seq, sb->seq + 1, __ATOMIC_RELEASE);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (k = sb->ntasks; k < jobs_count(); k++) /* operator kinds a reload added */
		snprintf(sb->task_names[k], sizeof(sb->task_names[k]), "%s", jobs_at(k)->name);
	sb->ntasks = (uint32_t)jobs_count();
	sb->accepted = c.accepted;
	sb->done = c.done;
	sb->failed = c.failed;
	sb->timed_out = c.timedout;
	sb->buried = c.buried;
	sb->rejected = m->count.rejected;
	sb->retried = m->count.retried;
	sb->restarts = m->count.restarts;
	sb->queued = c.queued;
	sb->in_flight = c.in_flight;
	sb->scheduled = c.scheduled;
	sb->retrying = c.retrying;
	sb->deduplicated = m->count.deduplicated;
	sb->workers_wanted = c.wanted;
	sb->updated = ev_now(m->loop);
	board_slots(m, sb);
	board_queues(m, sb);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&sb->seq, sb->seq + 1, __ATOMIC_RELEASE);
}

static void board_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	board_update(container_of(w, struct master, board_w));
}

int board_init(struct master *m, char *err, size_t errlen)
{
	struct scoreboard *sb;
	size_t k;
	int fd;

	fd = memfd_create("poold-scoreboard", MFD_CLOEXEC);
	if (fd == -1 || ftruncate(fd, sizeof(*sb)) == -1) {
		snprintf(err, errlen, "scoreboard: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	sb = mmap(NULL, sizeof(*sb), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (sb == MAP_FAILED) {
		snprintf(err, errlen, "scoreboard: mmap: %s", strerror(errno));
		close(fd);
		return -1;
	}
	sb->magic = SCOREBOARD_MAGIC;
	sb->master_pid = (int32_t)getpid();
	sb->started = m->start_time;
	sb->ntasks = (uint32_t)jobs_count();
	for (k = 0; k < jobs_count(); k++)
		snprintf(sb->task_names[k], sizeof(sb->task_names[k]), "%s", jobs_at(k)->name);
	m->board = sb;
	m->board_fd = fd;
	ev_timer_init(&m->board_w, board_cb, BOARD_TICK, BOARD_TICK);
	ev_timer_start(m->loop, &m->board_w);
	board_update(m);
	return 0;
}

/* Sends the scoreboard's descriptor over a connected Unix socket. */
int board_send(struct master *m, int sock)
{
	char byte = 'S', ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;

	memset(ctl, 0, sizeof(ctl));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &m->board_fd, sizeof(int));
	return sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

void board_close(struct master *m)
{
	if (m->board == NULL)
		return;
	ev_timer_stop(m->loop, &m->board_w);
	munmap(m->board, sizeof(*m->board));
	close(m->board_fd);
	m->board = NULL;
	m->board_fd = -1;
}
