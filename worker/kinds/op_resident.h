/*
 * Resident handlers of operator kinds (mode = resident): a worker starts
 * the kind's program once (at its first job of the kind) and keeps it.
 * The protocol, one line each way per job:
 *
 *   poold -> handler stdin:  the job's placeholder values, in the order
 *                            of N, separated by one tab, then a newline
 *                            (values are checked and normalized as for a
 *                            per-job run; one with a tab, CR or newline
 *                            is refused)
 *   handler stdout -> poold: "ok", "fail" or "retry", optionally a blank
 *                            and a message, then a newline
 *
 * retry is a temporary failure (failed with that reason until retries
 * land).  The handler's stderr is the worker's (poold's log).  A line
 * that is none of these (or longer than OP_RESIDENT_LINE_MAX) fails the
 * job and the handler is stopped and started again at the next job; so
 * does a handler that closes its stdout and keeps running.  A handler
 * that dies with a job takes its worker with it (the worker exits 70):
 * the master redelivers the job as for any dying worker (buried after
 * [pool] max_attempts) and starts the worker again with the slot's
 * back-off.  A handler that does not answer meets the kind's timeout like
 * any job: the master stops the worker, which stops the handler's
 * process group first.
 */
#ifndef POOLD_OP_RESIDENT_H
#define POOLD_OP_RESIDENT_H

#include <stdbool.h>
#include <sys/types.h>

#include "job.h"
#include "oplimits.h"
#include "opkind.h"

#define OP_RESIDENT_LINE_MAX 4096

struct op_resident {
	pid_t pid; /* 0: not running */
	int pidfd, in_fd, out_fd;
	unsigned kill_ms;           /* TERM to KILL when stopping it */
	const struct oplimits *lim; /* its cgroup, killed with it */
	char buf[OP_RESIDENT_LINE_MAX];
	size_t len;
	size_t out_max;           /* the kind's `output`, at most PROTO_OUT_MAX */
	char kept[PROTO_OUT_MAX]; /* the last answer's message, its last bytes */
};

/* Sends the job (av: its expanded template) to the handler, starting it
 * if needed, and returns its answer as an enum job_result. */
int op_resident_run(struct op_resident *h, const struct opkind *k, const struct oplimits *lim,
                    const struct tpl_argv *av, struct job_ctx *ctx);

/* Stops the handler: its stdin closed (and TERM to its group at once if
 * now), KILL to the group kill_ms later, reaped. */
void op_resident_stop(struct op_resident *h, bool now);

#endif
