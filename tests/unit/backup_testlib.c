/*
 * The fixture and helpers of the job_backup unit tests (see
 * backup_testlib.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "backup_testlib.h"
#include "job.h"

/* fsync and syncfs are counted (this definition wins over libc's for the
 * code under test) to check that a tree has one barrier, not one each. */
unsigned long fsync_calls, syncfs_calls;

int fsync(int fd)
{
	fsync_calls++;
	return (int)syscall(SYS_fsync, fd);
}

int syncfs(int fd)
{
	syncfs_calls++;
	return (int)syscall(SYS_syncfs, fd);
}

/* snprintf that fails the test instead of truncating. */
void fmt(char *out, size_t size, const char *format, ...)
{
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(out, size, format, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

/* a joined with b into out (PATH_MAX bytes). */
void join(char *out, const char *a, const char *b)
{
	fmt(out, PATH_MAX, "%s/%s", a, b);
}

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

int setup(void **state)
{
	const char *tmp = getenv("POOLD_TEST_TMP");
	char templ[PATH_MAX];
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(templ, sizeof(templ), "%s/tjb.XXXXXX", tmp != NULL && *tmp ? tmp : "/tmp");
	if (mkdtemp(templ) == NULL || realpath(templ, f->base) == NULL)
		return -1;
	join(f->allow, f->base, "allow");
	join(f->outside, f->base, "outside");
	join(f->backup, f->base, "backups");
	if (mkdir(f->allow, 0755) < 0 || mkdir(f->outside, 0755) < 0)
		return -1;
	f->log_fd = -1;
	fmt(f->cfg.backup_dir, sizeof(f->cfg.backup_dir), "%s", f->backup);
	f->cfg.backup_allow[0] = strdup(f->allow);
	f->cfg.n_backup_allow = 1;
	f->cfg.backup_keep = 7;
	f->ctx.conf = &f->cfg;
	f->ctx.state = &f->log_fd;
	*state = f;
	return f->cfg.backup_allow[0] == NULL ? -1 : 0;
}

int teardown(void **state)
{
	struct fx *f = *state;
	unsigned i;
	int ret;

	for (i = 0; i < f->cfg.n_backup_allow; i++)
		free(f->cfg.backup_allow[i]);
	ret = nftw(f->base, remove_cb, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return ret;
}

/* Writes len bytes of data to path (created or truncated) with mode. */
void put(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

void put_str(const char *path, const char *text)
{
	put(path, text, strlen(text), 0644);
}

/* The whole file, NUL-terminated; *len gets its size.  The caller frees. */
char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, (size_t)st.st_size + 1), st.st_size);
	buf[st.st_size] = '\0';
	close(fd);
	if (len != NULL)
		*len = (size_t)st.st_size;
	return buf;
}

void assert_content(const char *path, const char *text)
{
	char *got = slurp(path, NULL);

	assert_string_equal(got, text);
	free(got);
}

/* The mode of path, through a final symlink (@latest). */
void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

void assert_absent(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* Makes directory b in a (0700), its path in out (PATH_MAX bytes). */
void make_dir(char *out, const char *a, const char *b)
{
	join(out, a, b);
	assert_int_equal(mkdir(out, 0700), 0);
}

/* Writes text to entry name of directory dir. */
void put_in(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];

	join(p, dir, name);
	put_str(p, text);
}

/* Entry name of directory dir has content text, or is absent if NULL. */
void assert_entry(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];

	join(p, dir, name);
	if (text != NULL)
		assert_content(p, text);
	else
		assert_absent(p);
}

/* Where the latest backup of src is (its generations' @latest). */
void dest_of(struct fx *f, const char *src, char *out)
{
	fmt(out, PATH_MAX, "%s%s/@latest", f->backup, src);
}

/* Number of temporaries anywhere below directory fd (closed): entries in
 * a ".poold-tmp" staging directory, or named ".poold-tmp.*" (as before). */
static int count_tmp_fd(int fd, bool staging)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int n = 0, sub;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (staging || strncmp(de->d_name, ".poold-tmp.", 11) == 0)
			n++;
		sub = openat(fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (sub >= 0)
			n += count_tmp_fd(sub, strcmp(de->d_name, ".poold-tmp") == 0);
	}
	closedir(d);
	return n;
}

int count_tmp(struct fx *f)
{
	return count_tmp_fd(open(f->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), false);
}

int run(struct fx *f, const char *path)
{
	strcpy(f->ctx.msg, "(untouched)");
	return job_backup_run(&f->ctx, path, strlen(path));
}

/* Runs the job and expects a failure whose reason contains want. */
void run_fails(struct fx *f, const char *path, const char *want)
{
	assert_int_equal(run(f, path), JOB_FAILED);
	if (strstr(f->ctx.msg, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", f->ctx.msg, want);
	assert_int_equal(count_tmp(f), 0);
}

void run_ok(struct fx *f, const char *path)
{
	if (run(f, path) != JOB_OK)
		fail_msg("backup %s failed: %s", path, f->ctx.msg);
	assert_int_equal(count_tmp(f), 0);
}

bool msg_has(struct fx *f, const char *want)
{
	return strstr(f->ctx.msg, want) != NULL;
}
