/*
 * The table of job kinds: the one place where they meet.  Adding a kind is
 * its file worker/kinds/job_<kind>.c and one row here.  A kind's index in
 * this table numbers its counters (master, scoreboard, metrics) and its
 * section's values in struct config; its code (in its own file) is part
 * of the interface and never changes.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "jobs.h"

extern const struct job_kind job_kind_noop, job_kind_log, job_kind_backup, job_kind_net;

static const struct job_kind *const jobs_table[] = {
    &job_kind_noop,   /* code 1 */
    &job_kind_log,    /* code 2 */
    &job_kind_backup, /* code 3 */
    &job_kind_net,    /* code 4 */
};

#define JOBS_N (sizeof(jobs_table) / sizeof(jobs_table[0]))

_Static_assert(JOBS_N <= JOBS_MAX, "more job kinds than JOBS_MAX in jobs.h");

size_t jobs_count(void)
{
	return JOBS_N;
}

const struct job_kind *jobs_at(size_t i)
{
	return i < JOBS_N ? jobs_table[i] : NULL;
}

size_t jobs_index(const struct job_kind *kind)
{
	size_t i;

	for (i = 0; i < JOBS_N && jobs_table[i] != kind; i++)
		;
	return i;
}

const struct config_section *jobs_config_section(size_t i, size_t *n)
{
	*n = JOBS_N;
	return i < JOBS_N ? jobs_table[i]->section : NULL;
}

const void *jobs_conf(const struct config *cfg, const struct job_kind *kind)
{
	size_t i = jobs_index(kind);

	return i < cfg->n_kind_conf ? cfg->kind_conf[i] : NULL;
}

const struct job_kind *jobs_by_name(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < JOBS_N; i++)
		if (strlen(jobs_table[i]->name) == len &&
		    memcmp(jobs_table[i]->name, name, len) == 0)
			return jobs_table[i];
	return NULL;
}

const char *jobs_describe(const struct config *cfg, bool reopening, char *out, size_t len)
{
	const struct job_kind *kind;
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < JOBS_N && n + 2 < len; i++) {
		kind = jobs_table[i];
		if (kind->describe == NULL || (reopening && kind->reopen == NULL))
			continue;
		if (n > 0) {
			memcpy(out + n, ", ", 3);
			n += 2;
		}
		kind->describe(jobs_conf(cfg, kind), out + n, len - n);
		n += strlen(out + n);
	}
	return out;
}

unsigned jobs_timeout_ms(const struct job_kind *kind, const struct config *cfg)
{
	unsigned ms = 0;
	const char *conf = jobs_conf(cfg, kind);

	if (kind->timeout_at != 0 && conf != NULL)
		memcpy(&ms, conf + kind->timeout_at, sizeof(ms));
	return ms != 0 ? ms : cfg->job_timeout_ms;
}

const struct job_kind *jobs_by_code(uint32_t code)
{
	size_t i;

	for (i = 0; i < JOBS_N; i++)
		if (jobs_table[i]->code == code)
			return jobs_table[i];
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
