/*
 * The `backup PATH` job: copies a regular file or a directory tree that
 * lies under one of the [backup] allow roots to [backup] dir + PATH
 * (/etc/hosts goes to DIR/etc/hosts), so that a reader sees the old copy
 * or the whole new one, never a part.  This file owns the path rules
 * (syntax in the master, roots and symlinks in the worker), the way to the
 * source and to the destination's directory, and the result line; the
 * copy and the atomic swap are in backup_copy.c.  It must not follow a
 * symlink below an allow root, open a FIFO, socket or device for reading,
 * exit on any input, create anything in the backup dir for a refused job,
 * or leave a partial copy or a temporary behind when it fails (the
 * staging directory and the sweep of what dead workers left are in
 * backup_stage.c).
 * Decisions:
 * - A symlink as PATH itself or in any component of PATH below the root is
 *   refused; symlinks inside a copied tree are copied as symlinks.
 * - openat2 falls back to a walk with O_NOFOLLOW on ENOSYS and on EPERM,
 *   which older container seccomp profiles return for unknown syscalls.
 */
#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup_copy.h"
#include "pathrule.h"

int job_backup_check(const char *args, size_t len, char *err, size_t errlen)
{
	return pathrule_check(args, len, err, errlen);
}

int backup_open_dir(const char *bdir)
{
	return pathrule_walk(AT_FDCWD, bdir, PATHRULE_CREATE | PATHRULE_FOLLOW);
}

int backup_open_target(struct backup_op *op, bool create)
{
	const char *bdir = backup_conf(op)->backup_dir;
	int bfd, tfd, fd;

	bfd = create ? backup_open_dir(bdir) : open(bdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return create ? job_result(op->ctx, -1, "create %s: %s", bdir, strerror(errno))
		              : -1;
	tfd = pathrule_walk(bfd, op->target, create ? PATHRULE_CREATE : 0);
	close(bfd);
	fd = tfd < 0 ? -1 : openat(tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 && create)
		job_result(op->ctx, -1, "create %s: %s", op->dest, strerror(errno));
	backup_close_keep_errno(tfd);
	return fd;
}

/* A single file unchanged since the previous generation becomes a new
 * name of its copy there, as tmp in stage: 1 if so, 0 if it must be
 * copied. */
static int top_link_file(struct backup_op *op, int stage, char *tmp, const struct stat *st)
{
	struct stat pst;

	if (op->prev_dir < 0 ||
	    fstatat(op->prev_dir, op->prev_name, &pst, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !backup_unchanged(st, &pst))
		return 0;
	if (backup_stage_name(tmp, strrchr(op->src, '/') + 1) < 0 ||
	    linkat(op->prev_dir, op->prev_name, stage, tmp, 0) < 0) {
		tmp[0] = '\0';
		return 0; /* e.g. too many links: copy it */
	}
	op->files = op->linked = 1;
	return 1;
}

/* Copies the open source in (which it closes) to a new temp in stage. */
static int top_copy(struct backup_op *op, int in, int stage, char *tmp, const struct stat *st)
{
	bool dir = S_ISDIR(st->st_mode);
	struct stat tst;
	int out;

	out = backup_copy_create_tmp(stage, tmp, dir, strrchr(op->src, '/') + 1);
	if (out < 0 || fstat(out, &tst) < 0) {
		backup_close_keep_errno(in);
		backup_close_keep_errno(out);
		return job_result(op->ctx, -1, "create temp copy for %s: %s", op->dest,
		                  strerror(errno));
	}
	op->skip_dev[1] = tst.st_dev;
	op->skip_ino[1] = tst.st_ino;
	if (dir && op->prev_dir >= 0)
		op->prev[1] = openat(op->prev_dir, op->prev_name,
		                     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return backup_copy_fill(op, in, out, st, 1);
}

/* Copies PATH, a file or a tree, under a temp name in the staging
 * directory (or links it, unchanged) and publishes it as a new
 * generation; the temp name goes in every case. */
static int backup_top(struct backup_op *op, const struct backup_src *src, const struct stat *st)
{
	char tmp[BACKUP_TMP_MAX] = "";
	int in, stage, ret;
	size_t i;

	for (i = 0; i < sizeof(op->prev) / sizeof(op->prev[0]); i++)
		op->prev[i] = -1;
	op->prev_dir = -1;
	in = backup_open_source(op, src, st);
	if (in < 0)
		return -1;
	stage = backup_stage_open(op);
	if (stage < 0)
		return backup_close_keep_errno(in);
	backup_gen_prev(op);
	if (!S_ISDIR(st->st_mode) && top_link_file(op, stage, tmp, st) == 1) {
		close(in);
		ret = 0;
	} else {
		ret = top_copy(op, in, stage, tmp, st);
	}
	if (ret == 0)
		ret = backup_gen_publish(op, stage, tmp);
	if (tmp[0] != '\0')
		backup_copy_remove(stage, tmp);
	backup_close_keep_errno(op->prev[1]);
	backup_close_keep_errno(op->prev_dir);
	close(stage);
	return ret;
}

/* Looks at the source without following it and refuses all but files and
 * directories before anything opens it. */
static int backup_source(struct backup_op *op, const struct backup_src *src)
{
	struct stat st;

	if (fstatat(src->parent, src->name, &st, src->nofollow) < 0)
		return job_result(op->ctx, -1, "open %s: %s", op->src, strerror(errno));
	if (pathrule_refused(st.st_mode) != NULL)
		return job_result(op->ctx, -1, "refusing %s %s", pathrule_refused(st.st_mode),
		                  op->src);
	if (backup_top(op, src, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return job_result(op->ctx, 0, "%s 1 file, %llu bytes to %s/%s",
		                  op->linked ? "unchanged" : "copied", op->bytes, op->dest,
		                  op->gen);
	if (op->failed > 0)
		return job_result(
		    op->ctx, 0,
		    "copied %lu files (%lu unchanged), %lu dirs, %lu symlinks, %llu "
		    "bytes, skipped %lu, vanished %lu, could not copy %lu (first: %s) "
		    "to %s/%s",
		    op->files, op->linked, op->dirs, op->links, op->bytes, op->skipped,
		    op->vanished, op->failed, op->first_failure, op->dest, op->gen);
	return job_result(op->ctx, 0,
	                  "copied %lu files (%lu unchanged), %lu dirs, %lu symlinks, %llu bytes, "
	                  "skipped %lu, vanished %lu to %s/%s",
	                  op->files, op->linked, op->dirs, op->links, op->bytes, op->skipped,
	                  op->vanished, op->dest, op->gen);
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
	dfd = pathrule_beneath(rootfd, dir);
	backup_close_keep_errno(rootfd);
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
	const struct job_backup_conf *cfg = ctx->conf;
	const char *root = NULL, *rel = NULL, *r;
	struct backup_op op = {.ctx = ctx};
	unsigned i;
	int n;

	ctx->msg[0] = '\0';
	if (job_backup_check(args, len, ctx->msg, sizeof(ctx->msg)) < 0)
		return JOB_FAILED;
	if (cfg == NULL || cfg->backup_dir[0] != '/')
		return job_result(ctx, JOB_FAILED, "no [backup] dir configured");
	pathrule_normalize(args, len, op.src);
	op.src_len = strlen(op.src);
	if (strcmp(op.src, "/") == 0)
		return job_result(ctx, JOB_FAILED, "refusing to back up / as a whole");
	for (i = 0; i < cfg->n_backup_allow && i < CONFIG_MAX_BACKUP_ALLOW; i++) {
		r = cfg->backup_allow[i] ? pathrule_under(op.src, cfg->backup_allow[i]) : NULL;
		if (r != NULL && (root == NULL || strlen(cfg->backup_allow[i]) > strlen(root))) {
			root = cfg->backup_allow[i];
			rel = r;
		}
	}
	if (root == NULL)
		return job_result(ctx, JOB_FAILED, "not under any [backup] allow root: %s", op.src);
	n = backup_gen_target_path(op.src, op.target, sizeof(op.target)) < 0
	        ? -1
	        : snprintf(op.dest, sizeof(op.dest), "%s/%s",
	                   strcmp(cfg->backup_dir, "/") != 0 ? cfg->backup_dir : "", op.target);
	if (n < 0 || (size_t)n >= sizeof(op.dest))
		return job_result(ctx, JOB_FAILED, "destination path too long for %s", op.src);
	return backup_from_root(&op, root, rel) < 0 ? JOB_FAILED : JOB_OK;
}

/* Drops [backup] allow's paths (its default) before the first line sets it. */
static void job_backup_clear_allow(struct config *cfg, const struct config_key *k)
{
	struct job_backup_conf *c = config_blob(cfg, k);

	while (c->n_backup_allow > 0) {
		c->n_backup_allow--;
		free(c->backup_allow[c->n_backup_allow]);
		c->backup_allow[c->n_backup_allow] = NULL;
	}
}

static void job_backup_conf_free(void *blob)
{
	struct job_backup_conf *c = blob;

	while (c->n_backup_allow > 0)
		free(c->backup_allow[--c->n_backup_allow]);
}

/* Adds each space-separated path of value to [backup] allow. */
static int job_backup_parse_allow(struct config *cfg, const struct config_key *k, const char *value,
                                  char *reason, size_t rlen)
{
	struct job_backup_conf *c = config_blob(cfg, k);
	char words[INI_MAX_LINE + 64], path[PATH_MAX];
	char *save, *w;

	snprintf(words, sizeof(words), "%s", value);
	for (w = strtok_r(words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (c->n_backup_allow == CONFIG_MAX_BACKUP_ALLOW) {
			snprintf(reason, rlen, "more than %d paths", CONFIG_MAX_BACKUP_ALLOW);
			return -1;
		}
		if (config_resolve(cfg->basedir, w, path, sizeof(path)) < 0) {
			snprintf(reason, rlen, "path too long (more than %d characters)",
			         PATH_MAX - 1);
			return -1;
		}
		c->backup_allow[c->n_backup_allow] = strdup(path);
		if (c->backup_allow[c->n_backup_allow] == NULL) {
			snprintf(reason, rlen, "out of memory");
			return -1;
		}
		c->n_backup_allow++;
	}
	return 0;
}

static bool job_backup_same_allow(const struct config_key *k, const void *a, const void *b)
{
	const struct job_backup_conf *x = a, *y = b;
	unsigned i;

	if (x->n_backup_allow != y->n_backup_allow)
		return false;
	for (i = 0; i < x->n_backup_allow; i++)
		if (strcmp(x->backup_allow[i], y->backup_allow[i]) != 0)
			return false;
	return true;
}

#define JOB_BACKUP_AT(field) offsetof(struct job_backup_conf, field)

static const struct config_key job_backup_keys[] = {
    {"backup", "dir", "poold.d/backups", config_parse_path, NULL, JOB_BACKUP_AT(backup_dir), 0, 0,
     CONFIG_RELOAD_WORKERS, config_same_str, false},
    {"backup", "allow", ".", job_backup_parse_allow, job_backup_clear_allow,
     JOB_BACKUP_AT(backup_allow), 0, 0, CONFIG_RELOAD_WORKERS, job_backup_same_allow, false},
    {"backup", "job_timeout", "0", config_parse_time, NULL, JOB_BACKUP_AT(backup_job_timeout_ms), 0,
     86400000, CONFIG_RELOAD_LIVE, NULL, false},
    {"backup", "hardlinks", "refuse", config_parse_choice, NULL, JOB_BACKUP_AT(backup_hardlinks), 0,
     0, CONFIG_RELOAD_WORKERS, config_same_bool, false},
    {"backup", "partial", "no", config_parse_choice, NULL, JOB_BACKUP_AT(backup_partial), 1, 0,
     CONFIG_RELOAD_WORKERS, config_same_bool, false},
    {"backup", "keep", "7", config_parse_count, NULL, JOB_BACKUP_AT(backup_keep), 1, 10000,
     CONFIG_RELOAD_WORKERS, config_same_uint, false},
};

static const struct config_section job_backup_section = {
    .keys = job_backup_keys,
    .nkeys = sizeof(job_backup_keys) / sizeof(job_backup_keys[0]),
    .size = sizeof(struct job_backup_conf),
    .free = job_backup_conf_free,
};

static void job_backup_describe(const void *conf, char *out, size_t len)
{
	snprintf(out, len, "backups in %s", ((const struct job_backup_conf *)conf)->backup_dir);
}

const struct job_kind job_kind_backup = {
    .code = 3,
    .name = "backup",
    .run = job_backup_run,
    .check = job_backup_check,
    .section = &job_backup_section,
    .may_be_long = true,
    .timeout_at = JOB_BACKUP_AT(backup_job_timeout_ms),
    .init = job_backup_init,
    .describe = job_backup_describe,
};
