/*
 * The `noop` job: does nothing and succeeds.  Health checks use it, and
 * the benchmark uses it to measure what dispatch alone costs.
 */
#include <stdio.h>

#include "job.h"

static int job_noop_check(const char *args, size_t len, char *err, size_t errlen)
{
	if (len > 0) {
		snprintf(err, errlen, "noop takes no arguments");
		return -1;
	}
	return 0;
}

static int job_noop_run(struct job_ctx *ctx, const char *args, size_t len)
{
	ctx->msg[0] = '\0';
	return JOB_OK;
}

const struct job_kind job_kind_noop = {
    .code = 1,
    .name = "noop",
    .run = job_noop_run,
    .check = job_noop_check,
    .batch_done = true,
};
