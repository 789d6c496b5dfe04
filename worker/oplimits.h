/*
 * Resource limits of an operator kind, with systemd's names: memory_max,
 * tasks_max, cpu_quota.  With cgroup v2 delegated to poold (our own
 * cgroup writable, the memory and pids controllers available), each
 * worker slot gets a cgroup of its own below ours, the limits are
 * written into it and a program joins it before exec; memory.events
 * says whether the kernel killed it for memory, cgroup.kill ends all of
 * it.  Without delegation the child sets rlimits instead: RLIMIT_AS for
 * memory_max (address space, a coarser measure), RLIMIT_NPROC for
 * tasks_max (counted per user, not per job), RLIMIT_CPU for cpu_quota
 * (CPU seconds over the time limit, not a share); and always RLIMIT_CORE 0.
 */
#ifndef POOLD_OPLIMITS_H
#define POOLD_OPLIMITS_H

#include <stdbool.h>
#include <stddef.h>

struct oplimits {
	unsigned long long memory_max; /* bytes, 0: none */
	unsigned tasks_max;            /* 0: none */
	unsigned cpu_quota;            /* percent of one CPU, 0: none */
	unsigned timeout_ms;           /* for the RLIMIT_CPU fallback */
	int cgroup_fd;                 /* the slot's cgroup directory, -1: none */
	unsigned long long oom_seen;   /* memory.events oom_kill last read */
};

/* Whether cgroup v2 is delegated to this process: "cgroup v2 at PATH" or
 * the reason it is not, in how.  Looked up once. */
bool oplimits_delegated(char *how, size_t len);

/* In the worker: makes (or reuses) the cgroup for slot below ours and
 * sets lim->cgroup_fd, writing lim's limits into it.  0, or -1 with
 * errno (lim->cgroup_fd stays -1: rlimits then). */
int oplimits_cgroup_open(struct oplimits *lim, unsigned slot);

/* In the child, before exec: joins the cgroup or sets the rlimits.
 * Async-signal-safe.  0 or -1. */
int oplimits_apply_child(const struct oplimits *lim);

/* After a run: true if the kernel killed a process of the cgroup for
 * memory since the last call (memory.events oom_kill went up). */
bool oplimits_oom(struct oplimits *lim);

/* Ends every process of the cgroup (cgroup.kill).  Best effort. */
void oplimits_kill(const struct oplimits *lim);

/* "512M"-style text of a byte count, for messages. */
void oplimits_bytes(unsigned long long n, char *out, size_t len);

#endif
