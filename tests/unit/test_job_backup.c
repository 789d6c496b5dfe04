/*
 * Unit tests of worker/kinds/job_backup.c on real files in a fresh temporary
 * directory (under $POOLD_TEST_TMP if set, else /tmp): the syntax check,
 * file and tree copies, atomic replacement, the allow roots, symlinks and
 * FIFOs (a FIFO opened for reading would block: alarm() turns a hang into
 * a failure), failures that must leave no ".poold-tmp." entry behind, and
 * the component walk used when openat2 is missing (forced with seccomp).
 */
/* test-sources: @kinds */
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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#include "job.h"
#include "jobs.h"

#define HANG_LIMIT 20 /* seconds before alarm() kills a test that hangs */

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

/* fsync and syncfs are counted (this definition wins over libc's for the
 * code under test) to check that a tree has one barrier, not one each. */
static unsigned long fsync_calls, syncfs_calls;

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

struct fx {
	char base[PATH_MAX];
	char allow[PATH_MAX];
	char outside[PATH_MAX];
	char backup[PATH_MAX];
	int log_fd;
	struct job_backup_conf cfg;
	struct job_ctx ctx;
};

/* snprintf that fails the test instead of truncating. */
static void fmt(char *out, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt(char *out, size_t size, const char *format, ...)
{
	va_list ap;
	int n;

	va_start(ap, format);
	n = vsnprintf(out, size, format, ap);
	va_end(ap);
	assert_true(n >= 0 && (size_t)n < size);
}

/* a joined with b into out (PATH_MAX bytes). */
static void join(char *out, const char *a, const char *b)
{
	fmt(out, PATH_MAX, "%s/%s", a, b);
}

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int setup(void **state)
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

static int teardown(void **state)
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
static void put(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static void put_str(const char *path, const char *text)
{
	put(path, text, strlen(text), 0644);
}

/* The whole file, NUL-terminated; *len gets its size.  The caller frees. */
static char *slurp(const char *path, size_t *len)
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

static void assert_content(const char *path, const char *text)
{
	char *got = slurp(path, NULL);

	assert_string_equal(got, text);
	free(got);
}

/* The mode of path, through a final symlink (@latest). */
static void assert_mode(const char *path, mode_t mode)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, mode);
}

static void assert_absent(const char *path)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
}

/* Makes directory b in a (0700), its path in out (PATH_MAX bytes). */
static void make_dir(char *out, const char *a, const char *b)
{
	join(out, a, b);
	assert_int_equal(mkdir(out, 0700), 0);
}

/* Writes text to entry name of directory dir. */
static void put_in(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];

	join(p, dir, name);
	put_str(p, text);
}

/* Entry name of directory dir has content text, or is absent if NULL. */
static void assert_entry(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];

	join(p, dir, name);
	if (text != NULL)
		assert_content(p, text);
	else
		assert_absent(p);
}

/* Where the latest backup of src is (its generations' @latest). */
static void dest_of(struct fx *f, const char *src, char *out)
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

static int count_tmp(struct fx *f)
{
	return count_tmp_fd(open(f->base, O_RDONLY | O_DIRECTORY | O_CLOEXEC), false);
}

static int run(struct fx *f, const char *path)
{
	strcpy(f->ctx.msg, "(untouched)");
	return job_backup_run(&f->ctx, path, strlen(path));
}

/* Runs the job and expects a failure whose reason contains want. */
static void run_fails(struct fx *f, const char *path, const char *want)
{
	assert_int_equal(run(f, path), JOB_FAILED);
	if (strstr(f->ctx.msg, want) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", f->ctx.msg, want);
	assert_int_equal(count_tmp(f), 0);
}

static void run_ok(struct fx *f, const char *path)
{
	if (run(f, path) != JOB_OK)
		fail_msg("backup %s failed: %s", path, f->ctx.msg);
	assert_int_equal(count_tmp(f), 0);
}

static bool msg_has(struct fx *f, const char *want)
{
	return strstr(f->ctx.msg, want) != NULL;
}

static void check_rejects(const char *args, size_t len, const char *want)
{
	char err[128] = "";

	assert_int_equal(job_backup_check(args, len, err, sizeof(err)), -1);
	assert_string_equal(err, want);
}

static void test_check(void **state)
{
	char err[128] = "";
	char *long_path = malloc(PATH_MAX + 1);

	assert_non_null(long_path);
	check_rejects("", 0, "path is empty");
	check_rejects("etc/hosts", 9, "path must be absolute");
	check_rejects("/etc\0/hosts", 11, "path has a NUL byte");
	check_rejects("/etc/../shadow", 14, "path has a '..' component");
	check_rejects("/etc/..", 7, "path has a '..' component");
	check_rejects("/../etc", 7, "path has a '..' component");
	memset(long_path, 'a', PATH_MAX);
	long_path[0] = '/';
	check_rejects(long_path, PATH_MAX, "path is too long");
	free(long_path);
	assert_int_equal(job_backup_check("/", 1, err, sizeof(err)), 0);
	assert_int_equal(job_backup_check("/a/..b/c../.../.", 16, err, sizeof(err)), 0);
	assert_int_equal(job_backup_check("//etc/./hosts/", 14, err, sizeof(err)), 0);
	/* Only len bytes count: the ".." after them is not part of the path. */
	assert_int_equal(job_backup_check("/etc/..", 5, err, sizeof(err)), 0);
}

static void test_file_copy(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], dst[PATH_MAX];
	struct stat s1, s2;
	size_t i, len;
	char *data = malloc(1 << 20), *got;

	assert_non_null(data);
	for (i = 0; i < 1 << 20; i++)
		data[i] = (char)(i * 7 + i / 251);
	join(src, f->allow, "data.bin");
	put(src, data, 1 << 20, 0640);
	run_ok(f, src);
	assert_non_null(strstr(f->ctx.msg, "copied 1 file, 1048576 bytes"));
	dest_of(f, src, dst);
	got = slurp(dst, &len);
	assert_int_equal(len, 1 << 20);
	assert_memory_equal(got, data, 1 << 20);
	assert_mode(dst, 0640);
	assert_int_equal(stat(src, &s1), 0);
	assert_int_equal(stat(dst, &s2), 0);
	assert_int_equal(s1.st_mtim.tv_sec, s2.st_mtim.tv_sec);
	assert_int_equal(s1.st_mtim.tv_nsec, s2.st_mtim.tv_nsec);
	free(got);
	free(data);
}

/* Set-id bits are dropped, the rest of the mode is kept; an empty file
 * is copied too. */
static void test_file_mode_and_empty(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], dst[PATH_MAX];

	join(src, f->allow, "tool");
	put(src, "", 0, 04755);
	run_ok(f, src);
	dest_of(f, src, dst);
	assert_content(dst, "");
	assert_mode(dst, 0755);
}

/* The job gets its arguments without a NUL: only len bytes count. */
static void test_args_not_nul_terminated(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], dst[PATH_MAX], args[PATH_MAX + 16];

	join(src, f->allow, "f.txt");
	put_str(src, "hello\n");
	fmt(args, sizeof(args), "%s/../../etc/shadow", src);
	assert_int_equal(job_backup_run(&f->ctx, args, strlen(src)), JOB_OK);
	dest_of(f, src, dst);
	assert_content(dst, "hello\n");
}

static void test_tree_copy(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], d[PATH_MAX];

	join(p, f->allow, "tree");
	assert_int_equal(mkdir(p, 0750), 0);
	join(p, f->allow, "tree/a.txt");
	put(p, "a\n", 2, 0600);
	join(p, f->allow, "tree/sub");
	assert_int_equal(mkdir(p, 0755), 0);
	join(p, f->allow, "tree/sub/b.txt");
	put_str(p, "bee\n");
	join(p, f->allow, "tree/sub/deeper");
	assert_int_equal(mkdir(p, 0700), 0);
	join(p, f->allow, "tree/sub/deeper/c.txt");
	put(p, "sea\n", 4, 0444);
	join(p, f->allow, "tree/empty");
	assert_int_equal(mkdir(p, 0711), 0);

	join(p, f->allow, "tree");
	run_ok(f, p);
	assert_non_null(
	    strstr(f->ctx.msg, "copied 3 files (0 unchanged), 4 dirs, 0 symlinks, 10 bytes"));
	dest_of(f, p, d);
	assert_mode(d, 0750);
	join(p, d, "a.txt");
	assert_content(p, "a\n");
	assert_mode(p, 0600);
	join(p, d, "sub/b.txt");
	assert_content(p, "bee\n");
	join(p, d, "sub/deeper/c.txt");
	assert_content(p, "sea\n");
	assert_mode(p, 0444);
	join(p, d, "sub/deeper");
	assert_mode(p, 0700);
	join(p, d, "empty");
	assert_mode(p, 0711);
}

/* A new backup is a new file renamed in: a reader holding the old copy
 * keeps it whole, and the path then shows the whole new content. */
static void test_rebackup_file_replaces(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], dst[PATH_MAX], old[64] = "";
	struct stat s1, s2;
	int fd;

	join(src, f->allow, "conf");
	put_str(src, "old content, longer than the new one\n");
	run_ok(f, src);
	dest_of(f, src, dst);
	fd = open(dst, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &s1), 0);

	put_str(src, "new\n");
	run_ok(f, src);
	assert_content(dst, "new\n");
	assert_int_equal(stat(dst, &s2), 0);
	assert_true(s1.st_ino != s2.st_ino);
	assert_true(read(fd, old, sizeof(old) - 1) > 0);
	assert_string_equal(old, "old content, longer than the new one\n");
	close(fd);
}

static void test_rebackup_tree_replaces(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], d[PATH_MAX];

	join(t, f->allow, "site");
	assert_int_equal(mkdir(t, 0755), 0);
	join(p, t, "old.txt");
	put_str(p, "old\n");
	join(p, t, "keep.txt");
	put_str(p, "v1\n");
	run_ok(f, t);

	join(p, t, "old.txt");
	assert_int_equal(unlink(p), 0);
	join(p, t, "new.txt");
	put_str(p, "new\n");
	join(p, t, "keep.txt");
	put_str(p, "v2\n");
	run_ok(f, t);
	dest_of(f, t, d);
	join(p, d, "old.txt");
	assert_absent(p);
	join(p, d, "new.txt");
	assert_content(p, "new\n");
	join(p, d, "keep.txt");
	assert_content(p, "v2\n");
}

static void test_dotdot_refused(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], err[128] = "";

	join(src, f->outside, "secret");
	put_str(src, "secret\n");
	join(src, f->allow, "../outside/secret");
	assert_int_equal(job_backup_check(src, strlen(src), err, sizeof(err)), -1);
	assert_string_equal(err, "path has a '..' component");
	run_fails(f, src, "'..'");
	assert_absent(f->backup);
}

static void test_outside_roots_refused(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX];

	join(src, f->outside, "secret");
	put_str(src, "secret\n");
	run_fails(f, src, "not under any [backup] allow root");
	assert_absent(f->backup);
}

/* /x/allowX is not under /x/allow. */
static void test_root_prefix_trick(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX], src[PATH_MAX];

	fmt(dir, sizeof(dir), "%sX", f->allow);
	assert_int_equal(mkdir(dir, 0755), 0);
	join(src, dir, "secret");
	put_str(src, "secret\n");
	run_fails(f, src, "not under any");
	run_fails(f, dir, "not under any");
	assert_absent(f->backup);
}

static void test_symlink_refused(void **state)
{
	struct fx *f = *state;
	char secret[PATH_MAX], link[PATH_MAX], dst[PATH_MAX];

	join(secret, f->outside, "secret");
	put_str(secret, "secret\n");
	join(link, f->allow, "link");
	assert_int_equal(symlink(secret, link), 0);
	run_fails(f, link, "refusing symlink");
	dest_of(f, link, dst);
	assert_absent(dst);
	/* A symlink to a file inside the root is refused as well. */
	join(secret, f->allow, "inside.txt");
	put_str(secret, "inside\n");
	join(link, f->allow, "link2");
	assert_int_equal(symlink("inside.txt", link), 0);
	run_fails(f, link, "refusing symlink");
}

static void test_symlink_intermediate_refused(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], src[PATH_MAX], dst[PATH_MAX];

	join(p, f->outside, "secret");
	put_str(p, "secret\n");
	join(p, f->allow, "ldir");
	assert_int_equal(symlink(f->outside, p), 0);
	join(src, f->allow, "ldir/secret");
	run_fails(f, src, "symlink");
	dest_of(f, src, dst);
	assert_absent(dst);

	join(p, f->allow, "real");
	assert_int_equal(mkdir(p, 0755), 0);
	join(p, f->allow, "real/up");
	assert_int_equal(symlink("..", p), 0);
	join(src, f->allow, "real/up/real/up/ldir/secret");
	run_fails(f, src, "symlink");
}

static void test_fifo_socket_device_refused(void **state)
{
	struct fx *f = *state;
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char p[PATH_MAX];
	int s;

	join(p, f->allow, "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	alarm(HANG_LIMIT);
	run_fails(f, p, "refusing FIFO");
	alarm(0);

	join(p, f->allow, "sock");
	if (strlen(p) < sizeof(sun.sun_path)) {
		strcpy(sun.sun_path, p);
		s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(s >= 0);
		assert_int_equal(bind(s, (struct sockaddr *)&sun, sizeof(sun)), 0);
		run_fails(f, p, "refusing socket");
		close(s);
	}

	f->cfg.backup_allow[f->cfg.n_backup_allow++] = strdup("/dev");
	alarm(HANG_LIMIT);
	run_fails(f, "/dev/null", "refusing character device");
	run_fails(f, "/dev/zero", "refusing character device");
	alarm(0);
	assert_absent(f->backup);
}

static void test_missing_fails(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX];

	join(p, f->allow, "nope");
	run_fails(f, p, "No such file or directory");
	join(p, f->allow, "nodir/nope");
	run_fails(f, p, "No such file or directory");
	assert_absent(f->backup);
}

/* What the top comment of job_backup.c promises: inside a tree a symlink
 * is copied as a symlink (never followed), FIFOs and sockets are skipped
 * unopened and counted. */
static void test_tree_with_fifo_and_symlink(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], d[PATH_MAX], secret[PATH_MAX], target[PATH_MAX] = "";
	struct stat st;

	join(secret, f->outside, "secret");
	put_str(secret, "secret\n");
	join(t, f->allow, "mix");
	assert_int_equal(mkdir(t, 0755), 0);
	join(p, t, "file.txt");
	put_str(p, "file\n");
	join(p, t, "fifo");
	assert_int_equal(mkfifo(p, 0644), 0);
	join(p, t, "link");
	assert_int_equal(symlink(secret, p), 0);

	alarm(HANG_LIMIT);
	run_ok(f, t);
	alarm(0);
	assert_non_null(strstr(
	    f->ctx.msg, "copied 1 files (0 unchanged), 1 dirs, 1 symlinks, 5 bytes, skipped 1"));
	dest_of(f, t, d);
	join(p, d, "file.txt");
	assert_content(p, "file\n");
	join(p, d, "fifo");
	assert_absent(p);
	join(p, d, "link");
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_true(readlink(p, target, sizeof(target) - 1) > 0);
	assert_string_equal(target, secret);
}

/* A destination directory that is a regular file fails the job with a
 * reason, and nothing is left behind. */
static void test_dest_component_is_file(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], block[PATH_MAX], first[NAME_MAX + 1];
	size_t n = strcspn(f->allow + 1, "/");

	memcpy(first, f->allow + 1, n);
	first[n] = '\0';
	join(src, f->allow, "f.txt");
	put_str(src, "f\n");
	assert_int_equal(mkdir(f->backup, 0750), 0);
	join(block, f->backup, first);
	put_str(block, "in the way\n");
	run_fails(f, src, "Not a directory");
	assert_content(block, "in the way\n");
}

/* A write that fails halfway (EFBIG under RLIMIT_FSIZE, as ENOSPC would)
 * removes the temp file and keeps the old backup whole. */
static void test_copy_failure_keeps_old(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], dst[PATH_MAX];
	struct rlimit old, low;
	void (*old_handler)(int);
	char *big = calloc(1, 256 * 1024);
	int ret;

	assert_non_null(big);
	join(src, f->allow, "grows");
	put_str(src, "v1\n");
	run_ok(f, src);
	put(src, big, 256 * 1024, 0644);
	free(big);

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	low = old;
	low.rlim_cur = 64 * 1024;
	old_handler = signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &low), 0);
	ret = run(f, src);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, old_handler);

	assert_int_equal(ret, JOB_FAILED);
	assert_non_null(strstr(f->ctx.msg, "File too large"));
	assert_int_equal(count_tmp(f), 0);
	dest_of(f, src, dst);
	assert_content(dst, "v1\n");
}

/* A tree deeper than the limit fails after the temp tree is half built:
 * the temp tree goes, no copy appears. */
static void test_tree_too_deep(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], d[PATH_MAX];
	int fd, next, i;

	join(t, f->allow, "deep");
	assert_int_equal(mkdir(t, 0755), 0);
	fd = open(t, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (i = 0; i < 70 && fd >= 0; i++) {
		assert_int_equal(mkdirat(fd, "d", 0755), 0);
		next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		close(fd);
		fd = next;
	}
	assert_true(fd >= 0);
	close(fd);
	run_fails(f, t, "deeper than 64 levels");
	dest_of(f, t, d);
	assert_absent(d);
}

/* A tree that holds the backup dir does not copy it into itself. */
static void test_backup_dir_inside_tree(void **state)
{
	struct fx *f = *state;
	char p[PATH_MAX], d[PATH_MAX];

	join(f->cfg.backup_dir, f->allow, "backups");
	fmt(f->backup, sizeof(f->backup), "%s", f->cfg.backup_dir);
	join(p, f->allow, "a.txt");
	put_str(p, "a\n");
	run_ok(f, f->allow);
	assert_non_null(strstr(
	    f->ctx.msg, "copied 1 files (0 unchanged), 1 dirs, 0 symlinks, 2 bytes, skipped 1"));
	dest_of(f, f->allow, d);
	join(p, d, "a.txt");
	assert_content(p, "a\n");
	join(p, d, "backups");
	assert_absent(p);
}

/* A tree of 60 files in 6 directories is made durable by one syncfs, not
 * by an fsync of each file and directory; a single file by its fsync.
 * Counted on a second backup, once the target's directories exist. */
static void test_tree_one_barrier(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], name[16];
	int i, k;

	join(t, f->allow, "many");
	assert_int_equal(mkdir(t, 0755), 0);
	for (i = 0; i < 6; i++) {
		fmt(name, sizeof(name), "d%d", i);
		make_dir(p, t, name);
		for (k = 0; k < 10; k++) {
			fmt(name, sizeof(name), "f%d", k);
			put_in(p, name, "data\n");
		}
	}
	run_ok(f, t); /* the first also makes (and fsyncs) the target's directories */
	fsync_calls = syncfs_calls = 0;
	run_ok(f, t);
	assert_int_equal(syncfs_calls, 1);
	if (fsync_calls > 1) /* the target directory, after the renames */
		fail_msg("%lu fsync calls for a tree of 60 files", fsync_calls);
	fsync_calls = syncfs_calls = 0;
	join(p, t, "d0/f0");
	run_ok(f, p);
	assert_int_equal(syncfs_calls, 0);
	assert_true(fsync_calls >= 1);
}

/* A file with a second name (perhaps outside every allow root) is
 * refused, alone or in a tree, unless [backup] hardlinks = allow. */
static void test_hardlink_refused(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], o[PATH_MAX], d[PATH_MAX];

	join(t, f->allow, "tree");
	assert_int_equal(mkdir(t, 0755), 0);
	join(o, f->outside, "secret");
	put_str(o, "secret\n");
	join(p, t, "alias");
	assert_int_equal(link(o, p), 0);
	run_fails(f, p, "2 hard links");
	assert_non_null(strstr(f->ctx.msg, "[backup] hardlinks = allow"));
	run_fails(f, t, "2 hard links");
	dest_of(f, t, d);
	assert_absent(d);

	f->cfg.backup_hardlinks = true;
	run_ok(f, p);
	run_ok(f, t);
	join(p, d, "alias");
	assert_content(p, "secret\n");
}

/* A 64 MiB file with 4 KiB of data at each end stays sparse in its copy,
 * with the same size and bytes. */
static void test_sparse_kept(void **state)
{
	struct fx *f = *state;
	const off_t size = 64L << 20;
	char src[PATH_MAX], dst[PATH_MAX], head[4096], tail[4096], got[4096];
	struct stat st;
	int fd;

	memset(head, 'h', sizeof(head));
	memset(tail, 't', sizeof(tail));
	join(src, f->allow, "sparse");
	fd = open(src, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, head, sizeof(head), 0), (ssize_t)sizeof(head));
	assert_int_equal(pwrite(fd, tail, sizeof(tail), size - 4096), (ssize_t)sizeof(tail));
	assert_int_equal(close(fd), 0);
	assert_int_equal(stat(src, &st), 0);
	if ((off_t)st.st_blocks * 512 >= size)
		skip(); /* the test directory's file system does not keep holes */
	run_ok(f, src);
	dest_of(f, src, dst);
	assert_int_equal(stat(dst, &st), 0);
	assert_int_equal(st.st_size, size);
	if ((off_t)st.st_blocks * 512 > (1L << 20))
		fail_msg("the copy has %lld blocks allocated", (long long)st.st_blocks);
	fd = open(dst, O_RDONLY | O_CLOEXEC);
	assert_int_equal(pread(fd, got, sizeof(got), 0), (ssize_t)sizeof(got));
	assert_memory_equal(got, head, sizeof(got));
	assert_int_equal(pread(fd, got, sizeof(got), size - 4096), (ssize_t)sizeof(got));
	assert_memory_equal(got, tail, sizeof(got));
	assert_int_equal(pread(fd, got, sizeof(got), size / 2), (ssize_t)sizeof(got));
	memset(head, 0, sizeof(head));
	assert_memory_equal(got, head, sizeof(got));
	close(fd);
}

#define CHURN_FILES 300

/* The child of test_vanish_during_walk: deletes files of dir and makes
 * them again under the same name (a rename over it), at random, until
 * killed; only raw calls, as cmocka cannot cross a fork. */
static void churn(const char *dir, unsigned seed)
{
	char p[PATH_MAX], q[PATH_MAX];
	int i, fd;

	srand(seed);
	for (;;) {
		i = rand() % CHURN_FILES;
		snprintf(p, sizeof(p), "%s/f%03d", dir, i);
		snprintf(q, sizeof(q), "%s/new%03d", dir, i);
		unlink(p);
		fd = open(q, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd >= 0 && write(fd, "new\n", 4) == 4 && close(fd) == 0)
			rename(q, p);
	}
}

/* Files deleted or replaced while a tree is walked do not fail it:
 * deleted ones are left out and counted, replaced ones are copied. */
static void test_vanish_during_walk(void **state)
{
	struct fx *f = *state;
	unsigned seed = (unsigned)time(NULL), runs, gone = 0;
	char t[PATH_MAX], p[PATH_MAX];
	const char *v;
	pid_t pid;
	int i;

	print_message("seed %u\n", seed);
	join(t, f->allow, "churn");
	assert_int_equal(mkdir(t, 0755), 0);
	for (i = 0; i < CHURN_FILES; i++) {
		fmt(p, sizeof(p), "%s/f%03d", t, i);
		put_str(p, "old\n");
	}
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(HANG_LIMIT);
		churn(t, seed);
	}
	for (runs = 0; runs < 300 && gone < 3; runs++) {
		if (run(f, t) != JOB_OK)
			break;
		v = strstr(f->ctx.msg, "vanished ");
		gone += v != NULL && atoi(v + 9) > 0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	if (strncmp(f->ctx.msg, "copied ", 7) != 0)
		fail_msg("run %u failed: %s", runs, f->ctx.msg);
	if (gone == 0)
		fail_msg("no entry vanished in %u runs (seed %u)", runs, seed);
	assert_int_equal(count_tmp(f), 0);
}

/* The sweep at a worker's start removes the temporaries of dead workers,
 * without following a symlink in them, and nothing else. */
static void test_sweep_stale(void **state)
{
	struct fx *f = *state;
	char stage[PATH_MAX], p[PATH_MAX], o[PATH_MAX];
	pid_t dead = fork();

	assert_true(dead >= 0);
	if (dead == 0)
		_exit(0);
	assert_int_equal(waitpid(dead, NULL, 0), dead);
	assert_int_equal(mkdir(f->backup, 0755), 0);
	make_dir(stage, f->backup, ".poold-tmp");
	make_dir(o, f->outside, "keep");
	join(o, f->outside, "keep/file");
	put_str(o, "keep\n");
	fmt(p, sizeof(p), "%s/%d.0123456789abcdef.tree", stage, (int)dead);
	assert_int_equal(mkdir(p, 0755), 0);
	join(o, p, "out");
	assert_int_equal(symlink(f->outside, o), 0);
	assert_int_equal(chmod(p, 0500), 0); /* read-only, as a copied tree may be */
	join(o, f->outside, "keep/file");
	fmt(p, sizeof(p), "%s/%d.fedcba9876543210.file", stage, (int)dead);
	put_str(p, "stale\n");
	fmt(p, sizeof(p), "%s/%d.0123456789abcdef.live", stage, (int)getppid());
	put_str(p, "live\n");
	join(p, stage, "12.not-ours");
	put_str(p, "other\n");

	assert_int_equal(jobs_by_name("backup", 6)->init(NULL, &f->cfg),
	                 0); /* the kind's init hook */
	fmt(p, sizeof(p), "%s/%d.0123456789abcdef.tree", stage, (int)dead);
	assert_absent(p);
	fmt(p, sizeof(p), "%s/%d.fedcba9876543210.file", stage, (int)dead);
	assert_absent(p);
	fmt(p, sizeof(p), "%s/%d.0123456789abcdef.live", stage, (int)getppid());
	assert_content(p, "live\n");
	join(p, stage, "12.not-ours");
	assert_content(p, "other\n");
	assert_content(o, "keep\n");
}

/* Backups of a tree and of a file and a directory inside it, run at once
 * by several processes, all succeed and leave no temporary. */
static void test_nested_concurrent(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], sub[PATH_MAX], file[PATH_MAX];
	const char *paths[3] = {t, sub, file};
	int i, k, status, bad = 0;
	pid_t pids[6];

	join(t, f->allow, "top");
	assert_int_equal(mkdir(t, 0755), 0);
	join(sub, t, "sub");
	assert_int_equal(mkdir(sub, 0755), 0);
	for (i = 0; i < 40; i++) {
		fmt(p, sizeof(p), "%s/f%d", sub, i);
		put_str(p, "x\n");
	}
	join(file, sub, "f0");
	for (i = 0; i < 6; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] > 0)
			continue;
		alarm(HANG_LIMIT);
		for (k = 0; k < 30; k++) {
			if (run(f, paths[i % 3]) != JOB_OK) {
				fprintf(stderr, "%s: %s\n", paths[i % 3], f->ctx.msg);
				_exit(1);
			}
		}
		_exit(0);
	}
	for (i = 0; i < 6; i++) {
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		bad |= !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	}
	assert_int_equal(bad, 0);
	assert_int_equal(count_tmp(f), 0);
}

/* Number of generations ("@" and a digit) in the target directory of src. */
static int count_gens(struct fx *f, const char *src)
{
	char t[PATH_MAX];
	struct dirent *de;
	int n = 0;
	DIR *d;

	fmt(t, sizeof(t), "%s%s", f->backup, src);
	d = opendir(t);
	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += de->d_name[0] == '@' && de->d_name[1] >= '0' && de->d_name[1] <= '9';
	closedir(d);
	return n;
}

/* The inode of path, through a final symlink. */
static ino_t ino_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* Each backup is a new generation; an unchanged file is a hard link to
 * its copy in the previous one; [backup] keep bounds how many stay; @latest
 * points at the newest. */
static void test_generations(void **state)
{
	struct fx *f = *state;
	char src[PATH_MAX], dst[PATH_MAX], lnk[64];
	ino_t first;
	ssize_t n;
	int i;

	f->cfg.backup_keep = 2;
	join(src, f->allow, "f.txt");
	put_str(src, "v1\n");
	run_ok(f, src);
	dest_of(f, src, dst);
	first = ino_of(dst);
	run_ok(f, src);
	assert_non_null(strstr(f->ctx.msg, "unchanged 1 file"));
	assert_int_equal(ino_of(dst), first);
	assert_int_equal(count_gens(f, src), 2);
	put_str(src, "v2 longer\n");
	for (i = 0; i < 3; i++)
		run_ok(f, src);
	assert_content(dst, "v2 longer\n");
	assert_true(ino_of(dst) != first);
	assert_int_equal(count_gens(f, src), 2);
	n = readlink(dst, lnk, sizeof(lnk) - 1);
	assert_true(n > 1);
	lnk[n] = '\0';
	assert_non_null(strstr(f->ctx.msg, lnk)); /* the outcome names the generation */
	assert_true(lnk[0] == '@' && lnk[1] == '2' && strchr(lnk, '/') == NULL);
}

/* In a tree, unchanged files are shared with the previous generation and
 * changed ones are copied. */
static void test_generations_tree(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], d[PATH_MAX], a1[PATH_MAX], b1[PATH_MAX];
	struct timespec later[2] = {{0, UTIME_OMIT}, {2000000000, 0}};
	ino_t ia, ib;

	join(t, f->allow, "tree");
	assert_int_equal(mkdir(t, 0755), 0);
	make_dir(p, t, "sub");
	put_in(t, "sub/a", "same\n");
	put_in(t, "b", "old\n");
	join(p, t, "b");
	run_ok(f, t);
	dest_of(f, t, d);
	join(a1, d, "sub/a");
	join(b1, d, "b");
	ia = ino_of(a1);
	ib = ino_of(b1);
	assert_int_equal(utimensat(AT_FDCWD, p, later, 0), 0); /* b: same size, new time */
	run_ok(f, t);
	if (strstr(f->ctx.msg, "copied 2 files (1 unchanged), 2 dirs") == NULL)
		fail_msg("%s", f->ctx.msg);
	assert_int_equal(ino_of(a1), ia);
	assert_true(ino_of(b1) != ib);
	assert_int_equal(count_gens(f, t), 2);
}

/* partial = yes: a tree copies what it can and says what it could not. */
static void test_partial_tree(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], o[PATH_MAX], d[PATH_MAX];

	join(t, f->allow, "tree");
	assert_int_equal(mkdir(t, 0755), 0);
	join(p, t, "fine");
	put_str(p, "fine\n");
	join(o, f->outside, "secret");
	put_str(o, "secret\n");
	join(p, t, "alias");
	assert_int_equal(link(o, p), 0);
	run_fails(f, t, "2 hard links");
	f->cfg.backup_partial = true;
	run_ok(f, t);
	assert_non_null(strstr(f->ctx.msg, "could not copy 1 (first: refusing"));
	assert_non_null(strstr(f->ctx.msg, "copied 1 files"));
	dest_of(f, t, d);
	assert_entry(d, "fine", "fine\n");
	assert_entry(d, "alias", NULL);
}

/* The child of test_partial_unreadable, as user nobody: bits of what
 * went wrong in its exit status. */
static int unreadable_child(struct fx *f, const char *t)
{
	int bad = 0;

	if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
	    setresuid(65534, 65534, 65534) < 0)
		return 77;
	f->cfg.backup_partial = false;
	bad |= run(f, t) == JOB_FAILED && msg_has(f, "Permission denied") ? 0 : 1;
	f->cfg.backup_partial = true;
	bad |= run(f, t) == JOB_OK ? 0 : 2;
	bad |= msg_has(f, "could not copy 2 (first: ") && msg_has(f, "Permission denied") ? 0 : 4;
	bad |= msg_has(f, "copied 1 files") ? 0 : 8;
	if (bad != 0)
		fprintf(stderr, "unreadable_child: %s\n", f->ctx.msg);
	return bad;
}

/* partial = yes with entries the worker may not read (a file and a
 * directory of another user): they are left out and counted. */
static void test_partial_unreadable(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX], d[PATH_MAX];
	int status;
	pid_t pid;

	if (geteuid() != 0)
		skip(); /* needs to become another user */
	assert_int_equal(chmod(f->base, 0755), 0);
	join(t, f->allow, "tree");
	assert_int_equal(mkdir(t, 0755), 0);
	put_in(t, "ok", "ok\n");
	put_in(t, "secret", "secret\n");
	join(p, t, "secret");
	assert_int_equal(chmod(p, 0600), 0);
	make_dir(p, t, "private");
	put_in(p, "inner", "inner\n");
	assert_int_equal(mkdir(f->backup, 0755), 0);
	assert_int_equal(chown(f->backup, 65534, 65534), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(HANG_LIMIT);
		_exit(unreadable_child(f, t));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	dest_of(f, t, d);
	assert_entry(d, "ok", "ok\n");
	assert_entry(d, "secret", NULL);
	assert_entry(d, "private", NULL);
}

/* A path component that begins with '@' cannot take a generation's name. */
static void test_at_names_escaped(void **state)
{
	struct fx *f = *state;
	char t[PATH_MAX], p[PATH_MAX];

	join(t, f->allow, "@latest");
	put_str(t, "at\n");
	run_ok(f, t);
	fmt(p, sizeof(p), "%s%s/@@latest/@latest", f->backup, f->allow);
	assert_content(p, "at\n");
}

#ifdef TEST_AUDIT_ARCH
/* Makes openat2 fail with ENOSYS in this process, as on an old kernel. */
static int block_openat2(void)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, TEST_AUDIT_ARCH, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {.len = sizeof(code) / sizeof(code[0]), .filter = code};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

/* The child's checks as bits of its exit status (cmocka asserts cannot
 * cross a fork). */
static int fallback_child(struct fx *f)
{
	struct open_how how = {.flags = O_PATH};
	char p[PATH_MAX];
	int bad = 0;

	if (block_openat2() < 0)
		return 77;
	if (syscall(SYS_openat2, AT_FDCWD, "/", &how, sizeof(how)) >= 0 || errno != ENOSYS)
		return 1;
	join(p, f->allow, "a/b/c.txt");
	bad |= run(f, p) == JOB_OK ? 0 : 2;
	join(p, f->allow, "a/lnk/secret");
	bad |= run(f, p) == JOB_FAILED && msg_has(f, "symlink") ? 0 : 4;
	join(p, f->allow, "a/b/lnk2/x");
	bad |= run(f, p) == JOB_FAILED && msg_has(f, "symlink") ? 0 : 8;
	join(p, f->allow, "a/b/c.txt/x");
	bad |= run(f, p) == JOB_FAILED && msg_has(f, "Not a directory") ? 0 : 16;
	join(p, f->allow, "a/nope/x");
	bad |= run(f, p) == JOB_FAILED && msg_has(f, "No such file") ? 0 : 32;
	return bad;
}
#endif

/* Without openat2 the component walk must refuse the same symlinks. */
static void test_fallback_walk_without_openat2(void **state)
{
#ifdef TEST_AUDIT_ARCH
	struct fx *f = *state;
	char p[PATH_MAX], d[PATH_MAX];
	int status;
	pid_t pid;

	join(p, f->allow, "a");
	assert_int_equal(mkdir(p, 0755), 0);
	join(p, f->allow, "a/b");
	assert_int_equal(mkdir(p, 0755), 0);
	join(p, f->allow, "a/b/c.txt");
	put_str(p, "walked\n");
	join(p, f->outside, "secret");
	put_str(p, "secret\n");
	join(p, f->allow, "a/lnk");
	assert_int_equal(symlink(f->outside, p), 0);
	join(p, f->allow, "a/b/lnk2");
	assert_int_equal(symlink("..", p), 0);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		alarm(HANG_LIMIT);
		_exit(fallback_child(f));
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77)
		skip();
	assert_int_equal(WEXITSTATUS(status), 0);
	join(p, f->allow, "a/b/c.txt");
	dest_of(f, p, d);
	assert_content(d, "walked\n");
#else
	skip();
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check),
	    cmocka_unit_test_setup_teardown(test_file_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_mode_and_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_args_not_nul_terminated, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebackup_file_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebackup_tree_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dotdot_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outside_roots_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_root_prefix_trick, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_intermediate_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_socket_device_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_with_fifo_and_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dest_component_is_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_failure_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_too_deep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backup_dir_inside_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fallback_walk_without_openat2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hardlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_one_barrier, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sparse_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_vanish_during_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nested_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generations_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_unreadable, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_at_names_escaped, setup, teardown),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
