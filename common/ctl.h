/*
 * Control lines: what an operator writes into the FIFO, one job per line
 * ("noop", "log TEXT", "backup PATH", "net HOST:PORT", or a numeric task
 * code in place of the name).  This file splits a byte stream into lines
 * and a line into task and arguments; it does not know the job kinds
 * (worker/jobs.c does) and never allocates.
 */
#ifndef POOLD_CTL_H
#define POOLD_CTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "jobopt.h"

/* A line may hold this many bytes, its newline included (PIPE_BUF, so one
 * write(2) of a whole line is atomic among concurrent FIFO writers). */
#define CTL_LINE_MAX 4096

struct ctl_line {
	const char *task; /* first word, not NUL-terminated */
	size_t task_len;
	/* The task's bytes over spaces as one word, the first lowest
	 * (le64toh of ctl_load): set when the line was read in one step and
	 * the task has under 8 bytes (a kind's name found by one compare,
	 * jobs.c; and the line has no options, opt is all zero); else 0,
	 * which no task is. */
	uint64_t task_word;
	const char *args; /* the rest after the separating blanks, may be empty */
	size_t args_len;
	struct jobopt opt; /* options before the task (jobopt.h) */
};

/*
 * Splits one line (without its newline; a trailing '\r' is dropped) into
 * task and arguments.  Rejects with a reason in err: an empty or blank
 * line, NUL bytes, control characters other than tab, and invalid UTF-8.
 * Job options (`key=value` words) before the task go into out->opt, and
 * a bad one is refused with its reason.  Returns 0 or -1.  *out points
 * into line.
 */
int ctl_parse(const char *line, size_t len, struct ctl_line *out, char *err, size_t errlen);

/*
 * Parses a task word made only of decimal digits into a code.  Returns 0,
 * or -1 if the word is not a number that fits in uint32_t.
 */
int ctl_parse_code(const char *word, size_t len, uint32_t *code);

/*
 * Line splitter for a byte stream.  The caller reads into ctl_split_space()
 * and reports the count with ctl_split_commit(), then takes lines with
 * ctl_split_next() until it returns CTL_SPLIT_AGAIN.  A line longer than
 * CTL_LINE_MAX is returned once as CTL_SPLIT_OVERLONG (with *line, *len
 * holding its first CTL_LINE_MAX bytes, for a log) and its remaining bytes
 * are discarded up to the next newline, so the line after it is intact.
 */
struct ctl_split {
	char buf[16 * CTL_LINE_MAX]; /* a read of many short lines at once */
	size_t start;                /* first byte not yet returned */
	size_t end;                  /* one past the last byte read */
	bool discarding;             /* inside an overlong line, dropping bytes */
};

enum ctl_split_result {
	CTL_SPLIT_AGAIN = 0, /* no whole line buffered: read more */
	CTL_SPLIT_LINE,      /* *line, *len hold one line without its newline */
	CTL_SPLIT_OVERLONG,  /* a line over CTL_LINE_MAX was dropped */
};

void ctl_split_init(struct ctl_split *s);
/* Where to read next and how much room there is (always > 0). */
char *ctl_split_space(struct ctl_split *s, size_t *room);
void ctl_split_commit(struct ctl_split *s, size_t n);
/* Forgets the bytes held, but not an overlong line being discarded: for a
 * reader that peeks and will be shown the bytes it did not take again. */
void ctl_split_rewind(struct ctl_split *s);
enum ctl_split_result ctl_split_next(struct ctl_split *s, const char **line, size_t *len);
/* Bytes of an unfinished line held (for shutdown: a line without newline). */
size_t ctl_split_pending(const struct ctl_split *s);

#define CTL_ONES  0x0101010101010101ULL
#define CTL_HIGHS 0x8080808080808080ULL

/*
 * ctl_word_odd: 0 if the 8 bytes of x are all printable ASCII (0x20 to
 * 0x7e), else a high bit set somewhere (OR the results of many words to
 * test them at once).  ctl_word_printable:
 * true if the 8 bytes of x are all printable ASCII (0x20 to 0x7e), for
 * checks a word at a time: (x - 0x20..20) & ~x has a high bit set for a
 * byte under 0x20, (x + 0x01..01) | x for one over 0x7e (exact for "some
 * byte": Bit Twiddling Hacks' hasless and hasmore).
 */
static inline uint64_t ctl_word_odd(uint64_t x)
{
	return (((x - 0x20 * CTL_ONES) & ~x) | (x + CTL_ONES) | x) & CTL_HIGHS;
}

static inline bool ctl_word_printable(uint64_t x)
{
	return ctl_word_odd(x) == 0;
}

/* The 8 bytes at s, or the n (under 8) there over spaces, in pieces of 4,
 * 2 and 1: never a byte past s + n (word-at-a-time checks; a kind name
 * of up to 8 bytes as one word, jobs.c). */
static inline uint64_t ctl_load(const unsigned char *s, size_t n)
{
	uint64_t x = 0x20 * CTL_ONES;
	size_t k = 0;

	if (n >= 8) {
		memcpy(&x, s, 8);
		return x;
	}
	if (n & 4) {
		memcpy((char *)&x, s, 4);
		k = 4;
	}
	if (n & 2) {
		memcpy((char *)&x + k, s + k, 2);
		k += 2;
	}
	if (n & 1)
		memcpy((char *)&x + k, s + k, 1);
	return x;
}

#endif
