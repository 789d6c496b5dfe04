/*
 * Filesystem helpers: the checks that keep the control FIFO and socket in
 * a directory nobody else can write to (otherwise another user could swap
 * the FIFO for one of theirs between our checks and our open), and the
 * one way poold creates or replaces a file in a directory others may
 * write (a textfile-collector directory, /var/log): never through a
 * symlink or a FIFO planted at the name, temporaries under names nobody
 * can guess and created with O_EXCL, renames relative to a held
 * directory descriptor.  No logging: errors come back as errno or text.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
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

/*
 * Splits path into an O_PATH descriptor of its directory and its last
 * component.  The directory's own path is the operator's choice and is
 * followed as given; everything below is done relative to the descriptor,
 * so a rename of the directory's entries cannot redirect us elsewhere.
 */
int fsutil_open_parent(const char *path, char *name, size_t namelen)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	size_t n;
	int fd;

	if (slash == NULL) {
		snprintf(dir, sizeof(dir), ".");
		slash = path - 1;
	} else {
		n = slash == path ? 1 : (size_t)(slash - path);
		if (n >= sizeof(dir)) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	if (strlen(slash + 1) == 0 || strlen(slash + 1) >= namelen) {
		errno = slash[1] == '\0' ? EISDIR : ENAMETOOLONG;
		return -1;
	}
	snprintf(name, namelen, "%s", slash + 1);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd;
}

/* Refuses what is not a regular file of one link (errno EINVAL, EMLINK)
 * or a character device (/dev/null: only root can make one). */
static int fsutil_check_regular(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == -1)
		return -1;
	if (S_ISCHR(st.st_mode))
		return 0;
	if (!S_ISREG(st.st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (st.st_nlink > 1) {
		errno = EMLINK;
		return -1;
	}
	return 0;
}

int fsutil_open_file(const char *path, int flags, mode_t mode)
{
	int fd, fl, saved;

	do {
		fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);
	} while (fd == -1 && errno == EINTR);
	if (fd == -1)
		return -1;
	fl = fcntl(fd, F_GETFL);
	if (fsutil_check_regular(fd) == -1 || fl == -1 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

const char *fsutil_why(int err)
{
	switch (err) {
	case ELOOP:
		return "it is a symlink (not followed)";
	case EMLINK:
		return "it has more than one hard link";
	case EINVAL:
	case ENXIO:
		return "not a regular file (nor a device)";
	default:
		return strerror(err);
	}
}

/* 16 hex digits nobody can guess (getrandom; the clock if it fails,
 * which O_EXCL still makes safe, only guessable). */
static void fsutil_random_hex(char *out)
{
	uint64_t v;
	struct timespec ts;

	if (getrandom(&v, sizeof(v), GRND_NONBLOCK) != (ssize_t)sizeof(v)) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		v = ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)ts.tv_sec ^ ((uint64_t)getpid() << 40);
	}
	snprintf(out, 17, "%016llx", (unsigned long long)v);
}

int fsutil_tmp_open(struct fsutil_tmp *t, const char *path, mode_t mode)
{
	char hex[17];
	int tries, saved;

	t->fd = -1;
	t->dirfd = fsutil_open_parent(path, t->name, sizeof(t->name));
	if (t->dirfd == -1)
		return -1;
	for (tries = 0; tries < 16; tries++) {
		fsutil_random_hex(hex);
		if (snprintf(t->tmp, sizeof(t->tmp), ".%s" FSUTIL_TMP_MARK "%s", t->name, hex) >=
		    (int)sizeof(t->tmp)) {
			errno = ENAMETOOLONG;
			break;
		}
		t->fd = openat(t->dirfd, t->tmp,
		               O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (t->fd >= 0 || errno != EEXIST)
			break;
	}
	if (t->fd >= 0)
		return 0;
	saved = errno;
	close(t->dirfd);
	t->dirfd = -1;
	errno = saved;
	return -1;
}

void fsutil_tmp_abort(struct fsutil_tmp *t)
{
	int saved = errno;

	if (t->fd >= 0) {
		unlinkat(t->dirfd, t->tmp, 0);
		close(t->fd);
	}
	if (t->dirfd >= 0)
		close(t->dirfd);
	t->fd = t->dirfd = -1;
	errno = saved;
}

int fsutil_tmp_commit(struct fsutil_tmp *t, bool sync)
{
	int dfd;

	if ((sync && fdatasync(t->fd) == -1) ||
	    renameat(t->dirfd, t->tmp, t->dirfd, t->name) == -1) {
		fsutil_tmp_abort(t);
		return -1;
	}
	if (sync) {
		/* An O_PATH descriptor cannot be fsynced: open the directory itself. */
		dfd = openat(t->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			(void)fsync(dfd);
			close(dfd);
		}
	}
	close(t->dirfd);
	t->dirfd = -1;
	return 0;
}

/* Removes temporaries of ours (fsutil_tmp_open's names for path, owned
 * by us) that a crash left behind.  Others' files are left alone. */
void fsutil_tmp_sweep(const char *path)
{
	char name[NAME_MAX + 1], prefix[NAME_MAX + 16];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int pfd, dfd;
	size_t n;

	pfd = fsutil_open_parent(path, name, sizeof(name));
	if (pfd == -1)
		return;
	dfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	close(pfd);
	if (dfd == -1 || (d = fdopendir(dfd)) == NULL) {
		if (dfd != -1)
			close(dfd);
		return;
	}
	n = (size_t)snprintf(prefix, sizeof(prefix), ".%s" FSUTIL_TMP_MARK, name);
	while ((e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, prefix, n) != 0 || strlen(e->d_name) != n + 16 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1)
			continue;
		if (S_ISREG(st.st_mode) && st.st_uid == geteuid())
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
}

int fsutil_keep_aside(const char *path, const char *tag, char *out, size_t outlen)
{
	char stamp[32];
	struct tm tm;
	time_t now = time(NULL);
	int i;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	for (i = 0; i < 100; i++) {
		if (i == 0)
			snprintf(out, outlen, "%s.%s-%s", path, tag, stamp);
		else
			snprintf(out, outlen, "%s.%s-%s-%d", path, tag, stamp, i);
		/* link(2) never follows a symlink at the new name nor replaces one. */
		if (link(path, out) == 0)
			return 0;
		if (errno != EEXIST)
			return -1;
	}
	return -1;
}

/*
 * The canonical name of path, which need not exist: realpath of the
 * longest part that does, and the rest as written (config paths are
 * already lexically normal).  A dangling symlink is followed by hand.
 */
static int fsutil_canon_depth(const char *path, char *out, size_t outlen, int depth)
{
	char dir[PATH_MAX], link[PATH_MAX], next[PATH_MAX];
	const char *slash;
	ssize_t n;

	if (realpath(path, out) != NULL)
		return 0;
	slash = strrchr(path, '/');
	if (slash == NULL || depth > 16 || (errno != ENOENT && errno != ENOTDIR))
		return -1;
	n = readlink(path, link, sizeof(link) - 1);
	if (n > 0) { /* a symlink whose target does not exist (yet) */
		link[n] = '\0';
		if (link[0] == '/')
			snprintf(next, sizeof(next), "%s", link);
		else if (snprintf(next, sizeof(next), "%.*s/%s", (int)(slash - path), path, link) >=
		         (int)sizeof(next))
			return -1;
		return fsutil_canon_depth(next, out, outlen, depth + 1);
	}
	if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (fsutil_canon_depth(dir, out, outlen, depth + 1) == -1)
		return -1;
	n = (ssize_t)strlen(out);
	if (snprintf(out + n, outlen - (size_t)n, "%s%s", out[n - 1] == '/' ? "" : "/",
	             slash + 1) >= (int)(outlen - (size_t)n))
		return -1;
	return 0;
}

bool fsutil_same_file(const char *a, const char *b)
{
	char ca[PATH_MAX], cb[PATH_MAX];
	struct stat sa, sb;

	if (stat(a, &sa) == 0 && stat(b, &sb) == 0)
		return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
	if (fsutil_canon_depth(a, ca, sizeof(ca), 0) == -1 ||
	    fsutil_canon_depth(b, cb, sizeof(cb), 0) == -1)
		return strcmp(a, b) == 0;
	return strcmp(ca, cb) == 0;
}

void fsutil_close_except(int a, int b)
{
	int keep[2] = {a < b ? a : b, a < b ? b : a};
	unsigned from = 3, i;

	for (i = 0; i < 2; i++) {
		if (keep[i] < (int)from)
			continue;
		if ((unsigned)keep[i] > from)
			close_range(from, (unsigned)keep[i] - 1, 0);
		from = (unsigned)keep[i] + 1;
	}
	close_range(from, ~0u, 0);
}
