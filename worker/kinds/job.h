/*
 * The interface of a job kind, seen from the master (check a job's
 * arguments, the kind's time limit), from the configuration (the kind's
 * own INI section, config_section.h) and from the worker loop (run a
 * job; per-worker state with init, reopen and fini hooks).  A job kind
 * is one file worker/kinds/job_<kind>.c defining a struct job_kind, and
 * one row in the table of worker/kinds/jobs.c, nothing more.  A handler
 * runs in a worker process with plain blocking calls; it must never exit
 * or crash on bad input: every failure is a result with a reason.
 */
#ifndef POOLD_JOB_H
#define POOLD_JOB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "config.h"
#include "config_section.h"
#include "netrule.h"
#include "proto.h"

struct job_ctx {
	const struct config *cfg;
	const void *conf; /* the kind's own section (its struct), NULL if none */
	void *state;      /* the kind's per-worker state, NULL if none */
	uint64_t id;      /* job id, for lines the job writes */
	unsigned attempt; /* 1, then 2 after a worker died holding it, ... */
	/* CLOCK_MONOTONIC when the worker began the run of jobs this one came
	 * in (at or before its start; the job itself when it reports alone). */
	const struct timespec *batch_start;
	char msg[PROTO_MSG_MAX]; /* reason of a failure, or what a success found */
	const char *out;         /* operator kinds: the job's kept output (in the */
	size_t out_len;          /* kind's state), sent back; 0 for the others */
};

/* What a handler returns; the values are the proto_status sent back. */
enum job_result {
	JOB_OK = PROTO_OK,
	JOB_FAILED = PROTO_FAILED,
	JOB_TIMEDOUT = PROTO_TIMEDOUT,
	JOB_TEMPFAIL = PROTO_TEMPFAIL, /* failed; may work later (a queue's retry) */
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

/*
 * One job kind.  code and name are the interface (numeric task codes and
 * names in the FIFO) and never change.  section is the kind's INI
 * section (its keys, their reload policies, its checks), NULL for none;
 * timeout_at is the offset of the kind's job_timeout in its section's
 * struct (0: none, [pool] job_timeout applies).  A worker gives each kind
 * state_size zeroed bytes of state (none if 0: NULL), calls init once
 * before its hello and its first job, reopen when the master asks
 * (SIGUSR1: logrotate) and fini (if it has state) before it exits; each
 * hook may be NULL.  init returns 0; JOB_INIT_REFUSED if this worker
 * cannot run the kind's jobs (its hello tells the master, which sends
 * them to other workers); or -1 with errno set (the worker then exits).  describe, if set, says in
 * a few words what the kind uses ("job log /var/log/poold/jobs.log"), for the master's log lines.
 */
#define JOB_INIT_REFUSED 1

struct job_kind {
	uint32_t code;
	const char *name;
	job_run_fn run;
	job_check_fn check;
	bool batch_done;  /* short, no effects: the clock is read every 32 (worker.c) */
	bool may_be_long; /* can run for seconds: its built-in queue is "long" */
	const struct config_section *section;
	size_t timeout_at;
	size_t state_size;
	int (*init)(void *state, const void *conf);
	void (*reopen)(void *state);
	void (*fini)(void *state);
	void (*describe)(const void *conf, char *out, size_t len);
	/* An operator kind's row (jobs_install): data is its struct opkind,
	 * given to check_data (instead of check) and to run as ctx->conf;
	 * NULL once a reload removed the kind (its row stays, for counters). */
	const void *data;
	int (*check_data)(const void *data, const char *args, size_t len, char *err, size_t errlen);
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

/*
 * The settings of the built-in kinds, each parsed by its own file and
 * named here only for their unit tests and the configuration's tests (a
 * new kind may keep its struct private to its file).
 */
#define CONFIG_MAX_BACKUP_ALLOW 32
#define CONFIG_MAX_NET_ALLOW    64

struct job_log_conf {                /* [log] */
	char log_file[PATH_MAX];     /* where `log` jobs append */
	unsigned log_job_timeout_ms; /* [log] job_timeout: 0 = [pool] job_timeout */
};

struct job_backup_conf { /* [backup] */
	char backup_dir[PATH_MAX];
	char *backup_allow[CONFIG_MAX_BACKUP_ALLOW]; /* owned, absolute, normalized */
	unsigned n_backup_allow;
	unsigned backup_job_timeout_ms; /* 0 = [pool] job_timeout */
	bool backup_hardlinks;          /* [backup] hardlinks = allow */
	bool backup_partial;            /* [backup] partial = yes */
	unsigned backup_keep;           /* [backup] keep: generations kept per path */
};

struct job_net_conf { /* [net] */
	struct netrule net_allow[CONFIG_MAX_NET_ALLOW];
	unsigned n_net_allow;
	unsigned net_timeout_ms;
	unsigned net_job_timeout_ms; /* 0 = [pool] job_timeout */
};

/* The handlers, one per file, for their unit tests. */
int job_log_run(struct job_ctx *ctx, const char *args, size_t len);
int job_log_check(const char *args, size_t len, char *err, size_t errlen);
int job_backup_run(struct job_ctx *ctx, const char *args, size_t len);
int job_backup_check(const char *args, size_t len, char *err, size_t errlen);
int job_net_run(struct job_ctx *ctx, const char *args, size_t len);
int job_net_check(const char *args, size_t len, char *err, size_t errlen);
int job_op_run(struct job_ctx *ctx, const char *args, size_t len);

/*
 * The `log` kind's reopen hook: closes and forgets its per-worker
 * descriptor (an int, -1 when closed) so the next `log` job opens the
 * file again.  NULL is harmless.
 */
void job_log_reopen(void *state);

/*
 * Makes the lock that serialises the `log` kind's writes across workers
 * (a robust mutex in shared memory, see job_log.c); the master calls it
 * once before it forks the first worker.  Returns 0, or -1 with errno set.
 */
int job_log_setup(void);

#endif
