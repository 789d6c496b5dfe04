/* test-sources: daemon/queue.c */
/*
 * The master's job queue: FIFO order, requeue at the front (a dead
 * worker's jobs go first), and the arguments each job carries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "master.h"

static void test_job_holds_its_arguments(void **state)
{
	struct job *j = job_new(3, 2, "/etc/hosts", 10);

	assert_non_null(j);
	assert_int_equal(j->code, 3);
	assert_int_equal(j->kind, 2);
	assert_int_equal(j->len, 10);
	assert_int_equal(j->attempts, 0);
	assert_memory_equal(j->args, "/etc/hosts", 10);
	job_free(j);
	j = job_new(1, 0, NULL, 0);
	assert_non_null(j);
	assert_int_equal(j->len, 0);
	job_free(j);
}

static void test_fifo_order(void **state)
{
	struct jobq q = {0};
	struct job *j;
	uint64_t i;

	for (i = 1; i <= 1000; i++) {
		j = job_new(1, 0, NULL, 0);
		j->id = i;
		jobq_push(&q, j);
	}
	assert_int_equal(q.len, 1000);
	for (i = 1; i <= 1000; i++) {
		j = jobq_pop(&q);
		assert_non_null(j);
		assert_int_equal(j->id, i);
		job_free(j);
	}
	assert_null(jobq_pop(&q));
	assert_int_equal(q.len, 0);
	assert_null(q.head);
	assert_null(q.tail);
}

static void test_push_front_requeues_first(void **state)
{
	struct jobq q = {0};
	struct job *a = job_new(1, 0, NULL, 0), *b = job_new(1, 0, NULL, 0);
	struct job *c = job_new(1, 0, NULL, 0);

	a->id = 1;
	b->id = 2;
	c->id = 3;
	jobq_push(&q, c);
	/* A worker died holding 1 and 2: they go back in front, in order. */
	jobq_push_front(&q, b);
	jobq_push_front(&q, a);
	assert_int_equal(jobq_pop(&q)->id, 1);
	assert_int_equal(jobq_pop(&q)->id, 2);
	assert_ptr_equal(jobq_pop(&q), c);
	job_free(a);
	job_free(b);
	job_free(c);
	/* push_front on an empty queue sets the tail too. */
	a = job_new(1, 0, NULL, 0);
	jobq_push_front(&q, a);
	assert_ptr_equal(q.tail, a);
	b = job_new(1, 0, NULL, 0);
	jobq_push(&q, b);
	assert_ptr_equal(jobq_pop(&q), a);
	assert_ptr_equal(jobq_pop(&q), b);
	job_free(a);
	job_free(b);
}

static void test_clear_frees_everything(void **state)
{
	struct jobq q = {0};
	int i;

	for (i = 0; i < 100; i++)
		jobq_push(&q, job_new(2, 1, "text", 4));
	jobq_clear(&q);
	assert_int_equal(q.len, 0);
	assert_null(q.head);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_job_holds_its_arguments),
	    cmocka_unit_test(test_fifo_order),
	    cmocka_unit_test(test_push_front_requeues_first),
	    cmocka_unit_test(test_clear_frees_everything),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
