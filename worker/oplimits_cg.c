/*
 * Operator kinds' cgroups (oplimits.h): found, not configured.  Our
 * cgroup (the "0::" line of /proc/self/cgroup) counts as delegated to us
 * when it is not the root, its cgroup.procs is ours and writable, we are
 * its only process, and, when we run as root, systemd marked it delegated
 * (the trusted.delegate or user.delegate attribute): a root process in a
 * shared cgroup must not rearrange it.
 *
 * Layout, below OURS (poold.service's cgroup under Delegate=yes):
 *   OURS/master                the master and its workers
 *   OURS/slots/slot-N          made by the master before it forks slot N's
 *                              worker; cgroup.kill when it reaps that worker
 *   OURS/slots/slot-N/kind-K   made by the worker for kind K, with K's
 *                              limits; a job joins it before exec
 * A process may not sit in a cgroup whose controllers are enabled for its
 * children ("no internal processes"), hence master/ beside slots/.  The
 * controllers memory, pids and cpu are enabled where OURS offers them; a
 * limit whose controller is missing falls back to its rlimit.  The worker
 * learns its slot from the master's oplimits_slot_prepare before the fork.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "oplimits.h"

#define CG_ROOT "/sys/fs/cgroup"

static bool cg_on;                       /* OURS is delegated and set up */
static unsigned cg_ctl;                  /* OPLIMITS_* controllers enabled below OURS */
static unsigned cg_slot;                 /* in a worker: its slot */
static char cg_slots[PATH_MAX];          /* OURS/slots */
static char cg_why[160] = "not checked"; /* why not delegated */

static const char *const cg_names[] = {"memory", "pids", "cpu"};

ssize_t oplimits_cg_read(int dir, const char *name, char *buf, size_t len)
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

int oplimits_cg_write(int dir, const char *name, const char *val)
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
	snprintf(cg_why, sizeof(cg_why), "%s", why);
	return -1;
}

/* Our cgroup's path below CG_ROOT ("/..."), in path. */
static int cg_own(char *path, size_t len)
{
	char line[PATH_MAX];
	int found = 0;
	FILE *f = fopen("/proc/self/cgroup", "re");

	if (f == NULL)
		return cg_fail("no /proc/self/cgroup");
	while (!found && fgets(line, sizeof(line), f) != NULL)
		found = strncmp(line, "0::", 3) == 0;
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (!found || access(CG_ROOT "/cgroup.procs", F_OK) != 0)
		return cg_fail("no cgroup v2 hierarchy at " CG_ROOT);
	if (strcmp(line + 3, "/") == 0)
		return cg_fail("we run in the root cgroup");
	if ((size_t)snprintf(path, len, CG_ROOT "%s", line + 3) >= len)
		return cg_fail("cgroup path too long");
	return 0;
}

/* Whether OURS (open as dir) is ours to arrange (see the top). */
static int cg_ours(int dir)
{
	char buf[64], me[24];
	struct stat st;

	if (fstatat(dir, "cgroup.procs", &st, 0) == -1 || st.st_uid != geteuid() ||
	    faccessat(dir, "cgroup.procs", W_OK, AT_EACCESS) != 0)
		return cg_fail("our cgroup is not delegated to us (Delegate= in the unit)");
	if (geteuid() == 0 && fgetxattr(dir, "trusted.delegate", buf, sizeof(buf)) <= 0 &&
	    fgetxattr(dir, "user.delegate", buf, sizeof(buf)) <= 0)
		return cg_fail("root in a cgroup that systemd did not mark delegated");
	snprintf(me, sizeof(me), "%d\n", (int)getpid());
	if (oplimits_cg_read(dir, "cgroup.procs", buf, sizeof(buf)) < 0 || strcmp(buf, me) != 0)
		return cg_fail("our cgroup holds other processes");
	return 0;
}

/* Enables what OURS offers of memory, pids and cpu in dir's children. */
static void cg_enable(int dir, const char *offered)
{
	char arg[16];
	unsigned i;

	for (i = 0; i < 3; i++) {
		snprintf(arg, sizeof(arg), "+%s", cg_names[i]);
		if (strstr(offered, cg_names[i]) != NULL &&
		    oplimits_cg_write(dir, "cgroup.subtree_control", arg) == 0)
			cg_ctl |= 1u << i;
	}
}

/* Moves us into OURS/master and makes OURS/slots.  0 or -1 (cg_why). */
static int cg_setup(int own)
{
	char buf[256];
	int slots;

	if ((mkdirat(own, "master", 0755) == -1 && errno != EEXIST) ||
	    (mkdirat(own, "slots", 0755) == -1 && errno != EEXIST))
		return cg_fail("cannot create cgroups below ours");
	snprintf(buf, sizeof(buf), "%d", (int)getpid());
	if (oplimits_cg_write(own, "master/cgroup.procs", buf) == -1)
		return cg_fail("cannot move into our cgroup's master/");
	if (faccessat(own, "cgroup.kill", F_OK, 0) != 0)
		return cg_fail("no cgroup.kill (Linux 5.14 or later needed)");
	if (oplimits_cg_read(own, "cgroup.controllers", buf, sizeof(buf)) < 0)
		buf[0] = '\0';
	cg_enable(own, buf);
	slots = openat(own, "slots", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (slots < 0)
		return cg_fail("cannot open our cgroup's slots/");
	cg_ctl = 0; /* what reaches the slots is what counts */
	cg_enable(slots, buf);
	close(slots);
	return 0;
}

bool oplimits_setup(void)
{
	char path[PATH_MAX - 8];
	int own;

	if (cg_own(path, sizeof(path)) == -1)
		return false;
	own = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (own < 0) {
		cg_fail("cannot open our cgroup");
		return false;
	}
	cg_on = cg_ours(own) == 0 && cg_setup(own) == 0;
	close(own);
	if (cg_on)
		snprintf(cg_slots, sizeof(cg_slots), "%s/slots", path);
	return cg_on;
}

unsigned oplimits_controllers(void)
{
	return cg_on ? cg_ctl : 0;
}

bool oplimits_cg_active(void)
{
	return cg_on;
}

const char *oplimits_cg_why(void)
{
	return cg_on ? cg_slots : cg_why;
}

/* slots/slot-N (+ "/" tail), opened; -1 when not delegated. */
static int cg_slot_open(unsigned slot, const char *tail)
{
	char path[PATH_MAX + 64];

	if (!cg_on) {
		errno = ENOTSUP;
		return -1;
	}
	snprintf(path, sizeof(path), "%s/slot-%u%s", cg_slots, slot, tail);
	return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int oplimits_slot_prepare(unsigned slot)
{
	char path[PATH_MAX + 32], offered[128];
	int fd;

	cg_slot = slot;
	if (!cg_on)
		return 0;
	snprintf(path, sizeof(path), "%s/slot-%u", cg_slots, slot);
	if (mkdir(path, 0755) == -1 && errno != EEXIST)
		return -1;
	fd = cg_slot_open(slot, "");
	if (fd < 0)
		return -1;
	if (oplimits_cg_read(fd, "cgroup.controllers", offered, sizeof(offered)) < 0)
		offered[0] = '\0';
	cg_enable(fd, offered);
	close(fd);
	return 0;
}

void oplimits_slot_enter(unsigned slot)
{
	cg_slot = slot;
}

void oplimits_slot_kill(unsigned slot)
{
	int fd = cg_slot_open(slot, "");

	if (fd >= 0) {
		(void)oplimits_cg_write(fd, "cgroup.kill", "1");
		close(fd);
	}
}

void oplimits_slot_remove(unsigned slot)
{
	char path[PATH_MAX + 64];
	int fd = cg_slot_open(slot, "");
	DIR *d;

	if (fd < 0)
		return;
	(void)oplimits_cg_write(fd, "cgroup.kill", "1");
	close(fd);
	snprintf(path, sizeof(path), "%s/slot-%u", cg_slots, slot);
	d = opendir(path);
	/* best effort: a killed process may still be on its way out (EBUSY);
	 * the next prepare of the slot reuses what stays, systemd removes the
	 * rest with the unit */
	for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;)
		if (strncmp(e->d_name, "kind-", 5) == 0)
			(void)unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR);
	if (d != NULL)
		closedir(d);
	(void)rmdir(path);
}

/* Writes lim's limits whose controllers are there into the kind's cgroup. */
static int cg_limits(int fd, const struct oplimits *lim)
{
	char val[64];

	if (cg_ctl & OPLIMITS_MEMORY) {
		snprintf(val, sizeof(val), "%llu", lim->memory_max);
		if (oplimits_cg_write(fd, "memory.max", lim->memory_max > 0 ? val : "max") == -1)
			return -1;
		/* no swap either, so memory_max means what it says (absent without swap) */
		(void)oplimits_cg_write(fd, "memory.swap.max", lim->memory_max > 0 ? "0" : "max");
	}
	snprintf(val, sizeof(val), "%u", lim->tasks_max);
	if ((cg_ctl & OPLIMITS_PIDS) &&
	    oplimits_cg_write(fd, "pids.max", lim->tasks_max > 0 ? val : "max") == -1)
		return -1;
	snprintf(val, sizeof(val), "%u 100000", lim->cpu_quota * 1000);
	if ((cg_ctl & OPLIMITS_CPU) &&
	    oplimits_cg_write(fd, "cpu.max", lim->cpu_quota > 0 ? val : "max 100000") == -1)
		return -1;
	return 0;
}

int oplimits_cgroup_open(struct oplimits *lim, const char *kind)
{
	char name[64];
	int slot = cg_slot_open(cg_slot, ""), fd = -1;

	lim->cgroup_fd = -1;
	lim->cg_ctl = 0;
	if (slot < 0)
		return -1;
	snprintf(name, sizeof(name), "kind-%s", kind);
	if (mkdirat(slot, name, 0755) == 0 || errno == EEXIST)
		fd = openat(slot, name, O_PATH | O_DIRECTORY | O_CLOEXEC);
	close(slot);
	if (fd < 0)
		return -1;
	if (cg_limits(fd, lim) == -1) {
		close(fd);
		return -1;
	}
	lim->cgroup_fd = fd;
	lim->cg_ctl = cg_ctl;
	lim->oom_seen = 0;
	(void)oplimits_oom(lim); /* start from what an earlier worker left */
	return 0;
}
