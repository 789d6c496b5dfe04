/*
 * The table of job kinds, the only place where they meet: looked up by
 * name or code from the master (to accept a control line) and by code in
 * the worker (to run a frame).
 */
#ifndef POOLD_JOBS_H
#define POOLD_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "job.h"

/* At most this many kinds (jobs.c asserts it at compile time): sizes
 * the per-kind counters of the master. */
#define JOBS_MAX 16

/*
 * Makes the operator kinds of cfg ([kind.NAME], opkind.h) rows of the
 * table, after the built-in ones: a kind keeps its row (its index, its
 * counters) for the life of the process, gets its new definition when a
 * reload changes it, and a removed one keeps a row without data that no
 * look-up finds (its queued jobs fail "kind removed").  Called once cfg
 * is the running configuration (master, poolctl; workers inherit it).
 * Returns 0, or -1 with a reason if the rows ever made would exceed
 * JOBS_MAX (the table is unchanged then).
 */
int jobs_install(const struct config *cfg, char *err, size_t errlen);

/* The built-in kinds as the configuration loader sees them: a program
 * hands them to config_kinds_register before it loads a configuration. */
extern const struct config_kinds jobs_config_kinds;

/* Number of job kinds and the kind at index i (for per-kind counters). */
size_t jobs_count(void);
const struct job_kind *jobs_at(size_t i);
/* Index of a kind in the table, for counters indexed like jobs_at(). */
size_t jobs_index(const struct job_kind *kind);

/* The values of the kind's section in cfg (its own struct), or NULL. */
const void *jobs_conf(const struct config *cfg, const struct job_kind *kind);

/* Look-ups; NULL if there is no such kind. */
const struct job_kind *jobs_by_name(const char *name, size_t len);
const struct job_kind *jobs_by_code(uint32_t code);

/*
 * The descriptions of the kinds (their describe hooks) in cfg, joined by
 * ", " into out; only those with a reopen hook if reopening.  Returns out.
 */
const char *jobs_describe(const struct config *cfg, bool reopening, char *out, size_t len);

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
