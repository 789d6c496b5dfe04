/* test-sources: daemon/slot.c */
/*
 * The slot table: every state x event pair gives the state and flags the
 * table in daemon/slot.c documents, refused pairs change nothing, and a
 * new process clears every flag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "master.h"

#define KEEP   (-1)
#define REFUSE (-2)

/* The documented table: the state after each event, per starting state. */
static const int want_state[SLOT_NEVENTS][4] = {
    [SLOT_EV_SPAWNED] = {SLOT_STARTING, SLOT_STARTING, SLOT_STARTING, SLOT_STARTING},
    [SLOT_EV_HELLO] = {SLOT_READY, REFUSE, REFUSE, REFUSE},
    [SLOT_EV_RETIRE] = {SLOT_RETIRING, SLOT_RETIRING, SLOT_RETIRING, SLOT_RETIRING},
    [SLOT_EV_SHRINK] = {SLOT_RETIRING, SLOT_RETIRING, SLOT_RETIRING, SLOT_RETIRING},
    [SLOT_EV_RECYCLE] = {REFUSE, SLOT_RETIRING, REFUSE, REFUSE},
    [SLOT_EV_DIED_YOUNG] = {SLOT_BACKOFF, SLOT_BACKOFF, SLOT_BACKOFF, SLOT_BACKOFF},
    [SLOT_EV_PIPE_BROKEN] = {KEEP, KEEP, KEEP, KEEP},
    [SLOT_EV_LIED] = {KEEP, KEEP, KEEP, KEEP},
    [SLOT_EV_OVERDUE] = {KEEP, KEEP, KEEP, KEEP},
    [SLOT_EV_KILL_SENT] = {KEEP, KEEP, KEEP, KEEP},
};

/* A slot in state st holding one job (id 42), flags as given. */
static void slot_setup(struct slot *s, struct job **ring, struct job *j, int st, bool flags)
{
	memset(s, 0, sizeof(*s));
	j->id = 42;
	ring[0] = j;
	s->ring = ring;
	s->ring_cap = 1;
	s->ring_len = 1;
	s->state = (enum slot_state)st;
	s->broken = s->liar = s->recycle = s->kill_sent = flags;
	s->overdue_id = flags ? 7 : 0;
}

static void test_state_by_event(void **state)
{
	struct job j, *ring[1];
	struct slot s;
	int ev, st, r;

	for (ev = 0; ev < SLOT_NEVENTS; ev++) {
		for (st = 0; st < 4; st++) {
			slot_setup(&s, ring, &j, st, false);
			r = slot_event(&s, (enum slot_event)ev, 5.0);
			if (want_state[ev][st] == REFUSE) {
				assert_int_equal(r, -1);
				assert_int_equal(s.state, st);
				assert_false(s.broken || s.liar || s.recycle || s.kill_sent);
				assert_int_equal(s.overdue_id, 0);
				continue;
			}
			assert_int_equal(r, 0);
			assert_int_equal(s.state,
			                 want_state[ev][st] == KEEP ? st : want_state[ev][st]);
		}
	}
}

static void test_flags(void **state)
{
	struct job j, *ring[1];
	struct slot s;
	int st;

	for (st = 0; st < 4; st++) {
		slot_setup(&s, ring, &j, st, false);
		slot_event(&s, SLOT_EV_PIPE_BROKEN, 1.0);
		assert_true(s.broken);
		assert_false(s.liar);
		slot_event(&s, SLOT_EV_LIED, 1.0);
		assert_true(s.broken && s.liar);
		slot_setup(&s, ring, &j, st, false);
		slot_event(&s, SLOT_EV_OVERDUE, 9.5);
		assert_true(s.broken);
		assert_int_equal(s.overdue_id, 42);
		assert_true(s.term_at == 9.5);
		assert_string_equal(slot_overdue(&s, &j), "ran past its time limit");
		slot_event(&s, SLOT_EV_KILL_SENT, 10.0);
		assert_true(s.kill_sent);
		/* A new process starts clean. */
		slot_setup(&s, ring, &j, st, true);
		slot_event(&s, SLOT_EV_SPAWNED, 11.0);
		assert_int_equal(s.state, SLOT_STARTING);
		assert_false(s.broken || s.liar || s.recycle || s.kill_sent);
		assert_int_equal(s.overdue_id, 0);
		assert_null(slot_overdue(&s, &j));
	}
	/* Recycle marks the slot to be replaced; shrinking clears that. */
	slot_setup(&s, ring, &j, SLOT_READY, false);
	assert_int_equal(slot_event(&s, SLOT_EV_RECYCLE, 1.0), 0);
	assert_true(s.recycle);
	assert_int_equal(slot_event(&s, SLOT_EV_SHRINK, 1.0), 0);
	assert_false(s.recycle);
	assert_int_equal(s.state, SLOT_RETIRING);
	/* Out of range: refused. */
	assert_int_equal(slot_event(&s, SLOT_NEVENTS, 1.0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_by_event),
	    cmocka_unit_test(test_flags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
