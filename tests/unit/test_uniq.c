/* test-sources: daemon/uniq.c */
/*
 * Unique keys: a live key answers the holder's id; a released key can be
 * claimed again; only its holder releases it; 100,000 keys across growth
 * and tombstones stay exact; an empty key is a key.  Each mode's rule
 * (queued, active, until-done) at each event; a failed until-done key is
 * kept, listed and released by its id; churn of short-lived keys keeps
 * the table as small as its live keys need.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "uniq.h"

/* Claims "k" for job 1 under mode, applies ev, and says if a second job
 * may claim it then. */
static bool free_after(int mode, enum uniq_event ev)
{
	struct uniq u = {0};
	uint64_t holder = 0;
	bool released;
	int r;

	assert_int_equal(uniq_claim(&u, "k", 1, 1, &holder), 0);
	released = uniq_event(&u, mode, ev, "k", 1, 1);
	r = uniq_claim(&u, "k", 1, 2, &holder);
	assert_int_equal(r, released ? 0 : 1);
	assert_int_equal(holder, released ? 2 : 1);
	uniq_free(&u);
	return released;
}

static void test_modes(void **state)
{
	/* queued: from acceptance until a worker starts it (or it ends unstarted) */
	assert_true(free_after(CONFIG_UNIQUE_QUEUED, UNIQ_STARTED));
	assert_true(free_after(CONFIG_UNIQUE_QUEUED, UNIQ_CANCELLED));
	assert_true(free_after(CONFIG_UNIQUE_QUEUED, UNIQ_FAILED));
	/* active: until it ends, whatever the outcome */
	assert_false(free_after(CONFIG_UNIQUE_ACTIVE, UNIQ_STARTED));
	assert_true(free_after(CONFIG_UNIQUE_ACTIVE, UNIQ_OK));
	assert_true(free_after(CONFIG_UNIQUE_ACTIVE, UNIQ_FAILED));
	assert_true(free_after(CONFIG_UNIQUE_ACTIVE, UNIQ_CANCELLED));
	/* until-done: until it ends well, or is cancelled */
	assert_false(free_after(CONFIG_UNIQUE_DONE, UNIQ_STARTED));
	assert_true(free_after(CONFIG_UNIQUE_DONE, UNIQ_OK));
	assert_false(free_after(CONFIG_UNIQUE_DONE, UNIQ_FAILED));
	assert_true(free_after(CONFIG_UNIQUE_DONE, UNIQ_CANCELLED));
}

static void count_ended(void *arg, const char *key, size_t len, uint64_t id)
{
	*(uint64_t *)arg += id;
}

static void test_until_done_failed(void **state)
{
	struct uniq u = {0};
	uint64_t holder = 0, sum = 0;
	char key[16];

	assert_int_equal(uniq_claim(&u, "a", 1, 7, &holder), 0);
	assert_int_equal(uniq_claim(&u, "b", 1, 8, &holder), 0);
	assert_false(uniq_event(&u, CONFIG_UNIQUE_DONE, UNIQ_FAILED, "a", 1, 7));
	assert_false(
	    uniq_event(&u, CONFIG_UNIQUE_DONE, UNIQ_FAILED, "a", 1, 7)); /* a retry failing */
	assert_int_equal(u.nended, 1);
	uniq_each_ended(&u, count_ended, &sum);
	assert_int_equal(sum, 7);
	assert_false(uniq_release_ended(&u, 8, key, sizeof(key))); /* live, not ended */
	assert_true(uniq_release_ended(&u, 7, key, sizeof(key)));
	assert_string_equal(key, "a");
	assert_int_equal(u.nended, 0);
	assert_int_equal(uniq_claim(&u, "a", 1, 9, &holder), 0);
	/* A retry of the failed job that ends well releases it too. */
	assert_false(uniq_event(&u, CONFIG_UNIQUE_DONE, UNIQ_FAILED, "b", 1, 8));
	assert_true(uniq_event(&u, CONFIG_UNIQUE_DONE, UNIQ_OK, "b", 1, 8));
	assert_int_equal(u.nended, 0);
	assert_false(uniq_held(&u, "b", 1, &holder));
	assert_true(uniq_held(&u, "a", 1, &holder));
	assert_int_equal(holder, 9);
	uniq_free(&u);
}

/* A million keys, each released before the next (at most 8 live): the
 * table is rebuilt in place over its tombstones instead of doubling. */
static void test_churn(void **state)
{
	struct uniq u = {0};
	uint64_t i, holder;
	char k[32], old[32];
	size_t n, o;

	for (i = 0; i < 1000000; i++) {
		n = (size_t)snprintf(k, sizeof(k), "job-%llu", (unsigned long long)i);
		o = (size_t)snprintf(old, sizeof(old), "job-%llu", (unsigned long long)(i - 8));
		assert_int_equal(uniq_claim(&u, k, n, i + 1, &holder), 0);
		assert_true(i < 8 || uniq_release(&u, old, o, i - 7));
	}
	assert_int_equal(u.len, 8);
	assert_true(u.cap <= 64);
	uniq_free(&u);
}

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
	    cmocka_unit_test(test_claim_release), cmocka_unit_test(test_many),
	    cmocka_unit_test(test_modes),         cmocka_unit_test(test_until_done_failed),
	    cmocka_unit_test(test_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
