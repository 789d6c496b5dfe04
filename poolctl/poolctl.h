/*
 * poolctl, the client of poold: what its files share.  poolctl.c owns the
 * command line, the configuration and the messages; submit.c writes jobs
 * into the control FIFO, submit_redis.c into a Redis stream; query.c asks
 * the daemon's Unix socket for status and waits.  Every function that
 * fails in a way the user must see prints "poolctl: ..." on stderr and
 * exits with a code from common/exitcodes.h (or EX_TEMPFAIL): poolctl is
 * a short-lived client, nothing is kept.
 */
#ifndef POOLCTL_H
#define POOLCTL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ctl.h"

/* Joins TASK and ARGS with single spaces into line (CTL_LINE_MAX + 1
 * bytes); returns the length.  Exits 65 if the line would be too long. */
size_t poolctl_join(int argc, char **argv, char *line);

/* Takes one line of `submit -` (without its newline): 0, or -1 with the
 * reason it is rejected in err. */
typedef int (*poolctl_line_fn)(const char *line, size_t len, char *err, size_t errlen, void *arg);

/*
 * Reads standard input to its end, cut into lines like the daemon cuts
 * the FIFO, and hands each to take; a rejected line is reported as
 * "stdin:N: rejected: REASON".  Returns the number rejected; *lines gets
 * the number read.
 */
unsigned long poolctl_stdin_lines(poolctl_line_fn take, void *arg, unsigned long *lines);

/* Prints "poolctl: " and the message on stderr. */
void poolctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, then exit(code). */
void poolctl_die(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
/* The same, then the usage text on stderr and exit(POOLD_EXIT_USAGE). */
void poolctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/*
 * `submit TASK [ARGS...]`: validates the one job made of argv[0..argc-1]
 * and writes it into the FIFO.  Returns the exit code (0 or 65).
 */
int poolctl_submit(const struct config *cfg, int argc, char **argv, bool quiet);

/*
 * `submit -`: validates each line of standard input and writes the good
 * ones into the FIFO, many whole lines per atomic write.  Returns 0, or 65
 * if any line was rejected.
 */
int poolctl_submit_stdin(const struct config *cfg, bool quiet);

/*
 * `submit --redis TASK [ARGS...]`, `submit --redis -`: the same checks,
 * then XADD to [redis] stream (entries with fields task and args).
 * Return 0 or 65; exit 69 if Redis cannot be reached, 78 if the
 * configuration has no [redis] url.
 */
/*
 * `submit --fifo TASK [ARGS...]`, `submit --fifo -`: the same checks, the
 * jobs written into the control FIFO with no answer (no ids): the bulk,
 * crash-tolerant path.  Exit codes as for submit.
 */
int poolctl_submit_fifo(const struct config *cfg, int argc, char **argv);
int poolctl_submit_fifo_stdin(const struct config *cfg);

/*
 * `submit --mq [--priority N] TASK [ARGS...]`, `submit --mq ... -`: the
 * same checks, each job sent as one message of priority N to [control]
 * mqueue (submit_mq.c); no ids.  Exit codes as for --fifo; 78 if the
 * configuration has no [control] mqueue.
 */
int poolctl_submit_mq(const struct config *cfg, int argc, char **argv, unsigned prio);
int poolctl_submit_mq_stdin(const struct config *cfg, unsigned prio);

/* State of one submit run: where relative backup paths are resolved, and
 * room for a line rewritten with such a path. */
struct poolctl_submit {
	const struct job_kind *backup; /* the kind whose argument is a path */
	char cwd[PATH_MAX];
	bool have_cwd;
	char line[CTL_LINE_MAX + 1]; /* a rewritten or joined line */
};

void poolctl_submit_init(struct poolctl_submit *s);
/*
 * Checks one job line (without its newline) exactly as the daemon will
 * (jobs_check_line) and returns what to send: *out is line itself, or
 * s->line when a relative backup path was made absolute first.  Returns 0,
 * or -1 with a reason in err.
 */
int poolctl_submit_prepare(struct poolctl_submit *s, const char *line, size_t len, const char **out,
                           size_t *outlen, char *err, size_t errlen);

int poolctl_submit_redis(const struct config *cfg, int argc, char **argv);
int poolctl_submit_redis_stdin(const struct config *cfg);

/*
 * Loads the configuration poolctl uses (locate.c): -c FILE (opt), else
 * $POOLD_CONFIG, else the built-in defaults if ./poold.d exists, else the
 * installed service's /etc/poold/poold.ini (or $POOLD_SYSTEM_CONFIG) if
 * it exists, else the built-in defaults.  Exits 78 on a bad file.
 */
void poolctl_load_config(struct config *cfg, const char *opt);

/*
 * The daemon cannot be reached through path (to submit jobs when submit:
 * the FIFO, or the socket for `submit`) for errno err: prints `what` (or, for EACCES and EPERM, who
 * may get through and how to become one), then which configuration named the path, and exits 69.
 */
void poolctl_unreachable(const char *path, int err, const char *what, bool submit)
    __attribute__((noreturn));

/* Connects to the daemon's socket; exits 69 if that cannot be done. */
int poolctl_connect(const char *path);
/* The same; submit: a refusal says who may submit jobs (not only who may
 * use the socket). */
int poolctl_connect_as(const char *path, bool submit);

/*
 * `top [-n N]`: a live view of the pool from the shared scoreboard,
 * refreshed every second (N times, or until interrupted).  Returns the
 * exit code.
 */
int poolctl_top(const struct config *cfg, unsigned iterations);

/*
 * Sends one request line ("status\n", "scale +2\n", "metrics\n") to the
 * daemon's socket and copies the reply to stdout (an "error ..." reply to
 * stderr).  Returns 0, or the exit code for an error reply.
 */
int poolctl_ask(const struct config *cfg, const char *request);

/*
 * `wait`: returns once every job accepted before the call has ended (0 if
 * none failed, 1 if some did), or exits 75 after timeout_ms if has_timeout.
 */
int poolctl_wait(const struct config *cfg, bool has_timeout, unsigned timeout_ms);

/* `cancel ID...`, `retry ID...` (verb "cancel", "retry") and `kick [N]`
 * ("kick", argv the count or nothing): 0 if every one was done, 1 if
 * any could not be (each said on stderr). */
int poolctl_cancel(const struct config *cfg, const char *verb, int argc, char **argv);

/*
 * `wait ID... [--timeout D] [--no-progress]`: until every id has ended; 0
 * if all were done, 1 if any was not (listed), 75 at the timeout.  A
 * progress line on a terminal unless progress is false.
 */
int poolctl_wait_ids(const struct config *cfg, int argc, char **argv, bool has_timeout,
                     unsigned timeout_ms, bool progress);

#endif
