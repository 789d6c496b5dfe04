/*
 * `poolctl submit --mq [--priority N]`: the jobs, checked as for every
 * submit (poolctl_submit_prepare), go to the POSIX message queue
 * [control] mqueue, one message per job with priority N (0..9, higher
 * first).  No answer, no ids (as --fifo); mq_send blocks while the queue
 * is full, which is how poold slows submitters down at its queue limit.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "exitcodes.h"
#include "poolctl.h"

/* What one submit --mq carries along. */
struct mq_submit {
	struct poolctl_submit s;
	mqd_t mq;
	unsigned prio;
	const char *name;
};

/* Opens [control] mqueue for blocking sends.  Exits 69 or 78 on failure. */
static void mq_target(struct mq_submit *q, const struct config *cfg, unsigned prio)
{
	poolctl_submit_init(&q->s);
	q->prio = prio;
	q->name = cfg->mqueue;
	if (cfg->mqueue[0] == '\0')
		poolctl_die(POOLD_EXIT_CONFIG, "[control] mqueue is none in %s: no message queue",
		            cfg->source[0] ? cfg->source : "the built-in defaults");
	q->mq = mq_open(cfg->mqueue, O_WRONLY | O_CLOEXEC);
	if (q->mq == (mqd_t)-1 && errno == ENOENT)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "no message queue %s: is poold running?",
		            cfg->mqueue);
	if (q->mq == (mqd_t)-1)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "cannot open message queue %s: %s%s",
		            cfg->mqueue, strerror(errno),
		            errno == EACCES ? " (the queue has [control] mode: ask for its group)"
		                            : "");
}

/* Checks one line and sends it as one message; -1 (with err) if refused. */
static int mq_take(const char *line, size_t len, char *err, size_t errlen, void *arg)
{
	struct mq_submit *q = arg;
	const char *out;
	size_t outlen;

	if (poolctl_submit_prepare(&q->s, line, len, &out, &outlen, err, errlen) < 0)
		return -1;
	while (mq_send(q->mq, out, outlen, q->prio) == -1) {
		if (errno != EINTR)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "mq_send %s: %s", q->name,
			            strerror(errno));
	}
	return 0;
}

int poolctl_submit_mq(const struct config *cfg, int argc, char **argv, unsigned prio)
{
	char joined[CTL_LINE_MAX + 1], err[512];
	struct mq_submit *q = malloc(sizeof(*q));
	size_t len;

	if (q == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	mq_target(q, cfg, prio);
	len = poolctl_join(argc, argv, joined);
	if (mq_take(joined, len, err, sizeof(err), q) < 0)
		poolctl_die(POOLD_EXIT_DATAERR, "rejected: %s", err);
	mq_close(q->mq);
	free(q);
	return POOLD_EXIT_OK;
}

int poolctl_submit_mq_stdin(const struct config *cfg, unsigned prio)
{
	struct mq_submit *q = malloc(sizeof(*q));
	unsigned long lines, rejected;

	if (q == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	mq_target(q, cfg, prio);
	rejected = poolctl_stdin_lines(mq_take, q, &lines);
	mq_close(q->mq);
	free(q);
	if (rejected == 0)
		return POOLD_EXIT_OK;
	poolctl_warn("stdin: %lu of %lu lines rejected, the others were sent", rejected, lines);
	return POOLD_EXIT_DATAERR;
}
