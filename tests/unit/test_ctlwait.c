/* test-sources: daemon/ctlwait.c */
/*
 * The waiters of `poolctl wait`: a waiter is answered exactly when every
 * job accepted before it has ended, whatever the order jobs end in and
 * whoever leaves meanwhile; checked against a direct count over a seeded
 * random run of jobs, waiters and hang-ups.
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

#include "ctlwait.h"

#define NJOBS 400
#define NWAIT 300

struct tw {
	struct waiter w;
	uint64_t upto;
	int state; /* 0 unused, 1 waiting, 2 answered, 3 left */
};

static bool ended[NJOBS + 1];
static struct tw waiters[NWAIT];

/* Every job up to upto has ended. */
static bool all_ended(uint64_t upto)
{
	uint64_t i;

	for (i = 1; i <= upto; i++)
		if (!ended[i])
			return false;
	return true;
}

static void on_done(struct waiter *w, void *arg)
{
	struct tw *t = (struct tw *)(void *)w;

	(void)arg;
	assert_int_equal(t->state, 1);
	assert_true(all_ended(t->upto));
	t->state = 2;
}

static void test_waiters_answered_exactly_when_done(void **state)
{
	struct waitset ws = {0};
	uint64_t next_id = 0, live = 0, id;
	unsigned seed = (unsigned)time(NULL), step, k, nw = 0;
	int r;

	printf("seed %u\n", seed);
	srand(seed);
	memset(ended, 0, sizeof(ended));
	memset(waiters, 0, sizeof(waiters));
	for (step = 0; step < 5000; step++) {
		switch (rand() % 4) {
		case 0: /* a job accepted */
			if (next_id < NJOBS) {
				next_id++;
				live++;
			}
			break;
		case 1: /* a waiter */
			if (nw == NWAIT)
				break;
			waiters[nw].upto = next_id;
			r = waitset_add(&ws, &waiters[nw].w, next_id, live);
			assert_int_not_equal(r, -1);
			waiters[nw].state = r == 1 ? 2 : 1;
			if (r == 1)
				assert_true(all_ended(next_id));
			nw++;
			break;
		case 2: /* a job ends, any of the live ones */
			if (live == 0)
				break;
			do
				id = 1 + (uint64_t)rand() % next_id;
			while (ended[id]);
			ended[id] = true;
			live--;
			waitset_job_ended(&ws, id, on_done, NULL);
			break;
		default: /* a waiter leaves */
			k = nw ? (unsigned)rand() % nw : 0;
			if (nw && waiters[k].state == 1 && rand() % 4 == 0) {
				waitset_remove(&ws, &waiters[k].w);
				waiters[k].state = 3;
			}
		}
		for (k = 0; k < nw; k++)
			if (waiters[k].state == 1)
				assert_false(all_ended(waiters[k].upto));
	}
	assert_true(ws.len <= ws.waiters);
	waitset_free(&ws);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_waiters_answered_exactly_when_done),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
