/*
 * Running one program for one job, in the worker (per-job operator
 * kinds): fork and execve of an argv array, never a shell.  The child gets
 * a clean environment (the caller's envp), stdin /dev/null, stdout and
 * stderr into pipes, its own process group, every signal at its default
 * and an empty mask (the worker ignores HUP, INT, PIPE ... and SIG_IGN
 * survives execve), PR_SET_PDEATHSIG SIGKILL, the kind's limits
 * (oplimits.h) and no descriptor of the worker's.
 *
 * The worker waits on the pipes and a pidfd of the child.  The last
 * output_max bytes of stdout and stderr (interleaved as they arrive) are
 * kept in a ring of the caller's; the last line of stderr is kept apart
 * for the outcome.  At the time limit the whole group gets TERM, then
 * KILL after kill_timeout (and cgroup.kill with a cgroup).  When the
 * program ends, whatever it left in its group is killed before it is
 * reaped (its pid, held by the zombie, cannot have been reused).  A TERM
 * to the worker while a program runs (the master's own time limit, a
 * stop) is passed on the same way before the worker dies of it.  A
 * descendant that left the group (setsid) is caught only by a cgroup.
 */
#ifndef POOLD_RUNNER_H
#define POOLD_RUNNER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "oplimits.h"

#define RUNNER_LINE_MAX 200

struct runner_spec {
	char *const *argv;
	char *const *envp;
	unsigned timeout_ms; /* 0: none */
	unsigned kill_timeout_ms;
	const struct oplimits *lim; /* may be NULL */
};

struct runner_result {
	int status;     /* from waitpid */
	bool timed_out; /* stopped at its time limit */
	bool termed;    /* the worker got TERM meanwhile: it must exit now */
	char *out;      /* the caller's ring of out_max bytes */
	size_t out_max;
	unsigned long long out_total; /* bytes seen; the ring holds the last */
	char last_err[RUNNER_LINE_MAX];
	char err_line[RUNNER_LINE_MAX]; /* the stderr line being read */
	size_t err_len;
};

/* Forks and execs spec in a group of its own: in_fd (-1: /dev/null),
 * out_fd and err_fd (-1: the worker's stderr) as its 0, 1, 2.  Returns
 * the pid, or -1 with errno. */
pid_t runner_spawn(const struct runner_spec *spec, int in_fd, int out_fd, int err_fd);

/* While on, the worker's TERM sets a flag (runner_term_seen) instead of
 * killing it, so what it runs is stopped first; off puts back the
 * default (the worker then raises TERM itself). */
void runner_term_catch(bool on);
bool runner_term_seen(void);

/* Runs spec; fills r (r->out and r->out_max set by the caller).  Returns
 * 0 once the program ended, -1 with errno if it could not be started. */
int runner_run(const struct runner_spec *spec, struct runner_result *r);

/* Copies the kept output, oldest byte first, into out (len bytes, NUL
 * ended); returns its length. */
size_t runner_output(const struct runner_result *r, char *out, size_t len);

/* The job's result (enum job_result) from r, with its message in msg:
 * "exit 3: last stderr line", "killed by signal 9", "temporary failure
 * (exit 75): ...", "out of memory (memory_max 512M)". */
int runner_outcome(const struct runner_result *r, struct oplimits *lim, char *msg, size_t len);

#endif
