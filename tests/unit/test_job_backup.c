/*
 * Unit tests of worker/kinds/job_backup.c on real files (the fixture is
 * in backup_testlib.c): the syntax check, copies of a single file
 * (content, mode, times, atomic replacement, a failing write), and the
 * refusals: '..', paths outside the allow roots, symlinks on the way
 * (also by the component walk used when openat2 is missing, forced with
 * seccomp), FIFOs, sockets and devices (a FIFO opened for reading would
 * block: alarm() turns a hang into a failure), hard links.  Trees are in
 * test_job_backup_tree.c, generations and concurrent runs in
 * test_job_backup_gen.c.
 */
/* test-sources: tests/unit/backup_testlib.c @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>

#include "job.h"
#include "jobs.h"

#include "backup_testlib.h"

#if defined(__x86_64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define TEST_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

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
	    cmocka_unit_test_setup_teardown(test_rebackup_file_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dotdot_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_outside_roots_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_root_prefix_trick, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_symlink_intermediate_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fifo_socket_device_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_missing_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_dest_component_is_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copy_failure_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fallback_walk_without_openat2, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hardlink_refused, setup, teardown),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
