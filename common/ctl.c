/*
 * Control lines: the splitter that cuts the FIFO's byte stream into lines,
 * and the parser that checks one line and cuts it into task and
 * arguments.  Knows nothing of job kinds and never allocates; everything a
 * writer can put into the FIFO ends here as a line or a rejection with a
 * reason, never as a crash.
 */
#include <endian.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "utf8.h"

/*
 * Bytes of s[0..len) from the start that are surely printable ASCII (0x20
 * to 0x7e), checked 8 at a time (the last few padded with spaces); stops
 * at the first word with any other byte, from which the caller checks
 * byte by byte (a tab, UTF-8, or the error).
 */
static inline size_t ctl_ascii_prefix(const unsigned char *s, size_t len)
{
	uint64_t x, w[4];
	size_t i = 0;

	/* 32 bytes a step while they are all printable (long lines: one
	 * branch for four words), then a word at a time. */
	for (; i + 32 <= len; i += 32) {
		memcpy(w, s + i, 32);
		if ((ctl_word_odd(w[0]) | ctl_word_odd(w[1]) | ctl_word_odd(w[2]) |
		     ctl_word_odd(w[3])) != 0)
			break;
	}
	for (; i + 8 <= len; i += 8) {
		memcpy(&x, s + i, 8);
		if (!ctl_word_printable(x))
			return i;
	}
	if (i < len && ctl_word_printable(ctl_load(s + i, len - i)))
		i = len;
	return i;
}

/* Checks the bytes of line[from..len) (those before are known good);
 * returns 0 or -1 with the reason (offsets from the line's start). */
static int ctl_check_bytes(const char *line, size_t from, size_t len, char *err, size_t errlen)
{
	const unsigned char *s = (const unsigned char *)line;
	size_t i = from + ctl_ascii_prefix(s + from, len - from), n;
	uint32_t cp;

	while (i < len) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			i += 1 + ctl_ascii_prefix(s + i + 1, len - i - 1);
			continue;
		}
		if (s[i] == '\0') {
			snprintf(err, errlen, "NUL byte at offset %zu", i);
			return -1;
		}
		if ((s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f) {
			snprintf(err, errlen, "control character 0x%02x at offset %zu", s[i], i);
			return -1;
		}
		n = utf8_seq(s + i, len - i, &cp);
		if (n == 0) {
			snprintf(err, errlen, "invalid UTF-8 at offset %zu", i);
			return -1;
		}
		i += n;
	}
	return 0;
}

static int ctl_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Where the word that starts at line[i] ends (at a blank or at len), and
 * whether it holds '=' (an option word: a task name never does). */
static size_t ctl_word_end(const char *line, size_t i, size_t len, bool *eq)
{
	bool e = false;

	/* Blanks are under '!', every other byte of a checked line above. */
	for (; i < len && (unsigned char)line[i] > ' '; i++)
		e |= line[i] == '=';
	*eq = e;
	return i;
}

/*
 * The common line in one step over its first 8 bytes: printable ASCII
 * there, and a first word that starts the line, holds no '=' (no
 * options) and ends within them.  Then *end gets the word's end, the
 * other bytes are checked, and 1 (or -1 with the reason) is returned; 0
 * if the line is not so (ctl_parse_words reads it).  x holds the bytes
 * with the first lowest (le64toh: a no-op here); (x - 0x21..21) & ~x
 * flags the bytes under '!' (spaces here, or the padding past len);
 * (y - 0x01..01) & ~y with y = x ^ '='... flags '='.  In each the lowest
 * flagged byte is exact (a false flag only sits above a true one), so the
 * word's end is, and so is "an '=' before it".
 */
static int ctl_first_word(const char *line, size_t len, size_t *end, uint64_t *word, char *err,
                          size_t errlen)
{
	uint64_t x = le64toh(ctl_load((const unsigned char *)line, len)), y = x ^ ('=' * CTL_ONES);
	uint64_t blank = (x - 0x21 * CTL_ONES) & ~x & CTL_HIGHS;
	uint64_t eqs = (y - CTL_ONES) & ~y & CTL_HIGHS;

	if (!ctl_word_printable(x) || blank == 0 || (blank & 0x80) != 0 ||
	    (eqs & ((blank & (0 - blank)) - 1)) != 0)
		return 0;
	*end = (size_t)__builtin_ctzll(blank) / 8; /* 1 to 7 */
	*word = (x & ((1ULL << (8 * *end)) - 1)) | (0x20 * CTL_ONES & (~0ULL << (8 * *end)));
	return len <= 8 || ctl_check_bytes(line, 8, len, err, errlen) == 0 ? 1 : -1;
}

/* Any other line: its bytes checked, blanks trimmed (*len, *i: the first
 * word), the options read into out->opt, *end the task's end. */
static int ctl_parse_words(const char *line, size_t *len, size_t *i, size_t *end,
                           struct ctl_line *out, char *err, size_t errlen)
{
	bool opts;

	if (ctl_check_bytes(line, 0, *len, err, errlen) == -1)
		return -1;
	while (*len > 0 && ctl_is_blank(line[*len - 1]))
		(*len)--;
	while (*i < *len && ctl_is_blank(line[*i]))
		(*i)++;
	if (*i == *len) {
		snprintf(err, errlen, "empty line");
		return -1;
	}
	/* A first word without '=' is the task: no options to read, and its
	 * end is known. */
	*end = ctl_word_end(line, *i, *len, &opts);
	if (!opts) {
		out->opt = (struct jobopt){0};
		return 0;
	}
	if (jobopt_parse(line + *i, *len - *i, &out->opt, end, err, errlen) == -1)
		return -1;
	*i += *end;
	*end = ctl_word_end(line, *i, *len, &opts);
	return 0;
}

int ctl_parse(const char *line, size_t len, struct ctl_line *out, char *err, size_t errlen)
{
	size_t i = 0, end;
	int r;

	if (len > 0 && line[len - 1] == '\r')
		len--;
	if (len + 1 > CTL_LINE_MAX) {
		snprintf(err, errlen, "line of %zu bytes is over the limit of %d", len + 1,
		         CTL_LINE_MAX);
		return -1;
	}
	out->task_word = 0;
	r = ctl_first_word(line, len, &end, &out->task_word, err, errlen);
	if (r == 1) {
		while (len > end && ctl_is_blank(line[len - 1]))
			len--;
		out->opt = (struct jobopt){0};
	} else if (r == -1 || ctl_parse_words(line, &len, &i, &end, out, err, errlen) == -1) {
		return -1;
	}
	out->task = line + i;
	out->task_len = end - i;
	while (end < len && ctl_is_blank(line[end]))
		end++;
	out->args = line + end;
	out->args_len = len - end;
	return 0;
}

int ctl_parse_code(const char *word, size_t len, uint32_t *code)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 10)
		return -1;
	for (i = 0; i < len; i++) {
		if (word[i] < '0' || word[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(word[i] - '0');
	}
	if (v > UINT32_MAX)
		return -1;
	*code = (uint32_t)v;
	return 0;
}

void ctl_split_init(struct ctl_split *s)
{
	s->start = s->end = 0;
	s->discarding = false;
}

void ctl_split_rewind(struct ctl_split *s)
{
	s->start = s->end = 0;
}

char *ctl_split_space(struct ctl_split *s, size_t *room)
{
	/* Move the unfinished line to the front; it is under CTL_LINE_MAX, so at
	 * least CTL_LINE_MAX bytes of room remain. */
	if (s->start > 0) {
		memmove(s->buf, s->buf + s->start, s->end - s->start);
		s->end -= s->start;
		s->start = 0;
	}
	*room = sizeof(s->buf) - s->end;
	return s->buf + s->end;
}

void ctl_split_commit(struct ctl_split *s, size_t n)
{
	s->end += n;
}

/* ctl_split_next past its fast path: memchr over what is buffered.  Not
 * inlined: the fast path then saves no registers. */
__attribute__((noinline)) static enum ctl_split_result
ctl_split_scan(struct ctl_split *s, const char **line, size_t *len)
{
	char *nl;

	for (;;) {
		size_t avail = s->end - s->start;

		nl = memchr(s->buf + s->start, '\n', avail);
		if (s->discarding) {
			/* Drop the rest of an overlong line, up to its newline. */
			if (nl == NULL) {
				s->start = s->end;
				return CTL_SPLIT_AGAIN;
			}
			s->start = (size_t)(nl - s->buf) + 1;
			s->discarding = false;
			continue;
		}
		if (nl == NULL || (size_t)(nl - (s->buf + s->start)) + 1 > CTL_LINE_MAX) {
			if (avail < CTL_LINE_MAX && nl == NULL)
				return CTL_SPLIT_AGAIN;
			/* Its beginning, for the log: the producer can be found. */
			*line = s->buf + s->start;
			*len = CTL_LINE_MAX;
			s->discarding = true;
			return CTL_SPLIT_OVERLONG;
		}
		*line = s->buf + s->start;
		*len = (size_t)(nl - (s->buf + s->start));
		s->start += *len + 1;
		return CTL_SPLIT_LINE;
	}
}

enum ctl_split_result ctl_split_next(struct ctl_split *s, const char **line, size_t *len)
{
	uint64_t x, nl;
	size_t n;

	/* A short line ("noop"), its newline in the next 8 bytes: found a
	 * word at a time without a call.  (x ^ '\n'...) has a zero byte where
	 * a newline is; the lowest flagged byte is exact (hasless). */
	if (!s->discarding && s->end - s->start >= 8) {
		memcpy(&x, s->buf + s->start, 8);
		x = le64toh(x) ^ ('\n' * CTL_ONES); /* the line's first byte lowest */
		nl = (x - CTL_ONES) & ~x & CTL_HIGHS;
		if (nl != 0) {
			n = (size_t)__builtin_ctzll(nl) / 8;
			*line = s->buf + s->start;
			*len = n;
			s->start += n + 1;
			return CTL_SPLIT_LINE;
		}
	}
	return ctl_split_scan(s, line, len);
}

size_t ctl_split_pending(const struct ctl_split *s)
{
	return s->discarding ? 0 : s->end - s->start;
}
