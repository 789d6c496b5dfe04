/*
 * The `log TEXT` job: appends one line to [log] file,
 *
 *   2026-11-22T01:23:45.123456Z job=42 TEXT\n
 *
 * (UTC, microseconds; the space after the id is there even when TEXT is
 * empty).  This file owns that line format, its escaping and the worker's
 * descriptor of the file.  Each line goes out in one write(2) on an
 * O_APPEND descriptor, so lines of many workers never interleave, and
 * TEXT is escaped so that nobody can forge a line: bytes below 0x20 and
 * 0x7f become \xHH (lower-case hex), except tab which becomes \t, and a
 * backslash becomes \\.  Characters that log readers treat as line breaks
 * or that reorder or hide text (C1 controls U+0080-U+009F with NEL
 * U+0085, U+2028, U+2029, the bidi controls U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069, and the invisible U+200B-U+200D,
 * U+2060-U+2064, U+FEFF, U+FFF9-U+FFFB) become \uHHHH.  Other bytes from
 * 0x80 up pass through (UTF-8).
 *
 * A write(2) to a regular file is not atomic against SIGKILL: the kernel
 * copies page by page and stops between pages when a fatal signal is
 * pending, so a worker killed in its write can leave the start of its
 * line without the newline.  The writes of all workers are therefore
 * serialised by one robust process-shared mutex (job_log_setup, made by
 * the master before the first fork): the kernel marks it "owner died"
 * when its holder dies, even by SIGKILL, so the next writer, before it
 * writes, checks the file's last byte and starts with a newline if it is
 * not one.  A fragment so left stays, on a line of its own, and is a
 * prefix of the same job's whole line written by its retry.
 *
 * It runs once per job on the hot path, so it must not allocate, stat,
 * or open and close the file per job; and like every handler it must not
 * exit or crash: every failure is a JOB_FAILED with a reason.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "job.h"
#include "textesc.h"

/* "2026-11-22T01:23:45" is 19 bytes; a five-digit year would add one. */
#define JOB_LOG_SECONDS_MAX 32

/* Timestamp (with microseconds), " job=", 20 digits, a space, the text
 * escaped at worst four bytes for one, and the newline. */
#define JOB_LOG_LINE_MAX (4 * PROTO_ARGS_MAX + 128)

/* [log] file must not be the FIFO or the socket (a `log` job would write
 * into the control channel). */
static int job_log_conf_check(const struct config *cfg, const void *blob, char *reason, size_t rlen)
{
	const struct job_log_conf *c = blob;

	if (strcmp(c->log_file, cfg->fifo) == 0 || strcmp(c->log_file, cfg->socket) == 0) {
		snprintf(reason, rlen, "[log] file is also a [control] path '%s'", c->log_file);
		return -1;
	}
	return 0;
}

#define JOB_LOG_AT(field) offsetof(struct job_log_conf, field)

/* [log] level is the daemon's own (config_values.c); these are the kind's. */
static const struct config_key job_log_keys[] = {
    {"log", "file", "poold.d/jobs.log", config_parse_path, NULL, JOB_LOG_AT(log_file), 0, 0,
     CONFIG_RELOAD_WORKERS, config_same_str, true},
    {"log", "job_timeout", "0", config_parse_time, NULL, JOB_LOG_AT(log_job_timeout_ms), 0,
     86400000, CONFIG_RELOAD_LIVE, NULL, false},
};

static const struct config_section job_log_section = {
    .keys = job_log_keys,
    .nkeys = sizeof(job_log_keys) / sizeof(job_log_keys[0]),
    .size = sizeof(struct job_log_conf),
    .check = job_log_conf_check,
};

/*
 * The seconds part of the last timestamp, re-formatted only when the
 * second changes: gmtime_r and strftime per line would cost more than the
 * rest of the line.  It is a static rather than per-worker state because
 * sharing it is harmless: it is a cache of a pure function of `sec`, so a
 * forked child inheriting it still reads correct values.
 */
static struct {
	bool valid;
	time_t sec;
	size_t len;
	char text[JOB_LOG_SECONDS_MAX];
} job_log_clock;

/* The workers' write lock, shared and robust (job_log_setup); NULL in a
 * process that never made it (unit tests): writes then go unlocked. */
static pthread_mutex_t *job_log_lock;

/* How long a writer waits for the lock, and then how long it does without
 * (job_log_lock_take). */
#define JOB_LOG_LOCK_WAIT_MS 500
#define JOB_LOG_LOCK_SKIP_MS 5000

int job_log_setup(void)
{
	pthread_mutexattr_t a;
	pthread_mutex_t *m;
	int r;

	if (job_log_lock != NULL)
		return 0;
	m = mmap(NULL, sizeof(*m), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	r = pthread_mutexattr_init(&a);
	if (r == 0) {
		r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
		if (r == 0)
			r = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
		if (r == 0)
			r = pthread_mutex_init(m, &a);
		pthread_mutexattr_destroy(&a);
	}
	if (r != 0) {
		munmap(m, sizeof(*m));
		errno = r;
		return -1;
	}
	job_log_lock = m;
	return 0;
}

int job_log_check(const char *args, size_t len, char *err, size_t errlen)
{
	if (len > PROTO_ARGS_MAX) {
		snprintf(err, errlen, "log text of %zu bytes is over the limit of %zu", len,
		         (size_t)PROTO_ARGS_MAX);
		return -1;
	}
	return 0;
}

void job_log_reopen(void *state)
{
	int *log_fd = state;

	if (log_fd == NULL)
		return;
	if (*log_fd >= 0)
		close(*log_fd);
	*log_fd = -1;
}

/* The per-worker state is the descriptor, opened by the first job. */
static int job_log_init(void *state, const void *conf)
{
	*(int *)state = -1;
	return 0;
}

/* Writes the timestamp of now into out (at least JOB_LOG_SECONDS_MAX + 8
 * bytes); returns its length. */
static size_t job_log_timestamp(char *out)
{
	struct timespec ts;
	struct tm tm;
	long usec;
	size_t n;
	int i;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!job_log_clock.valid || job_log_clock.sec != ts.tv_sec) {
		job_log_clock.len = 0;
		if (gmtime_r(&ts.tv_sec, &tm) != NULL)
			job_log_clock.len = strftime(job_log_clock.text, sizeof(job_log_clock.text),
			                             "%Y-%m-%dT%H:%M:%S", &tm);
		if (job_log_clock.len == 0)
			job_log_clock.len = (size_t)snprintf(
			    job_log_clock.text, sizeof(job_log_clock.text), "0000-00-00T00:00:00");
		job_log_clock.sec = ts.tv_sec;
		job_log_clock.valid = true;
	}
	n = job_log_clock.len;
	memcpy(out, job_log_clock.text, n);
	out[n++] = '.';
	usec = ts.tv_nsec / 1000;
	for (i = 5; i >= 0; i--) {
		out[n + (size_t)i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	n += 6;
	out[n++] = 'Z';
	return n;
}

/* Writes v in decimal into out (at least 20 bytes); returns its length. */
static size_t job_log_u64(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

/* Builds the whole line into line (JOB_LOG_LINE_MAX bytes; len is at most
 * PROTO_ARGS_MAX); returns its length. */
static size_t job_log_format(char *line, uint64_t id, const char *text, size_t len)
{
	size_t n;

	n = job_log_timestamp(line);
	memcpy(line + n, " job=", 5);
	n += 5;
	n += job_log_u64(line + n, id);
	line[n++] = ' ';
	n += textesc_escape(line + n, text, len);
	line[n++] = '\n';
	return n;
}

/* The [log] file of the job's configuration. */
static const char *job_log_path(const struct job_ctx *ctx)
{
	const struct job_log_conf *c = ctx->conf;

	return c != NULL ? c->log_file : "";
}

/* Opens [log] file into the state's descriptor; JOB_OK, or JOB_FAILED
 * with the reason in ctx->msg. */
static int job_log_open(struct job_ctx *ctx)
{
	const char *path = job_log_path(ctx);
	int fd;

	if (path[0] == '\0')
		return job_result(ctx, JOB_FAILED, "no [log] file configured");
	/* Its directory may be writable by others (/var/log): no symlink,
	 * FIFO or second hard link planted at the name is written through. */
	fd = fsutil_open_file(path, O_RDWR | O_APPEND | O_CREAT, 0640);
	if (fd < 0 && errno == EACCES) /* unreadable: see job_log_ends_line */
		fd = fsutil_open_file(path, O_WRONLY | O_APPEND | O_CREAT, 0640);
	if (fd < 0)
		return job_result(ctx, JOB_FAILED, "open %s: %s", path, fsutil_why(errno));
	*(int *)ctx->state = fd;
	return JOB_OK;
}

/* True if the file ends with a newline or is empty; false if not, or if
 * it cannot be read (a descriptor opened write-only), which costs at most
 * an empty line. */
static bool job_log_ends_line(int fd)
{
	struct stat st;
	char c;

	if (fstat(fd, &st) == -1)
		return false;
	if (st.st_size == 0)
		return true;
	return pread(fd, &c, 1, st.st_size - 1) == 1 && c == '\n';
}

/*
 * Takes the workers' write lock, waiting at most JOB_LOG_LOCK_WAIT_MS.  A
 * holder that is stopped (SIGSTOP, a debugger) keeps the lock; rather than
 * let one stopped worker stall every log job of the pool, a writer that
 * waited that long gives up and, for the next JOB_LOG_LOCK_SKIP_MS, writes
 * without the lock, as O_APPEND alone does: lines stay whole among live
 * writers (the kernel serialises appends), and only a writer killed
 * mid-write in that time could leave a fragment that the next line joins.
 * (Checking the file's end without the lock is no cure: a write in
 * progress looks like a fragment, and a newline put first makes an empty
 * line.)  Returns what pthread_mutex_clocklock() returned, ETIMEDOUT while
 * skipping.
 */
static int job_log_lock_take(void)
{
	static struct timespec skip_until;
	struct timespec now, until;
	int r;

	/* The clock only when it is needed: 26 ns a read here, of about 1 us a line. */
	if (skip_until.tv_sec != 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < skip_until.tv_sec ||
		    (now.tv_sec == skip_until.tv_sec && now.tv_nsec < skip_until.tv_nsec))
			return ETIMEDOUT;
		skip_until.tv_sec = 0;
	}
	r = pthread_mutex_trylock(job_log_lock);
	if (r != EBUSY)
		return r;
	clock_gettime(CLOCK_MONOTONIC, &now);
	until = now;
	until.tv_nsec += JOB_LOG_LOCK_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	r = pthread_mutex_clocklock(job_log_lock, CLOCK_MONOTONIC, &until);
	if (r == ETIMEDOUT) {
		skip_until = until;
		skip_until.tv_sec += JOB_LOG_LOCK_SKIP_MS / 1000;
	}
	return r;
}

/*
 * Appends the line (n bytes, newline included) under the workers' lock
 * and returns what write(2) returned for it.  If the lock's last holder
 * died (a worker killed in its write, see the top of this file) and the
 * file does not end with a newline, one goes out first, in the same
 * write, from line[-1], which the caller must provide.  A short write is
 * followed, still under the lock, by a lone newline (best effort) so the
 * next line starts on a line of its own.  Without the lock (no
 * job_log_setup: unit tests) the write goes out as it is; if locking
 * fails, the end is checked anyway (without the lock, a writer may see
 * another's line half copied and add an empty line: harmless).
 */
static ssize_t job_log_append(int fd, char *line, size_t n)
{
	bool locked = false, check = false, nl = false;
	ssize_t w, e;
	int r;

	if (job_log_lock != NULL) {
		r = job_log_lock_take();
		locked = r == 0 || r == EOWNERDEAD;
		/* A holder that died may have left a fragment: end it.  Past the
		 * wait, write as O_APPEND alone would (see job_log_lock_take). */
		check = r != 0 && r != ETIMEDOUT;
		if (r == EOWNERDEAD)
			pthread_mutex_consistent(job_log_lock);
	}
	if (check && !job_log_ends_line(fd)) {
		*--line = '\n';
		n++;
		nl = true;
	}
	do {
		w = write(fd, line, n);
	} while (w < 0 && errno == EINTR);
	e = errno;
	if (w >= 0 && w < (ssize_t)n && write(fd, "\n", 1) < 0)
		e = errno; /* best effort: it only ends the torn line */
	if (locked)
		pthread_mutex_unlock(job_log_lock);
	errno = (int)e;
	return nl && w > 0 ? w - 1 : w;
}

/*
 * Writes the line with one write(2) (job_log_append), the only way lines
 * from many workers stay whole.  A failed or short write is never
 * completed with a second write of the rest (that part could land after
 * another worker's line).  On any failure the descriptor is dropped, so
 * the next job opens the file afresh (a remounted disk, a deleted file).
 * line[-1] must be writable.
 */
static int job_log_write(struct job_ctx *ctx, char *line, size_t n)
{
	const char *path = job_log_path(ctx);
	int *log_fd = ctx->state;
	ssize_t w;
	int err;

	w = job_log_append(*log_fd, line, n);
	if (w == (ssize_t)n)
		return JOB_OK;
	err = errno;
	if (w >= 0) {
		job_log_reopen(log_fd);
		return job_result(ctx, JOB_FAILED, "write %s: short write (%zd of %zu bytes)", path,
		                  w, n);
	}
	job_log_reopen(log_fd);
	return job_result(ctx, JOB_FAILED, "write %s: %s", path, strerror(err));
}

int job_log_run(struct job_ctx *ctx, const char *args, size_t len)
{
	char line[1 + JOB_LOG_LINE_MAX]; /* line[0] for job_log_append */
	size_t n;

	ctx->msg[0] = '\0';
	if (len > PROTO_ARGS_MAX)
		return job_result(ctx, JOB_FAILED, "log text of %zu bytes is over the limit of %zu",
		                  len, (size_t)PROTO_ARGS_MAX);
	if (ctx->state == NULL)
		return job_result(ctx, JOB_FAILED, "no descriptor slot for [log] file");
	if (*(int *)ctx->state < 0 && job_log_open(ctx) != JOB_OK)
		return JOB_FAILED;
	n = job_log_format(line + 1, ctx->id, args, len);
	return job_log_write(ctx, line + 1, n);
}

static void job_log_describe(const void *conf, char *out, size_t len)
{
	snprintf(out, len, "job log %s", ((const struct job_log_conf *)conf)->log_file);
}

const struct job_kind job_kind_log = {
    .code = 2,
    .name = "log",
    .run = job_log_run,
    .check = job_log_check,
    .section = &job_log_section,
    .timeout_at = offsetof(struct job_log_conf, log_job_timeout_ms),
    .state_size = sizeof(int),
    .init = job_log_init,
    .reopen = job_log_reopen,
    .fini = job_log_reopen,
    .describe = job_log_describe,
};
