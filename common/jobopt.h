/*
 * Job options: `key=value` words before the task name of a control line
 * ("key=nightly backup /etc").  A task name never holds '=', so an option
 * can never be taken for a task or its arguments.  One table names the
 * options and checks each value; an unknown option or a bad value is
 * refused with a reason.  The same parser serves the FIFO, the control
 * socket and Redis entries (through ctl_parse).  Never allocates: values
 * point into the line.
 */
#ifndef POOLD_JOBOPT_H
#define POOLD_JOBOPT_H

#include <stdbool.h>
#include <stddef.h>

/* Longest key a client may choose. */
#define JOBOPT_KEY_MAX 128
/* Room jobopt_format needs for every option at its longest. */
#define JOBOPT_TEXT_MAX (JOBOPT_KEY_MAX + 48)
/* How far ahead in= and at= may put a job: 365 days, in seconds. */
#define JOBOPT_AHEAD_MAX (365.0 * 86400)
/* at= outside [2000-01-01, 2100-01-01) UTC is refused: a unit mistake
 * (milliseconds) or a typo, not a time anyone means. */
#define JOBOPT_AT_MIN 946684800.0
#define JOBOPT_AT_MAX 4102444800.0

struct jobopt {
	const char *key; /* key=...: the client's name for the job; NULL if none */
	size_t key_len;
	bool has_pri;      /* pri=N given */
	unsigned char pri; /* pri=N: 0..9, higher first (the master's queue.c) */
	bool has_in;       /* in=DURATION given */
	double in;         /* ... in seconds, 0 .. JOBOPT_AHEAD_MAX */
	bool has_at;       /* at=TIME given */
	double at;         /* ... as Unix seconds (UTC), JOBOPT_AT_MIN .. JOBOPT_AT_MAX */
};

/*
 * Reads the option words at the start of s[0..len) (s starts at a word,
 * blanks separate words).  Fills *o, sets *used to the bytes taken (the
 * options and the blanks after them: s + *used is the task).  Returns 0,
 * or -1 with a reason in err (unknown option, bad or repeated value, no
 * task after the options, in= with at=, either more than JOBOPT_AHEAD_MAX
 * ahead of the wall clock now).
 */
int jobopt_parse(const char *s, size_t len, struct jobopt *o, size_t *used, char *err,
                 size_t errlen);

/*
 * Reads text that is option words only (what jobopt_format wrote: the
 * journal keeps a job's options so): 0, or -1 (EINVAL) if anything in it
 * is not a known, valid option.  Values point into s.  No bound relative
 * to the clock: a journaled at= may be long past.
 */
int jobopt_read(const char *s, size_t len, struct jobopt *o);

/* Writes o as option words ("key=K pri=N at=SECONDS.mmm"; in= only as
 * the caller turned it into at=) into buf (not NUL-terminated unless
 * room is left); returns the bytes written, 0 if none or too small. */
size_t jobopt_format(const struct jobopt *o, char *buf, size_t size);

#endif
