/*
 * Operator kinds' resource limits: a cgroup v2 per worker slot when the
 * tree is delegated to us, rlimits in the child otherwise (oplimits.h).
 * Delegation is found, not configured: our cgroup (the "0::" line of
 * /proc/self/cgroup) must be writable by us and list memory and pids in
 * cgroup.controllers.  A process may not sit in a cgroup that also has
 * children with controllers enabled ("no internal processes"), so the
 * slot cgroups live beside, not below, the daemon's processes: in
 * OURS/poold-slots/slot-N, with memory, pids and cpu enabled in
 * poold-slots' parent only if that parent holds no process of ours.
 * Under systemd with Delegate=yes that is the unit's cgroup, where
 * poold first moves itself into OURS/main (as systemd documents for
 * delegated services); see oplimits_delegated.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oplimits.h"

#define CG_ROOT "/sys/fs/cgroup"

static int oplimits_base = -2;            /* 0: poold-slots made; -2 unknown, -1 none */
static char oplimits_path[PATH_MAX + 64]; /* its path, opened by the workers */
static char oplimits_why[160];

/* Reads the file name in dir (at most len - 1 bytes, NUL ended). */
static ssize_t cg_read(int dir, const char *name, char *buf, size_t len)
{
	int fd = openat(dir, name, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int cg_write(int dir, const char *name, const char *val)
{
	int fd = openat(dir, name, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int cg_fail(const char *why)
{
	snprintf(oplimits_why, sizeof(oplimits_why), "%s", why);
	return -1;
}

/* Our cgroup's directory, opened. */
static int cg_own(void)
{
	char line[PATH_MAX], path[PATH_MAX + 32];
	int n;
	FILE *f = fopen("/proc/self/cgroup", "re");
	int found = 0;

	if (f == NULL)
		return cg_fail("no /proc/self/cgroup");
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strncmp(line, "0::", 3) == 0;
	fclose(f);
	if (!found)
		return cg_fail("not on cgroup v2");
	line[strcspn(line, "\n")] = '\0';
	snprintf(path, sizeof(path), CG_ROOT "%s", line + 3);
	n = snprintf(oplimits_path, sizeof(oplimits_path), "%.*s/poold-slots", PATH_MAX + 16, path);
	if (n < 0 || (size_t)n >= sizeof(oplimits_path))
		return cg_fail("cgroup path too long");
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Moves us into OURS/main, enables the controllers for OURS's children
 * and makes OURS/poold-slots.  The base fd, or -1 with oplimits_why. */
static int cg_setup(void)
{
	char buf[512];
	int own = cg_own(), base = -1;

	if (own < 0)
		return -1;
	if (cg_read(own, "cgroup.controllers", buf, sizeof(buf)) < 0 ||
	    strstr(buf, "memory") == NULL || strstr(buf, "pids") == NULL ||
	    faccessat(own, "cgroup.procs", W_OK, AT_EACCESS) != 0) {
		close(own);
		return cg_fail(
		    "our cgroup is not delegated (not writable or no memory/pids controllers)");
	}
	if ((mkdirat(own, "main", 0755) == -1 && errno != EEXIST) ||
	    mkdirat(own, "poold-slots", 0755) == -1) {
		if (errno != EEXIST) {
			close(own);
			return cg_fail("cannot create cgroups below ours");
		}
	}
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (cg_write(own, "main/cgroup.procs", buf) == 0 &&
	    cg_write(own, "cgroup.subtree_control", "+memory +pids +cpu") == 0)
		base = openat(own, "poold-slots", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (base >= 0 && cg_write(base, "cgroup.subtree_control", "+memory +pids +cpu") == 0) {
		close(base);
		close(own);
		return 0;
	}
	if (base >= 0)
		close(base);
	close(own);
	return cg_fail("cannot enable memory, pids and cpu for our cgroups");
}

bool oplimits_delegated(char *how, size_t len)
{
	if (oplimits_base == -2)
		oplimits_base = cg_setup();
	if (oplimits_base >= 0)
		snprintf(how, len, "cgroup v2 (a cgroup per worker slot)");
	else
		snprintf(how, len, "setrlimit (%s)", oplimits_why);
	return oplimits_base >= 0;
}

int oplimits_cgroup_open(struct oplimits *lim, unsigned slot)
{
	char name[32], val[64];
	int base, fd = -1;

	lim->cgroup_fd = -1;
	if (oplimits_base < 0) {
		errno = ENOTSUP;
		return -1;
	}
	base = open(oplimits_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	snprintf(name, sizeof(name), "slot-%u", slot);
	if (base >= 0 && (mkdirat(base, name, 0755) == 0 || errno == EEXIST))
		fd = openat(base, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (base >= 0)
		close(base);
	if (fd < 0)
		return -1;
	if (lim->memory_max > 0)
		snprintf(val, sizeof(val), "%llu", lim->memory_max);
	if (cg_write(fd, "memory.max", lim->memory_max > 0 ? val : "max") == -1)
		goto fail;
	/* no swap either, so memory_max means what it says (absent without swap) */
	(void)cg_write(fd, "memory.swap.max", lim->memory_max > 0 ? "0" : "max");
	snprintf(val, sizeof(val), "%u", lim->tasks_max);
	if (cg_write(fd, "pids.max", lim->tasks_max > 0 ? val : "max") == -1)
		goto fail;
	snprintf(val, sizeof(val), "%u 100000", lim->cpu_quota * 1000);
	if (cg_write(fd, "cpu.max", lim->cpu_quota > 0 ? val : "max 100000") == -1)
		goto fail;
	lim->cgroup_fd = fd;
	lim->oom_seen = 0;
	(void)oplimits_oom(lim); /* start from what an earlier worker left */
	return 0;
fail:
	close(fd);
	return -1;
}

int oplimits_apply_child(const struct oplimits *lim)
{
	struct rlimit rl = {0, 0};

	setrlimit(RLIMIT_CORE, &rl);
	if (lim->cgroup_fd >= 0)
		return cg_write(lim->cgroup_fd, "cgroup.procs", "0");
	if (lim->memory_max > 0) {
		rl.rlim_cur = rl.rlim_max = lim->memory_max;
		if (setrlimit(RLIMIT_AS, &rl) == -1)
			return -1;
	}
	if (lim->tasks_max > 0) {
		rl.rlim_cur = rl.rlim_max = lim->tasks_max;
		if (setrlimit(RLIMIT_NPROC, &rl) == -1)
			return -1;
	}
	if (lim->cpu_quota > 0 && lim->timeout_ms > 0) {
		rl.rlim_cur = (rlim_t)lim->timeout_ms / 1000 * lim->cpu_quota / 100 + 1;
		rl.rlim_max = rl.rlim_cur + 1;
		if (setrlimit(RLIMIT_CPU, &rl) == -1)
			return -1;
	}
	return 0;
}

bool oplimits_oom(struct oplimits *lim)
{
	char buf[512], *p;
	unsigned long long n;

	if (lim->cgroup_fd < 0 || cg_read(lim->cgroup_fd, "memory.events", buf, sizeof(buf)) < 0)
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
	if (lim->cgroup_fd >= 0)
		(void)cg_write(lim->cgroup_fd, "cgroup.kill", "1");
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
