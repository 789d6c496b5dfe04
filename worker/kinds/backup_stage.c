/*
 * Where backups are built before they are put in place: the staging
 * directory ".poold-tmp" in [backup] dir (0700, never a symlink), one
 * entry per running job, named "PID.RANDOM.NAME" (the worker's pid, 64
 * random bits, the name being backed up) and created with O_EXCL or
 * mkdir, so no two jobs ever share a temporary.  This file owns those
 * names and the sweep of temporaries left by workers that died (killed past
 * job_timeout, or by a signal).  It must not follow a symlink, remove an
 * entry of another name form, or one whose worker is alive.
 * Decisions:
 * - The sweep runs in each worker as it starts, not in the master: a
 *   worker that dies is always replaced, so its replacement sweeps, and
 *   removing a tree of 100,000 files must not stall the master's loop.
 *   A temporary is stale when the process of its PID is gone; a pid
 *   reused since is only a delay (the next start after it ends sweeps).
 * - Every publication (backup_gen.c: the creation of the target's
 *   directories, the renames into place, the expiry of old generations)
 *   holds an exclusive flock of the staging directory; the copying does
 *   not.  A backup of /a/b can then never write into a copy of /a that a
 *   concurrent backup of /a is moving out and removing (which failed with
 *   "Directory not empty").
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "backup_copy.h"
#include "log.h"

#define BACKUP_STAGE "/.poold-tmp"

/* The staging directory below the backup dir bfd, made if missing; a
 * readable fd, or -1.  O_NOFOLLOW: a planted symlink is refused. */
static int stage_open(int bfd, bool create)
{
	int fd;

	if (create && mkdirat(bfd, &BACKUP_STAGE[1], 0700) < 0 && errno != EEXIST)
		return -1;
	fd = openat(bfd, &BACKUP_STAGE[1], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return fd;
}

int backup_stage_open(struct backup_op *op)
{
	const char *bdir = backup_conf(op)->backup_dir;
	struct stat st;
	int bfd, fd;

	bfd = backup_open_dir(bdir);
	if (bfd < 0)
		return job_result(op->ctx, -1, "create %s: %s", bdir, strerror(errno));
	if (fstat(bfd, &st) == 0) {
		op->skip_dev[0] = st.st_dev;
		op->skip_ino[0] = st.st_ino;
	}
	fd = stage_open(bfd, true);
	if (fd < 0)
		job_result(op->ctx, -1, "open %s%s: %s", bdir, BACKUP_STAGE, strerror(errno));
	backup_close_keep_errno(bfd);
	return fd;
}

int backup_stage_name(char *name, const char *base)
{
	unsigned long long r = 0;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return -1;
	snprintf(name, BACKUP_TMP_MAX, "%ld.%016llx.%.*s", (long)getpid(), r, 160, base);
	return 0;
}

/* The worker pid of a temporary's name "PID.16 hex digits.NAME", or 0
 * if the name is not of that form (then it is not ours to remove). */
static long stage_pid(const char *name)
{
	char *end;
	long pid = strtol(name, &end, 10);
	size_t hex;

	if (end == name || *end != '.' || pid <= 0)
		return 0;
	hex = strspn(end + 1, "0123456789abcdef");
	return hex == 16 && end[1 + hex] == '.' ? pid : 0;
}

int job_backup_init(void *state, const void *conf)
{
	const struct job_backup_conf *cfg = conf;
	unsigned long removed = 0;
	struct dirent *de;
	int bfd, fd;
	long pid;
	DIR *d;

	if (cfg == NULL || cfg->backup_dir[0] != '/')
		return 0;
	bfd = open(cfg->backup_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	fd = bfd < 0 ? -1 : stage_open(bfd, false);
	backup_close_keep_errno(bfd);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL) {
		backup_close_keep_errno(fd);
		return 0; /* no staging directory: nothing to sweep */
	}
	while ((de = readdir(d)) != NULL) {
		pid = stage_pid(de->d_name);
		if (pid == 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		if (backup_copy_remove(fd, de->d_name) == 0)
			removed++;
		else
			log_warn("cannot remove stale backup temporary %s%s/%s: %s",
			         cfg->backup_dir, BACKUP_STAGE, de->d_name, strerror(errno));
	}
	closedir(d);
	if (removed > 0)
		log_msg(LOG_LVL_NOTICE, "removed %lu stale backup temporar%s in %s%s", removed,
		        removed == 1 ? "y" : "ies", cfg->backup_dir, BACKUP_STAGE);
	return 0;
}
