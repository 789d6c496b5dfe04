/*
 * Operator kinds' resource limits in the child, and what a run left
 * (oplimits.h): each limit through its cgroup controller when the slot's
 * cgroup has it (oplimits_cg.c), through its rlimit otherwise; the
 * start-up line that says which is which.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "oplimits.h"

/* Whether the limit of controller bit ctl is the cgroup's. */
static bool lim_cg(const struct oplimits *lim, unsigned ctl)
{
	return lim->cgroup_fd >= 0 && (lim->cg_ctl & ctl) != 0;
}

static int lim_set(int res, rlim_t cur, rlim_t max)
{
	struct rlimit rl = {cur, max};

	return setrlimit(res, &rl);
}

int oplimits_apply_child(const struct oplimits *lim)
{
	rlim_t cpu;

	(void)lim_set(RLIMIT_CORE, 0, 0);
	if (lim->cgroup_fd >= 0 && oplimits_cg_write(lim->cgroup_fd, "cgroup.procs", "0") == -1)
		return -1;
	if (lim->memory_max > 0 && !lim_cg(lim, OPLIMITS_MEMORY) &&
	    lim_set(RLIMIT_AS, lim->memory_max, lim->memory_max) == -1)
		return -1;
	if (lim->tasks_max > 0 && !lim_cg(lim, OPLIMITS_PIDS) &&
	    lim_set(RLIMIT_NPROC, lim->tasks_max, lim->tasks_max) == -1)
		return -1;
	if (lim->cpu_quota > 0 && lim->timeout_ms > 0 && !lim_cg(lim, OPLIMITS_CPU)) {
		cpu = (rlim_t)lim->timeout_ms / 1000 * lim->cpu_quota / 100 + 1;
		if (lim_set(RLIMIT_CPU, cpu, cpu + 1) == -1)
			return -1;
	}
	return 0;
}

bool oplimits_oom(struct oplimits *lim)
{
	char buf[512], *p;
	unsigned long long n;

	if (!lim_cg(lim, OPLIMITS_MEMORY) ||
	    oplimits_cg_read(lim->cgroup_fd, "memory.events", buf, sizeof(buf)) < 0)
		return false;
	p = strstr(buf, "oom_kill ");
	if (p == NULL)
		return false;
	n = strtoull(p + 9, NULL, 10);
	if (n <= lim->oom_seen)
		return false;
	lim->oom_seen = n;
	return true;
}

void oplimits_kill(const struct oplimits *lim)
{
	if (lim != NULL && lim->cgroup_fd >= 0)
		(void)oplimits_cg_write(lim->cgroup_fd, "cgroup.kill", "1");
}

void oplimits_describe(char *out, size_t len)
{
	unsigned ctl = oplimits_controllers();
	bool cg = oplimits_cg_active();
	const char *nproc = geteuid() == 0 ? "RLIMIT_NPROC, which does not bind root"
	                                   : "RLIMIT_NPROC (every process of our user counts)";

	snprintf(out, len,
	         "operator kinds' limits: %s%s%s; memory_max by %s, tasks_max by %s, cpu_quota by "
	         "%s; no core dumps",
	         cg ? "a cgroup per worker slot and kind below " : "no cgroup (", oplimits_cg_why(),
	         cg ? ", cgroup.kill ends a job's tree" : ")",
	         (ctl & OPLIMITS_MEMORY) ? "memory.max" : "RLIMIT_AS (address space)",
	         (ctl & OPLIMITS_PIDS) ? "pids.max" : nproc,
	         (ctl & OPLIMITS_CPU) ? "cpu.max"
	                              : "RLIMIT_CPU (a total of timeout x cpu_quota CPU seconds)");
}

void oplimits_bytes(unsigned long long n, char *out, size_t len)
{
	static const char units[] = "KMGT";
	int u = -1;

	while (n >= 1024 && n % 1024 == 0 && u < 3) {
		n /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(out, len, "%llu", n);
	else
		snprintf(out, len, "%llu%c", n, units[u]);
}
