/* test-sources: daemon/latency.c */
/*
 * Latency histograms: quantiles within a bucket's width of the truth, on
 * known distributions, and the edges (empty, tiny, huge samples).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "latency.h"

/* A quantile is exact to one bucket: at most 1/8 above the true value. */
static void assert_close(double got, double want)
{
	if (got < want * 0.999 || got > want * 1.032) {
		print_error("quantile %.9f not within a bucket of %.9f\n", got, want);
		fail();
	}
}

/* Near 100 us a bucket is 2 us wide: 97 and 103 us are told apart, and
 * 100 us reads as at most 102 us (with 8 buckets per power of two it read
 * 104 us, and 97 us the same as 103). */
static void test_resolution_near_100us(void **state)
{
	struct latency a = {0}, b = {0}, c = {0};
	int i;

	(void)state;
	for (i = 0; i < 1000; i++) {
		latency_add(&a, 97e-6);
		latency_add(&b, 103e-6);
		latency_add(&c, 100e-6);
	}
	a.max = b.max = c.max = 1; /* the bucket, not the cap at the max */
	assert_true(latency_quantile(&a, 0.99) < latency_quantile(&b, 0.99));
	assert_true(latency_quantile(&c, 0.99) <= 102.01e-6);
	assert_true(latency_quantile(&c, 0.99) > 100e-6);
}

static void test_empty(void **state)
{
	struct latency l;

	memset(&l, 0, sizeof(l));
	assert_true(latency_quantile(&l, 0.5) == 0);
}

static void test_uniform_quantiles(void **state)
{
	struct latency l;
	int i;

	memset(&l, 0, sizeof(l));
	/* 1 us .. 10000 us in 1 us steps. */
	for (i = 1; i <= 10000; i++)
		latency_add(&l, i * 1e-6);
	assert_int_equal(latency_count(&l), 10000);
	assert_close(latency_quantile(&l, 0.5), 5000e-6);
	assert_close(latency_quantile(&l, 0.99), 9900e-6);
	assert_close(latency_quantile(&l, 0.999), 9990e-6);
	assert_true(latency_quantile(&l, 1.0) == 10000e-6); /* capped at the max */
}

static void test_tail_is_seen(void **state)
{
	struct latency l;
	int i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < 990; i++)
		latency_add(&l, 20e-6);
	for (i = 0; i < 10; i++)
		latency_add(&l, 0.5);
	assert_close(latency_quantile(&l, 0.5), 20e-6);
	assert_close(latency_quantile(&l, 0.99), 20e-6);
	assert_close(latency_quantile(&l, 0.995), 0.5);
}

static void test_edges(void **state)
{
	struct latency l;

	memset(&l, 0, sizeof(l));
	latency_add(&l, -1.0);   /* clock went backwards: counts as 0 */
	latency_add(&l, 0.3e-6); /* under a microsecond */
	latency_add(&l, 1e9);    /* beyond the last bucket */
	assert_int_equal(latency_count(&l), 3);
	assert_true(latency_quantile(&l, 0.5) <= 1e-6);
	assert_true(latency_quantile(&l, 1.0) >= 6.8e4); /* the last bucket, 2^36 us */
}

/* Repeated samples (the bucket kept from the one before) land where a
 * first sample of the same value does, whatever came before them. */
static void test_repeats(void **state)
{
	static const double seq[] = {0, 0, 5e-6, 5e-6, 5e-6, -1.0, 0, 97e-6, 97e-6, 0.3e-6, 5e-6};
	struct latency l;
	uint64_t want[LATENCY_BUCKETS] = {0};
	size_t i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		latency_add(&l, seq[i]);
		want[latency_index(seq[i] < 0 ? 0 : seq[i])]++;
	}
	for (i = 0; i < LATENCY_BUCKETS; i++)
		assert_int_equal(latency_bucket(&l, (unsigned)i), want[i]);
	assert_int_equal(latency_count(&l), sizeof(seq) / sizeof(seq[0]));
	assert_int_equal(latency_bucket(&l, 0), 5); /* 0, 0, -1 (as 0), 0, 0.3 us */
	assert_int_equal(latency_bucket(&l, latency_index(5e-6)), 4);
}

/* A run of equal samples is counted at once (pending until another
 * value or a read): counts, buckets, quantiles, sum and max read the same
 * at every point as one sample at a time would give. */
static void test_pending_runs(void **state)
{
	struct latency l;
	double sum = 0;
	uint64_t i;

	memset(&l, 0, sizeof(l));
	for (i = 0; i < 1000; i++) {
		latency_add(&l, 7e-6);
		sum += 7e-6;
		assert_int_equal(latency_count(&l), i + 1);
		assert_int_equal(latency_bucket(&l, latency_index(7e-6)), i + 1);
		assert_true(l.sum == sum);
	}
	assert_close(latency_quantile(&l, 0.5), 7e-6);
	for (i = 0; i < 3000; i++) {
		latency_add(&l, 900e-6);
		sum += 900e-6;
	}
	assert_true(l.sum == sum);
	assert_int_equal(latency_count(&l), 4000);
	assert_int_equal(latency_bucket(&l, latency_index(900e-6)), 3000);
	assert_int_equal(latency_bucket(&l, latency_index(7e-6)), 1000);
	assert_true(latency_quantile(&l, 0.25) <= 7.3e-6);
	assert_true(latency_quantile(&l, 0.2501) > 800e-6); /* the pending run counts */
	assert_true(l.max == 900e-6);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_repeats),
	    cmocka_unit_test(test_pending_runs),
	    cmocka_unit_test(test_resolution_near_100us),
	    cmocka_unit_test(test_uniform_quantiles),
	    cmocka_unit_test(test_tail_is_seen),
	    cmocka_unit_test(test_edges),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
