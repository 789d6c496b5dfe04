/*
 * The control FIFO: where jobs come in.  Owns the FIFO descriptor, the line
 * splitter and the acceptance of a line as a job.  Must never block and
 * never let one bad line touch the ones around it.
 *
 * The FIFO is opened read-write: the master itself then always holds a
 * writer, so the loop never sees EOF (and never spins) when the last
 * client closes.  When [pool] queue_limit jobs are unfinished (queued or
 * held by workers) the master stops reading: writers block in write(2)
 * instead of losing lines, and reading resumes when jobs have ended.  So
 * the master's memory is bounded by a job count, whatever the number of
 * workers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "fsutil.h"
#include "jobs.h"
#include "log.h"
#include "master.h"

/* Reads per wake-up, so a flood cannot starve completions and signals. */
#define FIFO_READS_PER_WAKE 16
/* An unfinished line alone in the FIFO is discarded after this long
 * (README "Jobs"), and looked at this often meanwhile. */
#define FIFO_LINE_GRACE 1.0
#define FIFO_STALL_POLL 0.01

enum fifo_round {
	FIFO_EMPTY,   /* nothing in the FIFO */
	FIFO_MORE,    /* bytes were taken; more may be there */
	FIFO_FULL,    /* queue_limit reached: lines wait in the FIFO */
	FIFO_STALLED, /* only an unfinished line, within its grace */
};

static void fifo_stall(struct master *m);
static void fifo_close_fds(struct master *m);
static void fifo_pause(struct master *m);
static const struct source_ops fifo_ops;

static void fifo_reject(struct master *m, const char *line, size_t len, const char *why)
{
	m->count.rejected++;
	source_reject_log(m, "FIFO line", line, len, why);
}

/* Accepts one line as a job, or rejects it with a reason. */
static void fifo_line(struct master *m, const char *line, size_t len, bool past_limit)
{
	struct admit_req rq = {.past_limit = past_limit};
	enum admit_result r;
	char err[200];

	r = source_admit_line(&m->fifo_src, line, len, &rq, err, sizeof(err));
	if (r != ADMIT_OK && r != ADMIT_DUP) /* a duplicate is counted, not refused */
		fifo_reject(m, line, len, err);
}

/* Takes buffered lines while the queue limit leaves room and the queue
 * is short (queue_intake; always, past the limit); -1 when it is full.  The room is checked before
 * a line is split off, so a line that does not fit stays in the FIFO. */
static int fifo_take_lines(struct master *m, bool past_limit)
{
	uint64_t room = past_limit ? UINT64_MAX : queue_intake(m);
	const char *line;
	size_t len;

	for (; room > 0; room--) {
		switch (ctl_split_next(&m->split, &line, &len)) {
		case CTL_SPLIT_AGAIN:
			return 0;
		case CTL_SPLIT_LINE:
			fifo_line(m, line, len, past_limit);
			break;
		case CTL_SPLIT_OVERLONG:
			fifo_reject(m, line, len,
			            "line over 4096 bytes (discarded up to its newline)");
			break;
		}
	}
	return -1;
}

/* Removes n bytes, already peeked at, from the head of the FIFO. */
static void fifo_consume(struct master *m, size_t n)
{
	ssize_t r;

	m->fifo_taken += n;
	while (n > 0) {
		r = splice(m->fifo_fd, NULL, m->fifo_null, NULL, n, SPLICE_F_NONBLOCK);
		if (r == -1 && errno == EINVAL) /* no splice to /dev/null here */
			r = read(m->fifo_fd, m->split.buf,
			         n < sizeof(m->split.buf) ? n : sizeof(m->split.buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			/* Only we read the FIFO (its mode lets nobody else), so the
			 * bytes we peeked at are there. */
			log_warn("consume %zu bytes of the FIFO", n);
			return;
		}
		n -= (size_t)r;
	}
}

/* Copies what the FIFO holds into the split buffer without taking it from
 * the FIFO; returns the byte count, 0 when it is empty. */
static size_t fifo_peek(struct master *m)
{
	size_t room, got = 0;
	char *space;
	ssize_t n;

	ctl_split_rewind(&m->split);
	space = ctl_split_space(&m->split, &room);
	do
		n = tee(m->fifo_fd, m->fifo_peek[1], room, SPLICE_F_NONBLOCK);
	while (n == -1 && errno == EINTR);
	if (n == -1 && errno != EAGAIN)
		log_warn("tee from the FIFO");
	while (n > 0 && got < (size_t)n) {
		ssize_t r = read(m->fifo_peek[0], space + got, (size_t)n - got);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			fatalx(POOLD_EXIT_SOFTWARE, "read of the FIFO's private copy: %s",
			       r == 0 ? "EOF" : strerror(errno));
		got += (size_t)r;
	}
	ctl_split_commit(&m->split, got);
	return got;
}

/*
 * The FIFO holds an unfinished line of len bytes and nothing after it.
 * Within FIFO_LINE_GRACE of first seeing it, its writer may still finish
 * it: returns false and it stays.  Past that it is discarded (consumed and
 * rejected), so a later writer's line is not glued onto it; returns true.
 */
static bool fifo_unfinished(struct master *m, size_t len)
{
	ev_tstamp now = ev_now(m->loop);

	if (m->fifo_part_since < 0 || m->fifo_part_at != m->fifo_taken) {
		m->fifo_part_at = m->fifo_taken;
		m->fifo_part_since = now;
	}
	if (now - m->fifo_part_since < FIFO_LINE_GRACE)
		return false;
	fifo_reject(m, m->split.buf, len, "unfinished line (no newline within 1 s) discarded");
	fifo_consume(m, len);
	m->fifo_part_since = -1;
	return true;
}

/*
 * One round: peek at the FIFO, take its whole lines as jobs (or rejects),
 * make their journal records durable as [journal] fsync says, and only
 * then consume exactly the bytes of those lines from the FIFO.  A crash
 * at any point leaves each line either journaled or still in the FIFO
 * (both, between the two: it then runs twice, never zero times).
 */
static enum fifo_round fifo_round(struct master *m, bool past_limit)
{
	size_t got = fifo_peek(m), used;
	int full;

	if (got == 0)
		return FIFO_EMPTY;
	full = fifo_take_lines(m, past_limit);
	used = m->split.start; /* whole lines taken (an overlong one: all of it) */
	journal_after_read(m);
	if (used > 0) {
		fifo_consume(m, used);
		return full == -1 ? FIFO_FULL : FIFO_MORE;
	}
	if (full == -1)
		return FIFO_FULL;
	if (fifo_unfinished(m, got))
		return FIFO_MORE;
	m->fifo_stall_len = got;
	return FIFO_STALLED;
}

/* Reads the FIFO, up to a budget: FIFO_EMPTY when it is empty or holds
 * only an unfinished line, FIFO_MORE if more may be there, FIFO_FULL at
 * the limit. */
static enum fifo_round fifo_read_some(struct master *m, bool past_limit)
{
	int rounds;

	for (rounds = 0; rounds < FIFO_READS_PER_WAKE; rounds++) {
		switch (fifo_round(m, past_limit)) {
		case FIFO_MORE:
			continue;
		case FIFO_FULL:
			return FIFO_FULL;
		case FIFO_STALLED:
			fifo_stall(m);
			return FIFO_EMPTY;
		case FIFO_EMPTY:
			return FIFO_EMPTY;
		}
	}
	return FIFO_MORE;
}

/* Bytes the FIFO holds now. */
static size_t fifo_held(struct master *m)
{
	int n = 0;

	return ioctl(m->fifo_fd, FIONREAD, &n) == 0 && n > 0 ? (size_t)n : 0;
}

/*
 * A FIFO holding only an unfinished line stays readable, so fifo_w would
 * fire at once forever: it is stopped, and this timer looks every
 * FIFO_STALL_POLL whether more bytes came or the grace has passed.
 */
static void fifo_stall(struct master *m)
{
	m->fifo_stalled = true;
	ev_io_stop(m->loop, &m->fifo_w);
	ev_timer_again(m->loop, &m->fifo_grace_w);
}

static void fifo_grace_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, fifo_grace_w);

	if (!m->fifo_stalled) {
		ev_timer_stop(loop, w);
		return;
	}
	if (fifo_held(m) == m->fifo_stall_len &&
	    ev_now(loop) - m->fifo_part_since < FIFO_LINE_GRACE)
		return;
	ev_timer_stop(loop, w);
	m->fifo_stalled = false;
	if (!m->fifo_paused) {
		ev_io_start(loop, &m->fifo_w);
		ev_feed_event(loop, &m->fifo_w, EV_READ);
	}
}

static void fifo_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master *m = container_of(w, struct master, fifo_w);

	if (fifo_read_some(m, false) == FIFO_FULL)
		fifo_pause(m);
}

/* The private pipe of fifo_peek, as large as the FIFO so that one tee(2)
 * can copy all it holds, and /dev/null for fifo_consume. */
static int fifo_open_peek(struct master *m, char *err, size_t errlen)
{
	int size = fcntl(m->fifo_fd, F_GETPIPE_SZ);

	if (pipe2(m->fifo_peek, O_CLOEXEC | O_NONBLOCK) == -1 ||
	    (m->fifo_null = open("/dev/null", O_WRONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "FIFO: private pipe: %s", strerror(errno));
		return -1;
	}
	if (size > fcntl(m->fifo_peek[1], F_GETPIPE_SZ))
		(void)fcntl(m->fifo_peek[1], F_SETPIPE_SZ, size);
	return 0;
}

int fifo_open(struct master *m, char *err, size_t errlen)
{
	const char *path = m->cfg.fifo;
	struct stat st;
	int fd = -1;

	switch (activation_fifo(path, &fd, err, errlen)) {
	case ACTIVATION_BAD:
		return -1;
	case ACTIVATION_FOUND:
		m->fifo_activated = true;
		goto ready;
	case ACTIVATION_NONE:
		break;
	}
	if (fsutil_private_parent(path, err, errlen) == -1)
		return -1;
	if (mkfifo(path, m->cfg.mode) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create FIFO %s: %s", path, strerror(errno));
		return -1;
	}
	fd = open(path, O_RDWR | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		snprintf(err, errlen, "cannot open FIFO %s: %s", path,
		         errno == ELOOP ? "it is a symlink" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode) || st.st_uid != geteuid()) {
		snprintf(err, errlen, "%s exists and is not a FIFO owned by us", path);
		close(fd);
		return -1;
	}
	if (fchmod(fd, m->cfg.mode) == -1) {
		snprintf(err, errlen, "chmod %s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
ready:
	m->fifo_fd = fd;
	if (fifo_open_peek(m, err, errlen) == -1) {
		fifo_close_fds(m);
		return -1;
	}
	ctl_split_init(&m->split);
	m->fifo_part_since = -1;
	ev_io_init(&m->fifo_w, fifo_cb, fd, EV_READ);
	ev_io_start(m->loop, &m->fifo_w);
	ev_timer_init(&m->fifo_grace_w, fifo_grace_cb, 0, FIFO_STALL_POLL);
	m->fifo_src.ops = &fifo_ops;
	m->fifo_src.journaled = true;
	source_add(m, &m->fifo_src);
	return 0;
}

static void fifo_pause(struct master *m)
{
	if (m->fifo_paused)
		return;
	m->fifo_paused = true;
	ev_io_stop(m->loop, &m->fifo_w);
	log_debug("%llu jobs unfinished, %zu queued: not reading the FIFO",
	          (unsigned long long)m->live, m->queue.len);
}

static void fifo_resume(struct master *m)
{
	m->fifo_paused = false;
	ev_io_start(m->loop, &m->fifo_w);
	/* Lines wait in the FIFO, which may not become readable again. */
	ev_feed_event(m->loop, &m->fifo_w, EV_READ);
}

/*
 * Accepts every whole line the FIFO holds now, past the queue limit (what
 * a pipe holds is bounded by its size; FIFO_READS_PER_WAKE rounds of up to
 * 64 KiB bound it here too).  Used before a `wait` takes its snapshot, so
 * `poolctl submit -; poolctl wait` covers every line submit wrote, and at
 * shutdown, so lines already written are not dropped with the FIFO.
 */
void fifo_drain(struct master *m)
{
	if (m->fifo_fd == -1)
		return;
	(void)fifo_read_some(m, true);
}

static void fifo_close_fds(struct master *m)
{
	int *fds[] = {&m->fifo_fd, &m->fifo_peek[0], &m->fifo_peek[1], &m->fifo_null};
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/*
 * Stops taking jobs: what writers have already put into the FIFO is still
 * accepted, then the FIFO is closed, so later writers get an error instead
 * of losing their lines.  An unfinished line stays in the FIFO: if
 * something else holds it open (poold.socket), the next start sees it.
 */
void fifo_close(struct master *m)
{
	size_t left;

	if (m->fifo_fd == -1)
		return;
	ev_io_stop(m->loop, &m->fifo_w);
	fifo_drain(m);
	ev_timer_stop(m->loop, &m->fifo_grace_w);
	m->fifo_stalled = false;
	left = fifo_held(m);
	if (left > 0)
		log_notice("%zu bytes left in the FIFO (an unfinished line?)", left);
	fifo_close_fds(m);
	m->fifo_paused = false;
}

/* The source ops: a FIFO job's journal record ends with it; reading
 * resumes when the queue has room again. */
static void fifo_job_ended(struct source *src, struct job *j, uint32_t status, const char *msg,
                           size_t len)
{
	journal_end(src->m, j);
}

static void fifo_room(struct source *src)
{
	struct master *m = src->m;

	if (m->fifo_paused && queue_intake(m) > 0 && !m->stopping)
		fifo_resume(m);
}

static void fifo_source_close(struct source *src)
{
	fifo_close(src->m);
}

static const struct source_ops fifo_ops = {
    .name = "fifo",
    .ended = fifo_job_ended,
    .room = fifo_room,
    .close = fifo_source_close,
};
