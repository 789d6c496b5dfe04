/*
 * `submit -` input: standard input cut into lines with the daemon's own
 * splitter (common/ctl.h), so an overlong line is refused the same way,
 * and each line handed to the caller.  Shared by the FIFO and the Redis
 * paths; the caller decides what taking a line means.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "exitcodes.h"
#include "poolctl.h"

/* Hands every whole line buffered in sp to take; returns the rejections. */
static unsigned long lines_drain(struct ctl_split *sp, poolctl_line_fn take, void *arg,
                                 unsigned long *lineno)
{
	enum ctl_split_result r;
	unsigned long rejected = 0;
	const char *line;
	char err[512];
	size_t len;

	while ((r = ctl_split_next(sp, &line, &len)) != CTL_SPLIT_AGAIN) {
		++*lineno;
		if (r == CTL_SPLIT_OVERLONG)
			snprintf(err, sizeof(err),
			         "line is too long (limit %d bytes with its newline)",
			         CTL_LINE_MAX);
		else if (take(line, len, err, sizeof(err), arg) == 0)
			continue;
		poolctl_warn("stdin:%lu: rejected: %s", *lineno, err);
		rejected++;
	}
	return rejected;
}

unsigned long poolctl_stdin_lines(poolctl_line_fn take, void *arg, unsigned long *lines)
{
	struct ctl_split sp;
	unsigned long rejected = 0;
	size_t room;
	ssize_t n;
	char *space;

	*lines = 0;
	ctl_split_init(&sp);
	for (;;) {
		space = ctl_split_space(&sp, &room);
		n = read(STDIN_FILENO, space, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			poolctl_die(POOLD_EXIT_OSERR, "read stdin: %s", strerror(errno));
		if (n == 0)
			break;
		ctl_split_commit(&sp, (size_t)n);
		rejected += lines_drain(&sp, take, arg, lines);
	}
	/* A last line without its newline is still a line. */
	if (ctl_split_pending(&sp) > 0) {
		space = ctl_split_space(&sp, &room);
		space[0] = '\n';
		ctl_split_commit(&sp, 1);
		rejected += lines_drain(&sp, take, arg, lines);
	}
	return rejected;
}
