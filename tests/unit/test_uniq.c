/* test-sources: daemon/uniq.c */
/*
 * Unique keys: a live key answers the holder's id; a released key can be
 * claimed again; only its holder releases it; 100,000 keys across growth
 * and tombstones stay exact; an empty key is a key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "uniq.h"

static void test_claim_release(void **state)
{
	struct uniq u = {0};
	uint64_t holder = 0;

	assert_int_equal(uniq_claim(&u, "k1", 2, 10, &holder), 0);
	assert_int_equal(holder, 10);
	assert_int_equal(uniq_claim(&u, "k1", 2, 11, &holder), 1);
	assert_int_equal(holder, 10);                /* answered with the first one's id */
	assert_false(uniq_release(&u, "k1", 2, 11)); /* not the holder */
	assert_true(uniq_release(&u, "k1", 2, 10));
	assert_int_equal(uniq_claim(&u, "k1", 2, 12, &holder), 0);
	assert_int_equal(holder, 12);
	assert_int_equal(uniq_claim(&u, "", 0, 13, &holder), 0);
	assert_int_equal(uniq_claim(&u, "", 0, 14, &holder), 1);
	uniq_free(&u);
}

static void test_many(void **state)
{
	struct uniq u = {0};
	uint64_t i, holder;
	char k[32];
	int n;

	for (i = 0; i < 100000; i++) {
		n = snprintf(k, sizeof(k), "key-%llu", (unsigned long long)i);
		assert_int_equal(uniq_claim(&u, k, (size_t)n, i + 1, &holder), 0);
	}
	for (i = 0; i < 100000; i += 2) { /* half released: tombstones */
		n = snprintf(k, sizeof(k), "key-%llu", (unsigned long long)i);
		assert_true(uniq_release(&u, k, (size_t)n, i + 1));
	}
	assert_int_equal(u.len, 50000);
	for (i = 0; i < 100000; i++) {
		n = snprintf(k, sizeof(k), "key-%llu", (unsigned long long)i);
		assert_int_equal(uniq_claim(&u, k, (size_t)n, 1000000 + i, &holder), i % 2 ? 1 : 0);
		assert_int_equal(holder, i % 2 ? i + 1 : 1000000 + i);
	}
	assert_int_equal(u.len, 100000);
	uniq_free(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_claim_release),
	    cmocka_unit_test(test_many),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
