/*
 * Unit tests of common/fsutil.c on real files in a temporary directory
 * (under $POOLD_TEST_TMP if set, else /tmp), played the way another user
 * who can write that directory would: symlinks, FIFOs and hard links
 * planted at the names poold writes, and a temporary name guessed in
 * advance.  Also the resolution behind the overlap check of [log],
 * [metrics] and [journal] file, and keeping a damaged file aside.
 */
/* test-sources: common/fsutil.c */
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

struct dir {
	char path[PATH_MAX];
};

static int rm_cb(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

static int setup(void **state)
{
	static struct dir d;
	const char *base = getenv("POOLD_TEST_TMP");

	snprintf(d.path, sizeof(d.path), "%s/fsutil.XXXXXX", base ? base : "/tmp");
	if (mkdtemp(d.path) == NULL)
		return -1;
	*state = &d;
	return 0;
}

static int teardown(void **state)
{
	struct dir *d = *state;

	return nftw(d->path, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* path = DIR/name */
static const char *at(void **state, const char *name)
{
	static char buf[4][2 * PATH_MAX];
	static int k;
	struct dir *d = *state;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", d->path, name);
	return buf[k];
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static void assert_text(const char *path, const char *want)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");
	size_t n;

	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_string_equal(buf, want);
}

/* Replaces DIR/name with text through fsutil_tmp; 0 or -1. */
static int replace(const char *path, const char *text)
{
	struct fsutil_tmp t;

	if (fsutil_tmp_open(&t, path, 0644) == -1)
		return -1;
	assert_int_equal(write(t.fd, text, strlen(text)), (ssize_t)strlen(text));
	if (fsutil_tmp_commit(&t, true) == -1)
		return -1;
	close(t.fd);
	return 0;
}

/* Entries of the test directory other than the ones named. */
static int stray_entries(void **state)
{
	struct dir *d = *state;
	struct dirent *e;
	DIR *dir = opendir(d->path);
	int n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL)
		n += e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 &&
		     strcmp(e->d_name, "..") != 0;
	closedir(dir);
	return n;
}

/* The old metrics writer opened FILE.tmp following symlinks: a symlink
 * planted there or at FILE itself must never be written through. */
static void test_replace_planted_symlinks(void **state)
{
	struct stat st;

	write_text(at(state, "victim"), "precious\n");
	assert_int_equal(symlink(at(state, "victim"), at(state, "m.prom.tmp")), 0);
	assert_int_equal(symlink(at(state, "victim"), at(state, "m.prom")), 0);
	assert_int_equal(replace(at(state, "m.prom"), "metrics 1\n"), 0);
	assert_text(at(state, "victim"), "precious\n");
	assert_int_equal(lstat(at(state, "m.prom"), &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0644);
	assert_text(at(state, "m.prom"), "metrics 1\n");
	assert_int_equal(replace(at(state, "m.prom"), "metrics 2\n"), 0);
	assert_text(at(state, "m.prom"), "metrics 2\n");
	assert_int_equal(stray_entries(state), 0); /* no temporary left */
}

/* Temporaries are hidden, unguessable and never reused. */
static void test_tmp_names(void **state)
{
	struct fsutil_tmp a, b;
	size_t n = strlen(".x" FSUTIL_TMP_MARK);

	assert_int_equal(fsutil_tmp_open(&a, at(state, "x"), 0600), 0);
	assert_int_equal(fsutil_tmp_open(&b, at(state, "x"), 0600), 0);
	assert_int_equal(strncmp(a.tmp, ".x" FSUTIL_TMP_MARK, n), 0);
	assert_int_equal(strlen(a.tmp), n + 16);
	assert_string_not_equal(a.tmp, b.tmp);
	fsutil_tmp_abort(&a);
	fsutil_tmp_abort(&b);
	assert_int_equal(stray_entries(state), 0);
}

/* A crash's temporaries are swept; others' look-alikes are not. */
static void test_tmp_sweep(void **state)
{
	struct fsutil_tmp t;
	struct stat st;

	assert_int_equal(fsutil_tmp_open(&t, at(state, "j"), 0600), 0);
	close(t.fd);
	close(t.dirfd); /* as a crash leaves it */
	write_text(at(state, ".j.tmp-notsixteenhex"), "other\n");
	assert_int_equal(symlink("/etc/passwd", at(state, ".j.tmp-0123456789abcdef")), 0);
	fsutil_tmp_sweep(at(state, "j"));
	assert_int_equal(lstat(at(state, t.tmp), &st), -1);
	assert_int_equal(lstat(at(state, ".j.tmp-notsixteenhex"), &st), 0);
	assert_int_equal(lstat(at(state, ".j.tmp-0123456789abcdef"), &st), 0);
}

static void test_open_file_refuses(void **state)
{
	int fd;

	write_text(at(state, "victim"), "precious\n");
	assert_int_equal(symlink(at(state, "victim"), at(state, "log")), 0);
	errno = 0;
	assert_int_equal(fsutil_open_file(at(state, "log"), O_WRONLY | O_APPEND | O_CREAT, 0640),
	                 -1);
	assert_int_equal(errno, ELOOP);
	assert_string_equal(fsutil_why(errno), "it is a symlink (not followed)");

	/* A FIFO with no reader: refused at once, never a blocked open. */
	assert_int_equal(mkfifo(at(state, "fifo"), 0666), 0);
	assert_int_equal(fsutil_open_file(at(state, "fifo"), O_WRONLY | O_APPEND | O_CREAT, 0640),
	                 -1);
	assert_true(errno == ENXIO || errno == EINVAL);

	assert_int_equal(link(at(state, "victim"), at(state, "hard")), 0);
	assert_int_equal(fsutil_open_file(at(state, "hard"), O_WRONLY | O_APPEND, 0640), -1);
	assert_int_equal(errno, EMLINK);
	assert_text(at(state, "victim"), "precious\n");

	fd = fsutil_open_file(at(state, "new.log"), O_WRONLY | O_APPEND | O_CREAT, 0640);
	assert_true(fd >= 0);
	assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	fd = fsutil_open_file("/dev/null", O_WRONLY | O_APPEND, 0);
	assert_true(fd >= 0);
	close(fd);
}

static void test_keep_aside(void **state)
{
	char a[PATH_MAX + 64], b[PATH_MAX + 64];
	struct stat s1, s2, s3;

	write_text(at(state, "journal"), "damaged bytes\n");
	assert_int_equal(fsutil_keep_aside(at(state, "journal"), "damaged", a, sizeof(a)), 0);
	assert_int_equal(fsutil_keep_aside(at(state, "journal"), "damaged", b, sizeof(b)), 0);
	assert_string_not_equal(a, b);
	assert_non_null(strstr(a, "/journal.damaged-"));
	assert_int_equal(stat(at(state, "journal"), &s1), 0);
	assert_int_equal(stat(a, &s2), 0);
	assert_int_equal(stat(b, &s3), 0);
	assert_true(s1.st_ino == s2.st_ino && s1.st_ino == s3.st_ino);
}

static void test_same_file(void **state)
{
	assert_int_equal(mkdir(at(state, "d"), 0700), 0);
	write_text(at(state, "d/j"), "");
	assert_int_equal(link(at(state, "d/j"), at(state, "hard")), 0);
	assert_int_equal(symlink(at(state, "d"), at(state, "dirlink")), 0);
	assert_int_equal(symlink(at(state, "d/none"), at(state, "dangling")), 0);
	assert_int_equal(symlink("d/j", at(state, "rel")), 0);

	assert_true(fsutil_same_file(at(state, "d/j"), at(state, "d/j")));
	assert_true(fsutil_same_file(at(state, "d/j"), at(state, "hard")));
	assert_true(fsutil_same_file(at(state, "d/j"), at(state, "dirlink/j")));
	assert_true(fsutil_same_file(at(state, "d/j"), at(state, "rel")));
	/* Neither exists yet: names compared once directories are resolved. */
	assert_true(fsutil_same_file(at(state, "d/none"), at(state, "dangling")));
	assert_true(fsutil_same_file(at(state, "dirlink/new"), at(state, "d/new")));
	assert_true(fsutil_same_file(at(state, "no/such/x"), at(state, "no/such/x")));
	assert_false(fsutil_same_file(at(state, "d/j"), at(state, "d/k")));
	assert_false(fsutil_same_file(at(state, "d/new"), at(state, "d/other")));
	assert_false(fsutil_same_file(at(state, "no/such/x"), at(state, "no/such/y")));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_replace_planted_symlinks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmp_names, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tmp_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_open_file_refuses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keep_aside, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_file, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
