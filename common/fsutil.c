/*
 * Filesystem helpers: the checks that keep the control FIFO and socket in
 * a directory nobody else can write to (otherwise another user could swap
 * the FIFO for one of theirs between our checks and our open).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* mkdir -p of dir, each new component 0750. */
static int fsutil_mkdirs(char *dir, char *err, size_t errlen)
{
	char *p;

	for (p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create directory %s: %s", dir,
			         strerror(errno));
			return -1;
		}
		*p = '/';
	}
	if (mkdir(dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create directory %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

int fsutil_private_parent(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	struct stat st;
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "path too long: %s", path);
		return -1;
	}
	slash = strrchr(dir, '/');
	if (slash == NULL || slash == dir) {
		snprintf(err, errlen, "%s: must be an absolute path below a directory", path);
		return -1;
	}
	*slash = '\0';
	if (fsutil_mkdirs(dir, err, errlen) == -1)
		return -1;
	if (lstat(dir, &st) == -1) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory (a symlink is not accepted)", dir);
		return -1;
	}
	if (st.st_uid != geteuid()) {
		snprintf(err, errlen, "directory %s is owned by uid %u, not by us (uid %u)", dir,
		         (unsigned)st.st_uid, (unsigned)geteuid());
		return -1;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen, "directory %s is writable by group or others (mode %04o)",
		         dir, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int fsutil_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl == -1)
		return -1;
	return fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

int fsutil_fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd, r;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir))
		return -1;
	slash = strrchr(dir, '/');
	if (slash == NULL)
		return -1;
	*(slash == dir ? slash + 1 : slash) = '\0';
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	r = fsync(fd);
	close(fd);
	return r;
}
