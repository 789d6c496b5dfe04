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
#include <time.h>

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

static bool jobopt_digit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * Reads "DIGITS[.DIGITS]" from the start of v[0..n) into *out (at most 15
 * digits before the point and 9 after; no sign, exponent, "inf" or hex,
 * whatever strtod would take); returns the bytes read, 0 if none.
 */
static size_t jobopt_decimal(const char *v, size_t n, double *out)
{
	double x = 0, frac = 0, scale = 1;
	size_t i = 0, k;

	for (; i < n && jobopt_digit(v[i]); i++) {
		if (i == 15)
			return 0;
		x = x * 10 + (v[i] - '0');
	}
	if (i == 0)
		return 0;
	if (i < n && v[i] == '.') {
		for (k = i + 1; k < n && jobopt_digit(v[k]) && k - i <= 9; k++) {
			frac = frac * 10 + (v[k] - '0');
			scale *= 10;
		}
		if (k == i + 1)
			return 0; /* "1." */
		i = k;
	}
	/* Both parts exact, one rounding: "T.mmm" reads back as the master
	 * computed it (admit.c), to the bit. */
	*out = x + frac / scale;
	return i;
}

/* in=DURATION: N[.N] seconds, or with a unit ms, s, m, h or d. */
static int jobopt_set_in(struct jobopt *o, const char *v, size_t n, char *err, size_t errlen)
{
	static const struct {
		const char *unit;
		double seconds;
	} units[] = {{"", 1}, {"s", 1}, {"ms", 0.001}, {"m", 60}, {"h", 3600}, {"d", 86400}};
	size_t used = jobopt_decimal(v, n, &o->in), i;

	for (i = 0; used > 0 && i < sizeof(units) / sizeof(units[0]); i++)
		if (strlen(units[i].unit) == n - used &&
		    memcmp(units[i].unit, v + used, n - used) == 0)
			break;
	if (used == 0 || i == sizeof(units) / sizeof(units[0])) {
		snprintf(err, errlen,
		         "in must be a duration: N or N.N with an optional unit ms, s, m, h or d "
		         "(in=90, in=1.5s, in=10m, in=2h)");
		return -1;
	}
	o->in *= units[i].seconds;
	if (o->in > JOBOPT_AHEAD_MAX) {
		snprintf(err, errlen, "in is more than 365 days");
		return -1;
	}
	o->has_in = true;
	return 0;
}

static bool jobopt_in_given(const struct jobopt *o)
{
	return o->has_in;
}

/* Reads the n digits at v as a number into *out; false if one is not a digit. */
static bool jobopt_field(const char *v, size_t n, int *out)
{
	size_t i;

	*out = 0;
	for (i = 0; i < n; i++) {
		if (!jobopt_digit(v[i]))
			return false;
		*out = *out * 10 + (v[i] - '0');
	}
	return true;
}

/* The decimals of "SS.F" at v[0..n) (1 to 9 digits) into *frac; false if bad. */
static bool jobopt_frac(const char *v, size_t n, double *frac)
{
	double scale = 0.1;
	size_t i;

	*frac = 0;
	if (n == 0 || n > 9)
		return false;
	for (i = 0; i < n; i++, scale /= 10) {
		if (!jobopt_digit(v[i]))
			return false;
		*frac += (v[i] - '0') * scale;
	}
	return true;
}

/* "YYYY-MM-DDTHH:MM:SS[.F]Z" (UTC only) into Unix seconds; 0, or -1. */
static int jobopt_iso(const char *v, size_t n, double *out)
{
	struct tm tm = {0}, want;
	double frac = 0;
	time_t t;

	if (n < 20 || v[4] != '-' || v[7] != '-' || v[10] != 'T' || v[13] != ':' || v[16] != ':' ||
	    v[n - 1] != 'Z' || !jobopt_field(v, 4, &tm.tm_year) ||
	    !jobopt_field(v + 5, 2, &tm.tm_mon) || !jobopt_field(v + 8, 2, &tm.tm_mday) ||
	    !jobopt_field(v + 11, 2, &tm.tm_hour) || !jobopt_field(v + 14, 2, &tm.tm_min) ||
	    !jobopt_field(v + 17, 2, &tm.tm_sec))
		return -1;
	if (n > 20 && (v[19] != '.' || !jobopt_frac(v + 20, n - 21, &frac)))
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	want = tm;
	t = timegm(&tm);
	/* timegm moves 31 April to 1 May: a field out of range shows so. */
	if (t == (time_t)-1 || tm.tm_year != want.tm_year || tm.tm_mon != want.tm_mon ||
	    tm.tm_mday != want.tm_mday || tm.tm_hour != want.tm_hour || tm.tm_min != want.tm_min ||
	    tm.tm_sec != want.tm_sec)
		return -1;
	*out = (double)t + frac;
	return 0;
}

/* at=TIME: Unix seconds (N or N.N), or ISO 8601 in UTC with a Z. */
static int jobopt_set_at(struct jobopt *o, const char *v, size_t n, char *err, size_t errlen)
{
	bool iso = memchr(v, 'T', n) != NULL || memchr(v, '-', n) != NULL;
	int r = iso ? jobopt_iso(v, n, &o->at) : (jobopt_decimal(v, n, &o->at) == n ? 0 : -1);

	if (r == -1) {
		snprintf(err, errlen,
		         "at must be Unix seconds (at=1796119200) or a UTC time "
		         "YYYY-MM-DDTHH:MM:SS[.F]Z (at=2026-12-01T10:00:00Z; no other offset)");
		return -1;
	}
	if (o->at < JOBOPT_AT_MIN || o->at >= JOBOPT_AT_MAX) {
		snprintf(err, errlen,
		         "at must be between 2000-01-01 and 2100-01-01 UTC, in seconds "
		         "(not milliseconds)");
		return -1;
	}
	o->has_at = true;
	return 0;
}

static bool jobopt_at_given(const struct jobopt *o)
{
	return o->has_at;
}

static const struct jobopt_def jobopt_table[] = {
    {"key", jobopt_set_key, jobopt_key_given},
    {"pri", jobopt_set_pri, jobopt_pri_given},
    {"in", jobopt_set_in, jobopt_in_given},
    {"at", jobopt_set_at, jobopt_at_given},
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

/* in= and at= together, or at= too far ahead of the wall clock now. */
static int jobopt_when_check(const struct jobopt *o, char *err, size_t errlen)
{
	struct timespec now;

	if (o->has_in && o->has_at) {
		snprintf(err, errlen, "in= and at= given together (one due time: give one)");
		return -1;
	}
	if (o->has_at && clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    o->at > (double)now.tv_sec + JOBOPT_AHEAD_MAX) {
		snprintf(err, errlen, "at is more than 365 days ahead");
		return -1;
	}
	return 0;
}

int jobopt_parse(const char *s, size_t len, struct jobopt *o, size_t *used, char *err,
                 size_t errlen)
{
	if (jobopt_words(s, len, o, used, err, errlen) == -1 ||
	    jobopt_when_check(o, err, errlen) == -1)
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

/* "pri=N" after a blank if blank, as snprintf would write it (the length
 * it needs; written only if it fits, NUL-ended) without its cost: it ran
 * for every job with pri= (about 450 instructions of the master's 2,900
 * per job in bench/queues.sh's queue-pri). */
static int jobopt_put_pri(char *buf, size_t size, bool blank, unsigned pri)
{
	char t[8] = " pri=";
	int n = 5;

	if (pri >= 100)
		t[n++] = (char)('0' + pri / 100 % 10);
	if (pri >= 10)
		t[n++] = (char)('0' + pri / 10 % 10);
	t[n++] = (char)('0' + pri % 10);
	n -= blank ? 0 : 1;
	if ((size_t)n < size) {
		memcpy(buf, blank ? t : t + 1, (size_t)n);
		buf[n] = '\0';
	}
	return n;
}

size_t jobopt_format(const struct jobopt *o, char *buf, size_t size)
{
	int n = 0, k = 0;

	if (o->key != NULL)
		n = snprintf(buf, size, "key=%.*s", (int)o->key_len, o->key);
	if (n >= 0 && (size_t)n < size && o->has_pri)
		k = jobopt_put_pri(buf + n, size - (size_t)n, n > 0, o->pri);
	n += k > 0 ? k : 0;
	k = 0;
	/* Millisecond precision: at= is read back to the millisecond. */
	if (n >= 0 && (size_t)n < size && o->has_at)
		k = snprintf(buf + n, size - (size_t)n, "%sat=%.3f", n > 0 ? " " : "", o->at);
	n += k > 0 ? k : 0;
	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}
