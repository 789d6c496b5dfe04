/*
 * Logging to stderr, one write(2) per line, the process name first
 * ("master: ...", "worker[3]: ...").  When stderr is the journal
 * (JOURNAL_STREAM names our stderr) each line carries its sd-daemon
 * priority prefix ("<3>") so `journalctl -p err` works.  No libev, no
 * exit() except in fatal/fatalx, which are for start-up and broken
 * invariants only.
 */
#ifndef POOLD_LOG_H
#define POOLD_LOG_H

#include <stdarg.h>
#include <stdbool.h>

/* syslog(3) levels; the numbers are the sd-daemon prefixes. */
enum log_level {
	LOG_LVL_ERR = 3,
	LOG_LVL_WARNING = 4,
	LOG_LVL_NOTICE = 5,
	LOG_LVL_INFO = 6,
	LOG_LVL_DEBUG = 7,
};

/* Sets the name printed first on every line and decides, once, whether
 * stderr is the journal.  The name is copied. */
void log_init(const char *name);
/* Lines above this level are dropped. */
void log_set_level(int level);

void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* True if a line of this level would be logged (to skip building it). */
bool log_wants(int level);
void log_vmsg(int level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define log_err(...)    log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warnx(...)  log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)   log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)  log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

/*
 * A rate limit for lines that an event can repeat many times a second (a
 * fork that keeps failing): at most `burst` lines per `window` seconds.
 * log_rate_ok() says whether this line may be logged at time now (any
 * clock, in seconds); when a window that left lines out is over, it first
 * logs how many, naming them with `what`.
 */
struct log_rate {
	double window_start;
	unsigned logged;
	unsigned long long suppressed;
};
bool log_rate_ok(struct log_rate *r, double now, unsigned burst, double window, const char *what);

/* Like log_warnx, with ": strerror(errno)" appended. */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Log at error level and exit with code. */
void fatal(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));
void fatalx(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3), noreturn));

#endif
