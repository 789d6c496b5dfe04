/*
 * `poolctl submit`: checks jobs the way the daemon will (ctl_parse, the
 * job table, the kind's own check) and sends them over the daemon's
 * socket as "submit LINE" requests (jobsock.c), printing the id of each
 * job accepted and the line number and reason of each refused.  A full
 * queue slows us down (the daemon stops reading) instead of losing jobs.
 * `submit --fifo` writes into the FIFO instead, answerless (submit_fifo.c).
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
#include "jobs.h"
#include "jobsock.h"
#include "poolctl.h"

/*
 * Rewrites a backup line whose path is relative into s->line as
 * "[OPTIONS] TASK CWD/PATH".  Leading "./" is dropped; nothing else is touched (no "..",
 * no symlinks: the daemon's check decides about those).  Returns the new
 * length, or 0 with a reason in err.
 */
static size_t absolute_backup(struct poolctl_submit *s, const char *line, const struct ctl_line *cl,
                              char *err, size_t errlen)
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
	/* The job options and the task stay as they were. */
	n = snprintf(s->line, sizeof(s->line), "%.*s %s%s%.*s",
	             (int)(cl->task + cl->task_len - line), line, s->cwd, sep, (int)len, p);
	if (n < 0 || (size_t)n + 1 > CTL_LINE_MAX) {
		snprintf(err, errlen, "line too long with the absolute path (limit %d bytes)",
		         CTL_LINE_MAX);
		return 0;
	}
	return (size_t)n;
}

int poolctl_submit_prepare(struct poolctl_submit *s, const char *line, size_t len, const char **out,
                           size_t *outlen, char *err, size_t errlen)
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
	*outlen = absolute_backup(s, line, &cl, err, errlen);
	if (*outlen == 0)
		return -1;
	*out = s->line;
	return jobs_check_line(*out, *outlen, &cl, err, errlen) == NULL ? -1 : 0;
}

void poolctl_submit_init(struct poolctl_submit *s)
{
	memset(s, 0, sizeof(*s));
	s->backup = jobs_by_name("backup", strlen("backup"));
}

/* Answers to `submit`: ids to stdout, refusals with their line number. */
struct answers {
	bool quiet;
	unsigned long *lineno; /* stdin line of each line sent, in order */
	size_t head, len, cap;
	unsigned long refused;
	unsigned long unavailable; /* of those, refused by a stopping poold */
	bool from_stdin;
};

static void answer(const char *line, void *arg)
{
	struct answers *a = arg;
	unsigned long n = a->head < a->len ? a->lineno[a->head++] : 0;

	if (strncmp(line, "id ", 3) == 0) {
		if (!a->quiet)
			printf("%s\n", line + 3);
		return;
	}
	a->refused++;
	if (strncmp(line, "error ", 6) == 0)
		line += 6;
	/* Not the job's fault: poold cannot take jobs now (exit 69). */
	a->unavailable += strncmp(line, "unavailable: ", 13) == 0;
	if (a->from_stdin)
		poolctl_warn("stdin:%lu: refused: %s", n, line);
	else
		poolctl_warn("refused: %s", line);
}

static void answers_expect(struct answers *a, unsigned long lineno)
{
	unsigned long *p;

	if (a->head > 0 && a->head == a->len)
		a->head = a->len = 0;
	if (a->len == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 1024;
		p = realloc(a->lineno, a->cap * sizeof(*p));
		if (p == NULL)
			poolctl_die(POOLD_EXIT_OSERR, "out of memory");
		a->lineno = p;
	}
	a->lineno[a->len++] = lineno;
}

int poolctl_submit(const struct config *cfg, int argc, char **argv, bool quiet)
{
	char joined[CTL_LINE_MAX + 1], err[512];
	struct answers a = {.quiet = quiet};
	const char *out;
	size_t len, outlen;
	struct jobsock js;
	struct poolctl_submit s;

	poolctl_submit_init(&s);
	len = poolctl_join(argc, argv, joined);
	if (poolctl_submit_prepare(&s, joined, len, &out, &outlen, err, sizeof(err)) < 0)
		poolctl_die(POOLD_EXIT_DATAERR, "rejected: %s", err);
	jobsock_open(&js, cfg->socket, true, answer, &a);
	answers_expect(&a, 1);
	jobsock_submit(&js, out, outlen);
	jobsock_finish(&js);
	free(a.lineno);
	if (js.answered != js.sent)
		poolctl_die(POOLD_EXIT_UNAVAILABLE,
		            "poold closed the connection without an answer");
	if (a.unavailable > 0)
		return POOLD_EXIT_UNAVAILABLE;
	return a.refused == 0 ? POOLD_EXIT_OK : POOLD_EXIT_DATAERR;
}

/* What one `submit -` carries along. */
struct stdin_job {
	struct poolctl_submit s;
	struct jobsock js;
	struct answers a;
	unsigned long lineno;
};

/* A poolctl_line_fn: checks the line and sends it. */
static int stdin_take(const char *line, size_t len, char *err, size_t errlen, void *arg)
{
	struct stdin_job *sj = arg;
	const char *out;
	size_t outlen;

	sj->lineno++;
	if (poolctl_submit_prepare(&sj->s, line, len, &out, &outlen, err, errlen) < 0)
		return -1;
	answers_expect(&sj->a, sj->lineno);
	jobsock_submit(&sj->js, out, outlen);
	return 0;
}

int poolctl_submit_stdin(const struct config *cfg, bool quiet)
{
	struct stdin_job *sj = calloc(1, sizeof(*sj)); /* buffers: off the stack */
	unsigned long lines, rejected, refused, unavailable;

	if (sj == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	poolctl_submit_init(&sj->s);
	sj->a.quiet = quiet;
	sj->a.from_stdin = true;
	jobsock_open(&sj->js, cfg->socket, true, answer, &sj->a);
	rejected = poolctl_stdin_lines(stdin_take, sj, &lines);
	jobsock_finish(&sj->js);
	if (sj->js.answered != sj->js.sent)
		poolctl_die(POOLD_EXIT_UNAVAILABLE,
		            "poold closed the connection after %lu of %lu answers", sj->js.answered,
		            sj->js.sent);
	refused = sj->a.refused;
	unavailable = sj->a.unavailable;
	free(sj->a.lineno);
	free(sj);
	if (rejected + refused == 0)
		return POOLD_EXIT_OK;
	poolctl_warn("stdin: %lu of %lu lines refused, the others were accepted",
	             rejected + refused, lines);
	return unavailable > 0 ? POOLD_EXIT_UNAVAILABLE : POOLD_EXIT_DATAERR;
}
