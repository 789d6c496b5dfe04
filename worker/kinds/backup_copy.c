/*
 * The copy and the atomic swap of the backup job; worker/job_backup.c
 * decides what is copied and where, and hands this file open fds.  It
 * builds the copy under a temp name beside the destination (a file, or a
 * whole tree with every file and directory fsynced) and puts it in place
 * with rename, or with RENAME_EXCHANGE and removal of the old copy when
 * one is there.  It must not resolve a path, follow a symlink or open a
 * FIFO, socket or device inside a tree, or exit on anything it finds.
 * Decisions:
 * - Symlinks inside a copied tree are recreated as symlinks with the same
 *   target text, never followed, and counted ("N symlinks"): a copy of /etc
 *   without /etc/localtime would not restore.
 * - FIFOs, sockets and devices inside a tree are skipped unopened and
 *   counted ("skipped N"); so is the backup dir if the tree holds it.
 * - Copies keep the permission bits (0777) and times; set-id and sticky
 *   bits are dropped (a backup must not mint set-uid programs) and the
 *   owner is the worker.  Hard links become separate files; entries that
 *   vanish during the walk are left out.  Trees are at most 64 levels deep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup_copy.h"

#define BACKUP_MAX_DEPTH    64  /* directory levels of a copied tree */
#define BACKUP_REMOVE_DEPTH 128 /* levels removed when clearing an old copy */
#define BACKUP_TMP_PREFIX   ".poold-tmp."
#define BACKUP_CHUNK        (1L << 30)
#define BACKUP_FILE_FLAGS   (O_RDONLY | O_NONBLOCK | O_NOCTTY)
#define BACKUP_DIR_FLAGS    (O_RDONLY | O_DIRECTORY)

static int copy_dir(struct backup_op *op, int sfd, int dfd, unsigned depth);

int backup_close_keep_errno(int fd)
{
	int saved = errno;

	if (fd >= 0)
		close(fd);
	errno = saved;
	return -1;
}

/* Opens a source entry that fstatat found to be st, and checks that it is
 * still the same one, so a swap in between cannot get anything else read. */
int backup_open_source(struct backup_op *op, const struct backup_src *src, const struct stat *st)
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
int backup_copy_create_tmp(int pdir, char *name, bool dir)
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
int backup_copy_fill(struct backup_op *op, int in, int out, const struct stat *st, unsigned depth)
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
		backup_close_keep_errno(in);
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
	in = backup_open_source(op, &src, st);
	if (in < 0)
		return -1;
	out = create_node(dfd, name, dir);
	if (out < 0) {
		backup_close_keep_errno(in);
		return job_result(op->ctx, -1, "create copy of %s: %s", op->src, strerror(errno));
	}
	return backup_copy_fill(op, in, out, st, depth + 1);
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
		backup_close_keep_errno(sfd);
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
		return backup_close_keep_errno(fd);
	while (ret == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ret = remove_tree(fd, de->d_name, depth + 1);
	}
	if (ret == 0 && errno != 0)
		ret = -1;
	closedir(d);
	return ret < 0 ? -1 : unlinkat(parent, name, AT_REMOVEDIR);
}

int backup_copy_remove(int parent, const char *name)
{
	return remove_tree(parent, name, 0);
}

/*
 * Puts the finished copy tmp in place of name in pdir in one step: a
 * rename if nothing is there, else an exchange, after which the old copy
 * sits under the temp name and is removed.
 */
int backup_copy_swap_in(struct backup_op *op, int pdir, const char *tmp, const char *name)
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
