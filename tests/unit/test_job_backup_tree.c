/*
 * Unit tests of worker/kinds/job_backup.c for trees, on real files (the
 * fixture is in backup_testlib.c): a tree's copy and its replacement,
 * symlinks and FIFOs inside it, the depth limit, a backup dir inside the
 * tree, one barrier (syncfs) for a whole tree, sparse files, and
 * partial = yes with entries refused or unreadable.
 */
/* test-sources: tests/unit/backup_testlib.c @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "job.h"
#include "jobs.h"

#include "backup_testlib.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_tree_copy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rebackup_tree_replaces, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_with_fifo_and_symlink, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_too_deep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_backup_dir_inside_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tree_one_barrier, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sparse_kept, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_unreadable, setup, teardown),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
