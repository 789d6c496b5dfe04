/* test-sources: tests/unit/config_testlib.c @kinds */
/*
 * Retries (common/retry.c): the [queue.NAME] keys retry, backoff and
 * retry_on as the loader reads them, each rejection with its message;
 * which outcomes a queue retries; every back-off wait within its bounds
 * and growing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config_section.h"
#include "config_testlib.h"
#include "jobs.h"
#include "proto.h"
#include "retry.h"

static void assert_retry(const struct retry_conf *rc, unsigned count, unsigned min_ms,
                         unsigned max_ms, int on)
{
	assert_int_equal(rc->count, count);
	assert_int_equal(rc->min_ms, min_ms);
	assert_int_equal(rc->max_ms, max_ms);
	assert_int_equal(rc->on, on);
}

static void test_defaults(void **state)
{
	struct config cfg;

	load_ok(&cfg, "");
	assert_retry(&cfg.queues[0].retry, 0, 1000, 300000, RETRY_ON_TEMPFAIL);
	assert_retry(&cfg.queues[1].retry, 0, 1000, 300000, RETRY_ON_TEMPFAIL);
	config_free(&cfg);
}

static void test_keys(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[queue.net]\nkinds = net\nretry = 5\nbackoff = 250ms..1m\n"
	              "retry_on = any\n[queue.default]\nretry = 2\nbackoff = 3s\n");
	assert_string_equal(cfg.queues[2].name, "net");
	assert_retry(&cfg.queues[2].retry, 5, 250, 60000, RETRY_ON_ANY);
	assert_retry(&cfg.queues[0].retry, 2, 3000, 3000, RETRY_ON_TEMPFAIL);
	config_free(&cfg);
}

static void test_rejects(void **state)
{
	expect_error("[queue.default]\nretry = 101\n",
	             NAME ":2: [queue.default] retry: 101 out of range 0..100");
	expect_error("[queue.default]\nbackoff = 5m..1s\n",
	             NAME ":2: [queue.default] backoff: bad backoff '5m..1s' (MIN..MAX durations, "
	                  "0 < MIN <= MAX, e.g. "
	                  "1s..5m)");
	expect_error("[queue.default]\nbackoff = 0..1s\n",
	             NAME ":2: [queue.default] backoff: bad backoff '0..1s' (MIN..MAX durations, 0 "
	                  "< MIN <= MAX, e.g. "
	                  "1s..5m)");
	expect_error("[queue.default]\nbackoff = 1s..\n",
	             NAME ":2: [queue.default] backoff: bad backoff '1s..' (MIN..MAX durations, 0 "
	                  "< MIN <= MAX, e.g. "
	                  "1s..5m)");
	expect_error("[queue.default]\nretry_on = sometimes\n", NAME
	             ":2: [queue.default] retry_on: bad retry_on 'sometimes' (tempfail or any)");
	expect_error("[queue.default]\nretry = 1\nretry = 2\n",
	             NAME ":3: [queue.default] retry: duplicate key 'retry' in [queue.default]");
}

static void test_wanted(void **state)
{
	struct retry_conf rc;

	retry_defaults(&rc);
	assert_false(retry_wanted(&rc, PROTO_TEMPFAIL)); /* count 0: never */
	rc.count = 3;
	assert_true(retry_wanted(&rc, PROTO_TEMPFAIL));
	assert_false(retry_wanted(&rc, PROTO_FAILED));
	assert_false(retry_wanted(&rc, PROTO_TIMEDOUT));
	assert_false(retry_wanted(&rc, PROTO_OK));
	rc.on = RETRY_ON_ANY;
	assert_true(retry_wanted(&rc, PROTO_FAILED));
	assert_true(retry_wanted(&rc, PROTO_TIMEDOUT));
	assert_true(retry_wanted(&rc, PROTO_TEMPFAIL));
	assert_false(retry_wanted(&rc, PROTO_OK));
	assert_string_equal(retry_on_name(rc.on), "any");
}

/* Every wait within [min, max]; the cap reached; the first ones short. */
static void test_delay_bounds(void **state)
{
	struct retry_conf rc = {.count = 20, .min_ms = 1000, .max_ms = 60000};
	uint64_t seed = 0x5eed;
	double d, hi = 0, first_hi = 0;
	unsigned n, i;

	printf("seed %#llx\n", (unsigned long long)seed);
	for (i = 0; i < 1000; i++)
		for (n = 1; n <= 20; n++) {
			d = retry_delay(&rc, n, &seed);
			assert_true(d >= 1.0 && d <= 60.0);
			if (n == 1 && d > first_hi)
				first_hi = d;
			if (d > hi)
				hi = d;
		}
	assert_true(first_hi <= 2.0); /* 2 * min */
	assert_true(hi > 55.0);       /* the cap is reached */
	rc.min_ms = rc.max_ms = 5000; /* one duration: a fixed wait */
	assert_true(retry_delay(&rc, 7, &seed) == 5.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),     cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_rejects),      cmocka_unit_test(test_wanted),
	    cmocka_unit_test(test_delay_bounds),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
