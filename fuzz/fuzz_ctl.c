/*
 * libFuzzer harness for what a FIFO writer controls: the line splitter
 * (common/ctl.c), the line parser and the full acceptance check of a line
 * (worker/kinds/jobs.c and the kinds' check functions).  The input is a chunk
 * script (fuzz.h) and then the byte stream the FIFO delivers, read in
 * chunks the way daemon/sources/fifo.c reads it.
 *
 * Beyond "no crash, no sanitizer report" it checks each result against a
 * small model written differently from the code under test: the splitter
 * against a cut at each newline, the parser against a table-driven UTF-8
 * check (Unicode table 3-7), a plain trim and a word-by-word reading of
 * the job options before the task (key=, pri=, in= and at=, jobopt.h,
 * with a calendar of its own for at='s UTC times); the options
 * an accepted line carries must fit beside its arguments in a journal
 * record and read back the same.  Each line is copied into a buffer of
 * its exact size first, so a read past its end is an ASan report rather
 * than a read of the next line.  The whole stream is also
 * checked as one line, the way poolctl checks an argument of any length,
 * and an accepted line must fit a task frame.  Never runs a job.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "fuzz.h"
#include "jobopt.h"
#include "jobs.h"
#include "proto.h"

/* The model of the splitter: where the next line starts in the stream. */
struct model {
	const uint8_t *s; /* the whole stream */
	size_t pos;       /* first byte not yet returned or dropped */
	bool dropping;    /* an overlong line's end has not arrived yet */
};

/* The event the splitter must return next when `have` bytes have arrived. */
static enum ctl_split_result model_next(struct model *md, size_t have, size_t *start, size_t *len)
{
	const uint8_t *nl;

	if (md->dropping) {
		nl = memchr(md->s + md->pos, '\n', have - md->pos);
		if (nl == NULL) {
			md->pos = have;
			return CTL_SPLIT_AGAIN;
		}
		md->pos = (size_t)(nl - md->s) + 1;
		md->dropping = false;
	}
	nl = memchr(md->s + md->pos, '\n', have - md->pos);
	if (nl == NULL) {
		if (have - md->pos < CTL_LINE_MAX)
			return CTL_SPLIT_AGAIN;
		md->pos = have;
		md->dropping = true;
		return CTL_SPLIT_OVERLONG;
	}
	*start = md->pos;
	*len = (size_t)(nl - md->s) - md->pos;
	md->pos = (size_t)(nl - md->s) + 1;
	return *len + 1 > CTL_LINE_MAX ? CTL_SPLIT_OVERLONG : CTL_SPLIT_LINE;
}

/* Length of the well-formed UTF-8 sequence at s (Unicode 15, table 3-7),
 * or 0: the ranges of the second byte decide overlongs, surrogates and
 * the end of the code space. */
static size_t model_utf8(const uint8_t *s, size_t avail)
{
	static const struct {
		uint8_t lo, hi;   /* first byte */
		uint8_t n;        /* bytes in the sequence */
		uint8_t lo2, hi2; /* second byte */
	} rows[] = {
	    {0x00, 0x7f, 1, 0, 0},       {0xc2, 0xdf, 2, 0x80, 0xbf}, {0xe0, 0xe0, 3, 0xa0, 0xbf},
	    {0xe1, 0xec, 3, 0x80, 0xbf}, {0xed, 0xed, 3, 0x80, 0x9f}, {0xee, 0xef, 3, 0x80, 0xbf},
	    {0xf0, 0xf0, 4, 0x90, 0xbf}, {0xf1, 0xf3, 4, 0x80, 0xbf}, {0xf4, 0xf4, 4, 0x80, 0x8f},
	};
	size_t r, i;

	for (r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		if (s[0] < rows[r].lo || s[0] > rows[r].hi)
			continue;
		if (avail < rows[r].n)
			return 0;
		if (rows[r].n > 1 && (s[1] < rows[r].lo2 || s[1] > rows[r].hi2))
			return 0;
		for (i = 2; i < rows[r].n; i++)
			if (s[i] < 0x80 || s[i] > 0xbf)
				return 0;
		return rows[r].n;
	}
	return 0;
}

/* Where the parts of an accepted line start and how long they are. */
struct model_line {
	size_t task, task_len, args, args_len;
	size_t key, key_len; /* key_len 0: no key= option */
	int pri;             /* pri=N, or -1 */
	bool has_in, has_at;
	double in, at;
	bool unsure; /* a value within rounding of a bound: either answer */
};

/* True if s[0..n) is a valid value of key= (jobopt.h): 1 to
 * JOBOPT_KEY_MAX of ASCII letters, digits and "._:/@+-". */
static bool model_key(const uint8_t *s, size_t n)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                              "0123456789._:/@+-";
	size_t i;

	if (n < 1 || n > JOBOPT_KEY_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] == 0 || strchr(allowed, s[i]) == NULL)
			return false;
	return true;
}

/* "D{1,15}[.D{1,9}]" at the start of s[0..n): its value by strtod and
 * the bytes it takes; 0 if none. */
static size_t model_number(const uint8_t *s, size_t n, double *v)
{
	char buf[32];
	size_t i = 0, f = 0;

	while (i < n && i < 16 && s[i] >= '0' && s[i] <= '9')
		i++;
	if (i == 0 || i == 16)
		return 0;
	if (i < n && s[i] == '.') {
		while (i + 1 + f < n && f < 10 && s[i + 1 + f] >= '0' && s[i + 1 + f] <= '9')
			f++;
		if (f == 0 || f == 10)
			return 0;
		i += 1 + f;
	}
	memcpy(buf, s, i);
	buf[i] = '\0';
	*v = strtod(buf, NULL);
	return i;
}

/* Marks ml unsure when v is within rounding of the bound b. */
static void model_near(struct model_line *ml, double v, double b)
{
	if (v > b - 1e-3 && v < b + 1e-3)
		ml->unsure = true;
}

/* in=: a number of seconds, or with a unit ms, s, m, h, d; 365 days at most. */
static bool model_in(const uint8_t *s, size_t n, struct model_line *ml)
{
	static const char *const units[] = {"", "s", "ms", "m", "h", "d"};
	static const double mult[] = {1, 1, 0.001, 60, 3600, 86400};
	size_t k = model_number(s, n, &ml->in), u;

	for (u = 0; k > 0 && u < 6; u++)
		if (strlen(units[u]) == n - k && memcmp(units[u], s + k, n - k) == 0)
			break;
	if (k == 0 || u == 6)
		return false;
	ml->in *= mult[u];
	model_near(ml, ml->in, 365 * 86400.0);
	ml->has_in = true;
	return ml->in <= 365 * 86400.0;
}

/* Days from 1970-01-01 to y-m-d, counting the Gregorian leap years. */
static long model_days(int y, int m, int d)
{
	static const int before[] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334};
	long days = 0;
	int i;

	for (i = 1970; i < y; i++)
		days += (i % 4 == 0 && i % 100 != 0) || i % 400 == 0 ? 366 : 365;
	days += before[m - 1] + d - 1;
	if (m > 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		days++;
	return days;
}

/* "YYYY-MM-DDTHH:MM:SS[.F]Z", years 1970..9999: Unix seconds. */
static bool model_iso(const uint8_t *s, size_t n, double *v)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	int y, mo, d, h, mi, sec;
	double frac = 0;
	size_t i;

	if (n < 20 || s[n - 1] != 'Z')
		return false;
	for (i = 0; i < 19; i++)
		if (shape[i] == 'd' ? s[i] < '0' || s[i] > '9' : s[i] != shape[i])
			return false;
	if (n > 20 && (s[19] != '.' || model_number(s + 18, n - 19, &frac) != n - 19))
		return false; /* "S.F" read as a number from the seconds' last digit */
	y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
	mo = (s[5] - '0') * 10 + (s[6] - '0');
	d = (s[8] - '0') * 10 + (s[9] - '0');
	h = (s[11] - '0') * 10 + (s[12] - '0');
	mi = (s[14] - '0') * 10 + (s[15] - '0');
	sec = (s[17] - '0') * 10 + (s[18] - '0');
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 ||
	    sec > 59 || (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)))
		return false;
	*v = (double)model_days(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	     (n > 20 ? (sec - sec % 10) + frac : sec);
	return true;
}

/* at=: Unix seconds or an ISO time in UTC, 2000..2100, 365 days ahead at most. */
static bool model_at(const uint8_t *s, size_t n, struct model_line *ml)
{
	bool iso = memchr(s, 'T', n) != NULL || memchr(s, '-', n) != NULL;
	double ahead = (double)time(NULL) + 365 * 86400.0;

	if (iso ? !model_iso(s, n, &ml->at) : model_number(s, n, &ml->at) != n || n == 0)
		return false;
	model_near(ml, ml->at, 946684800.0);
	model_near(ml, ml->at, 4102444800.0);
	if (ml->at > ahead - 2 && ml->at < ahead + 2) /* the two clocks read apart */
		ml->unsure = true;
	ml->has_at = true;
	return ml->at >= 946684800.0 && ml->at < 4102444800.0 && ml->at <= ahead;
}

/* One option word s[w..we) holding '=': "key=VALUE" with a valid value,
 * "pri=D" with one decimal digit, "in=DURATION" or "at=TIME", each at
 * most once (in= and at= not together: checked by the caller). */
static bool model_option(const uint8_t *s, size_t w, size_t we, struct model_line *ml)
{
	if (we - w >= 3 && memcmp(s + w, "in=", 3) == 0)
		return !ml->has_in && model_in(s + w + 3, we - w - 3, ml);
	if (we - w >= 3 && memcmp(s + w, "at=", 3) == 0)
		return !ml->has_at && model_at(s + w + 3, we - w - 3, ml);
	if (we - w >= 4 && memcmp(s + w, "key=", 4) == 0) {
		if (ml->key_len > 0 || !model_key(s + w + 4, we - w - 4))
			return false;
		ml->key = w + 4;
		ml->key_len = we - w - 4;
		return true;
	}
	if (we - w == 5 && memcmp(s + w, "pri=", 4) == 0 && ml->pri < 0 && s[w + 4] >= '0' &&
	    s[w + 4] <= '9') {
		ml->pri = s[w + 4] - '0';
		return true;
	}
	return false;
}

/* The option words before the task, from the first word at *b up to
 * the line's trimmed end e: each word holding '=' must be a valid
 * option, and a task must follow.  Moves *b to the task. */
static bool model_options(const uint8_t *s, size_t *b, size_t e, struct model_line *ml)
{
	size_t w = *b, we;

	ml->key = 0;
	ml->key_len = 0;
	ml->pri = -1;
	ml->has_in = ml->has_at = ml->unsure = false;
	for (;;) {
		for (we = w; we < e && s[we] != ' ' && s[we] != '\t'; we++)
			;
		if (memchr(s + w, '=', we - w) == NULL)
			break;
		if (!model_option(s, w, we, ml))
			return false;
		for (w = we; w < e && (s[w] == ' ' || s[w] == '\t'); w++)
			;
		if (w == e)
			return false; /* options but no task */
	}
	*b = w;
	return !(ml->has_in && ml->has_at); /* one due time */
}

/* What ctl_parse must decide for a line: accepted, with task, args and
 * options at these offsets, or refused. */
static bool model_parse(const uint8_t *s, size_t len, struct model_line *ml)
{
	size_t i, n, a, b, e;

	if (len > 0 && s[len - 1] == '\r')
		len--;
	if (len + 1 > CTL_LINE_MAX)
		return false;
	for (i = 0; i < len; i += n) {
		if (s[i] == 0 || (s[i] < 0x20 && s[i] != '\t') || s[i] == 0x7f)
			return false;
		n = model_utf8(s + i, len - i);
		if (n == 0)
			return false;
	}
	for (a = 0; a < len && (s[a] == ' ' || s[a] == '\t'); a++)
		;
	for (e = len; e > a && (s[e - 1] == ' ' || s[e - 1] == '\t'); e--)
		;
	if (a == e || !model_options(s, &a, e, ml))
		return false;
	for (b = a; b < e && s[b] != ' ' && s[b] != '\t'; b++)
		;
	ml->task = a;
	ml->task_len = b - a;
	while (b < e && (s[b] == ' ' || s[b] == '\t'))
		b++;
	ml->args = b;
	ml->args_len = e - b;
	return true;
}

/* An error text must be set, terminated and not empty. */
static void check_err(const char *err, size_t errlen)
{
	FUZZ_CHECK(memchr(err, '\0', errlen) != NULL);
	FUZZ_CHECK(err[0] != '\0');
}

/* The journal keeps an accepted job's options as jobopt_format's text
 * after its arguments, in a record of at most PROTO_ARGS_MAX bytes
 * (daemon/journal.c): the text must be there, fit beside the arguments
 * and read back as the same options. */
static void check_options(const struct ctl_line *cl)
{
	char text[JOBOPT_TEXT_MAX];
	struct jobopt back;
	size_t n = jobopt_format(&cl->opt, text, sizeof(text));

	FUZZ_CHECK((n == 0) == (cl->opt.key == NULL && !cl->opt.has_pri && !cl->opt.has_at));
	/* A journal record holds both (journal_scan.c): in= is kept as at=,
	 * which may be longer than the line's own words. */
	FUZZ_CHECK(cl->args_len <= PROTO_ARGS_MAX && n <= JOBOPT_TEXT_MAX);
	if (n == 0)
		return;
	FUZZ_CHECK(jobopt_read(text, n, &back) == 0);
	FUZZ_CHECK(back.key_len == cl->opt.key_len &&
	           (back.key_len == 0 || memcmp(back.key, cl->opt.key, back.key_len) == 0));
	FUZZ_CHECK(back.has_pri == cl->opt.has_pri && back.pri == cl->opt.pri);
	/* at= is written to the millisecond. */
	FUZZ_CHECK(back.has_at == cl->opt.has_at && !back.has_in);
	FUZZ_CHECK(!back.has_at ||
	           (back.at > cl->opt.at - 0.0006 && back.at < cl->opt.at + 0.0006));
}

/* One line: the parser against the model, then the full acceptance check. */
static void check_line(const uint8_t *bytes, size_t len)
{
	char *line = malloc(len > 0 ? len : 1);
	struct model_line ml = {.pri = -1};
	const struct job_kind *kind;
	struct ctl_line cl;
	bool want;
	char err[200], frame[PROTO_FRAME_MAX];
	int rc;

	FUZZ_CHECK(line != NULL);
	memcpy(line, bytes, len);
	want = model_parse(bytes, len, &ml);
	err[0] = '\0';
	rc = ctl_parse(line, len, &cl, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(ml.unsure || (rc == 0) == want);
	if (rc == 0 && want) {
		FUZZ_CHECK(cl.task == line + ml.task && cl.task_len == ml.task_len);
		FUZZ_CHECK(cl.args == line + ml.args && cl.args_len == ml.args_len);
		FUZZ_CHECK(ml.key_len == 0
		               ? cl.opt.key == NULL
		               : cl.opt.key == line + ml.key && cl.opt.key_len == ml.key_len);
		FUZZ_CHECK(ml.pri < 0 ? !cl.opt.has_pri : cl.opt.has_pri && cl.opt.pri == ml.pri);
		FUZZ_CHECK(cl.opt.has_in == ml.has_in && cl.opt.has_at == ml.has_at);
		FUZZ_CHECK(!ml.has_in || (cl.opt.in > ml.in - 1e-6 && cl.opt.in < ml.in + 1e-6));
		FUZZ_CHECK(!ml.has_at || (cl.opt.at > ml.at - 1e-6 && cl.opt.at < ml.at + 1e-6));
	} else if (rc == -1) {
		check_err(err, sizeof(err));
	}

	err[0] = '\0';
	kind = jobs_check_line(line, len, &cl, err, sizeof(err));
	if (kind == NULL) {
		check_err(err, sizeof(err));
	} else {
		FUZZ_CHECK(want || ml.unsure);
		FUZZ_CHECK(kind == jobs_by_code(kind->code));
		FUZZ_CHECK(cl.args_len <= PROTO_ARGS_MAX);
		FUZZ_CHECK(strcmp(kind->name, "noop") != 0 || cl.args_len == 0);
		FUZZ_CHECK(strcmp(kind->name, "backup") != 0 ||
		           (cl.args_len > 0 && cl.args[0] == '/'));
		FUZZ_CHECK(strcmp(kind->name, "net") != 0 || memchr(cl.args, ':', cl.args_len));
		/* What the master accepts, it can always frame for a worker. */
		FUZZ_CHECK(
		    proto_task_encode(frame, sizeof(frame), kind->code, 1, cl.args, cl.args_len) ==
		    sizeof(struct proto_task) + cl.args_len);
		check_options(&cl);
	}
	free(line);
}

/* Takes every event the splitter has, checking each against the model. */
static void drain(struct ctl_split *sp, struct model *md, size_t have)
{
	enum ctl_split_result got, want;
	size_t start = 0, wlen = 0, len;
	const char *line;

	do {
		got = ctl_split_next(sp, &line, &len);
		want = model_next(md, have, &start, &wlen);
		FUZZ_CHECK(got == want);
		if (got == CTL_SPLIT_LINE) {
			FUZZ_CHECK(len == wlen && len < CTL_LINE_MAX);
			FUZZ_CHECK(line >= sp->buf && line + len < sp->buf + sizeof(sp->buf));
			FUZZ_CHECK(memcmp(line, md->s + start, len) == 0);
			check_line((const uint8_t *)line, len);
		}
	} while (got != CTL_SPLIT_AGAIN);
	FUZZ_CHECK(ctl_split_pending(sp) == (md->dropping ? 0 : have - md->pos));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctl_split sp; /* 64 KiB: not on the stack */
	struct fuzz_chunks ch;
	struct model md;
	size_t have = 0, room, n;
	char *space;

	fuzz_chunks_init(&ch, &data, &size);
	md.s = data;
	md.pos = 0;
	md.dropping = false;
	ctl_split_init(&sp);
	drain(&sp, &md, 0);
	while (have < size) {
		space = ctl_split_space(&sp, &room);
		FUZZ_CHECK(room > 0 && space + room == sp.buf + sizeof(sp.buf));
		/* What is left of an unfinished line is under CTL_LINE_MAX. */
		FUZZ_CHECK(room > sizeof(sp.buf) - CTL_LINE_MAX);
		n = fuzz_chunks_next(&ch, room, size - have);
		memcpy(space, data + have, n);
		ctl_split_commit(&sp, n);
		have += n;
		drain(&sp, &md, have);
	}
	/* poolctl checks a line from its command line, of any length. */
	if (size <= 2 * CTL_LINE_MAX)
		check_line(data, size);
	return 0;
}
