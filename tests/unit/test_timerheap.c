/* test-sources: daemon/timerheap.c */
/*
 * The timer heap: 100,000 random due times (seed printed) come out in
 * order, ties in the order they went in, interleaved pushes and pops keep
 * the order, and an empty heap says so.  Taking entries out anywhere (a
 * cancel) leaves the rest in order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <cmocka.h>

#include "timerheap.h"

static void test_order(void **state)
{
	unsigned seed = (unsigned)time(NULL);
	struct timerheap h = {0};
	double due, last = -1;
	uintptr_t i;

	print_message("seed %u\n", seed);
	srandom(seed);
	for (i = 1; i <= 100000; i++)
		assert_int_equal(th_push(&h, (double)(random() % 1000), (void *)i), 0);
	assert_int_equal(h.len, 100000);
	for (i = 0; i < 100000; i++) {
		assert_non_null(th_pop(&h, &due));
		assert_true(due >= last);
		last = due;
	}
	assert_null(th_pop(&h, NULL));
	assert_null(th_peek(&h));
	th_free(&h);
}

static void test_ties_and_interleaving(void **state)
{
	struct timerheap h = {0};
	uintptr_t i;

	for (i = 1; i <= 100; i++)
		th_push(&h, 5.0, (void *)i);
	th_push(&h, 1.0, (void *)1000);
	assert_ptr_equal(th_peek(&h)->item, (void *)1000);
	assert_ptr_equal(th_pop(&h, NULL), (void *)1000);
	for (i = 1; i <= 50; i++)
		assert_ptr_equal(th_pop(&h, NULL), (void *)i); /* first in, first out */
	th_push(&h, 2.0, (void *)2000);
	assert_ptr_equal(th_pop(&h, NULL), (void *)2000);
	for (i = 51; i <= 100; i++)
		assert_ptr_equal(th_pop(&h, NULL), (void *)i);
	th_free(&h);
}

/* Removes a random third of 10,000 entries by index: the rest still come
 * out in order, and exactly the items not removed come out. */
static void test_remove_at(void **state)
{
	unsigned seed = (unsigned)time(NULL) ^ 0x5a5a;
	static bool gone[10001];
	struct timerheap h = {0};
	double due, last = -1;
	uintptr_t i, item;
	size_t k, left = 10000;

	print_message("seed %u\n", seed);
	srandom(seed);
	for (i = 1; i <= 10000; i++)
		assert_int_equal(th_push(&h, (double)(random() % 500), (void *)i), 0);
	while (left > 6667) {
		k = (size_t)random() % h.len;
		item = (uintptr_t)h.v[k].item;
		assert_ptr_equal(th_remove_at(&h, k), (void *)item);
		assert_false(gone[item]);
		gone[item] = true;
		left--;
	}
	assert_null(th_remove_at(&h, h.len));
	for (k = 0; k < left; k++) {
		item = (uintptr_t)th_pop(&h, &due);
		assert_true(item >= 1 && item <= 10000 && !gone[item]);
		gone[item] = true;
		assert_true(due >= last);
		last = due;
	}
	assert_null(th_pop(&h, NULL));
	th_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_ties_and_interleaving),
	    cmocka_unit_test(test_remove_at),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
