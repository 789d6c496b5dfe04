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

#define BACKUP_TMP_MAX    200 /* size of a buffer for a temp name */
#define BACKUP_TRIES      16  /* temp names tried; openat2 calls retried on EAGAIN */
#define BACKUP_GONE       -2  /* a tree entry went or changed between its stat and its open */
#define BACKUP_MAX_DEPTH  64  /* directory levels of a copied tree */
#define BACKUP_EXPIRE_MAX 16  /* generations expired by one backup */

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
	unsigned long files, dirs, links, skipped, vanished;
	unsigned long linked;   /* files unchanged: hard links to the previous generation */
	unsigned long failed;   /* entries of a partial tree that could not be copied */
	bool src_failed;        /* the last failure was the source's (partial may skip it) */
	char first_failure[96]; /* the reason of the first of them */
	unsigned long long bytes;
	char link[PATH_MAX];            /* scratch for readlinkat */
	char target[PATH_MAX];          /* the target directory, relative to the backup dir */
	int prev_dir;                   /* the target directory if a previous generation exists */
	char prev_name[64];             /* that generation's name */
	int prev[BACKUP_MAX_DEPTH + 2]; /* its directory at each depth of the tree, or -1 */
	char gen[64];                   /* the new generation's name */
};

/* Closes fd if it is not negative and keeps errno as it was.  Returns -1,
 * so an error path can end with `return backup_close_keep_errno(fd)`. */
int backup_close_keep_errno(int fd);

/*
 * Opens src, which fstatat found to be st, without following a symlink
 * unless src->nofollow is 0, with O_NONBLOCK for a file, and checks that
 * it is still the same entry.  Returns a new fd the caller owns, or -1
 * or BACKUP_GONE (not there any more, or another entry now) with the
 * reason in op->ctx->msg.
 */
int backup_open_source(struct backup_op *op, const struct backup_src *src, const struct stat *st);

/*
 * Creates and opens an empty file (dir false) or a 0700 directory under a
 * fresh temp name (backup_stage_name with base) in the staging directory
 * stage, written to name (BACKUP_TMP_MAX bytes).  Returns a new fd the
 * caller owns, or -1 with errno set and name "", so that a cleanup never
 * removes somebody else's entry.
 */
int backup_copy_create_tmp(int stage, char *name, bool dir, const char *base);

/*
 * Fills the copy out from the source in (a file, or a directory whose tree
 * is copied at depth, 1 for the top), gives it the mode and times of st
 * and, at the top only, makes it durable (fsync of a file, one syncfs for
 * a whole tree), counting into op.  Closes both fds in every case.
 * Returns 0, or -1 with the reason in op->ctx->msg; a partial copy is left
 * for the caller to remove.
 */
int backup_copy_fill(struct backup_op *op, int in, int out, const struct stat *st, unsigned depth);

/* In job_backup.c: the backup dir bdir, made if missing, as an O_PATH fd
 * or -1; and the target directory of op (its generations), as a readable
 * fd, with its missing components made if create, or -1 (with the reason
 * in msg if create). */
int backup_open_dir(const char *bdir);
int backup_open_target(struct backup_op *op, bool create);

/* In backup_stage.c.  The staging directory of the backup dir, made if
 * missing, as a readable fd the caller owns, or -1 with the reason in
 * op->ctx->msg. */
int backup_stage_open(struct backup_op *op);

/* A fresh temp name "PID.RANDOM.BASE" in name (BACKUP_TMP_MAX bytes).
 * Returns 0, or -1 if no random bits could be had. */
int backup_stage_name(char *name, const char *base);

/*
 * In backup_gen.c.  Writes the target directory of the normalized path
 * src, relative to the backup dir, to out (size bytes), with a second '@'
 * before each component that begins with '@'.  Returns 0, or -1 if it
 * does not fit.
 */
int backup_gen_target_path(const char *src, char *out, size_t size);

/* Looks for the generation @latest points to: op->prev_dir is then the
 * target directory's fd (the caller closes it) and op->prev_name its
 * name; else op->prev_dir is -1.  Returns 0. */
int backup_gen_prev(struct backup_op *op);

/* True if a copy with stat copy may stand for a source with stat src. */
bool backup_unchanged(const struct stat *src, const struct stat *copy);

/*
 * Publishes the finished copy tmp (in stage) as a new generation of op's
 * target, points @latest at it and expires generations past [backup]
 * keep, holding the staging directory's lock.  Returns 0 with the name in
 * op->gen, or -1 with the reason in op->ctx->msg (tmp may then remain).
 */
int backup_gen_publish(struct backup_op *op, int stage, const char *tmp);

/*
 * Copies the data of the regular file in (whose fstat is st) into the
 * empty file out, keeping holes, after checking that the backup file
 * system has room for it.  Leaves both fds open.  Returns 0, or -1 with
 * the reason in op->ctx->msg.  In backup_data.c.
 */
int backup_data_copy(struct backup_op *op, int in, int out, const struct stat *st);

/* Removes name in parent, a file or a whole tree, without following a
 * symlink.  Returns 0 (also if it was not there), or -1 with errno set. */
int backup_copy_remove(int parent, const char *name);

/* The [backup] settings of the job op belongs to. */
static inline const struct job_backup_conf *backup_conf(const struct backup_op *op)
{
	return op->ctx->conf;
}

/*
 * The backup kind's init hook, at each worker's start once it has said
 * hello: removes the temporaries that dead workers left in [backup] dir.
 * Never fails (what cannot be removed is logged); returns 0.  In
 * backup_stage.c.
 */
int job_backup_init(void *state, const void *conf);

#endif
