/*
 * Private to the backup job: what one backup holds, and the copy and swap
 * machinery of worker/backup_copy.c that worker/job_backup.c drives.  Only
 * those two files include it; nothing here resolves a path or decides what
 * may be copied, which stays in job_backup.c.
 */
#ifndef POOLD_BACKUP_COPY_H
#define POOLD_BACKUP_COPY_H

#include <limits.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "job.h"

#define BACKUP_TMP_MAX 80 /* size of a buffer for a temp name */
#define BACKUP_TRIES   16 /* temp names tried; openat2 calls retried on EAGAIN */

/* A source entry: name in parent; nofollow is AT_SYMLINK_NOFOLLOW, or 0
 * only for an allow root itself, which the operator named. */
struct backup_src {
	int parent;
	const char *name;
	int nofollow;
};

/* One backup job, from the path check to the result line. */
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

/* Closes fd if it is not negative and keeps errno as it was.  Returns -1,
 * so an error path can end with `return backup_close_keep_errno(fd)`. */
int backup_close_keep_errno(int fd);

/*
 * Opens src, which fstatat found to be st, without following a symlink
 * unless src->nofollow is 0, with O_NONBLOCK for a file, and checks that
 * it is still the same entry.  Returns a new fd the caller owns, or -1
 * with the reason in op->ctx->msg.
 */
int backup_open_source(struct backup_op *op, const struct backup_src *src, const struct stat *st);

/*
 * Creates and opens an empty file (dir false) or a 0700 directory under a
 * fresh ".poold-tmp." name in pdir, written to name (BACKUP_TMP_MAX
 * bytes).  Returns a new fd the caller owns, or -1 with errno set and name
 * "", so that a cleanup never removes somebody else's entry.
 */
int backup_copy_create_tmp(int pdir, char *name, bool dir);

/*
 * Fills the copy out from the source in (a file, or a directory whose tree
 * is copied at depth, 1 for the top), gives it the mode and times of st
 * and fsyncs it, counting into op.  Closes both fds in every case.
 * Returns 0, or -1 with the reason in op->ctx->msg; a partial copy is left
 * for the caller to remove.
 */
int backup_copy_fill(struct backup_op *op, int in, int out, const struct stat *st, unsigned depth);

/*
 * Puts the finished copy tmp in place of name in pdir (a readable
 * directory fd, still the caller's) in one step and removes any old copy.
 * Returns 0, or -1 with the reason in op->ctx->msg; tmp may then still
 * exist (the new copy, or the old one after an exchange) for the caller
 * to remove.
 */
int backup_copy_swap_in(struct backup_op *op, int pdir, const char *tmp, const char *name);

/* Removes name in parent, a file or a whole tree, without following a
 * symlink.  Returns 0 (also if it was not there), or -1 with errno set. */
int backup_copy_remove(int parent, const char *name);

#endif
