/*
 * The fixture and helpers shared by the unit tests of
 * worker/kinds/job_backup.c (test_job_backup.c, test_job_backup_tree.c,
 * test_job_backup_gen.c): a fresh temporary directory per test (under
 * $POOLD_TEST_TMP if set, else /tmp) with an allow root, a directory
 * outside it and a backup dir; helpers that write and check files; and
 * runs of the job that check that no ".poold-tmp." entry is left behind.
 * fsync and syncfs are counted for the code under test.
 */
#ifndef POOLD_BACKUP_TESTLIB_H
#define POOLD_BACKUP_TESTLIB_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "job.h"

#define HANG_LIMIT 20 /* seconds before alarm() kills a test that hangs */

/* Calls of fsync and syncfs since the test last set them to 0. */
extern unsigned long fsync_calls, syncfs_calls;

struct fx {
	char base[PATH_MAX];
	char allow[PATH_MAX];
	char outside[PATH_MAX];
	char backup[PATH_MAX];
	int log_fd;
	struct job_backup_conf cfg;
	struct job_ctx ctx;
};

/* cmocka setup and teardown: a struct fx in *state with its directories
 * made (allow and outside; backups is left to the job), and their
 * removal. */
int setup(void **state);
int teardown(void **state);

/* snprintf that fails the test instead of truncating. */
void fmt(char *out, size_t size, const char *format, ...) __attribute__((format(printf, 3, 4)));

/* a joined with b into out (PATH_MAX bytes). */
void join(char *out, const char *a, const char *b);

/* Writes len bytes of data to path (created or truncated) with mode. */
void put(const char *path, const char *data, size_t len, mode_t mode);

/* Writes text to path (mode 0644). */
void put_str(const char *path, const char *text);

/* The whole file, NUL-terminated; *len gets its size.  The caller frees. */
char *slurp(const char *path, size_t *len);

/* Checks that the file at path holds exactly text. */
void assert_content(const char *path, const char *text);

/* The mode of path, through a final symlink (@latest). */
void assert_mode(const char *path, mode_t mode);

/* Checks that path does not exist (lstat fails with ENOENT). */
void assert_absent(const char *path);

/* Makes directory b in a (0700), its path in out (PATH_MAX bytes). */
void make_dir(char *out, const char *a, const char *b);

/* Writes text to entry name of directory dir. */
void put_in(const char *dir, const char *name, const char *text);

/* Entry name of directory dir has content text, or is absent if NULL. */
void assert_entry(const char *dir, const char *name, const char *text);

/* Where the latest backup of src is (its generations' @latest). */
void dest_of(struct fx *f, const char *src, char *out);

/* Number of temporaries anywhere below f's base directory. */
int count_tmp(struct fx *f);

/* Runs the job on path; its result (f->ctx.msg holds the outcome). */
int run(struct fx *f, const char *path);

/* Runs the job and expects a failure whose reason contains want. */
void run_fails(struct fx *f, const char *path, const char *want);

/* Runs the job and expects success; no temporary may be left. */
void run_ok(struct fx *f, const char *path);

/* Whether the outcome of the last run contains want. */
bool msg_has(struct fx *f, const char *want);

#endif
