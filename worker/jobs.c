/*
 * The table of job kinds: the one place where they meet.  Adding a kind is
 * a handler in worker/job_<kind>.c and one row here.  Codes are part of
 * the interface (numeric task codes in the FIFO) and never change.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "jobs.h"

static const struct job_kind jobs_table[] = {
    {1, "noop", job_noop_run, job_noop_check, 0, true},
    {2, "log", job_log_run, job_log_check, offsetof(struct config, log_job_timeout_ms), false},
    {3, "backup", job_backup_run, job_backup_check, offsetof(struct config, backup_job_timeout_ms),
     false},
    {4, "net", job_net_run, job_net_check, offsetof(struct config, net_job_timeout_ms), false},
};

#define JOBS_N (sizeof(jobs_table) / sizeof(jobs_table[0]))

/* What a kind does as a worker starts, beside its row. */
static void (*const jobs_start_hooks[])(const struct config *cfg) = {job_backup_start};

void jobs_worker_start(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < sizeof(jobs_start_hooks) / sizeof(jobs_start_hooks[0]); i++)
		jobs_start_hooks[i](cfg);
}

size_t jobs_count(void)
{
	return JOBS_N;
}

const struct job_kind *jobs_at(size_t i)
{
	return i < JOBS_N ? &jobs_table[i] : NULL;
}

size_t jobs_index(const struct job_kind *kind)
{
	return (size_t)(kind - jobs_table);
}

const struct job_kind *jobs_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < JOBS_N; i++)
		if (strlen(jobs_table[i].name) == len && memcmp(jobs_table[i].name, name, len) == 0)
			return &jobs_table[i];
	return NULL;
}

unsigned jobs_timeout_ms(const struct job_kind *kind, const struct config *cfg)
{
	unsigned ms = 0;

	if (kind->timeout_at != 0)
		memcpy(&ms, (const char *)cfg + kind->timeout_at, sizeof(ms));
	return ms != 0 ? ms : cfg->job_timeout_ms;
}

const struct job_kind *jobs_by_code(uint32_t code)
{
	size_t i;

	for (i = 0; i < JOBS_N; i++)
		if (jobs_table[i].code == code)
			return &jobs_table[i];
	return NULL;
}

_Static_assert(PROTO_ARGS_MAX == CTL_LINE_MAX - 3,
               "a frame carries the arguments of the longest control line");

const struct job_kind *jobs_check_line(const char *line, size_t len, struct ctl_line *cl, char *err,
                                       size_t errlen)
{
	const struct job_kind *kind;
	uint32_t code;

	if (ctl_parse(line, len, cl, err, errlen) == -1)
		return NULL;
	kind = jobs_by_name(cl->task, cl->task_len);
	if (kind == NULL && ctl_parse_code(cl->task, cl->task_len, &code) == 0)
		kind = jobs_by_code(code);
	if (kind == NULL) {
		snprintf(err, errlen, "unknown task '%.*s'",
		         (int)(cl->task_len > 40 ? 40 : cl->task_len), cl->task);
		return NULL;
	}
	if (cl->args_len > PROTO_ARGS_MAX) {
		snprintf(err, errlen, "arguments of %zu bytes, over the limit of %zu", cl->args_len,
		         (size_t)PROTO_ARGS_MAX);
		return NULL;
	}
	if (kind->check != NULL && kind->check(cl->args, cl->args_len, err, errlen) == -1)
		return NULL;
	return kind;
}
