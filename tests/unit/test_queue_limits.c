/* test-sources: daemon/queue.c daemon/queue_limits.c daemon/slab.c */
/*
 * The lanes' limits (queue_limits.c): a concurrency cap is exact and
 * comes back on release; inflight holds a lane's jobs from a worker that
 * holds as many; a [token.NAME] is shared by the lanes that need it; the
 * rate bucket lets `burst` go at once, then one per 1/rate seconds, and
 * says when; a paused lane holds its jobs; lanes take turns.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "master.h"

/* Lanes: 0 "default" (no limit), 1 "long" (inflight 1), then `extra`. */
static void setup(struct jobq *q, struct config *c, const struct config_queue *extra, size_t n)
{
	size_t i;

	memset(q, 0, sizeof(*q));
	memset(c, 0, sizeof(*c));
	strcpy(c->queues[0].name, "default");
	strcpy(c->queues[1].name, "long");
	c->queues[0].token = c->queues[1].token = -1;
	c->queues[1].inflight = 1;
	for (i = 0; i < n; i++)
		c->queues[2 + i] = extra[i];
	c->nqueues = (unsigned)(2 + n);
	strcpy(c->tokens[0].name, "gpu");
	c->tokens[0].count = 1;
	c->ntokens = 1;
	jobq_configure(q, c);
}

static void push(struct jobq *q, unsigned lane, unsigned n)
{
	static uint64_t id;
	struct job *j;

	while (n-- > 0) {
		j = job_new(1, 0, NULL, 0);
		assert_non_null(j);
		j->id = ++id;
		j->lane = (uint8_t)lane;
		jobq_push(q, j);
	}
}

static void test_cap_is_exact(void **state)
{
	const struct config_queue x = {.name = "capped", .concurrency = 2, .token = -1};
	struct job *a, *b;
	struct jobq q;
	struct config c;
	double wake = 0;

	setup(&q, &c, &x, 1);
	push(&q, 2, 10);
	a = jobq_pick(&q, 0, 0, &wake);
	b = jobq_pick(&q, 0, 0, &wake);
	assert_non_null(a);
	assert_non_null(b);
	assert_null(jobq_pick(&q, 0, 0, &wake)); /* 2 out: held */
	assert_int_equal(q.len, 8);
	jobq_release(&q, a);
	job_free(a);
	a = jobq_pick(&q, 0, 0, &wake);
	assert_non_null(a);
	assert_null(jobq_pick(&q, 0, 0, &wake));
	assert_int_equal(q.lane[2].running_max, 2);
	assert_true(wake == 0); /* nothing a timer could change */
	job_free(a);
	job_free(b);
	jobq_clear(&q);
}

static void test_inflight_and_pause(void **state)
{
	struct jobq q;
	struct config c;
	double wake = 0;
	struct job *j;

	setup(&q, &c, NULL, 0);
	push(&q, 1, 2); /* "long": only for a worker that holds nothing */
	assert_null(jobq_pick(&q, 1, 0, &wake));
	j = jobq_pick(&q, 0, 0, &wake);
	assert_non_null(j);
	assert_int_equal(jobq_inflight(&q, j), 1);
	job_free(j);
	jobq_lane(&q, "long")->paused = true;
	assert_null(jobq_pick(&q, 0, 0, &wake));
	push(&q, 0, 1); /* another lane still runs */
	j = jobq_pick(&q, 5, 0, &wake);
	assert_non_null(j);
	assert_int_equal(j->lane, 0);
	job_free(j);
	jobq_lane(&q, "long")->paused = false;
	j = jobq_pick(&q, 0, 0, &wake);
	assert_non_null(j);
	job_free(j);
	assert_null(jobq_lane(&q, "nosuch"));
}

static void test_token_shared(void **state)
{
	const struct config_queue x[] = {
	    {.name = "a", .needs = "gpu", .token = 0},
	    {.name = "b", .needs = "gpu", .token = 0},
	};
	struct jobq q;
	struct config c;
	double wake = 0;
	struct job *j;

	setup(&q, &c, x, 2);
	push(&q, 2, 3);
	push(&q, 3, 3);
	j = jobq_pick(&q, 0, 0, &wake);
	assert_non_null(j);
	assert_null(jobq_pick(&q, 0, 0, &wake)); /* the one gpu is held */
	jobq_release(&q, j);
	job_free(j);
	j = jobq_pick(&q, 0, 0, &wake); /* the other lane's turn */
	assert_non_null(j);
	assert_int_equal(j->lane, 3);
	job_free(j);
	jobq_clear(&q);
}

static void test_rate_bucket(void **state)
{
	const struct config_queue x = {.name = "slow", .rate = 2, .burst = 3, .token = -1};
	struct jobq q;
	struct config c;
	double wake = 0;
	int i;

	setup(&q, &c, &x, 1);
	push(&q, 2, 10);
	for (i = 0; i < 3; i++)
		job_free(jobq_pick(&q, 0, 100.0, &wake));
	assert_null(jobq_pick(&q, 0, 100.0, &wake));
	assert_true(wake > 100.49 && wake < 100.51); /* one more at 1/rate */
	wake = 0;
	assert_null(jobq_pick(&q, 0, 100.4, &wake));
	job_free(jobq_pick(&q, 0, 100.5, &wake));
	assert_null(jobq_pick(&q, 0, 100.5, &wake));
	/* An idle minute refills only up to burst. */
	for (i = 0; i < 3; i++)
		job_free(jobq_pick(&q, 0, 160.0, &wake));
	assert_null(jobq_pick(&q, 0, 160.0, &wake));
	jobq_clear(&q);
}

/* Picks from the lane that got the last job while it holds every queued
 * job (jobq_pick's shortcut) keep the rules: a pause holds them, and a job
 * that comes into another lane gets its turn next. */
static void test_hot_lane(void **state)
{
	const struct config_queue x = {.name = "plain", .token = -1};
	struct jobq q;
	struct config c;
	struct job *j;
	double wake = 0;

	setup(&q, &c, &x, 1);
	push(&q, 2, 4);
	j = jobq_pick(&q, 0, 0, &wake);
	assert_int_equal(j->lane, 2);
	job_free(j);
	job_free(jobq_pick(&q, 0, 0, &wake)); /* every job in lane 2 */
	q.lane[2].paused = true;
	assert_null(jobq_pick(&q, 0, 0, &wake));
	q.lane[2].paused = false;
	push(&q, 0, 1);
	j = jobq_pick(&q, 0, 0, &wake);
	assert_int_equal(j->lane, 0); /* lane 0's turn comes before lane 2's */
	job_free(j);
	j = jobq_pick(&q, 0, 0, &wake);
	assert_int_equal(j->lane, 2);
	job_free(j);
	assert_int_equal(q.lane[2].handed, 3);
	assert_int_equal(q.lane[2].running, 3);
	jobq_clear(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cap_is_exact), cmocka_unit_test(test_inflight_and_pause),
	    cmocka_unit_test(test_token_shared), cmocka_unit_test(test_rate_bucket),
	    cmocka_unit_test(test_hot_lane),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
