/*
 * A job line from a source that takes text lines (the FIFO, the message
 * queue): checked as poolctl checks it (jobs_check_line), then admitted
 * through the one admission path (admit.c).  One place, so the two
 * intakes cannot drift apart in what they accept.
 */
#include <stdio.h>

#include "jobs.h"
#include "master.h"

enum admit_result source_admit_line(struct source *src, const char *line, size_t len,
                                    struct admit_req *rq, char *err, size_t errlen)
{
	const struct job_kind *kind;
	struct ctl_line cl;
	enum admit_result r;

	kind = jobs_check_line(line, len, &cl, err, errlen);
	if (kind == NULL)
		return ADMIT_BAD;
	rq->code = kind->code;
	rq->kind = (uint16_t)jobs_index(kind);
	rq->args = cl.args;
	rq->len = cl.args_len;
	/* A line read in one step has no options: the plain job (admit.c). */
	rq->opt = cl.task_word != 0 ? NULL : &cl.opt;
	r = queue_admit(src->m, src, rq, NULL);
	rq->opt = NULL;      /* not past this frame */
	if (r == ADMIT_FULL) /* not after the source checked the room */
		snprintf(err, errlen, "queue full");
	else if (r == ADMIT_NOMEM)
		snprintf(err, errlen, "out of memory");
	return r;
}
