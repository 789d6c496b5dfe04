/*
 * Resource limits of an operator kind, with systemd's names: memory_max,
 * tasks_max, cpu_quota.  With cgroup v2 delegated to poold (oplimits_cg.c
 * says how that is found and the layout), the master moves itself into a
 * leaf, makes a cgroup per worker slot before it forks the worker and
 * kills it (cgroup.kill) when it reaps that worker; the worker makes one
 * per kind below its slot's, writes the kind's limits there (memory.max,
 * pids.max, cpu.max: those whose controller is delegated) and each job
 * joins it before exec; memory.events says whether the kernel killed it
 * for memory, cgroup.kill ends all of it, setsid or not.  A limit without
 * its controller falls back to an rlimit in the child: RLIMIT_AS for
 * memory_max (address space, a coarser measure), RLIMIT_NPROC for
 * tasks_max (every process of the user counts, and root is exempt),
 * RLIMIT_CPU for cpu_quota (a total of timeout x cpu_quota CPU seconds,
 * then SIGXCPU: a cap, not a share); and always RLIMIT_CORE 0.
 */
#ifndef POOLD_OPLIMITS_H
#define POOLD_OPLIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define OPLIMITS_MEMORY 1u
#define OPLIMITS_PIDS   2u
#define OPLIMITS_CPU    4u

struct oplimits {
	unsigned long long memory_max; /* bytes, 0: none */
	unsigned tasks_max;            /* 0: none */
	unsigned cpu_quota;            /* percent of one CPU, 0: none */
	unsigned timeout_ms;           /* for the RLIMIT_CPU fallback */
	int cgroup_fd;                 /* the kind's cgroup in our slot, -1: none */
	unsigned cg_ctl;               /* OPLIMITS_* limits that cgroup carries */
	unsigned long long oom_seen;   /* memory.events oom_kill last read */
};

/* In the master, once at start before any worker: finds delegation and
 * sets the cgroups up (moving the master into OURS/master).  True if
 * delegated; oplimits_cg_why() says why not otherwise. */
bool oplimits_setup(void);

/* Whether oplimits_setup found delegation; the OPLIMITS_* controllers
 * enabled for the slots (0 without delegation). */
bool oplimits_cg_active(void);
unsigned oplimits_controllers(void);

/* The slots' cgroup path when delegated, else why not. */
const char *oplimits_cg_why(void);

/* The start-up line: which limits are enforced and how. */
void oplimits_describe(char *out, size_t len);

/* In the master: makes slot's cgroup just before it forks slot's worker
 * (which learns its slot from this call); 0 or -1 with errno.  Without
 * delegation, only notes the slot. */
int oplimits_slot_prepare(unsigned slot);

/* In a worker forked by the spawner (daemon/spawner.c), which the master's
 * prepare did not reach: which slot it is. */
void oplimits_slot_enter(unsigned slot);

/* In the master, its worker reaped: ends every process left in slot's
 * cgroup (cgroup.kill).  Best effort; nothing without delegation. */
void oplimits_slot_kill(unsigned slot);

/* In the master, the slot gone for good: kill, then remove its cgroups
 * (best effort: a process still dying keeps one until the unit ends). */
void oplimits_slot_remove(unsigned slot);

/* In the worker: makes (or reuses) kind's cgroup below the slot's and
 * sets lim->cgroup_fd, writing lim's limits into it.  0, or -1 with
 * errno (lim->cgroup_fd stays -1: rlimits then). */
int oplimits_cgroup_open(struct oplimits *lim, const char *kind);

/* In the child, before exec: joins the cgroup and sets the rlimits of
 * the limits it does not carry.  Async-signal-safe.  0 or -1. */
int oplimits_apply_child(const struct oplimits *lim);

/* After a run: true if the kernel killed a process of the cgroup for
 * memory since the last call (memory.events oom_kill went up). */
bool oplimits_oom(struct oplimits *lim);

/* Ends every process of lim's cgroup (cgroup.kill).  Best effort; lim
 * may be NULL. */
void oplimits_kill(const struct oplimits *lim);

/* "512M"-style text of a byte count, for messages. */
void oplimits_bytes(unsigned long long n, char *out, size_t len);

/* A cgroup file of dir: read (NUL ended, at most len - 1 bytes; the
 * count or -1) and written (0 or -1). */
ssize_t oplimits_cg_read(int dir, const char *name, char *buf, size_t len);
int oplimits_cg_write(int dir, const char *name, const char *val);

#endif
