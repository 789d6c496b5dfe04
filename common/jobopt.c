/*
 * Job options before the task name.  Table-driven: each option has a name
 * and a setter that checks its value and stores it; adding one (pri=,
 * in=, at=) is a field in struct jobopt and a row here.  Words are split
 * on blanks like ctl_parse does; a word is an option exactly when it holds
 * '=' (task names never do).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "jobopt.h"

struct jobopt_def {
	const char *name;
	/* Checks and stores v[0..n); 0, or -1 with the reason in err. */
	int (*set)(struct jobopt *o, const char *v, size_t n, char *err, size_t errlen);
	/* True if the option was already given. */
	bool (*given)(const struct jobopt *o);
};

static bool jobopt_key_char(unsigned char c)
{
	/* strchr finds the terminating NUL too: a NUL is checked apart. */
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != '\0' && strchr("._:/@+-", c) != NULL);
}

static int jobopt_set_key(struct jobopt *o, const char *v, size_t n, char *err, size_t errlen)
{
	size_t i;

	if (n == 0 || n > JOBOPT_KEY_MAX) {
		snprintf(err, errlen, "key must be 1 to %d bytes", JOBOPT_KEY_MAX);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (!jobopt_key_char((unsigned char)v[i])) {
			snprintf(err, errlen,
			         "key holds '%c' (allowed: letters, digits and . _ : / @ + -)",
			         v[i] >= 0x20 && v[i] < 0x7f ? v[i] : '?');
			return -1;
		}
	o->key = v;
	o->key_len = n;
	return 0;
}

static bool jobopt_key_given(const struct jobopt *o)
{
	return o->key != NULL;
}

/* pri=N: one digit, 0 (the default) to 9, higher first. */
static int jobopt_set_pri(struct jobopt *o, const char *v, size_t n, char *err, size_t errlen)
{
	if (n != 1 || v[0] < '0' || v[0] > '9') {
		snprintf(err, errlen, "pri must be 0 to 9 (higher first)");
		return -1;
	}
	o->has_pri = true;
	o->pri = (unsigned char)(v[0] - '0');
	return 0;
}

static bool jobopt_pri_given(const struct jobopt *o)
{
	return o->has_pri;
}

static const struct jobopt_def jobopt_table[] = {
    {"key", jobopt_set_key, jobopt_key_given},
    {"pri", jobopt_set_pri, jobopt_pri_given},
};

#define JOBOPT_N (sizeof(jobopt_table) / sizeof(jobopt_table[0]))

static bool jobopt_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Applies one option word w[0..n) holding '=' at eq. */
static int jobopt_word(struct jobopt *o, const char *w, size_t n, const char *eq, char *err,
                       size_t errlen)
{
	size_t name_len = (size_t)(eq - w), i;

	for (i = 0; i < JOBOPT_N; i++) {
		const struct jobopt_def *d = &jobopt_table[i];

		if (strlen(d->name) != name_len || memcmp(d->name, w, name_len) != 0)
			continue;
		if (d->given(o)) {
			snprintf(err, errlen, "option %s given twice", d->name);
			return -1;
		}
		return d->set(o, eq + 1, n - name_len - 1, err, errlen);
	}
	n = (size_t)snprintf(err, errlen, "unknown job option '%.*s' (known:",
	                     (int)(name_len > 40 ? 40 : name_len), w);
	for (i = 0; i < JOBOPT_N && n < errlen; i++)
		n += (size_t)snprintf(err + n, errlen - n, " %s=", jobopt_table[i].name);
	if (n < errlen)
		snprintf(err + n, errlen - n, ")");
	return -1;
}

/* Reads option words from the start of s; *used gets the bytes taken. */
static int jobopt_words(const char *s, size_t len, struct jobopt *o, size_t *used, char *err,
                        size_t errlen)
{
	size_t i = 0, end;
	const char *eq;

	memset(o, 0, sizeof(*o));
	while (i < len) {
		eq = NULL; /* the word's end and its first '=', in one pass */
		for (end = i; end < len && !jobopt_blank(s[end]); end++)
			if (s[end] == '=' && eq == NULL)
				eq = s + end;
		if (eq == NULL)
			break;
		if (jobopt_word(o, s + i, end - i, eq, err, errlen) == -1)
			return -1;
		while (end < len && jobopt_blank(s[end]))
			end++;
		i = end;
	}
	*used = i;
	return 0;
}

int jobopt_parse(const char *s, size_t len, struct jobopt *o, size_t *used, char *err,
                 size_t errlen)
{
	if (jobopt_words(s, len, o, used, err, errlen) == -1)
		return -1;
	if (*used > 0 && *used == len) {
		snprintf(err, errlen, "job options but no task");
		return -1;
	}
	return 0;
}

int jobopt_read(const char *s, size_t len, struct jobopt *o)
{
	char err[160];
	size_t used;

	if (jobopt_words(s, len, o, &used, err, sizeof(err)) == -1 || used != len) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

size_t jobopt_format(const struct jobopt *o, char *buf, size_t size)
{
	int n = 0, k = 0;

	if (o->key != NULL)
		n = snprintf(buf, size, "key=%.*s", (int)o->key_len, o->key);
	if (n >= 0 && (size_t)n < size && o->has_pri)
		k = snprintf(buf + n, size - (size_t)n, "%spri=%u", n > 0 ? " " : "", o->pri);
	n += k > 0 ? k : 0;
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
