/* test-sources: daemon/results.c daemon/slab.c */
/*
 * The results registry: look-up by id and key through every state, and
 * the retention bounds (keep, max_age, whichever first) holding the
 * record count to keep + live however many jobs pass.  Seeded random
 * end order, seed printed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "results.h"

static void test_states_and_lookup(void **state)
{
	struct results r;
	struct result *res;
	char big[1000];

	results_init(&r, 10, 0);
	res = results_add(&r, 7, 2, "hello", 5, "nightly", 7, "1-0", 1.0);
	assert_non_null(res);
	assert_ptr_equal(results_find(&r, 7), res);
	assert_null(results_find(&r, 8));
	assert_string_equal(results_state_name(res->state), "queued");
	assert_string_equal(res->key, "nightly");
	assert_string_equal(res->ref, "1-0");
	results_started(&r, res, 3, 1, 2.0);
	assert_string_equal(results_state_name(res->state), "running");
	assert_int_equal(res->worker, 3);
	results_requeued(&r, res);
	assert_int_equal(res->state, RESULT_QUEUED);
	results_started(&r, res, 4, 2, 2.5);
	results_ended(&r, res, RESULT_FAILED, "boom", 4, 3.0);
	assert_ptr_equal(results_find(&r, 7), res);
	assert_string_equal(res->reason, "boom");
	assert_int_equal(res->attempt, 2);
	assert_ptr_equal(results_find_key(&r, "nightly", 7), res);
	assert_null(results_find_key(&r, "nightl", 6));
	/* A newer job with the same key is the one found by it. */
	memset(big, 'a', sizeof(big));
	res = results_add(&r, 9, 0, big, sizeof(big), "nightly", 7, NULL, 4.0);
	assert_ptr_equal(results_find_key(&r, "nightly", 7), res);
	assert_true(res->args_cut);
	assert_int_equal(res->args_len, RESULTS_TEXT_MAX);
	assert_null(res->ref);
	assert_int_equal(results_state_by_name("timed_out"), RESULT_TIMEDOUT);
	assert_int_equal(results_state_by_name("cancelled"), RESULT_CANCELLED);
	assert_int_equal(results_state_by_name("nope"), -1);
	results_free(&r);
}

/* Many jobs through a small registry: at most keep ended, all live kept. */
/* Failed attempts: the last RESULTS_TRIES_MAX kept in order, all counted;
 * the retrying count follows the state. */
static void test_tries(void **state)
{
	const struct result_try *t;
	struct results r;
	struct result *res;
	char why[16];
	unsigned i;

	results_init(&r, 10, 0);
	res = results_add(&r, 1, 0, "x", 1, NULL, 0, NULL, 1.0);
	assert_null(results_try_at(res, 0));
	for (i = 1; i <= RESULTS_TRIES_MAX + 3; i++) {
		results_started(&r, res, 0, i, i);
		snprintf(why, sizeof(why), "exit %u", i);
		results_tried(res, i + 0.5, why, strlen(why));
		results_retrying(&r, res);
		assert_int_equal(r.nretrying, 1);
	}
	assert_int_equal(res->ntries, RESULTS_TRIES_MAX + 3);
	t = results_try_at(res, 0);
	assert_string_equal(t->reason, "exit 4"); /* the first three forgotten */
	assert_true(t->at == 4.5);
	t = results_try_at(res, RESULTS_TRIES_MAX - 1);
	assert_string_equal(t->reason, "exit 11");
	assert_null(results_try_at(res, RESULTS_TRIES_MAX));
	results_requeued(&r, res);
	assert_int_equal(r.nretrying, 0);
	results_retrying(&r, res);
	results_ended(&r, res, RESULT_BURIED, "buried", 6, 20.0);
	assert_int_equal(r.nretrying, 0);
	assert_string_equal(results_state_name(RESULT_RETRYING), "retrying");
	assert_int_equal(results_state_by_name("retrying"), RESULT_RETRYING);
	results_free(&r);
}

static void test_keep_bound(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	struct result *live[64] = {0};
	struct results r;
	uint64_t id;
	size_t peak_mask = 0;

	printf("seed %u\n", seed);
	srand(seed);
	results_init(&r, 100, 0);
	for (id = 1; id <= 200000; id++) {
		unsigned i = (unsigned)rand() % 64;

		if (live[i] != NULL) {
			results_ended(&r, live[i], RESULT_DONE, NULL, 0, (double)id);
			live[i] = NULL;
		}
		live[i] = results_add(&r, id, 0, "x", 1, NULL, 0, NULL, (double)id);
		assert_non_null(live[i]);
		assert_true(r.nended <= 100);
		assert_true(r.count <= 100 + 64);
	}
	peak_mask = r.mask;
	assert_true(peak_mask + 1 <= 512); /* the tables follow the bound */
	assert_non_null(results_find(&r, 200000));
	assert_null(results_find(&r, 1));
	/* The 100 most recently ended are there. */
	assert_non_null(results_find(&r, r.ended_last->id));
	results_free(&r);
}

static void test_max_age(void **state)
{
	struct results r;
	struct result *a, *b;

	results_init(&r, 1000, 60);
	a = results_add(&r, 1, 0, NULL, 0, "k", 1, NULL, 0);
	b = results_add(&r, 2, 0, NULL, 0, NULL, 0, NULL, 0);
	results_ended(&r, a, RESULT_DONE, NULL, 0, 10);
	results_ended(&r, b, RESULT_CANCELLED, "cancelled", 9, 50);
	results_expire(&r, 70);
	assert_non_null(results_find(&r, 1));
	results_expire(&r, 70.5);
	assert_null(results_find(&r, 1));
	assert_null(results_find_key(&r, "k", 1));
	assert_non_null(results_find(&r, 2));
	results_expire(&r, 111);
	assert_null(results_find(&r, 2));
	assert_int_equal(r.count, 0);
	/* keep = 0: an ended job is forgotten at once. */
	results_configure(&r, 0, 0);
	a = results_add(&r, 3, 0, NULL, 0, NULL, 0, NULL, 0);
	results_ended(&r, a, RESULT_DONE, NULL, 0, 1);
	assert_null(results_find(&r, 3));
	results_free(&r);
}

/* The ended jobs' output stays within output_max bytes in all: the
 * oldest outputs go first (their records stay), a single output over it
 * keeps its last bytes, and the count kept follows keep's drops. */
static void test_output_bound(void **state)
{
	struct results r;
	struct result *res;
	char out[300];
	uint64_t id;

	memset(out, 'o', sizeof(out));
	results_init(&r, 1000, 0);
	results_output_bound(&r, 1000);
	for (id = 1; id <= 50; id++) {
		res = results_add(&r, id, 0, "a", 1, NULL, 0, NULL, 1.0);
		results_output(&r, res, out, 100 + id % 3);
		results_ended(&r, res, RESULT_DONE, NULL, 0, 2.0);
		assert_true(r.output_bytes <= 1000);
	}
	assert_int_equal(r.nended, 50);
	assert_null(results_find(&r, 1)->output);
	assert_true(results_find(&r, 1)->output_dropped);
	assert_int_equal(results_find(&r, 50)->output_len, 102);
	assert_false(results_find(&r, 50)->output_dropped);
	results_output_bound(&r, 200);
	res = results_add(&r, 51, 0, "a", 1, NULL, 0, NULL, 1.0);
	memcpy(out + sizeof(out) - 4, "tail", 4);
	results_output(&r, res, out, sizeof(out));
	assert_int_equal(res->output_len, 200);
	assert_memory_equal(res->output + 196, "tail", 4);
	results_ended(&r, res, RESULT_FAILED, "exit 1", 6, 3.0);
	assert_int_equal(r.output_bytes, 200);
	assert_null(results_find(&r, 50)->output);
	results_configure(&r, 0, 0);
	results_expire(&r, 4.0);
	assert_int_equal(r.output_bytes, 0);
	results_free(&r);
}

/* A dropped small record is reused by the next add: it comes back zeroed
 * (no key, reason, output or times of the job it held), and the spare
 * ones stay bounded and are freed with the registry (ASan sees a leak or
 * a double free). */
static void test_record_reuse(void **state)
{
	struct results r;
	struct result *a, *b;
	uint64_t id;

	results_init(&r, 0, 0);
	a = results_add(&r, 1, 3, "x", 1, "k", 1, "ref", 1.0);
	assert_non_null(a);
	results_started(&r, a, 2, 1, 1.5);
	results_tried(a, 1.7, "temp", 4);
	results_output(&r, a, "out", 3);
	results_ended(&r, a, RESULT_FAILED, "boom", 4, 2.0);
	assert_null(results_find(&r, 1));
	b = results_add(&r, 2, 0, "", 0, NULL, 0, NULL, 3.0);
	assert_ptr_equal(b, a); /* the record the drop left */
	assert_null(b->key);
	assert_null(b->tries); /* its attempts freed with it */
	assert_int_equal(b->ntries, 0);
	assert_null(b->ref);
	assert_null(b->reason);
	assert_null(b->output);
	assert_int_equal(b->output_len, 0);
	assert_int_equal(b->state, RESULT_QUEUED);
	assert_int_equal(b->worker, 0);
	assert_true(b->started == 0 && b->ended == 0);
	assert_null(results_find_key(&r, "k", 1));
	assert_ptr_equal(results_find(&r, 2), b);
	results_ended(&r, b, RESULT_DONE, NULL, 0, 4.0);
	/* A burst of live jobs: their records are all kept for the next
	 * burst (never more than the registry held at once)... */
	for (id = 10; id < 10 + 3000; id++)
		assert_non_null(results_add(&r, id, 0, "", 0, NULL, 0, NULL, 5.0));
	while (r.live_first != NULL)
		results_ended(&r, r.live_first, RESULT_DONE, NULL, 0, 6.0);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.nspare, 3000);
	for (id = 4000; id < 4000 + 3000; id++)
		assert_non_null(results_add(&r, id, 0, "", 0, NULL, 0, NULL, 7.0));
	assert_int_equal(r.nspare, 0);
	/* ... and more than RESULTS_SPARE_MAX of them are freed. */
	for (; id < 4000 + RESULTS_SPARE_MAX + 10; id++)
		assert_non_null(results_add(&r, id, 0, "", 0, NULL, 0, NULL, 7.0));
	while (r.live_first != NULL)
		results_ended(&r, r.live_first, RESULT_DONE, NULL, 0, 8.0);
	assert_int_equal(r.nspare, RESULTS_SPARE_MAX);
	assert_int_equal(r.count, 0);
	results_free(&r);
}

/* Small records come RESULTS_SLAB to a block while the blocks hold
 * fewer than keep + RESULTS_SPARE_MAX; past that they are calloc'd and,
 * dropped, freed (the spares stay bounded); the blocks go with the
 * registry (ASan sees a leak or a free of a record inside a block). */
static void test_record_blocks(void **state)
{
	struct results r;
	struct result *big;
	char text[RESULTS_SMALL_TEXT + 10];
	uint64_t id;
	size_t n = 5 + RESULTS_SPARE_MAX + 3 * RESULTS_SLAB;

	memset(text, 'a', sizeof(text));
	results_init(&r, 5, 0);
	for (id = 1; id <= 200; id++)
		assert_non_null(results_add(&r, id, 0, "x", 1, NULL, 0, NULL, 1.0));
	assert_true(r.slab.made >= 200 && r.slab.made < 200 + RESULTS_SLAB);
	assert_true(results_find(&r, 150)->slab);
	big = results_add(&r, id++, 0, text, sizeof(text), NULL, 0, NULL, 1.0);
	assert_false(big->slab || big->small);
	while (r.live_first != NULL)
		results_ended(&r, r.live_first, RESULT_DONE, "ok", 2, 2.0);
	assert_int_equal(r.count, 5);
	assert_int_equal(r.nspare, 196); /* the big one freed */
	for (; id <= 201 + n; id++)
		assert_non_null(results_add(&r, id, 0, "x", 1, NULL, 0, NULL, 3.0));
	assert_true(r.slab.made <= 5 + RESULTS_SPARE_MAX);
	assert_false(results_find(&r, id - 1)->slab);
	while (r.live_first != NULL)
		results_ended(&r, r.live_first, RESULT_DONE, NULL, 0, 4.0);
	assert_int_equal(r.count, 5);
	assert_true(r.nspare <= 5 + RESULTS_SPARE_MAX);
	results_free(&r);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_states_and_lookup), cmocka_unit_test(test_tries),
	    cmocka_unit_test(test_keep_bound),        cmocka_unit_test(test_max_age),
	    cmocka_unit_test(test_output_bound),      cmocka_unit_test(test_record_reuse),
	    cmocka_unit_test(test_record_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
