/*
 * The interface between the worker loop and a job kind.  A job kind is a
 * handler in worker/job_<kind>.c and one row in the table of
 * worker/jobs.c, nothing more.  A handler runs in a worker process with
 * plain blocking calls; it must never exit or crash on bad input: every
 * failure is a result with a reason.
 */
#ifndef POOLD_JOB_H
#define POOLD_JOB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "proto.h"

struct job_ctx {
	const struct config *cfg;
	uint64_t id;             /* job id, for lines the job writes */
	int *log_fd;             /* the worker's O_APPEND fd of [log] file; -1 until opened */
	char msg[PROTO_MSG_MAX]; /* reason of a failure, or what a success found */
};

/* What a handler returns; the values are the proto_status sent back. */
enum job_result {
	JOB_OK = PROTO_OK,
	JOB_FAILED = PROTO_FAILED,
	JOB_TIMEDOUT = PROTO_TIMEDOUT,
};

/*
 * Runs one job with its arguments (args is not NUL-terminated; len may be
 * 0).  Returns an enum job_result and may leave a one-line message in
 * ctx->msg (empty string otherwise).
 */
typedef int (*job_run_fn)(struct job_ctx *ctx, const char *args, size_t len);

/*
 * Checks the arguments' syntax in the master before a job is accepted, so
 * a malformed line is rejected at the FIFO instead of failing later.
 * Returns 0, or -1 with a reason in err.  May be NULL (anything goes).
 */
typedef int (*job_check_fn)(const char *args, size_t len, char *err, size_t errlen);

struct job_kind {
	uint32_t code;
	const char *name;
	job_run_fn run;
	job_check_fn check;
	size_t timeout_at; /* offsetof the kind's job_timeout in struct config; 0: none */
	bool batch_done;   /* no effects: its completion may wait for a batch */
};

/* Sets ctx->msg with printf formatting and returns result, so a handler can
 * end with `return job_result(ctx, JOB_FAILED, "open %s: %s", ...)`. */
static inline int job_result(struct job_ctx *ctx, int result, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static inline int job_result(struct job_ctx *ctx, int result, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->msg, sizeof(ctx->msg), fmt, ap);
	va_end(ap);
	return result;
}

/* The handlers, one per file. */
int job_noop_run(struct job_ctx *ctx, const char *args, size_t len);
int job_noop_check(const char *args, size_t len, char *err, size_t errlen);
int job_log_run(struct job_ctx *ctx, const char *args, size_t len);
int job_log_check(const char *args, size_t len, char *err, size_t errlen);
int job_backup_run(struct job_ctx *ctx, const char *args, size_t len);
int job_backup_check(const char *args, size_t len, char *err, size_t errlen);
/* At each worker's start: removes the backup temporaries that dead
 * workers left in [backup] dir (in backup_stage.c). */
void job_backup_start(const struct config *cfg);
int job_net_run(struct job_ctx *ctx, const char *args, size_t len);
int job_net_check(const char *args, size_t len, char *err, size_t errlen);

/*
 * Closes and forgets the [log] file descriptor so the next `log` job opens
 * the file again (SIGUSR1, logrotate).  In job_log.c.
 */
void job_log_reopen(int *log_fd);

#endif
