/* test-sources: common/backoff.c */
/*
 * Retry back-off: each delay lies in [d/2, d] for d = min(cap, base *
 * 2^(n-1)), grows with the attempt up to the cap, is the same for the
 * same seed and spread for different ones (jitter).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "backoff.h"

static void test_bounds(void **state)
{
	uint64_t seed = (uint64_t)time(NULL), s = seed;
	double d, step;
	unsigned n, k;

	print_message("seed %llu\n", (unsigned long long)seed);
	for (k = 0; k < 1000; k++) {
		for (n = 1, step = 0.5; n <= 70; n++, step *= 2) {
			if (step > 60)
				step = 60;
			d = backoff_delay(n, 0.5, 60, &s);
			assert_true(d >= step / 2 && d <= step);
		}
	}
}

static void test_jitter_spreads(void **state)
{
	uint64_t a = 1, b = 1, c = 2;
	double x = backoff_delay(5, 1, 60, &a), y = backoff_delay(5, 1, 60, &b);
	double z = backoff_delay(5, 1, 60, &c);
	double lo = 1e9, hi = 0, v;
	int i;

	assert_true(x == y);  /* same seed, same delay */
	assert_false(x == z); /* another seed, another one */
	for (i = 0; i < 1000; i++) {
		v = backoff_delay(4, 1, 60, &c); /* d = 8: [4, 8] */
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
	}
	assert_true(lo < 4.5 && hi > 7.5); /* spread over the interval */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bounds),
	    cmocka_unit_test(test_jitter_spreads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
