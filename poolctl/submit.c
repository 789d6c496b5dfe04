/*
 * `poolctl submit`: checks jobs the way the daemon will (ctl_parse, the
 * job table, the kind's own check) and writes them into the control FIFO.
 * Only the FIFO is written, and only when it is one: a regular file or a
 * FIFO nobody reads is refused instead of silently filling up.  Writes are
 * whole lines packed into at most PIPE_BUF bytes, so each write is atomic
 * among concurrent writers and a line is never split; the FIFO is blocking
 * once open, so a full daemon slows us down instead of losing jobs.
 *
 * With --mq the same checked lines go to the [control] mqueue POSIX
 * message queue instead, one message per line with the given priority;
 * mq_send blocks while the queue is full (poold is at its queue limit).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "exitcodes.h"
#include "jobs.h"
#include "poolctl.h"

/* State of one submit run: where relative backup paths are resolved, and
 * room for a line rewritten with such a path. */
struct submit {
	const struct job_kind *backup; /* the kind whose argument is a path */
	char cwd[PATH_MAX];
	bool have_cwd;
	char line[CTL_LINE_MAX + 1]; /* a rewritten or joined line */
	mqd_t mq;                    /* --mq: the message queue; -1 for the FIFO */
	unsigned prio;               /* --mq: the messages' priority */
	const char *mq_name;
};

/* Opens [control] mqueue for blocking sends.  Exits 69 on failure. */
static mqd_t mq_target(const struct config *cfg)
{
	mqd_t mq;

	if (cfg->mqueue[0] == '\0')
		poolctl_die(POOLD_EXIT_CONFIG, "[control] mqueue is none in %s: no message queue",
		            cfg->source[0] ? cfg->source : "the built-in defaults");
	mq = mq_open(cfg->mqueue, O_WRONLY | O_CLOEXEC);
	if (mq == (mqd_t)-1 && errno == ENOENT)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "no message queue %s: is poold running?",
		            cfg->mqueue);
	if (mq == (mqd_t)-1)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "cannot open message queue %s: %s%s",
		            cfg->mqueue, strerror(errno),
		            errno == EACCES ? " (the queue has [control] mode: ask for its group)"
		                            : "");
	return mq;
}

/* Sends one line (without newline) as one message; blocks while full. */
static void mq_put(const struct submit *s, const char *line, size_t len)
{
	while (mq_send(s->mq, line, len, s->prio) == -1) {
		if (errno != EINTR)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "mq_send %s: %s", s->mq_name,
			            strerror(errno));
	}
}

/* Opens the FIFO for writing, refusing anything that is not a FIFO read by
 * a daemon, then makes it blocking.  Exits 69 on failure. */
static int fifo_open(const char *path)
{
	char why[PATH_MAX + 64] = "";
	struct stat st;
	int fd, flags, err;

	fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
	err = errno;
	if (fd < 0 && err == ENXIO)
		snprintf(why, sizeof(why), "poold is not running (nobody reads FIFO %s)", path);
	if (fd < 0 && err == ENOENT)
		snprintf(why, sizeof(why), "no FIFO at %s: is poold running?", path);
	if (fd < 0 && (err == ENXIO || err == ENOENT || err == EACCES))
		poolctl_unreachable(path, err, why, true);
	errno = err;
	if (fd < 0 && errno == ELOOP)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "%s is a symbolic link, not a FIFO", path);
	if (fd < 0)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "cannot open FIFO %s: %s", path,
		            strerror(errno));
	if (fstat(fd, &st) < 0)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "fstat %s: %s", path, strerror(errno));
	if (!S_ISFIFO(st.st_mode))
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "%s is not a FIFO", path);
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "fcntl %s: %s", path, strerror(errno));
	return fd;
}

/* Writes len bytes (at most PIPE_BUF: one atomic write).  Exits 69 when
 * the daemon has gone away. */
static void fifo_write(int fd, const char *buf, size_t len, const char *path)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold went away (nobody reads %s)",
			            path);
		if (n < 0)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "write %s: %s", path, strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * Rewrites a backup line whose path is relative into s->line as "TASK
 * CWD/PATH".  Leading "./" is dropped; nothing else is touched (no "..",
 * no symlinks: the daemon's check decides about those).  Returns the new
 * length, or 0 with a reason in err.
 */
static size_t absolute_backup(struct submit *s, const struct ctl_line *cl, char *err, size_t errlen)
{
	const char *p = cl->args;
	size_t len = cl->args_len;
	const char *sep;
	int n;

	if (!s->have_cwd && getcwd(s->cwd, sizeof(s->cwd)) == NULL) {
		snprintf(err, errlen, "cannot make the path absolute: getcwd: %s", strerror(errno));
		return 0;
	}
	s->have_cwd = true;
	while (len >= 2 && p[0] == '.' && p[1] == '/') {
		for (p += 2, len -= 2; len > 0 && *p == '/'; p++, len--)
			;
	}
	if (len == 1 && p[0] == '.')
		len = 0;
	sep = len == 0 || strcmp(s->cwd, "/") == 0 ? "" : "/";
	n = snprintf(s->line, sizeof(s->line), "%.*s %s%s%.*s", (int)cl->task_len, cl->task, s->cwd,
	             sep, (int)len, p);
	if (n < 0 || (size_t)n + 1 > CTL_LINE_MAX) {
		snprintf(err, errlen, "line too long with the absolute path (limit %d bytes)",
		         CTL_LINE_MAX);
		return 0;
	}
	return (size_t)n;
}

/*
 * Checks one job line (without its newline) exactly as the daemon will
 * (jobs_check_line) and returns what to send: *out is line itself, or
 * s->line when a relative backup path was made absolute first.  Returns 0,
 * or -1 with a reason in err.
 */
static int prepare(struct submit *s, const char *line, size_t len, const char **out, size_t *outlen,
                   char *err, size_t errlen)
{
	struct ctl_line cl;
	uint32_t code;

	*out = line;
	*outlen = len;
	/* Most lines pass as they are: one parse.  Only a refused line is
	 * looked at again, in case it is a backup with a relative path. */
	if (jobs_check_line(line, len, &cl, err, errlen) != NULL)
		return 0;
	if (ctl_parse(line, len, &cl, err, errlen) == -1 || cl.args_len == 0 || cl.args[0] == '/' ||
	    (jobs_by_name(cl.task, cl.task_len) != s->backup &&
	     (ctl_parse_code(cl.task, cl.task_len, &code) == -1 ||
	      jobs_by_code(code) != s->backup)))
		return -1; /* err still holds jobs_check_line's reason */
	*outlen = absolute_backup(s, &cl, err, errlen);
	if (*outlen == 0)
		return -1;
	*out = s->line;
	return jobs_check_line(*out, *outlen, &cl, err, errlen) == NULL ? -1 : 0;
}

static void submit_init(struct submit *s)
{
	memset(s, 0, sizeof(*s));
	s->backup = jobs_by_name("backup", strlen("backup"));
	s->mq = (mqd_t)-1;
}

/* --mq with priority mq_prio: the lines go to the message queue. */
static void submit_mq(struct submit *s, const struct config *cfg, int mq_prio)
{
	s->mq = mq_target(cfg);
	s->prio = (unsigned)mq_prio;
	s->mq_name = cfg->mqueue;
}

int poolctl_submit(const struct config *cfg, int argc, char **argv, int mq_prio)
{
	char joined[CTL_LINE_MAX + 1], err[512];
	const char *out;
	size_t len, outlen;
	struct submit s;
	int fd;

	submit_init(&s);
	len = poolctl_join(argc, argv, joined);
	if (prepare(&s, joined, len, &out, &outlen, err, sizeof(err)) < 0)
		poolctl_die(POOLD_EXIT_DATAERR, "rejected: %s", err);
	if (mq_prio >= 0) {
		submit_mq(&s, cfg, mq_prio);
		mq_put(&s, out, outlen);
		mq_close(s.mq);
		return POOLD_EXIT_OK;
	}
	/* Back into joined, which has room for the newline; out may be joined. */
	memmove(joined, out, outlen);
	joined[outlen] = '\n';
	fd = fifo_open(cfg->fifo);
	fifo_write(fd, joined, outlen + 1, cfg->fifo);
	close(fd);
	return POOLD_EXIT_OK;
}

/* Whole lines waiting for one atomic write to the FIFO. */
struct batch {
	int fd;
	const char *path;
	size_t used;
	char buf[PIPE_BUF];
};

/* Adds a line and its newline, writing the batch first if it would not
 * fit: a line is never split across writes. */
static void batch_add(struct batch *b, const char *line, size_t len)
{
	if (b->used + len + 1 > sizeof(b->buf)) {
		fifo_write(b->fd, b->buf, b->used, b->path);
		b->used = 0;
	}
	memcpy(b->buf + b->used, line, len);
	b->buf[b->used + len] = '\n';
	b->used += len + 1;
}

/* What one `submit -` to the FIFO carries along. */
struct stdin_job {
	struct submit s;
	struct batch b;
};

/* A poolctl_line_fn: checks the line and adds it to the batch. */
static int stdin_take(const char *line, size_t len, char *err, size_t errlen, void *arg)
{
	struct stdin_job *sj = arg;
	const char *out;
	size_t outlen;

	if (prepare(&sj->s, line, len, &out, &outlen, err, errlen) < 0)
		return -1;
	if (sj->s.mq != (mqd_t)-1)
		mq_put(&sj->s, out, outlen);
	else
		batch_add(&sj->b, out, outlen);
	return 0;
}

int poolctl_submit_stdin(const struct config *cfg, int mq_prio)
{
	struct stdin_job *sj = malloc(sizeof(*sj)); /* 12 KiB of buffers: off the stack */
	unsigned long lines, rejected;

	if (sj == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	submit_init(&sj->s);
	if (mq_prio >= 0)
		submit_mq(&sj->s, cfg, mq_prio);
	sj->b.path = cfg->fifo;
	sj->b.used = 0;
	sj->b.fd = mq_prio >= 0 ? -1 : fifo_open(cfg->fifo);
	rejected = poolctl_stdin_lines(stdin_take, sj, &lines);
	if (sj->b.used > 0)
		fifo_write(sj->b.fd, sj->b.buf, sj->b.used, sj->b.path);
	if (sj->b.fd != -1)
		close(sj->b.fd);
	if (sj->s.mq != (mqd_t)-1)
		mq_close(sj->s.mq);
	free(sj);
	if (rejected == 0)
		return POOLD_EXIT_OK;
	poolctl_warn("stdin: %lu of %lu lines rejected, the others were sent", rejected, lines);
	return POOLD_EXIT_DATAERR;
}
