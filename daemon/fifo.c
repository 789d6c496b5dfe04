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
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "log.h"
#include "master.h"

/* Reads per wake-up, so a flood cannot starve completions and signals. */
#define FIFO_READS_PER_WAKE 16
/* Rejections logged per second; the rest are counted and summarised. */
#define FIFO_REJECT_LOGS 10

static void fifo_cb(struct ev_loop *loop, ev_io *w, int revents);

/* Copies up to 60 bytes of a line for a log, with unprintable bytes as \xHH. */
static void fifo_excerpt(const char *line, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < outlen && i < 60; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", c);
	}
	if (i < len && n + 4 < outlen)
		n += (size_t)snprintf(out + n, outlen - n, "...");
	out[n] = '\0';
}

static void fifo_reject(struct master *m, const char *line, size_t len, const char *why)
{
	ev_tstamp now = ev_now(m->loop);
	char ex[320];

	m->count.rejected++;
	if (now - m->reject_window >= 1.0) {
		if (m->reject_suppressed > 0)
			log_warnx("%llu more FIFO lines rejected and not logged",
			          (unsigned long long)m->reject_suppressed);
		m->reject_window = now;
		m->reject_logged = 0;
		m->reject_suppressed = 0;
	}
	if (m->reject_logged++ >= FIFO_REJECT_LOGS) {
		m->reject_suppressed++;
		return;
	}
	fifo_excerpt(line, len, ex, sizeof(ex));
	log_warnx("rejected FIFO line \"%s\": %s", ex, why);
}

/* Accepts one line as a job, or rejects it with a reason. */
static void fifo_line(struct master *m, const char *line, size_t len)
{
	const struct job_kind *kind;
	struct ctl_line cl;
	struct job *j;
	char err[200];

	kind = jobs_check_line(line, len, &cl, err, sizeof(err));
	if (kind == NULL) {
		fifo_reject(m, line, len, err);
		return;
	}
	j = job_new(kind->code, (uint16_t)jobs_index(kind), cl.args, cl.args_len);
	if (j == NULL) {
		fifo_reject(m, line, len, "out of memory");
		return;
	}
	j->id = ++m->next_id;
	j->accepted = ev_now(m->loop);
	m->live++;
	m->count.accepted[j->kind]++;
	jobq_push(&m->queue, j);
	journal_accept(m, j);
}

/* Takes buffered lines while fewer than limit jobs are unfinished; -1 at the limit. */
static int fifo_take_lines(struct master *m, size_t limit)
{
	const char *line;
	size_t len;

	while (m->live < limit) {
		switch (ctl_split_next(&m->split, &line, &len)) {
		case CTL_SPLIT_AGAIN:
			return 0;
		case CTL_SPLIT_LINE:
			fifo_line(m, line, len);
			break;
		case CTL_SPLIT_OVERLONG:
			fifo_reject(m, "", 0, "line over 4096 bytes (discarded up to its newline)");
			break;
		}
	}
	return -1;
}

/* Reads what the FIFO holds, up to a budget; 0 on EAGAIN, 1 if more may be there. */
static int fifo_read_some(struct master *m, size_t limit)
{
	size_t room;
	char *space;
	ssize_t n;
	int reads;

	for (reads = 0; reads < FIFO_READS_PER_WAKE; reads++) {
		if (fifo_take_lines(m, limit) == -1)
			return -1;
		space = ctl_split_space(&m->split, &room);
		n = read(m->fifo_fd, space, room);
		if (n > 0) {
			ctl_split_commit(&m->split, (size_t)n);
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			log_warn("read FIFO");
		return fifo_take_lines(m, limit) == -1 ? -1 : 0;
	}
	return 1;
}

static void fifo_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master *m = container_of(w, struct master, fifo_w);

	if (fifo_read_some(m, m->cfg.queue_limit) == -1)
		fifo_pause(m);
	journal_after_read(m);
	dispatch_run(m);
}

int fifo_open(struct master *m, char *err, size_t errlen)
{
	const char *path = m->cfg.fifo;
	struct stat st;
	int fd = activation_fifo(path, err, errlen);

	if (fd == -2)
		return -1;
	if (fd >= 0) {
		m->fifo_activated = true;
		goto ready;
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
	ctl_split_init(&m->split);
	ev_io_init(&m->fifo_w, fifo_cb, fd, EV_READ);
	ev_io_start(m->loop, &m->fifo_w);
	return 0;
}

void fifo_pause(struct master *m)
{
	if (m->fifo_paused)
		return;
	m->fifo_paused = true;
	ev_io_stop(m->loop, &m->fifo_w);
	log_debug("%llu jobs unfinished, the limit: not reading the FIFO",
	          (unsigned long long)m->live);
}

void fifo_resume(struct master *m)
{
	m->fifo_paused = false;
	ev_io_start(m->loop, &m->fifo_w);
	/* Lines may wait in our buffer with nothing left in the pipe. */
	ev_feed_event(m->loop, &m->fifo_w, EV_READ);
}

/*
 * Accepts every whole line the FIFO holds now, past the queue limit (what
 * a pipe holds is bounded by its size; FIFO_READS_PER_WAKE reads of up to
 * 64 KiB bound it here too).  Used before a `wait` takes its snapshot, so
 * `poolctl submit -; poolctl wait` covers every line submit wrote, and at
 * shutdown, so lines already written are not dropped with the FIFO.
 */
void fifo_drain(struct master *m)
{
	if (m->fifo_fd == -1)
		return;
	(void)fifo_read_some(m, (size_t)-1);
	(void)fifo_take_lines(m, (size_t)-1);
	journal_after_read(m);
}

/*
 * Stops taking jobs: what writers have already put into the FIFO is still
 * accepted, then the FIFO is closed, so later writers get an error instead
 * of losing their lines.
 */
void fifo_close(struct master *m)
{
	if (m->fifo_fd == -1)
		return;
	ev_io_stop(m->loop, &m->fifo_w);
	fifo_drain(m);
	if (ctl_split_pending(&m->split) > 0)
		fifo_reject(m, "", 0, "unfinished line (no newline) at shutdown");
	close(m->fifo_fd);
	m->fifo_fd = -1;
	m->fifo_paused = false;
}
