/*
 * Logging: one line per event on stderr, written with a single write(2) so
 * lines of the master and its workers never interleave.  Owns the process
 * name and the level; holds no file other than stderr, so there is nothing
 * to reopen on SIGUSR1 (the [log] file of `log` jobs is the workers').
 *
 * The state below is the process's logging identity, set once at start-up
 * (and again in a worker right after fork); it is the one piece of
 * process-wide state that every module may reach, as in OpenBSD's log.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"

static struct {
	char name[32];
	int level;
	bool prefix;
} log_state = {"poold", LOG_LVL_INFO, false};

/*
 * systemd sets JOURNAL_STREAM to "DEV:INODE" of the stream it connected to
 * our stderr; only when stderr is still that stream do we prefix levels.
 */
static bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return false;
	if (fstat(STDERR_FILENO, &st) == -1)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_init(const char *name)
{
	snprintf(log_state.name, sizeof(log_state.name), "%s", name);
	log_state.prefix = log_stderr_is_journal();
}

void log_set_level(int level)
{
	log_state.level = level;
}

void log_vmsg(int level, const char *fmt, va_list ap)
{
	char line[2048];
	int n = 0, m;

	if (level > log_state.level)
		return;
	if (log_state.prefix)
		n = snprintf(line, sizeof(line), "<%d>", level);
	n += snprintf(line + n, sizeof(line) - (size_t)n, "%s: ", log_state.name);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n >= sizeof(line) - 1)
		n = (int)sizeof(line) - 2; /* truncated: keep the newline */
	line[n++] = '\n';
	/* One write: short or failed writes to stderr have nowhere to go. */
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

bool log_wants(int level)
{
	return level <= log_state.level;
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(level, fmt, ap);
	va_end(ap);
}

/* Logs fmt with ": strerror(saved)" appended. */
static void log_errno(int level, int saved, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));
static void log_errno(int level, int saved, const char *fmt, va_list ap)
{
	char buf[1024];

	vsnprintf(buf, sizeof(buf), fmt, ap);
	log_msg(level, "%s: %s", buf, strerror(saved));
}

void log_warn(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void fatal(int code, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	log_errno(LOG_LVL_ERR, saved, fmt, ap);
	va_end(ap);
	exit(code);
}

void fatalx(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(code);
}

bool log_rate_ok(struct log_rate *r, double now, unsigned burst, double window, const char *what)
{
	if (now - r->window_start >= window) {
		if (r->suppressed > 0)
			log_warnx("%llu more lines about %s were not logged in the last %.0f s",
			          r->suppressed, what, now - r->window_start);
		r->window_start = now;
		r->logged = 0;
		r->suppressed = 0;
	}
	if (r->logged < burst) {
		r->logged++;
		return true;
	}
	r->suppressed++;
	return false;
}
