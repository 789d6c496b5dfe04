/* test-sources: tests/unit/config_testlib.c @kinds */
/*
 * Retries (common/retry.c): the keys retry, backoff and retry_on of
 * [queue.NAME], [kind.NAME] and [module.NAME] as the loader reads them,
 * each rejection with its message; a kind's own keys over its queue's,
 * key by key; a reload changing only them keeps the workers;
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
#include "modkind.h"
#include "opkind.h"
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

#define KIND "[kind.k]\ncode = 3001\nexec = /bin/true {1:word}\n"

/* The same keys, values and checks in a [kind.NAME] section. */
static void test_kind_keys(void **state)
{
	const struct opkind *k;
	struct config cfg;

	load_ok(&cfg, KIND "retry = 3\nbackoff = 2s..1m\nretry_on = any\n");
	k = opkind_find(&cfg, "k");
	assert_non_null(k);
	assert_retry(&k->retry, 3, 2000, 60000, RETRY_ON_ANY);
	config_free(&cfg);
	load_ok(&cfg, KIND "retry = 0\n");
	k = opkind_find(&cfg, "k");
	assert_retry(&k->retry, 0, 1000, 300000, RETRY_ON_TEMPFAIL);
	assert_non_null(k->raw[OPK_RETRY]);
	assert_null(k->raw[OPK_BACKOFF]);
	config_free(&cfg);
	expect_error(KIND "retry = 101\n", NAME ":4: 101 out of range 0..100");
	expect_error(KIND "retry = two\n", NAME ":4: 'two' is not a number");
	expect_error(KIND "backoff = 5m..1s\n",
	             NAME ":4: bad backoff '5m..1s' (MIN..MAX durations, 0 < MIN <= MAX, e.g. "
	                  "1s..5m)");
	expect_error(KIND "retry_on = sometimes\n",
	             NAME ":4: bad retry_on 'sometimes' (tempfail or any)");
	expect_error(KIND "retry = 1\nretry = 2\n", NAME ":5: duplicate key 'retry' in [kind.k]");
}

/* The same in a [module.NAME] section: rejections at their line (before
 * the module's file is read), good values by modkind_set itself. */
static void test_module_keys(void **state)
{
	struct config cfg;
	char reason[256];

	expect_error("[module.m]\ncode = 5000\nretry = -1\n", NAME ":3: negative value '-1'");
	expect_error("[module.m]\nbackoff = 0\n",
	             NAME ":2: bad backoff '0' (MIN..MAX durations, 0 < MIN <= MAX, e.g. 1s..5m)");
	expect_error("[module.m]\nretry_on = all\n",
	             NAME ":2: bad retry_on 'all' (tempfail or any)");
	expect_error("[module.m]\nbackoff = 1s\nbackoff = 2s\n",
	             NAME ":3: duplicate key 'backoff' in [module.m]");
	load_ok(&cfg, "");
	assert_int_equal(modkind_set(&cfg, "module.m", "retry", "7", reason, sizeof(reason)), 0);
	assert_int_equal(modkind_set(&cfg, "module.m", "retry_on", "any", reason, sizeof(reason)),
	                 0);
	assert_int_equal(cfg.n_modules, 1);
	assert_retry(&cfg.modules[0]->retry, 7, 1000, 300000, RETRY_ON_ANY);
	config_free(&cfg);
}

/* Each key the kind's section sets wins over its queue's; the others stay
 * the queue's. */
static void test_merge(void **state)
{
	struct retry_conf q = {.count = 4, .min_ms = 100, .max_ms = 200, .on = RETRY_ON_ANY};
	struct retry_conf own = {.count = 0, .min_ms = 3000, .max_ms = 9000, .on = 0};
	char *none[RETRY_KEYS] = {NULL, NULL, NULL};
	char *count[RETRY_KEYS] = {"0", NULL, NULL};
	char *rest[RETRY_KEYS] = {NULL, "3s..9s", "tempfail"};
	struct retry_conf out;

	retry_merge(&out, &q, &own, none);
	assert_retry(&out, 4, 100, 200, RETRY_ON_ANY);
	retry_merge(&out, &q, &own, count);
	assert_retry(&out, 0, 100, 200, RETRY_ON_ANY);
	retry_merge(&out, &q, &own, rest);
	assert_retry(&out, 4, 3000, 9000, RETRY_ON_TEMPFAIL);
}

/* A reload that changes only a kind's retry keys keeps the workers (the
 * master applies them); another key of the kind does not. */
static void test_reload_keeps_workers(void **state)
{
	struct config a, b;

	load_ok(&a, KIND "retry = 2\nbackoff = 1s\n");
	load_ok(&b, KIND "retry = 0\nretry_on = any\n");
	assert_false(config_workers_differ(&a, &b));
	config_free(&b);
	load_ok(&b, KIND "retry = 2\nbackoff = 1s\ntimeout = 5s\n");
	assert_true(config_workers_differ(&a, &b));
	config_free(&b);
	config_free(&a);
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
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_rejects),
	    cmocka_unit_test(test_wanted),
	    cmocka_unit_test(test_delay_bounds),
	    cmocka_unit_test(test_kind_keys),
	    cmocka_unit_test(test_module_keys),
	    cmocka_unit_test(test_merge),
	    cmocka_unit_test(test_reload_keeps_workers),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
