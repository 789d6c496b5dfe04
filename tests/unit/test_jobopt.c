/* test-sources: common/jobopt.c common/ctl.c */
/*
 * Job options before the task name: parsed the same way for every intake
 * (through ctl_parse), never confused with a task or its arguments, and
 * every rejection carries its reason.  in= and at= (delayed jobs): each
 * accepted form and its value, each malformed or out-of-range value
 * refused with its reason, and at= written back for the journal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ctl.h"
#include "jobopt.h"

static void parse_ok(const char *line, struct ctl_line *cl)
{
	char err[200] = "";

	assert_int_equal(ctl_parse(line, strlen(line), cl, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void parse_refused(const char *line, const char *reason)
{
	struct ctl_line cl;
	char err[200] = "";

	assert_int_equal(ctl_parse(line, strlen(line), &cl, err, sizeof(err)), -1);
	if (strstr(err, reason) == NULL)
		fail_msg("'%s': reason '%s' lacks '%s'", line, err, reason);
}

static void parse_refused_all(const char *const *lines, size_t n, const char *reason)
{
	size_t i;

	for (i = 0; i < n; i++)
		parse_refused(lines[i], reason);
}

static void test_key_before_task(void **state)
{
	struct ctl_line cl;

	parse_ok("key=nightly backup /etc", &cl);
	assert_int_equal(cl.opt.key_len, 7);
	assert_memory_equal(cl.opt.key, "nightly", 7);
	assert_int_equal(cl.task_len, 6);
	assert_memory_equal(cl.task, "backup", 6);
	assert_int_equal(cl.args_len, 4);
	assert_memory_equal(cl.args, "/etc", 4);
	parse_ok(" \tkey=a:b/c@d.e_f+g-h \t noop", &cl);
	assert_int_equal(cl.opt.key_len, 15);
	assert_int_equal(cl.task_len, 4);
	assert_int_equal(cl.args_len, 0);
}

static void test_no_options(void **state)
{
	struct ctl_line cl;

	parse_ok("log a=b c=d", &cl);
	assert_null(cl.opt.key);
	assert_int_equal(cl.task_len, 3);
	/* '=' in the arguments belongs to them. */
	assert_int_equal(cl.args_len, 7);
	assert_memory_equal(cl.args, "a=b c=d", 7);
}

static void test_refusals(void **state)
{
	parse_refused("prio=7 noop", "unknown job option 'prio' (known: key= pri= in= at=)");
	parse_refused("pri=high noop", "pri must be 0 to 9 (higher first)");
	parse_refused("pri=10 noop", "pri must be 0 to 9 (higher first)");
	parse_refused("pri=1 pri=2 noop", "option pri given twice");
	parse_refused("=x noop", "unknown job option ''");
	parse_refused("key= noop", "key must be 1 to 128 bytes");
	parse_refused("key=a key=b noop", "option key given twice");
	parse_refused("key=a", "job options but no task");
	parse_refused("key=a   ", "job options but no task");
	parse_refused("key=a\"b noop", "key holds '\"'");
	parse_refused("key=a\xc3\xa9 noop", "key holds '?'");
}

static void test_key_limit(void **state)
{
	char line[JOBOPT_KEY_MAX + 16];
	struct ctl_line cl;

	memcpy(line, "key=", 4);
	memset(line + 4, 'k', JOBOPT_KEY_MAX);
	strcpy(line + 4 + JOBOPT_KEY_MAX, " noop");
	parse_ok(line, &cl);
	assert_int_equal(cl.opt.key_len, JOBOPT_KEY_MAX);
	memset(line + 4, 'k', JOBOPT_KEY_MAX + 1);
	strcpy(line + 5 + JOBOPT_KEY_MAX, " noop");
	parse_refused(line, "key must be 1 to 128 bytes");
}

/* jobopt_parse on its own: *used points at the task. */
static void test_used(void **state)
{
	const char *s = "key=x  log hi";
	struct jobopt o;
	size_t used = 99;
	char err[100];

	assert_int_equal(jobopt_parse(s, strlen(s), &o, &used, err, sizeof(err)), 0);
	assert_int_equal(used, 7);
	assert_int_equal(jobopt_parse("noop", 4, &o, &used, err, sizeof(err)), 0);
	assert_int_equal(used, 0);
	assert_null(o.key);
}

/*
 * The journal's option text is read back with jobopt_read, and a file can
 * hold any bytes (fuzz_journal found this one): a NUL is no key character,
 * or the key's length and the registry's C string (strlen) disagree.
 */
static void test_read_nul(void **state)
{
	static const char text[] = "key=a.b_c:d\0\0\0/etck";
	struct jobopt o;
	size_t used;
	char err[100] = "";

	assert_int_equal(jobopt_read(text, sizeof(text) - 1, &o), -1);
	assert_int_equal(jobopt_parse("key=a\0b noop", 12, &o, &used, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "key holds '?'"));
	assert_int_equal(jobopt_read("key=a.b_c:d", 11, &o), 0);
	assert_int_equal(o.key_len, 7);
}

/* pri=N: parsed, and written back (the journal keeps it) with the key. */
static void test_pri(void **state)
{
	struct ctl_line cl;
	struct jobopt o;
	char buf[JOBOPT_TEXT_MAX];
	size_t n;

	parse_ok("pri=7 key=k1 log hi", &cl);
	assert_true(cl.opt.has_pri);
	assert_int_equal(cl.opt.pri, 7);
	n = jobopt_format(&cl.opt, buf, sizeof(buf));
	assert_int_equal(n, strlen("key=k1 pri=7"));
	assert_memory_equal(buf, "key=k1 pri=7", n);
	assert_int_equal(jobopt_read(buf, n, &o), 0);
	assert_true(o.has_pri && o.pri == 7 && o.key_len == 2);
	parse_ok("pri=0 noop", &cl);
	n = jobopt_format(&cl.opt, buf, sizeof(buf));
	assert_memory_equal(buf, "pri=0", n);
	parse_ok("noop", &cl);
	assert_false(cl.opt.has_pri);
}

/* in=DURATION: every unit, and the value in seconds. */
static void test_in(void **state)
{
	static const struct {
		const char *line;
		double seconds;
	} good[] = {{"in=90 noop", 90},   {"in=1.5s noop", 1.5},    {"in=250ms noop", 0.25},
	            {"in=10m noop", 600}, {"in=2h noop", 7200},     {"in=1d noop", 86400},
	            {"in=0 noop", 0},     {"in=0.001 noop", 0.001}, {"in=365d noop", 365 * 86400.0},
	            {"in=007 noop", 7}};
	struct ctl_line cl;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		parse_ok(good[i].line, &cl);
		assert_true(cl.opt.has_in && !cl.opt.has_at);
		if (cl.opt.in < good[i].seconds - 1e-9 || cl.opt.in > good[i].seconds + 1e-9)
			fail_msg("%s: %f seconds", good[i].line, cl.opt.in);
		assert_memory_equal(cl.task, "noop", 4);
	}
	parse_ok("noop", &cl);
	assert_false(cl.opt.has_in || cl.opt.has_at);
}

static void test_in_refused(void **state)
{
	static const char *const bad[] = {"in= noop",
	                                  "in=-5 noop",
	                                  "in=1e3 noop",
	                                  "in=inf noop",
	                                  "in=nan noop",
	                                  "in=0x10 noop",
	                                  "in=1. noop",
	                                  "in=.5 noop",
	                                  "in=5sec noop",
	                                  "in=5_s noop",
	                                  "in=1h30m noop",
	                                  "in=5S noop",
	                                  "in=+5 noop",
	                                  "in=1,5 noop",
	                                  "in=10us noop",
	                                  "in=1.0000000001 noop",
	                                  "in=1234567890123456 noop"};
	parse_refused_all(bad, sizeof(bad) / sizeof(bad[0]), "in must be a duration");
	parse_refused("in=366d noop", "in is more than 365 days");
	parse_refused("in=9000h noop", "in is more than 365 days");
	parse_refused("in=1 in=2 noop", "option in given twice");
}

/* at=TIME: Unix seconds and ISO 8601 UTC give the same instant. */
static void test_at(void **state)
{
	char line[128], buf[JOBOPT_TEXT_MAX];
	struct ctl_line cl;
	struct jobopt o;
	size_t n;

	parse_ok("at=2026-12-01T10:00:00Z noop", &cl);
	assert_true(cl.opt.has_at && !cl.opt.has_in);
	assert_true(cl.opt.at == 1796119200.0);
	parse_ok("at=1796119200 noop", &cl);
	assert_true(cl.opt.at == 1796119200.0);
	parse_ok("at=2026-12-01T10:00:00.25Z noop", &cl);
	assert_true(cl.opt.at == 1796119200.25);
	parse_ok("at=2000-01-01T00:00:00Z noop", &cl); /* long past: runs at once */
	assert_true(cl.opt.at == 946684800.0);
	parse_ok("at=2024-02-29T23:59:59Z noop", &cl); /* a leap day */
	/* Written back for the journal, and read back the same. */
	parse_ok("key=k at=1796119200.5 pri=3 noop", &cl);
	n = jobopt_format(&cl.opt, buf, sizeof(buf));
	assert_int_equal(n, strlen("key=k pri=3 at=1796119200.500"));
	assert_memory_equal(buf, "key=k pri=3 at=1796119200.500", n);
	assert_int_equal(jobopt_read(buf, n, &o), 0);
	assert_true(o.has_at && o.at == 1796119200.5 && o.pri == 3);
	/* The journal's copy is read whatever the clock says now. */
	assert_int_equal(jobopt_read("at=4000000000", 13, &o), 0);
	/* Up to 365 days ahead of now. */
	snprintf(line, sizeof(line), "at=%lld noop", (long long)time(NULL) + 360 * 86400);
	parse_ok(line, &cl);
	snprintf(line, sizeof(line), "at=%lld noop", (long long)time(NULL) + 370 * 86400);
	parse_refused(line, "at is more than 365 days ahead");
}

static void test_at_refused(void **state)
{
	static const char *const bad[] = {"at=2026-12-01T10:00:00 noop",
	                                  "at=2026-12-01T10:00:00+02:00 noop",
	                                  "at=2026-12-01 10:00:00Z noop",
	                                  "at=2026-12-01t10:00:00z noop",
	                                  "at=2026-13-01T10:00:00Z noop",
	                                  "at=2026-04-31T10:00:00Z noop",
	                                  "at=2026-02-29T10:00:00Z noop",
	                                  "at=2026-12-01T24:00:00Z noop",
	                                  "at=2026-12-01T10:60:00Z noop",
	                                  "at=2026-12-01T10:00:60Z noop",
	                                  "at=2026-12-1T10:00:00Z noop",
	                                  "at=2026-12-01T10:00:00.Z noop",
	                                  "at=2026-12-01T10:00:00.1234567891Z noop",
	                                  "at=tomorrow noop",
	                                  "at=-1 noop",
	                                  "at=1e9 noop",
	                                  "at= noop",
	                                  "at=2026-12-01T10:00Z noop"};
	parse_refused_all(bad, sizeof(bad) / sizeof(bad[0]), "at must be");
	parse_refused("at=1796119200000 noop", "not milliseconds");
	parse_refused("at=946684799 noop", "between 2000-01-01 and 2100-01-01");
	parse_refused("at=1796119200 in=5 noop", "in= and at= given together");
	parse_refused("at=1796119200 at=1796119201 noop", "option at given twice");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_key_before_task),
	    cmocka_unit_test(test_no_options),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_key_limit),
	    cmocka_unit_test(test_used),
	    cmocka_unit_test(test_read_nul),
	    cmocka_unit_test(test_pri),
	    cmocka_unit_test(test_in),
	    cmocka_unit_test(test_in_refused),
	    cmocka_unit_test(test_at),
	    cmocka_unit_test(test_at_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
