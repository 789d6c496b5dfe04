/*
 * Unit tests of worker/kinds/job_log.c on real files in a temporary directory
 * (under $POOLD_TEST_TMP if set, else /tmp): the line format and its
 * timestamp, escaping, one descriptor across jobs, reopening after
 * logrotate, write and open failures, and whole lines when many
 * processes append at once.
 */
/* test-sources: @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "jobs.h"

#define CHILDREN    8
#define CHILD_LINES 2000
#define CHILD_TEXT  3000

struct fixture {
	char dir[PATH_MAX / 2]; /* room for file names below it */
};

static int remove_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static int group_setup(void **state)
{
	static struct fixture fx;
	const char *base = getenv("POOLD_TEST_TMP");

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	snprintf(fx.dir, sizeof(fx.dir), "%s/test_job_log.XXXXXX", base);
	if (mkdtemp(fx.dir) == NULL)
		return -1;
	*state = &fx;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *fx = *state;

	return nftw(fx->dir, remove_cb, 8, FTW_DEPTH | FTW_PHYS);
}

/* A zeroed config whose [log] file is name inside the temp directory. */
static void config_for(struct job_log_conf *cfg, void **state, const char *name)
{
	struct fixture *fx = *state;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->log_file, sizeof(cfg->log_file), "%s/%s", fx->dir, name);
}

static int run_job(struct job_ctx *ctx, uint64_t id, const char *text, size_t len)
{
	ctx->id = id;
	strcpy(ctx->msg, "(untouched)");
	return job_log_run(ctx, text, len);
}

/* The whole file, NUL-terminated; the caller frees it. */
static char *slurp(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc((size_t)st.st_size + 1);
	assert_non_null(buf);
	*len = 0;
	while ((n = read(fd, buf + *len, (size_t)st.st_size - *len)) > 0)
		*len += (size_t)n;
	assert_int_equal(*len, (size_t)st.st_size);
	buf[*len] = '\0';
	close(fd);
	return buf;
}

static struct timespec now_realtime(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/*
 * Checks that line starts with "YYYY-MM-DDTHH:MM:SS.uuuuuuZ " exactly and
 * returns the time it names, in microseconds since the epoch.
 */
static int64_t parse_timestamp(const char *line)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ ";
	char head[sizeof(shape)];
	struct tm tm;
	long usec;
	size_t i;

	for (i = 0; shape[i] != '\0'; i++) {
		if (shape[i] == 'd' && (line[i] < '0' || line[i] > '9'))
			fail_msg("bad timestamp in '%.40s'", line);
		if (shape[i] != 'd' && line[i] != shape[i])
			fail_msg("bad timestamp in '%.40s'", line);
	}
	/* sscanf runs strlen over its input: give it the timestamp alone,
	 * not the rest of a 50 MB file. */
	memcpy(head, line, sizeof(shape) - 1);
	head[sizeof(shape) - 1] = '\0';
	memset(&tm, 0, sizeof(tm));
	assert_int_equal(sscanf(head, "%4d-%2d-%2dT%2d:%2d:%2d.%6ld", &tm.tm_year, &tm.tm_mon,
	                        &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &usec),
	                 7);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (int64_t)timegm(&tm) * 1000000 + usec;
}

static int64_t usec_of(struct timespec ts)
{
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void test_check_accepts_any_text(void **state)
{
	char err[128] = "";

	assert_int_equal(job_log_check("", 0, err, sizeof(err)), 0);
	assert_int_equal(job_log_check("a\nb\\\x1b", 5, err, sizeof(err)), 0);
	assert_int_equal(job_log_check(NULL, PROTO_ARGS_MAX, err, sizeof(err)), 0);
	assert_int_equal(job_log_check(NULL, PROTO_ARGS_MAX + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over the limit of"));
}

/* One line: a UTC timestamp taken during the job, the id, the text. */
static void test_line_format(void **state)
{
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	struct timespec before, after;
	size_t len;
	char *buf;
	int64_t ts;

	config_for(&cfg, state, "format.log");
	before = now_realtime();
	assert_int_equal(run_job(&ctx, 42, "hello world", 11), JOB_OK);
	after = now_realtime();
	assert_string_equal(ctx.msg, "");
	assert_true(fd >= 0);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(fd, F_GETFL) & O_APPEND);
	buf = slurp(cfg.log_file, &len);
	assert_int_equal(len, 27 + strlen(" job=42 hello world\n"));
	ts = parse_timestamp(buf);
	assert_true(ts >= usec_of(before) && ts <= usec_of(after));
	assert_string_equal(buf + 27, " job=42 hello world\n");
	free(buf);
	job_log_reopen(&fd);
	assert_int_equal(fd, -1);
}

/* Empty text still gives a whole line, with the space after the id. */
static void test_empty_text_and_big_id(void **state)
{
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	size_t len;
	char *buf;

	config_for(&cfg, state, "empty.log");
	assert_int_equal(run_job(&ctx, 7, NULL, 0), JOB_OK);
	assert_int_equal(run_job(&ctx, UINT64_MAX, "x", 1), JOB_OK);
	assert_int_equal(run_job(&ctx, 0, "y", 1), JOB_OK);
	buf = slurp(cfg.log_file, &len);
	assert_int_equal(len, 3 * 27 + strlen(" job=7 \n job=18446744073709551615 x\n job=0 y\n"));
	assert_memory_equal(buf + 27, " job=7 \n", 8);
	assert_memory_equal(buf + 27 + 8 + 27, " job=18446744073709551615 x\n", 28);
	assert_string_equal(buf + 3 * 27 + 8 + 28, " job=0 y\n");
	free(buf);
	job_log_reopen(&fd);
}

/* Control bytes and backslashes cannot forge a line or fake an escape;
 * args is not NUL-terminated, so the byte after len is not logged. */
static void test_escaping(void **state)
{
	static const char text[] = "a\nb\rc\x1b[31md\\e\tf\x7fg\x01h\0i \xc3\xa9 \\x0aNOT";
	static const char want[] =
	    " job=1 a\\x0ab\\x0dc\\x1b[31md\\\\e\\tf\\x7fg\\x01h\\x00i \xc3\xa9 \\\\x0a\n";
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	size_t len;
	char *buf;

	config_for(&cfg, state, "escape.log");
	assert_int_equal(run_job(&ctx, 1, text, sizeof(text) - 4), JOB_OK);
	buf = slurp(cfg.log_file, &len);
	assert_int_equal(len, 27 + strlen(want));
	assert_string_equal(buf + 27, want);
	assert_ptr_equal(strchr(buf, '\n'), buf + len - 1);
	assert_null(strchr(buf, '\r'));
	free(buf);
	job_log_reopen(&fd);
}

/* Characters that log readers take as line breaks (NEL, LS, PS), the bidi
 * controls and the invisible format characters come out as \uHHHH; their
 * neighbours in UTF-8 (U+2027, U+2030, U+00A0, U+202F) and a truncated
 * sequence pass through as they are. */
static void test_escaping_unicode(void **state)
{
	static const char text[] = "a\xc2\x85"
	                           "b\xe2\x80\xa8"
	                           "c\xe2\x80\xa9"
	                           "d\xe2\x80\xae"
	                           "e\xe2\x80\xaa"
	                           "f\xe2\x81\xa6"
	                           "g\xe2\x81\xa9"
	                           "h\xe2\x80\x8e"
	                           "i\xe2\x80\x8f"
	                           "j\xd8\x9c"
	                           "k\xc2\x80"
	                           "l\xc2\x9f"
	                           "m\xe2\x80\x8b"
	                           "n\xef\xbb\xbf"
	                           "o\xe2\x80\xa7"
	                           "p\xe2\x80\xb0"
	                           "q\xc2\xa0"
	                           "r\xe2\x80\xaf"
	                           "s\xe2\x80";
	static const char want[] =
	    " job=2 a\\u0085b\\u2028c\\u2029d\\u202ee\\u202af\\u2066"
	    "g\\u2069h\\u200ei\\u200fj\\u061ck\\u0080l\\u009fm\\u200b"
	    "n\\ufeffo\xe2\x80\xa7p\xe2\x80\xb0q\xc2\xa0r\xe2\x80\xafs\xe2\x80\n";
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	size_t len;
	char *buf;

	config_for(&cfg, state, "unicode.log");
	assert_int_equal(run_job(&ctx, 2, text, sizeof(text) - 1), JOB_OK);
	buf = slurp(cfg.log_file, &len);
	assert_int_equal(len, 27 + strlen(want));
	assert_string_equal(buf + 27, want);
	free(buf);
	job_log_reopen(&fd);
}

/* The longest text, all of it escaped four for one, fits; one more byte
 * is refused without writing anything. */
static void test_longest_text(void **state)
{
	static char text[PROTO_ARGS_MAX + 1];
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	size_t len, i;
	char *buf;

	memset(text, '\x01', sizeof(text));
	config_for(&cfg, state, "longest.log");
	assert_int_equal(run_job(&ctx, 9, text, PROTO_ARGS_MAX), JOB_OK);
	assert_int_equal(run_job(&ctx, 10, text, PROTO_ARGS_MAX + 1), JOB_FAILED);
	assert_non_null(strstr(ctx.msg, "over the limit"));
	buf = slurp(cfg.log_file, &len);
	assert_int_equal(len, 27 + strlen(" job=9 ") + 4 * PROTO_ARGS_MAX + 1);
	for (i = 0; i < PROTO_ARGS_MAX; i++)
		assert_memory_equal(buf + 27 + 7 + 4 * i, "\\x01", 4);
	free(buf);
	job_log_reopen(&fd);
}

/* Many jobs share one descriptor, and every timestamp lies between the
 * clock readings around its job, across at least one change of second
 * (so the cached seconds text is re-made when it must be). */
static void test_many_jobs_one_fd(void **state)
{
	struct job_log_conf cfg;
	int fd = -1, first_fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	struct timespec before[2000], after[2000];
	struct timespec pause = {0, 2000000};
	char text[64], *buf, *line;
	size_t len, n = 0, i;
	time_t start = time(NULL);

	config_for(&cfg, state, "many.log");
	while (n < 2000 && (n < 200 || time(NULL) == start)) {
		snprintf(text, sizeof(text), "line %zu", n);
		before[n] = now_realtime();
		assert_int_equal(run_job(&ctx, n, text, strlen(text)), JOB_OK);
		after[n++] = now_realtime();
		if (n == 1)
			first_fd = fd;
		assert_int_equal(fd, first_fd);
		nanosleep(&pause, NULL);
	}
	buf = slurp(cfg.log_file, &len);
	line = buf;
	for (i = 0; i < n; i++) {
		int64_t ts = parse_timestamp(line);

		assert_true(ts >= usec_of(before[i]) && ts <= usec_of(after[i]));
		snprintf(text, sizeof(text), " job=%zu line %zu\n", i, i);
		assert_memory_equal(line + 27, text, strlen(text));
		line += 27 + strlen(text);
	}
	assert_ptr_equal(line, buf + len);
	free(buf);
	job_log_reopen(&fd);
}

/* logrotate: after a rename the old descriptor still writes to the old
 * file; after job_log_reopen the next line lands in a new file. */
static void test_reopen_after_rename(void **state)
{
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	char rotated[PATH_MAX + 8];
	size_t len;
	char *buf;
	struct stat st;
	mode_t mask;

	config_for(&cfg, state, "rotate.log");
	snprintf(rotated, sizeof(rotated), "%s.1", cfg.log_file);
	assert_int_equal(run_job(&ctx, 1, "one", 3), JOB_OK);
	assert_int_equal(rename(cfg.log_file, rotated), 0);
	assert_int_equal(run_job(&ctx, 2, "two", 3), JOB_OK);
	assert_int_equal(stat(cfg.log_file, &st), -1);
	job_log_reopen(&fd);
	assert_int_equal(fd, -1);
	job_log_reopen(&fd); /* twice is harmless */
	assert_int_equal(run_job(&ctx, 3, "three", 5), JOB_OK);
	assert_int_equal(stat(cfg.log_file, &st), 0);
	mask = umask(022);
	umask(mask);
	assert_int_equal(st.st_mode & 0777, 0640 & ~mask);

	buf = slurp(rotated, &len);
	assert_int_equal(len, 2 * 27 + strlen(" job=1 one\n job=2 two\n"));
	assert_memory_equal(buf + 27, " job=1 one\n", 11);
	assert_string_equal(buf + 27 + 11 + 27, " job=2 two\n");
	free(buf);
	buf = slurp(cfg.log_file, &len);
	assert_int_equal(len, 27 + strlen(" job=3 three\n"));
	assert_string_equal(buf + 27, " job=3 three\n");
	free(buf);
	job_log_reopen(&fd);
}

/* Failures before any write: no such directory, no file, no fd slot. */
static void test_open_fails_in_missing_dir(void **state)
{
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};

	config_for(&cfg, state, "no/such/dir/x.log");
	assert_int_equal(run_job(&ctx, 1, "lost", 4), JOB_FAILED);
	assert_int_equal(fd, -1);
	assert_non_null(strstr(ctx.msg, "open "));
	assert_non_null(strstr(ctx.msg, "no/such/dir/x.log: No such file or directory"));

	cfg.log_file[0] = '\0';
	assert_int_equal(run_job(&ctx, 2, "lost", 4), JOB_FAILED);
	assert_string_equal(ctx.msg, "no [log] file configured");

	ctx.state = NULL;
	assert_int_equal(run_job(&ctx, 3, "lost", 4), JOB_FAILED);
	job_log_reopen(NULL);
}

/* /dev/full: open works, every write fails with ENOSPC. */
static void test_write_fails_enospc(void **state)
{
	struct job_log_conf cfg;
	int fd = -1;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};

	if (access("/dev/full", W_OK) != 0)
		skip();
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.log_file, "/dev/full");
	assert_int_equal(run_job(&ctx, 1, "full", 4), JOB_FAILED);
	assert_string_equal(ctx.msg, "write /dev/full: No space left on device");
	assert_int_equal(fd, -1); /* dropped, so the next job opens afresh */
}

/* A descriptor that cannot be written (EBADF) fails the job and is
 * dropped; the next job opens the file again and succeeds. */
static void test_write_fails_ebadf(void **state)
{
	struct job_log_conf cfg;
	int fd, rdonly;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};
	size_t len;
	char *buf;

	config_for(&cfg, state, "ebadf.log");
	rdonly = open(cfg.log_file, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_true(rdonly >= 0);
	fd = rdonly;
	assert_int_equal(run_job(&ctx, 1, "x", 1), JOB_FAILED);
	assert_non_null(strstr(ctx.msg, ": Bad file descriptor"));
	assert_int_equal(fd, -1);
	assert_int_equal(fcntl(rdonly, F_GETFD), -1); /* closed, not leaked */
	assert_int_equal(run_job(&ctx, 2, "y", 1), JOB_OK);
	buf = slurp(cfg.log_file, &len);
	assert_string_equal(buf + 27, " job=2 y\n");
	free(buf);
	job_log_reopen(&fd);
}

/* The text of line i of child c: ids and a filler that a torn line would
 * not reproduce, with a newline in the middle that must come out escaped. */
static size_t child_text(char *buf, int c, int i)
{
	size_t n = (size_t)sprintf(buf, "c=%d i=%d ", c, i), k;

	for (k = 0; k < CHILD_TEXT; k++)
		buf[n + k] = (char)('a' + (c * 7 + i + (int)k) % 26);
	buf[n + CHILD_TEXT / 2] = '\n';
	return n + CHILD_TEXT;
}

static void child_append(const char *path, int c)
{
	static struct job_log_conf cfg;
	char text[CHILD_TEXT + 64];
	int fd = -1, i;
	struct job_ctx ctx = {.conf = &cfg, .state = &fd};

	strcpy(cfg.log_file, path);
	for (i = 0; i < CHILD_LINES; i++) {
		ctx.id = (uint64_t)c * 100000 + (uint64_t)i;
		if (job_log_run(&ctx, text, child_text(text, c, i)) != JOB_OK)
			_exit(1);
	}
	job_log_reopen(&fd);
	_exit(0);
}

/* Checks one line (len bytes, without its newline) written by
 * child_append, and marks it seen. */
static void check_child_line(const char *line, size_t len, unsigned char seen[][CHILD_LINES])
{
	char text[CHILD_TEXT + 64], want[2 * CHILD_TEXT], head[64];
	uint64_t id;
	int c, i;
	size_t n, w, k;

	parse_timestamp(line);
	k = len - 27 < sizeof(head) - 1 ? len - 27 : sizeof(head) - 1;
	memcpy(head, line + 27, k); /* see parse_timestamp */
	head[k] = '\0';
	if (sscanf(head, " job=%" SCNu64 " c=%d i=%d ", &id, &c, &i) != 3)
		fail_msg("torn line: '%.80s'", line);
	assert_true(c >= 0 && c < CHILDREN && i >= 0 && i < CHILD_LINES);
	assert_int_equal(id, (uint64_t)c * 100000 + (uint64_t)i);
	n = child_text(text, c, i);
	w = (size_t)sprintf(want, " job=%" PRIu64 " ", id);
	for (k = 0; k < n; k++) {
		if (text[k] == '\n') {
			memcpy(want + w, "\\x0a", 4);
			w += 4;
		} else {
			want[w++] = text[k];
		}
	}
	assert_int_equal(len, 27 + w);
	assert_memory_equal(line + 27, want, w);
	assert_int_equal(seen[c][i], 0);
	seen[c][i] = 1;
}

static void test_concurrent_children(void **state)
{
	static unsigned char seen[CHILDREN][CHILD_LINES];
	char path[PATH_MAX + 32], *buf, *line, *nl;
	struct fixture *fx = *state;
	pid_t pids[CHILDREN];
	size_t len, lines = 0;
	int c, status;

	snprintf(path, sizeof(path), "%s/concurrent.log", fx->dir);
	assert_int_equal(job_log_setup(), 0); /* as the master does: the workers' lock */
	for (c = 0; c < CHILDREN; c++) {
		pids[c] = fork();
		assert_true(pids[c] >= 0);
		if (pids[c] == 0)
			child_append(path, c);
	}
	for (c = 0; c < CHILDREN; c++) {
		assert_int_equal(waitpid(pids[c], &status, 0), pids[c]);
		assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	buf = slurp(path, &len);
	for (line = buf; line < buf + len; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(buf + len - line));
		assert_non_null(nl);
		check_child_line(line, (size_t)(nl - line), seen);
		lines++;
	}
	assert_int_equal(lines, CHILDREN * CHILD_LINES);
	free(buf);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_accepts_any_text),
	    cmocka_unit_test(test_line_format),
	    cmocka_unit_test(test_empty_text_and_big_id),
	    cmocka_unit_test(test_escaping),
	    cmocka_unit_test(test_escaping_unicode),
	    cmocka_unit_test(test_longest_text),
	    cmocka_unit_test(test_many_jobs_one_fd),
	    cmocka_unit_test(test_reopen_after_rename),
	    cmocka_unit_test(test_open_fails_in_missing_dir),
	    cmocka_unit_test(test_write_fails_enospc),
	    cmocka_unit_test(test_write_fails_ebadf),
	    cmocka_unit_test(test_concurrent_children),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
