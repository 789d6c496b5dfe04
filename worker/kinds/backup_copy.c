/*
 * The copy and the atomic swap of the backup job; worker/job_backup.c
 * decides what is copied and where, and hands this file open fds.  It
 * builds the copy under a temp name in the staging directory (a file, or a
 * whole tree, made durable by one barrier at its end) and puts it in place
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
 *   owner is the worker.  A file with more than one name is refused (any
 *   other name may lie outside the allow roots: a hard link is a way out
 *   of them) unless [backup] hardlinks = allow, and then the names become
 *   separate files.  Entries deleted during the walk are left out and
 *   counted ("vanished N"); entries replaced are copied as they are then.
 *   Trees are at most 64 levels deep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "backup_copy.h"

#define BACKUP_REMOVE_DEPTH 128 /* levels removed when clearing an old copy */
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
	bool gone;
	int fd;

	fd = openat(src->parent, src->name, flags | O_CLOEXEC | (src->nofollow ? O_NOFOLLOW : 0));
	op->src_failed = true;
	if (fd < 0) {
		gone = errno == ENOENT || errno == ELOOP || errno == ENOTDIR;
		job_result(op->ctx, -1, "open %s: %s", op->src, strerror(errno));
		return gone ? BACKUP_GONE : -1;
	}
	if (fstat(fd, &now) < 0 || now.st_dev != st->st_dev || now.st_ino != st->st_ino ||
	    (now.st_mode & S_IFMT) != (st->st_mode & S_IFMT)) {
		close(fd);
		job_result(op->ctx, -1, "%s changed while being opened", op->src);
		return BACKUP_GONE;
	}
	if (S_ISREG(now.st_mode) && now.st_nlink > 1 && !backup_conf(op)->backup_hardlinks) {
		close(fd);
		return job_result(
		    op->ctx, -1,
		    "refusing %s: a file with %lu hard links, whose other names may lie "
		    "outside the allowed roots ([backup] hardlinks = allow copies it)",
		    op->src, (unsigned long)now.st_nlink);
	}
	op->src_failed = false;
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
int backup_copy_create_tmp(int stage, char *name, bool dir, const char *base)
{
	int fd = -1, i;

	for (i = 0; i < BACKUP_TRIES && fd < 0; i++) {
		if (backup_stage_name(name, base) < 0)
			break;
		fd = create_node(stage, name, dir);
		if (fd < 0 && errno != EEXIST)
			break;
	}
	if (fd < 0)
		name[0] = '\0';
	return fd;
}

/*
 * Fills the copy out of a source in (a file, or a directory walked at
 * depth), then gives it the mode and times of st.  The durability barrier
 * is one per backup, at the top (depth 1): an fsync of a single file, or
 * one syncfs of the backup file system once a whole tree is written (not
 * one fsync per entry: about 1.7 ms each, 170 s for 100,000 files); the
 * caller renames only after it.  Closes both fds; a close error counts,
 * as on NFS it may be the write's.
 */
int backup_copy_fill(struct backup_op *op, int in, int out, const struct stat *st, unsigned depth)
{
	struct timespec times[2] = {st->st_atim, st->st_mtim};
	bool dir = S_ISDIR(st->st_mode);
	int ret;

	if (dir) {
		ret = copy_dir(op, in, out, depth);
	} else {
		ret = backup_data_copy(op, in, out, st);
		backup_close_keep_errno(in);
	}
	if (ret == 0 && (fchmod(out, st->st_mode & 0777) < 0 || futimens(out, times) < 0 ||
	                 (depth == 1 && (dir ? syncfs(out) : fsync(out)) < 0)))
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
	int in, out, ret;

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
		return in;
	out = create_node(dfd, name, dir);
	if (out < 0) {
		backup_close_keep_errno(in);
		return job_result(op->ctx, -1, "create copy of %s: %s", op->src, strerror(errno));
	}
	if (dir && op->prev[depth] >= 0)
		op->prev[depth + 1] =
		    openat(op->prev[depth], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	ret = backup_copy_fill(op, in, out, st, depth + 1);
	if (dir && op->prev[depth + 1] >= 0) {
		close(op->prev[depth + 1]);
		op->prev[depth + 1] = -1;
	}
	return ret;
}

/* A file unchanged since the previous generation becomes a new name of
 * its copy there: true if so.  A file with other names still goes the
 * way of backup_open_source, which may refuse it. */
static bool tree_link_unchanged(struct backup_op *op, int dfd, const char *name,
                                const struct stat *st, unsigned depth)
{
	struct stat pst;

	if (op->prev[depth] < 0 || (st->st_nlink > 1 && !backup_conf(op)->backup_hardlinks) ||
	    fstatat(op->prev[depth], name, &pst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !backup_unchanged(st, &pst) || linkat(op->prev[depth], name, dfd, name, 0) < 0)
		return false;
	op->files++;
	op->linked++;
	return true;
}

static int tree_link(struct backup_op *op, int sfd, int dfd, const char *name)
{
	ssize_t n = readlinkat(sfd, name, op->link, sizeof(op->link));

	if (n < 0 && (errno == ENOENT || errno == EINVAL))
		return BACKUP_GONE; /* gone, or no longer a symlink */
	op->src_failed = n < 0 || (size_t)n >= sizeof(op->link);
	if (op->src_failed)
		return job_result(op->ctx, -1, "readlink %s: %s", op->src,
		                  n < 0 ? strerror(errno) : "target too long");
	op->link[n] = '\0';
	if (symlinkat(op->link, dfd, name) < 0)
		return job_result(op->ctx, -1, "create symlink copy of %s: %s", op->src,
		                  strerror(errno));
	op->links++;
	return 0;
}

/* Copies one entry of a tree by its type: 0, -1, BACKUP_GONE if it went
 * or changed between its stat and its open, 1 if it was not there. */
static int copy_by_type(struct backup_op *op, int sfd, int dfd, const char *name, unsigned depth)
{
	struct stat st;

	if (fstatat(sfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		op->src_failed = true;
		return errno == ENOENT
		           ? 1
		           : job_result(op->ctx, -1, "stat %s: %s", op->src, strerror(errno));
	}
	if (S_ISREG(st.st_mode) && tree_link_unchanged(op, dfd, name, &st, depth))
		return 0;
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))
		return tree_node(op, sfd, dfd, name, &st, depth);
	if (S_ISLNK(st.st_mode))
		return tree_link(op, sfd, dfd, name);
	op->skipped++;
	return 0;
}

/*
 * Copies one entry of a tree, with op->src naming it meanwhile.  An entry
 * deleted during the walk is left out and counted ("vanished N"); one
 * replaced (renamed over, or deleted and made again) is looked at again,
 * so the copy has what was there when it was read.
 */
static int copy_entry(struct backup_op *op, int sfd, int dfd, const char *name, unsigned depth)
{
	size_t saved = op->src_len, n = strlen(name);
	int ret, tries = 0;

	if (saved + 1 + n < sizeof(op->src)) {
		op->src[saved] = '/';
		memcpy(op->src + saved + 1, name, n + 1);
		op->src_len = saved + 1 + n;
	}
	while ((ret = copy_by_type(op, sfd, dfd, name, depth)) == BACKUP_GONE) {
		if (++tries == BACKUP_TRIES) {
			ret =
			    job_result(op->ctx, -1, "%s kept changing while being copied", op->src);
			break;
		}
	}
	if (ret == 1) {
		op->vanished++;
		ret = 0;
	} else if (ret < 0 && op->src_failed && backup_conf(op)->backup_partial) {
		if (op->failed++ == 0) /* cut to fit the result line */
			snprintf(op->first_failure, sizeof(op->first_failure), "%.*s",
			         (int)sizeof(op->first_failure) - 1, op->ctx->msg);
		op->src_failed = false;
		ret = 0;
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
		op->src_failed = true;
		return job_result(op->ctx, -1, "read %s: %s", op->src, strerror(errno));
	}
	op->dirs++;
	while (ret == 0 && (errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			ret = copy_entry(op, sfd, dfd, de->d_name, depth);
	}
	if (ret == 0 && errno != 0) {
		op->src_failed = true;
		ret = job_result(op->ctx, -1, "read %s: %s", op->src, strerror(errno));
	}
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
