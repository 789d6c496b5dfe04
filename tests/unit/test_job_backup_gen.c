/*
 * Unit tests of worker/kinds/job_backup.c for generations and for what
 * runs beside a backup, on real files (the fixture is in
 * backup_testlib.c): generations, the files they share, [backup] keep,
 * @latest and the escaping of names that begin with '@'; files that
 * vanish during a walk (a forked child churns them, its seed printed);
 * the sweep of dead workers' temporaries; nested backups run at once by
 * several processes.
 */
/* test-sources: tests/unit/backup_testlib.c @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "jobs.h"

#include "backup_testlib.h"

#define CHURN_FILES 300

/* The child of test_vanish_during_walk: deletes files of dir and makes
 * them again under the same name (a rename over it), at random, until
 * killed; only raw calls, as cmocka cannot cross a fork. */
static void churn(const char *dir, unsigned seed)
{
	char p[PATH_MAX + 16], q[PATH_MAX + 16]; /* room for dir and "/new%03d" */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_vanish_during_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nested_concurrent, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generations, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_generations_tree, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_at_names_escaped, setup, teardown),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
