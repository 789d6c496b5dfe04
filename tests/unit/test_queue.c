/* test-sources: daemon/queue.c daemon/slab.c */
/*
 * The master's job queue: FIFO order, requeue at the front (a dead
 * worker's jobs go first), and the arguments each job carries; priorities:
 * higher first, weighted 2:1 per level, and the no-starvation bound that
 * queue.c states (level p waits behind at most sum (2^(q-p) + 1) jobs).
 */
#include <setjmp.h>
#include <stdbool.h>
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
	assert_null(q.lane[0].lv[0].head);
	assert_null(q.lane[0].lv[0].tail);
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
	assert_ptr_equal(q.lane[0].lv[0].tail, a);
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
	assert_null(q.lane[0].lv[0].head);
}

static struct job *pri_job(uint64_t id, unsigned pri)
{
	struct job *j = job_new(1, 0, NULL, 0);

	assert_non_null(j);
	j->id = id;
	j->pri = (uint8_t)pri;
	return j;
}

static void test_priority_order(void **state)
{
	static const unsigned pris[] = {0, 5, 9, 3, 9, 0};
	static const uint64_t want[] = {3, 2, 4, 1, 6, 5}; /* 9,5,3,0 then 9, 0 */
	struct jobq q = {0};
	struct job *j;
	size_t i;

	for (i = 0; i < 4; i++)
		jobq_push(&q, pri_job(i + 1, pris[i]));
	/* One of each level: strictly by priority. */
	for (i = 0; i < 4; i++) {
		j = jobq_pop(&q);
		assert_int_equal(j->id, want[i]);
		job_free(j);
	}
	jobq_push(&q, pri_job(5, 0));
	jobq_push(&q, pri_job(6, 9));
	for (i = 4; i < 6; i++) {
		j = jobq_pop(&q);
		assert_int_equal(j->id, want[i]);
		job_free(j);
	}
	assert_int_equal(q.len, 0);
}

/* Pops everything; returns the longest run of other jobs taken while a
 * job of level `level` was queued, and counts the pops per level. */
static size_t longest_wait(struct jobq *q, unsigned level, size_t *per_level)
{
	size_t run = 0, worst = 0;
	struct job *j;

	while (q->len > 0) {
		bool waiting = q->lane[0].lv[level].len > 0;

		j = jobq_pop(q);
		per_level[j->pri]++;
		if (j->pri == level || !waiting) {
			run = 0;
		} else if (++run > worst) {
			worst = run;
		}
		job_free(j);
	}
	return worst;
}

static void test_no_starvation(void **state)
{
	size_t per[QUEUE_PRI_MAX + 1] = {0}, worst, i;
	unsigned p;
	struct jobq q = {0};
	uint64_t id = 0;

	/* Level 0 behind a flood of level 9: at most 2^9 + 1 = 513 between. */
	for (i = 0; i < 20000; i++)
		jobq_push(&q, pri_job(++id, 9));
	for (i = 0; i < 30; i++)
		jobq_push(&q, pri_job(++id, 0));
	worst = longest_wait(&q, 0, per);
	print_message("level 0 behind level 9: at most %zu jobs between two\n", worst);
	assert_true(worst <= 513);
	assert_true(worst >= 500); /* and it is weighted, not round-robin */
	/* Every level busy, from a fresh queue: in the first 1,023 turns
	 * level p gets exactly 2^p (weights 1, 2, 4 ... 512); then level 0
	 * waits behind at most 1,031 jobs between two of its own. */
	struct jobq q2 = {0};
	struct job *j;

	for (p = 0; p <= QUEUE_PRI_MAX; p++)
		for (i = 0; i < 4096; i++)
			jobq_push(&q2, pri_job(++id, p));
	memset(per, 0, sizeof(per));
	for (i = 0; i < 1023; i++) {
		j = jobq_pop(&q2);
		per[j->pri]++;
		job_free(j);
	}
	for (p = 0; p <= QUEUE_PRI_MAX; p++)
		assert_int_equal(per[p], (size_t)1 << p);
	worst = longest_wait(&q2, 0, per);
	print_message("level 0 behind levels 1-9: at most %zu jobs between two\n", worst);
	assert_true(worst <= 1031);
}

/* Reopened levels join at the current turn: a level that was idle does
 * not bank turns and then shut the others out. */
static void test_idle_level_banks_nothing(void **state)
{
	struct jobq q = {0};
	struct job *j;
	size_t i, nine = 0;

	for (i = 0; i < 1000; i++)
		jobq_push(&q, pri_job(i, 0));
	for (i = 0; i < 500; i++)
		job_free(jobq_pop(&q)); /* level 0 alone: its pass runs ahead */
	for (i = 0; i < 100; i++)
		jobq_push(&q, pri_job(2000 + i, 9));
	for (i = 0; i < 100; i++) {
		j = jobq_pop(&q);
		nine += j->pri == 9;
		job_free(j);
	}
	assert_true(nine >= 99); /* level 9 still goes first */
	jobq_clear(&q);
}

/* Small jobs come JOB_SLAB to a block (at most JOB_CACHE_MAX of them in
 * blocks); a block goes with the last of its jobs, freed by job_free,
 * job_put past the cache or jobcache_clear in any order (ASan sees a
 * leak, a double free or a use after free). */
static void test_job_blocks(void **state)
{
	static struct job *jobs[3 * JOB_SLAB];
	struct jobcache c = {0};
	char big[JOB_SMALL_ARGS + 1];
	struct job *j;
	size_t i;

	memset(big, 'b', sizeof(big));
	for (i = 0; i < 3 * JOB_SLAB; i++) {
		jobs[i] = job_take(&c, 1, 0, "x", 1, NULL, 0);
		assert_non_null(jobs[i]);
		assert_non_null(jobs[i]->slab);
		assert_memory_equal(jobs[i]->args, "x", 1);
	}
	j = job_take(&c, 1, 0, big, sizeof(big), NULL, 0);
	assert_null(j->slab); /* too big for a block */
	job_put(&c, j);
	assert_int_equal(c.slab.made, 3 * JOB_SLAB);
	/* The first block's jobs freed outright, the second's kept for reuse,
	 * the third's half freed, half kept; then one taken from the cache. */
	for (i = 0; i < JOB_SLAB; i++)
		job_free(jobs[i]);
	for (i = JOB_SLAB; i < 3 * JOB_SLAB; i++)
		if (i < 2 * JOB_SLAB || i % 2 == 0)
			job_put(&c, jobs[i]);
		else
			job_free(jobs[i]);
	j = job_take(&c, 1, 0, "y", 1, NULL, 0);
	assert_non_null(j->slab);
	jobcache_clear(&c);
	assert_int_equal(c.len, 0);
	job_free(j); /* after the cache's clear, as at shutdown (buried jobs) */
	/* Past JOB_CACHE_MAX jobs in blocks, jobs are made alone. */
	c.slab.made = JOB_CACHE_MAX;
	j = job_take(&c, 1, 0, "z", 1, NULL, 0);
	assert_null(j->slab);
	job_free(j);
	jobcache_clear(&c);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_job_holds_its_arguments),
	    cmocka_unit_test(test_job_blocks),
	    cmocka_unit_test(test_fifo_order),
	    cmocka_unit_test(test_push_front_requeues_first),
	    cmocka_unit_test(test_clear_frees_everything),
	    cmocka_unit_test(test_priority_order),
	    cmocka_unit_test(test_no_starvation),
	    cmocka_unit_test(test_idle_level_banks_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
