/*
 * The `sleep MS` job: waits MS milliseconds, at most [sleep] max, and
 * succeeds.  A scratch kind: what adding a kind with two settings takes.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "job.h"

struct job_sleep_conf {
	unsigned max_ms;         /* [sleep] max */
	unsigned job_timeout_ms; /* [sleep] job_timeout: 0 = [pool] job_timeout */
};

static int job_sleep_parse(const char *args, size_t len, unsigned *ms)
{
	unsigned long v = 0;
	size_t i;

	if (len == 0 || len > 8)
		return -1;
	for (i = 0; i < len; i++) {
		if (args[i] < '0' || args[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(args[i] - '0');
	}
	*ms = (unsigned)v;
	return 0;
}

static int job_sleep_check(const char *args, size_t len, char *err, size_t errlen)
{
	unsigned ms;

	if (job_sleep_parse(args, len, &ms) < 0) {
		snprintf(err, errlen, "sleep takes milliseconds");
		return -1;
	}
	return 0;
}

static int job_sleep_run(struct job_ctx *ctx, const char *args, size_t len)
{
	const struct job_sleep_conf *c = ctx->conf;
	struct timespec ts;
	unsigned ms;

	if (job_sleep_parse(args, len, &ms) < 0)
		return job_result(ctx, JOB_FAILED, "sleep takes milliseconds");
	if (ms > c->max_ms)
		return job_result(ctx, JOB_FAILED, "%u ms is over [sleep] max", ms);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	ctx->msg[0] = '\0';
	return JOB_OK;
}

#define JOB_SLEEP_AT(field) offsetof(struct job_sleep_conf, field)

static const struct config_key job_sleep_keys[] = {
    {"sleep", "max", "10s", config_parse_time, NULL, JOB_SLEEP_AT(max_ms), 0, 86400000,
     CONFIG_RELOAD_WORKERS, config_same_uint, false},
    {"sleep", "job_timeout", "0", config_parse_time, NULL, JOB_SLEEP_AT(job_timeout_ms), 0,
     86400000, CONFIG_RELOAD_LIVE, NULL, false},
};

static const struct config_section job_sleep_section = {
    .keys = job_sleep_keys,
    .nkeys = sizeof(job_sleep_keys) / sizeof(job_sleep_keys[0]),
    .size = sizeof(struct job_sleep_conf),
};

const struct job_kind job_kind_sleep = {
    .code = 5,
    .name = "sleep",
    .run = job_sleep_run,
    .check = job_sleep_check,
    .section = &job_sleep_section,
    .timeout_at = JOB_SLEEP_AT(job_timeout_ms),
};
