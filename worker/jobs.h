/*
 * The table of job kinds, the only place where they meet: looked up by
 * name or code from the master (to accept a control line) and by code in
 * the worker (to run a frame).
 */
#ifndef POOLD_JOBS_H
#define POOLD_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "job.h"

/* Runs the start hooks of the job kinds in a new worker, once it has
 * said hello and before it reads a task (the backup sweep). */
void jobs_worker_start(const struct config *cfg);

/* Number of job kinds and the kind at index i (for per-kind counters). */
size_t jobs_count(void);
const struct job_kind *jobs_at(size_t i);
/* Index of a kind in the table, for counters indexed like jobs_at(). */
size_t jobs_index(const struct job_kind *kind);

/* Look-ups; NULL if there is no such kind. */
const struct job_kind *jobs_by_name(const char *name, size_t len);
const struct job_kind *jobs_by_code(uint32_t code);

/* The time limit of one job of this kind in ms: its own section's
 * job_timeout, else [pool] job_timeout; 0 means none. */
unsigned jobs_timeout_ms(const struct job_kind *kind, const struct config *cfg);

/*
 * Checks one control line (without its newline) the way the master
 * accepts it: ctl_parse, the task by name or numeric code, the argument
 * size, and the kind's own check.  Returns the kind with *cl filled, or
 * NULL with a reason in err.  poolctl uses it to refuse a job before
 * sending it.
 */
const struct job_kind *jobs_check_line(const char *line, size_t len, struct ctl_line *cl, char *err,
                                       size_t errlen);

#endif
