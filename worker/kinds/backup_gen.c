/*
 * Generations of a backup.  Each path has a target directory in the
 * backup dir (/etc/hosts: DIR/etc/hosts/) holding one snapshot per run,
 * named "@YYYYMMDDTHHMMSS.uuuuuuZ" (UTC), and "@latest", a symlink to the
 * newest.  A new generation is built in the staging directory, then, under
 * the staging directory's lock, renamed into the target directory, and
 * "@latest" is replaced by a rename of a fresh symlink: a reader of
 * @latest sees the old generation or the whole new one.  Generations past
 * [backup] keep go, oldest first: renamed into the staging directory under
 * the lock, removed after it (so a worker killed meanwhile leaves them to
 * the sweep).  This file also finds the previous generation, whose
 * unchanged files a new one shares (backup_copy.c links them).  It must
 * not follow a symlink other than reading @latest's text, which must be a
 * generation's name.
 * Decisions:
 * - A component of a path that begins with '@' gets a second '@' in the
 *   target's path (/srv/@x: DIR/srv/@@x/), so no file of a backed-up tree
 *   can take the name of a generation or of @latest.
 * - A file is unchanged when its type, size, modification time and
 *   permission bits equal those of its copy in the previous generation
 *   (what rsync --link-dest looks at); its new copy is then a hard link.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "backup_copy.h"

#define GEN_LATEST "@latest"
#define GEN_MAX    64 /* size of a generation's name */

/* True for "@" followed by a digit: a generation, not @latest or "@@x". */
static bool is_gen(const char *name)
{
	return name[0] == '@' && name[1] >= '0' && name[1] <= '9';
}

bool backup_unchanged(const struct stat *src, const struct stat *copy)
{
	return S_ISREG(src->st_mode) && S_ISREG(copy->st_mode) && src->st_size == copy->st_size &&
	       src->st_mtim.tv_sec == copy->st_mtim.tv_sec &&
	       src->st_mtim.tv_nsec == copy->st_mtim.tv_nsec &&
	       (src->st_mode & 0777) == (copy->st_mode & 0777);
}

int backup_gen_target_path(const char *src, char *out, size_t size)
{
	size_t o = 0, n;

	while (*src != '\0') {
		src += strspn(src, "/");
		n = strcspn(src, "/");
		if (n == 0)
			break;
		if (o + n + 3 > size)
			return -1;
		if (o > 0)
			out[o++] = '/';
		if (src[0] == '@')
			out[o++] = '@';
		memcpy(out + o, src, n);
		o += n;
		src += n;
	}
	out[o] = '\0';
	return 0;
}

int backup_gen_prev(struct backup_op *op)
{
	char name[GEN_MAX];
	ssize_t n;
	int tfd;

	op->prev_dir = -1;
	tfd = backup_open_target(op, false);
	if (tfd < 0)
		return 0; /* no earlier backup */
	n = readlinkat(tfd, GEN_LATEST, name, sizeof(name));
	if (n <= 0 || (size_t)n >= sizeof(name) || memchr(name, '/', (size_t)n) != NULL) {
		close(tfd);
		return 0;
	}
	name[n] = '\0';
	if (!is_gen(name)) {
		close(tfd);
		return 0;
	}
	op->prev_dir = tfd;
	memcpy(op->prev_name, name, (size_t)n + 1);
	return 0;
}

/* The name of a new generation, from the clock, in name (GEN_MAX). */
static void gen_name(char *name, int attempt)
{
	struct timespec ts;
	struct tm tm;
	size_t n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(name, GEN_MAX, "@%Y%m%dT%H%M%S", &tm);
	snprintf(name + n, GEN_MAX - n, attempt > 0 ? ".%06ldZ-%d" : ".%06ldZ", ts.tv_nsec / 1000,
	         attempt);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Moves the generations of tfd past [backup] keep (oldest first; never
 * newest) into stage under temp names, written to gone (at most max).
 * Returns how many; the caller removes them once the lock is released.
 */
static int gen_expire(struct backup_op *op, int tfd, int stage, const char *newest,
                      char (*gone)[BACKUP_TMP_MAX], int max)
{
	char **names = NULL, **more;
	size_t n = 0, cap = 0, i, keep = backup_conf(op)->backup_keep;
	int dfd = openat(tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), moved = 0;
	DIR *d = dfd < 0 ? NULL : fdopendir(dfd);
	struct dirent *de;

	if (d == NULL) {
		backup_close_keep_errno(dfd);
		return 0;
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_gen(de->d_name) || strcmp(de->d_name, newest) == 0)
			continue;
		if (n == cap) {
			more = realloc(names, (cap * 2 + 16) * sizeof(*names));
			if (more == NULL)
				break;
			names = more;
			cap = cap * 2 + 16;
		}
		names[n] = strdup(de->d_name);
		n += names[n] != NULL;
	}
	closedir(d);
	if (names != NULL)
		qsort(names, n, sizeof(*names), cmp_names);
	keep = keep > 0 ? keep : 1; /* the new generation always stays */
	for (i = 0; n + 1 > keep && i < n + 1 - keep && moved < max; i++) {
		if (backup_stage_name(gone[moved], names[i]) == 0 &&
		    renameat(tfd, names[i], stage, gone[moved]) == 0)
			moved++;
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return moved;
}

/* Points @latest of tfd at gen: a fresh symlink in stage renamed over it. */
static int gen_point_latest(struct backup_op *op, int tfd, int stage, const char *gen)
{
	char tmp[BACKUP_TMP_MAX];

	if (backup_stage_name(tmp, "latest") < 0 || symlinkat(gen, stage, tmp) < 0)
		return job_result(op->ctx, -1, "make %s/" GEN_LATEST ": %s", op->dest,
		                  strerror(errno));
	if (renameat(stage, tmp, tfd, GEN_LATEST) < 0) {
		job_result(op->ctx, -1, "replace %s/" GEN_LATEST ": %s", op->dest, strerror(errno));
		unlinkat(stage, tmp, 0);
		return -1;
	}
	return 0;
}

/* Under the lock: the new generation and @latest in place, durable, and
 * the expired generations moved out. */
static int gen_publish_locked(struct backup_op *op, int stage, const char *tmp,
                              char (*gone)[BACKUP_TMP_MAX], int *ngone)
{
	int tfd = backup_open_target(op, true), r = -1, i;

	if (tfd < 0)
		return -1;
	for (i = 0; i < BACKUP_TRIES && r < 0; i++) {
		gen_name(op->gen, i);
		r = renameat2(stage, tmp, tfd, op->gen, RENAME_NOREPLACE);
		if (r < 0 && errno == EINVAL)
			r = renameat(stage, tmp, tfd, op->gen); /* no RENAME_NOREPLACE here */
		if (r < 0 && errno != EEXIST)
			break;
	}
	if (r < 0)
		job_result(op->ctx, -1, "rename to %s/%s: %s", op->dest, op->gen, strerror(errno));
	else if (gen_point_latest(op, tfd, stage, op->gen) < 0)
		r = -1;
	else if ((r = fsync(tfd)) < 0)
		job_result(op->ctx, -1, "fsync %s: %s", op->dest, strerror(errno));
	if (r == 0)
		*ngone = gen_expire(op, tfd, stage, op->gen, gone, BACKUP_EXPIRE_MAX);
	close(tfd);
	return r;
}

int backup_gen_publish(struct backup_op *op, int stage, const char *tmp)
{
	char gone[BACKUP_EXPIRE_MAX][BACKUP_TMP_MAX];
	int ngone = 0, ret, i;

	if (flock(stage, LOCK_EX) < 0)
		return job_result(op->ctx, -1, "lock the staging directory: %s", strerror(errno));
	ret = gen_publish_locked(op, stage, tmp, gone, &ngone);
	flock(stage, LOCK_UN);
	for (i = 0; i < ngone; i++)
		backup_copy_remove(stage, gone[i]);
	return ret;
}
