/*
 * Path rules for jobs that name files: the master's syntax check and the
 * worker's symlink-free way from a root to a path.  Moved here from the
 * `backup` kind so operator kinds' path placeholders refuse exactly what
 * `backup` refuses (pathrule.h says what).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "pathrule.h"

static const struct {
	mode_t type;
	const char *name;
} pathrule_types[] = {
    {S_IFLNK, "symlink"},          {S_IFIFO, "FIFO"},         {S_IFSOCK, "socket"},
    {S_IFCHR, "character device"}, {S_IFBLK, "block device"},
};

const char *pathrule_refused(mode_t mode)
{
	size_t i;

	if (S_ISREG(mode) || S_ISDIR(mode))
		return NULL;
	for (i = 0; i < sizeof(pathrule_types) / sizeof(pathrule_types[0]); i++)
		if ((mode & S_IFMT) == pathrule_types[i].type)
			return pathrule_types[i].name;
	return "special file";
}

static int close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

static bool has_dotdot(const char *p, size_t len)
{
	size_t i = 0, start;

	while (i < len) {
		start = i;
		while (i < len && p[i] != '/')
			i++;
		if (i - start == 2 && p[start] == '.' && p[start + 1] == '.')
			return true;
		i++;
	}
	return false;
}

int pathrule_check(const char *p, size_t len, char *err, size_t errlen)
{
	const char *reason = NULL;

	if (len == 0)
		reason = "path is empty";
	else if (memchr(p, '\0', len) != NULL)
		reason = "path has a NUL byte";
	else if (p[0] != '/')
		reason = "path must be absolute";
	else if (len >= PATH_MAX)
		reason = "path is too long";
	else if (has_dotdot(p, len))
		reason = "path has a '..' component";
	if (reason != NULL && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", reason);
	return reason == NULL ? 0 : -1;
}

void pathrule_normalize(const char *in, size_t len, char *out)
{
	size_t i = 0, o = 0, start;

	while (i < len) {
		while (i < len && in[i] == '/')
			i++;
		start = i;
		while (i < len && in[i] != '/')
			i++;
		if (i == start || (i - start == 1 && in[start] == '.'))
			continue;
		out[o++] = '/';
		memmove(out + o, in + start, i - start); /* out may be in */
		o += i - start;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
}

const char *pathrule_under(const char *path, const char *root)
{
	size_t rl = strlen(root);

	while (rl > 1 && root[rl - 1] == '/')
		rl--;
	if (rl == 0 || root[0] != '/')
		return NULL;
	if (rl == 1)
		return path + 1;
	if (strncmp(path, root, rl) != 0 || (path[rl] != '\0' && path[rl] != '/'))
		return NULL;
	return path[rl] == '\0' ? path + rl : path + rl + 1;
}

/* fsync of a directory given by any fd of it, O_PATH included. */
static int fsync_dir(int fd)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || fsync(dfd) < 0)
		return close_keep_errno(dfd);
	return close(dfd);
}

/* One step of pathrule_walk: the O_PATH fd of directory name in fd.
 * Without PATHRULE_FOLLOW a symlink fails with ELOOP, whatever it points to. */
static int walk_step(int fd, const char *name, int flags)
{
	struct stat st;
	int next;

	if ((flags & PATHRULE_CREATE) && mkdirat(fd, name, 0750) == 0) {
		if (fsync_dir(fd) < 0)
			return -1;
	} else if ((flags & PATHRULE_CREATE) && errno != EEXIST) {
		return -1;
	}
	next = openat(fd, name,
	              O_PATH | O_CLOEXEC | ((flags & PATHRULE_FOLLOW) ? O_DIRECTORY : O_NOFOLLOW));
	if (next < 0 || (flags & PATHRULE_FOLLOW))
		return next;
	if (fstat(next, &st) < 0)
		return close_keep_errno(next);
	if (S_ISDIR(st.st_mode))
		return next;
	close(next);
	errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
	return -1;
}

int pathrule_walk(int basefd, const char *path, int flags)
{
	char name[NAME_MAX + 1];
	int fd, next;
	size_t n;

	fd = *path == '/' ? open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)
	                  : fcntl(basefd, F_DUPFD_CLOEXEC, 0);
	while (fd >= 0) {
		path += strspn(path, "/");
		n = strcspn(path, "/");
		if (n == 0)
			break;
		if (n > NAME_MAX) {
			errno = ENAMETOOLONG;
			return close_keep_errno(fd);
		}
		memcpy(name, path, n);
		name[n] = '\0';
		path += n;
		next = walk_step(fd, name, flags);
		close_keep_errno(fd);
		fd = next;
	}
	return fd;
}

int pathrule_beneath(int rootfd, const char *dir)
{
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1, tries;

	if (*dir == '\0')
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	for (tries = 0; tries < PATHRULE_TRIES; tries++) {
		fd = (int)syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		fd = pathrule_walk(rootfd, dir, 0);
	return fd;
}
