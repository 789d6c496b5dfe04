/* test-sources: common/jobopt.c common/ctl.c */
/*
 * Job options before the task name: parsed the same way for every intake
 * (through ctl_parse), never confused with a task or its arguments, and
 * every rejection carries its reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

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
	parse_refused("prio=7 noop", "unknown job option 'prio' (known: key= pri=)");
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
