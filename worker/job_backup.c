/*
 * The `backup PATH` job: copies a regular file or a directory tree that
 * lies under one of the [backup] allow roots to [backup] dir + PATH
 * (/etc/hosts goes to DIR/etc/hosts), so that a reader sees the old copy
 * or the whole new one, never a part.  This file owns the path rules
 * (syntax in the master, roots and symlinks in the worker), the copy and
 * the atomic swap.  It must not follow a symlink below an allow root, open
 * a FIFO, socket or device for reading, exit on any input, or leave a
 * partial copy or a ".poold-tmp." entry behind when it fails.
 *
 * The copy is built under a temp name beside the destination (a file, or
 * a whole tree with every file and directory fsynced) and put in place
 * with rename, or with RENAME_EXCHANGE and removal of the old copy when
 * one is there.  Decisions:
 * - Symlinks inside a copied tree are recreated as symlinks with the same
 *   target text, never followed, and counted ("N symlinks"): a copy of /etc
 *   without /etc/localtime would not restore.  A symlink as PATH itself or
 *   in any component of PATH below the root is refused.
 * - FIFOs, sockets and devices inside a tree are skipped unopened and
 *   counted ("skipped N"); so is the backup dir if the tree holds it.
 * - Copies keep the permission bits (0777) and times; set-id and sticky
 *   bits are dropped (a backup must not mint set-uid programs) and the
 *   owner is the worker.  Hard links become separate files; entries that
 *   vanish during the walk are left out.  Trees are at most 64 levels deep.
 * - openat2 falls back to a walk with O_NOFOLLOW on ENOSYS and on EPERM,
 *   which older container seccomp profiles return for unknown syscalls.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "job.h"

#define BACKUP_MAX_DEPTH    64  /* directory levels of a copied tree */
#define BACKUP_REMOVE_DEPTH 128 /* levels removed when clearing an old copy */
#define BACKUP_TMP_PREFIX   ".poold-tmp."
#define BACKUP_TMP_MAX      80
#define BACKUP_TRIES        16
#define BACKUP_CHUNK        (1L << 30)
#define BACKUP_FILE_FLAGS   (O_RDONLY | O_NONBLOCK | O_NOCTTY)
#define BACKUP_DIR_FLAGS    (O_RDONLY | O_DIRECTORY)

enum walk_flags { WALK_CREATE = 1, WALK_FOLLOW = 2 };

/* A source entry: name in parent; nofollow is AT_SYMLINK_NOFOLLOW, or 0
 * only for an allow root itself, which the operator named. */
struct backup_src {
	int parent;
	const char *name;
	int nofollow;
};

struct backup_op {
	struct job_ctx *ctx;
	char src[PATH_MAX]; /* normalized PATH, plus the entry being copied in a tree */
	size_t src_len;
	char dest[PATH_MAX]; /* backup dir + PATH, for messages */
	dev_t skip_dev[2];   /* the backup dir and the temp tree */
	ino_t skip_ino[2];
	unsigned long files, dirs, links, skipped;
	unsigned long long bytes;
	char link[PATH_MAX]; /* scratch for readlinkat */
};

static const struct {
	mode_t type;
	const char *name;
} backup_refused[] = {
    {S_IFLNK, "symlink"},          {S_IFIFO, "FIFO"},         {S_IFSOCK, "socket"},
    {S_IFCHR, "character device"}, {S_IFBLK, "block device"},
};

static int copy_dir(struct backup_op *op, int sfd, int dfd, unsigned depth);

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

int job_backup_check(const char *args, size_t len, char *err, size_t errlen)
{
	const char *reason = NULL;

	if (len == 0)
		reason = "path is empty";
	else if (memchr(args, '\0', len) != NULL)
		reason = "path has a NUL byte";
	else if (args[0] != '/')
		reason = "path must be absolute";
	else if (len >= PATH_MAX)
		reason = "path is too long";
	else if (has_dotdot(args, len))
		reason = "path has a '..' component";
	if (reason != NULL && err != NULL && errlen > 0)
		snprintf(err, errlen, "%s", reason);
	return reason == NULL ? 0 : -1;
}

/* Drops empty and "." components and a trailing slash; out gets at most
 * len + 1 bytes, and "/" if nothing is left. */
static void normalize(const char *in, size_t len, char *out)
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
		memcpy(out + o, in + start, i - start);
		o += i - start;
	}
	if (o == 0)
		out[o++] = '/';
	out[o] = '\0';
}

/* The part of path below root without its leading slash ("" for the root
 * itself), or NULL: a component-wise prefix, so /a/bX is not under /a/b. */
static const char *path_under(const char *path, const char *root)
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

static int close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

/* fsync of a directory given by any fd of it, O_PATH included. */
static int fsync_dir(int fd)
{
	int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0 || fsync(dfd) < 0)
		return close_keep_errno(dfd);
	return close(dfd);
}

/* One step of walk_dirs: the O_PATH fd of directory name in fd.  Without
 * WALK_FOLLOW a symlink fails with ELOOP, whatever it points to. */
static int walk_step(int fd, const char *name, int flags)
{
	struct stat st;
	int next;

	if ((flags & WALK_CREATE) && mkdirat(fd, name, 0750) == 0) {
		if (fsync_dir(fd) < 0)
			return -1;
	} else if ((flags & WALK_CREATE) && errno != EEXIST) {
		return -1;
	}
	next = openat(fd, name,
	              O_PATH | O_CLOEXEC | ((flags & WALK_FOLLOW) ? O_DIRECTORY : O_NOFOLLOW));
	if (next < 0 || (flags & WALK_FOLLOW))
		return next;
	if (fstat(next, &st) < 0)
		return close_keep_errno(next);
	if (S_ISDIR(st.st_mode))
		return next;
	close(next);
	errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
	return -1;
}

/*
 * Opens the directory path (absolute, or relative to basefd) one
 * component at a time, creating missing ones with WALK_CREATE.  It is the
 * fallback for openat2 and the way into the backup dir, where nothing but
 * us should put symlinks.  Returns a new O_PATH fd or -1 with errno.
 */
static int walk_dirs(int basefd, const char *path, int flags)
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

/* The O_PATH fd of directory dir below rootfd with no symlink anywhere in
 * it and no way out of the root; openat2 may say EAGAIN if a rename races. */
static int resolve_beneath(int rootfd, const char *dir)
{
	struct open_how how = {
	    .flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1, tries;

	if (*dir == '\0')
		return fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
	for (tries = 0; tries < BACKUP_TRIES; tries++) {
		fd = (int)syscall(SYS_openat2, rootfd, dir, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	if (fd < 0 && (errno == ENOSYS || errno == EPERM))
		fd = walk_dirs(rootfd, dir, 0);
	return fd;
}

/* Opens a source entry that fstatat found to be st, and checks that it is
 * still the same one, so a swap in between cannot get anything else read. */
static int open_source(struct backup_op *op, const struct backup_src *src, const struct stat *st)
{
	int flags = S_ISDIR(st->st_mode) ? BACKUP_DIR_FLAGS : BACKUP_FILE_FLAGS;
	struct stat now;
	int fd;

	fd = openat(src->parent, src->name, flags | O_CLOEXEC | (src->nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return job_result(op->ctx, -1, "open %s: %s", op->src, strerror(errno));
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		return job_result(op->ctx, -1, "%s changed while being opened", op->src);
	}
	return fd;
}

/*
 * The directory that gets the copy, as a readable fd (it is fsynced after
 * the rename), with the backup dir and the path's directories created as
 * needed.  Called only once the source is open, so that a refused job
 * leaves nothing in the backup dir.
 */
static int open_dest_parent(struct backup_op *op)
{
	const char *bdir = op->ctx->cfg->backup_dir;
	size_t dl = (size_t)(strrchr(op->src, '/') - op->src);
	char dir[PATH_MAX];
	struct stat st;
	int bfd, pfd, fd;

	bfd = walk_dirs(AT_FDCWD, bdir, WALK_CREATE | WALK_FOLLOW);
	if (bfd < 0)
		return job_result(op->ctx, -1, "create %s: %s", bdir, strerror(errno));
	if (fstat(bfd, &st) == 0) {
		op->skip_dev[0] = st.st_dev;
		op->skip_ino[0] = st.st_ino;
	}
	dl = dl > 0 ? dl - 1 : 0;
	memcpy(dir, op->src + 1, dl);
	dir[dl] = '\0';
	pfd = walk_dirs(bfd, dir, WALK_CREATE);
	close(bfd);
	fd = pfd < 0 ? -1 : openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		job_result(op->ctx, -1, "create directory of %s: %s", op->dest, strerror(errno));
	close_keep_errno(pfd);
	return fd;
}

/* Creates and opens the copy of a file (empty, O_EXCL) or a directory
 * (0700 until filled) as name in dfd; on failure nothing is left. */
static int create_node(int dfd, const char *name, bool dir)
{
	int fd, err;

	if (!dir)
		return openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		              0600);
	if (mkdirat(dfd, name, 0700) < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		unlinkat(dfd, name, AT_REMOVEDIR);
		errno = err;
	}
	return fd;
}

/* create_node with a fresh temp name; name is "" if nothing was created,
 * so that a cleanup never removes somebody else's entry. */
static int create_tmp(int pdir, char *name, bool dir)
{
	struct timespec ts;
	int fd = -1, i;

	for (i = 0; i < BACKUP_TRIES && fd < 0; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		snprintf(name, BACKUP_TMP_MAX, BACKUP_TMP_PREFIX "%ld.%lx.%d", (long)getpid(),
		         (unsigned long)ts.tv_nsec, i);
		fd = create_node(pdir, name, dir);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		name[0] = '\0';
	return fd;
}

/* Errors after which read and write may still work. */
static bool copy_unsupported(int err)
{
	return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

/* One chunk with read and write: bytes copied, 0 at the end, or -1. */
static ssize_t copy_rw(int in, int out)
{
	char buf[131072];
	ssize_t n = read(in, buf, sizeof(buf)), off = 0, w;

	while (n > 0 && off < n) {
		w = write(out, buf + off, (size_t)(n - off));
		if (w > 0)
			off += w;
		else if (w == 0 || errno != EINTR)
			return w == 0 ? (errno = ENOSPC, -1) : -1;
	}
	return n;
}

/*
 * Copies in to out up to the end of in: in the kernel with
 * copy_file_range (reflinks where the file system can), else with read
 * and write.  A first copy_file_range of 0 bytes is checked with read(),
 * as files such as those of procfs report a size of 0.
 */
static int copy_data(struct backup_op *op, int in, int out)
{
	bool in_kernel = true, started = false;
	ssize_t n;

	for (;;) {
		if (in_kernel)
			n = copy_file_range(in, NULL, out, NULL, BACKUP_CHUNK, 0);
		else
			n = copy_rw(in, out);
		if (in_kernel && (n < 0 ? copy_unsupported(errno) : n == 0 && !started)) {
			in_kernel = false;
			continue;
		}
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		op->bytes += n > 0 ? (unsigned long long)n : 0;
		started = started || n > 0;
	}
}

/*
 * Fills the copy out of a source in (a file, or a directory walked at
 * depth), then gives it the mode and times of st and fsyncs it.  Closes
 * both fds; a close error counts, as on NFS it may be the write's.
 */
static int fill_copy(struct backup_op *op, int in, int out, const struct stat *st, unsigned depth)
{
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	bool dir = S_ISDIR(st->st_mode);
	int ret;

	if (dir) {
		ret = copy_dir(op, in, out, depth);
	} else {
		ret = copy_data(op, in, out);
		if (ret < 0)
			job_result(op->ctx, -1, "copy %s: %s", op->src, strerror(errno));
		close_keep_errno(in);
	}
	if (ret == 0 &&
	    (fchmod(out, st->st_mode & 0777) < 0 || futimens(out, times) < 0 || fsync(out) < 0))
		ret = job_result(op->ctx, -1, "finish copy of %s: %s", op->src, strerror(errno));
	if (close(out) < 0 && ret == 0)
		ret = job_result(op->ctx, -1, "close copy of %s: %s", op->src, strerror(errno));
	if (ret == 0 && !dir)
		op->files++;
	return ret;
}

/* Copies a file or directory of a tree to the same name in dfd. */
static int tree_node(struct backup_op *op, int sfd, int dfd, const char *name,
                     const struct stat *st, unsigned depth)
{
	struct backup_src src = {sfd, name, AT_SYMLINK_NOFOLLOW};
	bool dir = S_ISDIR(st->st_mode);
	int in, out;

	if (dir && ((st->st_dev == op->skip_dev[0] && st->st_ino == op->skip_ino[0]) ||
	            (st->st_dev == op->skip_dev[1] && st->st_ino == op->skip_ino[1]))) {
		op->skipped++;
		return 0;
	}
	if (dir && depth >= BACKUP_MAX_DEPTH)
		return job_result(op->ctx, -1, "%s: tree deeper than %d levels", op->src,
		                  BACKUP_MAX_DEPTH);
	in = open_source(op, &src, st);
	if (in < 0)
		return -1;
	out = create_node(dfd, name, dir);
	if (out < 0) {
		close_keep_errno(in);
		return job_result(op->ctx, -1, "create copy of %s: %s", op->src, strerror(errno));
	}
	return fill_copy(op, in, out, st, depth + 1);
}

static int tree_link(struct backup_op *op, int sfd, int dfd, const char *name)
{
	ssize_t n = readlinkat(sfd, name, op->link, sizeof(op->link));

	if (n < 0 && errno == ENOENT)
		return 0;
	if (n < 0 || (size_t)n >= sizeof(op->link))
		return job_result(op->ctx, -1, "readlink %s: %s", op->src,
		                  n < 0 ? strerror(errno) : "target too long");
	op->link[n] = '\0';
	if (symlinkat(op->link, dfd, name) < 0)
		return job_result(op->ctx, -1, "create symlink copy of %s: %s", op->src,
		                  strerror(errno));
	op->links++;
	return 0;
}

/* Copies one entry of a tree by its type, with op->src naming it meanwhile. */
static int copy_entry(struct backup_op *op, int sfd, int dfd, const char *name, unsigned depth)
{
	size_t saved = op->src_len, n = strlen(name);
	struct stat st;
	int ret = 0;

	if (saved + 1 + n < sizeof(op->src)) {
		op->src[saved] = '/';
		memcpy(op->src + saved + 1, name, n + 1);
		op->src_len = saved + 1 + n;
	}
	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT)
			ret = job_result(op->ctx, -1, "stat %s: %s", op->src, strerror(errno));
	} else if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		ret = tree_node(op, sfd, dfd, name, &st, depth);
	} else if (S_ISLNK(st.st_mode)) {
		ret = tree_link(op, sfd, dfd, name);
	} else {
		op->skipped++;
	}
	op->src_len = saved;
	op->src[saved] = '\0';
	return ret;
}

/* Copies the entries of directory sfd (which it closes) into dfd. */
static int copy_dir(struct backup_op *op, int sfd, int dfd, unsigned depth)
{
	DIR *d = fdopendir(sfd);
	struct dirent *de;
	int ret = 0;

	if (d == NULL) {
		close_keep_errno(sfd);
		return job_result(op->ctx, -1, "read %s: %s", op->src, strerror(errno));
	}
	op->dirs++;
	while (ret == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ret = copy_entry(op, sfd, dfd, de->d_name, depth);
	}
	if (ret == 0 && errno != 0)
		ret = job_result(op->ctx, -1, "read %s: %s", op->src, strerror(errno));
	closedir(d);
	return ret;
}

/* Opens name in parent for removal: a copied directory may be read-only. */
static int open_writable_dir(int parent, const char *name)
{
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(parent, name, flags);

	if (fd < 0 && errno == EACCES && fchmodat(parent, name, 0700, 0) == 0)
		fd = openat(parent, name, flags);
	if (fd >= 0)
		(void)fchmod(fd, 0700);
	return fd;
}

/*
 * Removes name in parent, a file or a whole tree, without following a
 * symlink.  Used on our own temp copies and on an old copy swapped out.
 */
static int remove_tree(int parent, const char *name, unsigned depth)
{
	struct dirent *de;
	int fd, ret = 0;
	DIR *d;

	if (unlinkat(parent, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (depth > BACKUP_REMOVE_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	fd = open_writable_dir(parent, name);
	d = fd < 0 ? NULL : fdopendir(fd);
	if (d == NULL)
		return close_keep_errno(fd);
	while (ret == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ret = remove_tree(fd, de->d_name, depth + 1);
	}
	if (ret == 0 && errno != 0)
		ret = -1;
	closedir(d);
	return ret < 0 ? -1 : unlinkat(parent, name, AT_REMOVEDIR);
}

/*
 * Puts the finished copy tmp in place of name in pdir in one step: a
 * rename if nothing is there, else an exchange, after which the old copy
 * sits under the temp name and is removed.
 */
static int swap_in(struct backup_op *op, int pdir, const char *tmp, const char *name)
{
	bool exchanged = false;
	int r = renameat2(pdir, tmp, pdir, name, RENAME_NOREPLACE);

	if (r < 0 && errno == EINVAL) {
		r = renameat(pdir, tmp, pdir, name); /* no RENAME_NOREPLACE on this fs */
	} else if (r < 0 && errno == EEXIST) {
		r = renameat2(pdir, tmp, pdir, name, RENAME_EXCHANGE);
		exchanged = r == 0;
	}
	if (r < 0)
		return job_result(op->ctx, -1, "rename to %s: %s", op->dest, strerror(errno));
	if (fsync(pdir) < 0)
		return job_result(op->ctx, -1, "fsync directory of %s: %s", op->dest,
		                  strerror(errno));
	if (exchanged && remove_tree(pdir, tmp, 0) < 0)
		return job_result(op->ctx, -1,
		                  "%s is in place, but removing the old copy failed: %s", op->dest,
		                  strerror(errno));
	return 0;
}

/* Copies PATH, a file or a tree, under a temp name beside the
 * destination and swaps it in; on failure the temp copy goes. */
static int backup_top(struct backup_op *op, const struct backup_src *src, const struct stat *st)
{
	bool dir = S_ISDIR(st->st_mode);
	char tmp[BACKUP_TMP_MAX];
	struct stat tst;
	int in, out, pdir, ret;

	in = open_source(op, src, st);
	if (in < 0)
		return -1;
	pdir = open_dest_parent(op);
	if (pdir < 0)
		return close_keep_errno(in);
	out = create_tmp(pdir, tmp, dir);
	if (out < 0 || fstat(out, &tst) < 0) {
		ret = job_result(op->ctx, -1, "create temp copy for %s: %s", op->dest,
		                 strerror(errno));
		close_keep_errno(in);
		close_keep_errno(out);
	} else {
		op->skip_dev[1] = tst.st_dev;
		op->skip_ino[1] = tst.st_ino;
		ret = fill_copy(op, in, out, st, 1);
	}
	if (ret == 0)
		ret = swap_in(op, pdir, tmp, strrchr(op->src, '/') + 1);
	if (ret < 0 && tmp[0] != '\0')
		remove_tree(pdir, tmp, 0);
	close(pdir);
	return ret;
}

/* Looks at the source without following it and refuses all but files and
 * directories before anything opens it. */
static int backup_source(struct backup_op *op, const struct backup_src *src)
{
	struct stat st;
	size_t i;

	if (fstatat(src->parent, src->name, &st, src->nofollow) < 0)
		return job_result(op->ctx, -1, "open %s: %s", op->src, strerror(errno));
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		for (i = 0; i < sizeof(backup_refused) / sizeof(backup_refused[0]); i++) {
			if ((st.st_mode & S_IFMT) == backup_refused[i].type)
				break;
		}
		return job_result(op->ctx, -1, "refusing %s %s",
		                  i < sizeof(backup_refused) / sizeof(backup_refused[0])
		                      ? backup_refused[i].name
		                      : "special file",
		                  op->src);
	}
	if (backup_top(op, src, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return job_result(op->ctx, 0, "copied 1 file, %llu bytes to %s", op->bytes,
		                  op->dest);
	return job_result(op->ctx, 0,
	                  "copied %lu files, %lu dirs, %lu symlinks, %llu bytes, skipped %lu to %s",
	                  op->files, op->dirs, op->links, op->bytes, op->skipped, op->dest);
}

/*
 * Finds the source below root: its directory is resolved with no symlink
 * in any component (rel is already free of ".."), then backup_source looks
 * at the entry itself.  The root itself is taken as the operator named it.
 */
static int backup_from_root(struct backup_op *op, const char *root, const char *rel)
{
	struct backup_src src = {AT_FDCWD, root, 0};
	const char *slash = strrchr(rel, '/');
	size_t dl = slash != NULL ? (size_t)(slash - rel) : 0;
	char dir[PATH_MAX];
	int rootfd, dfd, ret;

	if (*rel == '\0')
		return backup_source(op, &src);
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return job_result(op->ctx, -1, "open allow root %s: %s", root, strerror(errno));
	memcpy(dir, rel, dl);
	dir[dl] = '\0';
	dfd = resolve_beneath(rootfd, dir);
	close_keep_errno(rootfd);
	if (dfd < 0 && errno == ELOOP)
		return job_result(op->ctx, -1, "refusing symlink in the path of %s", op->src);
	if (dfd < 0)
		return job_result(op->ctx, -1, "open %s: %s", op->src, strerror(errno));
	src = (struct backup_src){dfd, slash != NULL ? slash + 1 : rel, AT_SYMLINK_NOFOLLOW};
	ret = backup_source(op, &src);
	close(dfd);
	return ret;
}

int job_backup_run(struct job_ctx *ctx, const char *args, size_t len)
{
	const struct config *cfg = ctx->cfg;
	const char *root = NULL, *rel = NULL, *r;
	struct backup_op op = {.ctx = ctx};
	unsigned i;
	int n;

	ctx->msg[0] = '\0';
	if (job_backup_check(args, len, ctx->msg, sizeof(ctx->msg)) < 0)
		return JOB_FAILED;
	if (cfg == NULL || cfg->backup_dir[0] != '/')
		return job_result(ctx, JOB_FAILED, "no [backup] dir configured");
	normalize(args, len, op.src);
	op.src_len = strlen(op.src);
	if (strcmp(op.src, "/") == 0)
		return job_result(ctx, JOB_FAILED, "refusing to back up / as a whole");
	for (i = 0; i < cfg->n_backup_allow && i < CONFIG_MAX_BACKUP_ALLOW; i++) {
		r = cfg->backup_allow[i] ? path_under(op.src, cfg->backup_allow[i]) : NULL;
		if (r != NULL && (root == NULL || strlen(cfg->backup_allow[i]) > strlen(root))) {
			root = cfg->backup_allow[i];
			rel = r;
		}
	}
	if (root == NULL)
		return job_result(ctx, JOB_FAILED, "not under any [backup] allow root: %s", op.src);
	n = snprintf(op.dest, sizeof(op.dest), "%s%s",
	             strcmp(cfg->backup_dir, "/") != 0 ? cfg->backup_dir : "", op.src);
	if (n < 0 || (size_t)n >= sizeof(op.dest))
		return job_result(ctx, JOB_FAILED, "destination path too long for %s", op.src);
	return backup_from_root(&op, root, rel) < 0 ? JOB_FAILED : JOB_OK;
}
