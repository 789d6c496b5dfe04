/* test-sources: daemon/census.c */
/*
 * The pool census: every slot state and load lands in exactly one worker
 * count, jobs in flight and ended jobs are summed over slots and kinds,
 * and the queue, live and waiter figures are the master's.  A seeded
 * random pool is checked against a count made slot by slot here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "master.h"

static void test_empty_pool(void **state)
{
	struct master m;
	struct census c;

	memset(&m, 0, sizeof(m));
	census_take(&m, &c);
	assert_int_equal(c.workers, 0);
	assert_int_equal(c.ready + c.starting + c.retiring + c.backoff, 0);
	assert_int_equal(c.in_flight, 0);
	assert_int_equal(c.ended, 0);
}

static void test_each_state(void **state)
{
	struct slot s[6];
	struct slot *table[8] = {0};
	struct master m;
	struct census c;

	memset(&m, 0, sizeof(m));
	memset(s, 0, sizeof(s));
	s[0].state = SLOT_STARTING;
	s[1].state = SLOT_READY; /* idle */
	s[2].state = SLOT_READY;
	s[2].ring_len = 3; /* busy */
	s[3].state = SLOT_RETIRING;
	s[3].ring_len = 2; /* finishing its jobs */
	s[4].state = SLOT_BACKOFF;
	s[5].state = SLOT_READY;
	s[5].ring_len = 1;
	table[0] = &s[0];
	table[2] = &s[1]; /* holes in the table are free slots */
	table[3] = &s[2];
	table[4] = &s[3];
	table[6] = &s[4];
	table[7] = &s[5];
	m.slots = table;
	m.nslots = 8;
	m.target = 5;
	m.queue.len = 7;
	m.live = 13;
	m.waits.waiters = 2;
	m.count.accepted[0] = 10;
	m.count.accepted[MASTER_MAX_KINDS - 1] = 5;
	m.count.done[1] = 4;
	m.count.failed[2] = 3;
	m.count.timedout[3] = 2;
	m.count.buried[4] = 1;
	census_take(&m, &c);
	assert_int_equal(c.workers, 6);
	assert_int_equal(c.starting, 1);
	assert_int_equal(c.ready, 3);
	assert_int_equal(c.busy, 2);
	assert_int_equal(c.idle, 1);
	assert_int_equal(c.retiring, 1);
	assert_int_equal(c.backoff, 1);
	assert_int_equal(c.holding, 3);
	assert_int_equal(c.in_flight, 6);
	assert_int_equal(c.wanted, 5);
	assert_int_equal(c.queued, 7);
	assert_int_equal(c.live, 13);
	assert_int_equal(c.waiting, 2);
	assert_int_equal(c.accepted, 15);
	assert_int_equal(c.done, 4);
	assert_int_equal(c.failed, 3);
	assert_int_equal(c.timedout, 2);
	assert_int_equal(c.buried, 1);
	assert_int_equal(c.ended, 10);
}

/* A random pool: the counts add up whatever the mix. */
static void test_random_pools(void **state)
{
	enum { N = 64 };
	static struct slot s[N];
	struct slot *table[N];
	unsigned seed = (unsigned)strtoul(getenv("POOLD_SEED") ? getenv("POOLD_SEED") : "1", 0, 10);
	unsigned round, i, by_state[4], busy, inflight, workers;
	struct master m;
	struct census c;

	printf("seed %u\n", seed);
	srandom(seed);
	for (round = 0; round < 200; round++) {
		memset(&m, 0, sizeof(m));
		memset(by_state, 0, sizeof(by_state));
		busy = inflight = workers = 0;
		for (i = 0; i < N; i++) {
			table[i] = random() % 4 == 0 ? NULL : &s[i];
			s[i].state = (enum slot_state)(random() % 4);
			s[i].ring_len = (unsigned)(random() % 3);
			if (table[i] == NULL)
				continue;
			workers++;
			by_state[s[i].state]++;
			busy += s[i].state == SLOT_READY && s[i].ring_len > 0;
			inflight += s[i].ring_len;
		}
		m.slots = table;
		m.nslots = N;
		census_take(&m, &c);
		assert_int_equal(c.workers, workers);
		assert_int_equal(c.starting, by_state[SLOT_STARTING]);
		assert_int_equal(c.ready, by_state[SLOT_READY]);
		assert_int_equal(c.retiring, by_state[SLOT_RETIRING]);
		assert_int_equal(c.backoff, by_state[SLOT_BACKOFF]);
		assert_int_equal(c.busy, busy);
		assert_int_equal(c.busy + c.idle, c.ready);
		assert_int_equal(c.starting + c.ready + c.retiring + c.backoff, c.workers);
		assert_int_equal(c.in_flight, inflight);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_pool),
	    cmocka_unit_test(test_each_state),
	    cmocka_unit_test(test_random_pools),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
