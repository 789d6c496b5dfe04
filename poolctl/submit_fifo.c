/*
 * `poolctl submit --fifo`: the fire-and-forget path.  Jobs are checked as
 * for every submit (poolctl_submit_prepare) and written into the control
 * FIFO, no answer read: no ids, but nothing to lose when the master dies
 * mid-stream (the FIFO keeps what it was given until the next master
 * reads it), so this is the bulk and crash-tolerant path.  Only the FIFO
 * is written, and only when it is one: a regular file or a FIFO nobody
 * reads is refused instead of silently filling up.  Writes are whole
 * lines packed into at most PIPE_BUF bytes, so each write is atomic among
 * concurrent writers and a line is never split; the FIFO is blocking once
 * open, so a full daemon slows us down instead of losing jobs.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "exitcodes.h"
#include "poolctl.h"

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

int poolctl_submit_fifo(const struct config *cfg, int argc, char **argv)
{
	char joined[CTL_LINE_MAX + 1], err[512];
	const char *out;
	size_t len, outlen;
	struct poolctl_submit s;
	int fd;

	poolctl_submit_init(&s);
	len = poolctl_join(argc, argv, joined);
	if (poolctl_submit_prepare(&s, joined, len, &out, &outlen, err, sizeof(err)) < 0)
		poolctl_die(POOLD_EXIT_DATAERR, "rejected: %s", err);
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

/* What one `submit --fifo -` carries along. */
struct fifo_stdin {
	struct poolctl_submit s;
	struct batch b;
};

/* A poolctl_line_fn: checks the line and adds it to the batch. */
static int fifo_stdin_take(const char *line, size_t len, char *err, size_t errlen, void *arg)
{
	struct fifo_stdin *sj = arg;
	const char *out;
	size_t outlen;

	if (poolctl_submit_prepare(&sj->s, line, len, &out, &outlen, err, errlen) < 0)
		return -1;
	batch_add(&sj->b, out, outlen);
	return 0;
}

int poolctl_submit_fifo_stdin(const struct config *cfg)
{
	struct fifo_stdin *sj = malloc(sizeof(*sj)); /* 12 KiB of buffers: off the stack */
	unsigned long lines, rejected;

	if (sj == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	poolctl_submit_init(&sj->s);
	sj->b.path = cfg->fifo;
	sj->b.used = 0;
	sj->b.fd = fifo_open(cfg->fifo);
	rejected = poolctl_stdin_lines(fifo_stdin_take, sj, &lines);
	if (sj->b.used > 0)
		fifo_write(sj->b.fd, sj->b.buf, sj->b.used, sj->b.path);
	close(sj->b.fd);
	free(sj);
	if (rejected == 0)
		return POOLD_EXIT_OK;
	poolctl_warn("stdin: %lu of %lu lines rejected, the others were sent", rejected, lines);
	return POOLD_EXIT_DATAERR;
}
