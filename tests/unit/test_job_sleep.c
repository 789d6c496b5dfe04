/*
 * Unit tests of worker/kinds/job_sleep.c: its arguments, its [sleep]
 * section through the loader, and a run against [sleep] max.
 */
/* test-sources: tests/unit/config_testlib.c @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "config_testlib.h"
#include "jobs.h"

static void test_sleep(void **state)
{
	const struct job_kind *k = jobs_by_name("sleep", 5);
	struct job_ctx ctx = {0};
	struct config cfg;
	char err[128];

	assert_non_null(k);
	assert_int_equal(k->check("x", 1, err, sizeof(err)), -1);
	assert_int_equal(k->check("5", 1, err, sizeof(err)), 0);
	load_ok(&cfg, "[sleep]\nmax = 20ms\njob_timeout = 1s\n");
	assert_int_equal(jobs_timeout_ms(k, &cfg), 1000);
	ctx.conf = jobs_conf(&cfg, k);
	assert_int_equal(k->run(&ctx, "5", 1), JOB_OK);
	assert_int_equal(k->run(&ctx, "50", 2), JOB_FAILED);
	assert_string_equal(ctx.msg, "50 ms is over [sleep] max");
	config_free(&cfg);
	expect_error("[sleep]\nmax = x\n", NAME ":2: [sleep] max: bad duration 'x' (e.g. 250ms, "
	                                        "3s, 1.5s, 2m, 1h; at most 24h)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_sleep)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
