/*
 * Unit tests of daemon/admit.c, the one admission path: ids (the next
 * one, a replayed job's own and those after it), the [pool] queue_limit
 * rule (and taking past it), the counts (accepted per kind, live per
 * source and in all, replayed), and the journal: a source that journals
 * gets an ACCEPT record in a real file, a replay and another source do
 * not.  A real libev loop, a real temporary file read back with
 * journal_scan.  Admission is also where the results registry learns of
 * a job, with its options (a key), which the ACCEPT record carries, and
 * where a job whose unique key is live is turned away.  A delayed job
 * (in=, at=) is held by later.c, in no queue, shown as scheduled,
 * released by the loop's timer no earlier than its due time, taken out by
 * a cancel; its ACCEPT carries the absolute at=.
 */
/* clang-format off */
/* test-sources: daemon/admit.c daemon/unique.c daemon/uniq.c daemon/later.c daemon/timerheap.c daemon/jobctl.c daemon/results.c common/jobopt.c daemon/queue.c daemon/source.c daemon/journal.c daemon/journal_scan.c daemon/journal_sync.c common/buf.c common/fsutil.c common/log.c daemon/slab.c */
/* clang-format on */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jobopt.h"
#include "journal.h"
#include "master.h"

static const struct source_ops test_ops = {.name = "test"};

struct fixture {
	struct master m;
	struct source journaled, other;
	char path[256];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	fx->m.loop = ev_default_loop(0);
	fx->m.cfg.queue_limit = 3;
	fx->m.journal.fd = -1;
	fx->m.journal.lock_fd = -1;
	results_init(&fx->m.results, 100, 0);
	fx->journaled = (struct source){.ops = &test_ops, .journaled = true};
	fx->other = (struct source){.ops = &test_ops};
	source_add(&fx->m, &fx->journaled);
	source_add(&fx->m, &fx->other);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	later_free(&fx->m);
	jobq_clear(&fx->m.queue);
	jobcache_clear(&fx->m.jobcache); /* as main.c: the newest block's unused jobs */
	results_free(&fx->m.results);
	uniq_free(&fx->m.uniq);
	if (fx->m.journal.fd >= 0)
		close(fx->m.journal.fd);
	free(fx->m.journal.buf);
	if (fx->path[0] != '\0')
		unlink(fx->path);
	free(fx);
	return 0;
}

static struct job *admit(struct fixture *fx, struct source *src, uint16_t kind, const char *args,
                         uint64_t id, bool past, enum admit_result want)
{
	struct admit_req rq = {.code = 10u + kind,
	                       .kind = kind,
	                       .args = args,
	                       .len = strlen(args),
	                       .id = id,
	                       .past_limit = past};
	struct job *j = (struct job *)&rq; /* must be overwritten */

	assert_int_equal(queue_admit(&fx->m, src, &rq, &j), want);
	if (want != ADMIT_OK) {
		assert_null(j);
		return NULL;
	}
	assert_non_null(j);
	assert_ptr_equal(j->src, src);
	assert_int_equal(j->code, 10u + kind);
	assert_int_equal(j->len, strlen(args));
	assert_memory_equal(j->args, args, j->len);
	return j;
}

static void test_ids(void **state)
{
	struct fixture *fx = *state;

	fx->m.cfg.queue_limit = 100;
	assert_int_equal(admit(fx, &fx->other, 0, "a", 0, false, ADMIT_OK)->id, 1);
	assert_int_equal(admit(fx, &fx->other, 0, "b", 0, false, ADMIT_OK)->id, 2);
	/* A replayed job keeps its id; later ones follow the highest. */
	assert_int_equal(admit(fx, &fx->journaled, 0, "r", 40, true, ADMIT_OK)->id, 40);
	assert_int_equal(admit(fx, &fx->journaled, 0, "s", 7, true, ADMIT_OK)->id, 7);
	assert_int_equal(admit(fx, &fx->other, 0, "c", 0, false, ADMIT_OK)->id, 41);
	assert_int_equal(fx->m.count.replayed, 2);
	/* Queued in admission order. */
	assert_int_equal(fx->m.queue.len, 5);
	assert_int_equal(fx->m.queue.lane[0].lv[0].head->id, 1);
	assert_int_equal(fx->m.queue.lane[0].lv[0].tail->id, 41);
}

static void test_queue_limit(void **state)
{
	struct fixture *fx = *state;

	assert_int_equal(queue_room(&fx->m), 3);
	admit(fx, &fx->other, 0, "a", 0, false, ADMIT_OK);
	admit(fx, &fx->other, 0, "b", 0, false, ADMIT_OK);
	assert_int_equal(queue_room(&fx->m), 1);
	admit(fx, &fx->other, 0, "c", 0, false, ADMIT_OK);
	assert_int_equal(queue_room(&fx->m), 0);
	/* Full: refused, nothing changed, no id used. */
	admit(fx, &fx->other, 0, "d", 0, false, ADMIT_FULL);
	assert_int_equal(fx->m.live, 3);
	assert_int_equal(fx->m.queue.len, 3);
	assert_int_equal(fx->m.next_id, 3);
	assert_int_equal(fx->m.count.accepted[0], 3);
	/* Past the limit (a drain, a replay): taken. */
	assert_int_equal(admit(fx, &fx->other, 0, "e", 0, true, ADMIT_OK)->id, 4);
	assert_int_equal(queue_room(&fx->m), 0);
	/* Jobs that end make room: the rule counts unfinished jobs, not the queue. */
	fx->m.live = 1;
	assert_int_equal(queue_room(&fx->m), 2);
}

static void test_counts(void **state)
{
	struct fixture *fx = *state;

	fx->m.cfg.queue_limit = 100;
	admit(fx, &fx->journaled, 2, "x", 0, false, ADMIT_OK);
	admit(fx, &fx->journaled, 2, "y", 0, false, ADMIT_OK);
	admit(fx, &fx->other, 5, "z", 0, false, ADMIT_OK);
	admit(fx, &fx->journaled, 5, "r", 9, true, ADMIT_OK);
	assert_int_equal(fx->m.count.accepted[2], 2);
	assert_int_equal(fx->m.count.accepted[5], 2);
	assert_int_equal(fx->m.count.accepted[0], 0);
	assert_int_equal(fx->m.live, 4);
	assert_int_equal(fx->journaled.live, 3);
	assert_int_equal(fx->other.live, 1);
	assert_int_equal(source_live_journaled(&fx->m), 3);
	assert_int_equal(fx->m.count.replayed, 1);
}

struct seen {
	unsigned n;
	uint64_t reserved; /* the IDS record's id */
	uint64_t id[8];
	char args[8][16], opts[8][16];
};

static void collect(void *arg, const struct journal_rec *r, const char *args)
{
	struct seen *s = arg;
	size_t alen = r->len - r->optlen;

	if (r->type == JOURNAL_IDS) {
		assert_int_equal(s->n, 0); /* before the first id is used */
		s->reserved = r->id;
		return;
	}
	assert_int_equal(r->type, JOURNAL_ACCEPT);
	assert_true(s->n < 8 && r->len < 16);
	s->id[s->n] = r->id;
	memcpy(s->args[s->n], args, alen);
	s->args[s->n][alen] = '\0';
	memcpy(s->opts[s->n], args + alen, r->optlen);
	s->opts[s->n][r->optlen] = '\0';
	s->n++;
}

/* Admits "two" to the journaled source with key=k2, as a FIFO line's
 * options would be. */
static void admit_keyed(struct fixture *fx)
{
	struct jobopt opt = {.key = "k2", .key_len = 2};
	struct admit_req rq = {.code = 11, .kind = 1, .args = "two", .len = 3, .opt = &opt};
	struct job *j;
	struct result *res;

	assert_int_equal(queue_admit(&fx->m, &fx->journaled, &rq, &j), ADMIT_OK);
	res = results_find_key(&fx->m.results, "k2", 2);
	assert_non_null(res);
	assert_ptr_equal(res, j->res);
	assert_int_equal(res->id, j->id);
}

static void test_journal(void **state)
{
	struct fixture *fx = *state;
	const char *dir = getenv("POOLD_TEST_TMP");
	struct journal_damage d = {0};
	struct seen seen = {0};
	struct stat st;
	char *p;
	int fd;

	snprintf(fx->path, sizeof(fx->path), "%s/test_admit.%d.journal", dir ? dir : "/tmp",
	         (int)getpid());
	fd = open(fx->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1),
	                 sizeof(JOURNAL_MAGIC) - 1);
	fx->m.journal.fd = fd;
	fx->m.journal.size = sizeof(JOURNAL_MAGIC) - 1;
	fx->m.cfg.queue_limit = 4;

	admit(fx, &fx->journaled, 1, "one", 0, false, ADMIT_OK);
	admit(fx, &fx->other, 1, "elsewhere", 0, false, ADMIT_OK);    /* not journaled */
	admit(fx, &fx->journaled, 1, "replayed", 30, true, ADMIT_OK); /* already in it */
	admit_keyed(fx);
	admit(fx, &fx->journaled, 1, "full", 0, false, ADMIT_FULL); /* limit 4: refused */
	journal_flush(&fx->m, true);

	assert_int_equal(fstat(fd, &st), 0);
	p = malloc((size_t)st.st_size);
	assert_non_null(p);
	assert_int_equal(pread(fd, p, (size_t)st.st_size, 0), st.st_size);
	journal_scan(p, (size_t)st.st_size, collect, &seen, &d);
	free(p);
	assert_int_equal(d.bytes + d.tail, 0);
	assert_int_equal(seen.n, 2);
	assert_true(seen.reserved >= 31); /* every id given is reserved */
	assert_int_equal(seen.id[0], 1);
	assert_string_equal(seen.args[0], "one");
	assert_string_equal(seen.opts[0], "");
	assert_int_equal(seen.id[1], 31);
	assert_string_equal(seen.args[1], "two");
	assert_string_equal(seen.opts[1], "key=k2");
	assert_non_null(results_find(&fx->m.results, 1)); /* every source's jobs */
	assert_non_null(results_find(&fx->m.results, 2));
}

/* Admits args with key=k for kind; returns the result, *dup the holder. */
static enum admit_result admit_key(struct fixture *fx, uint16_t kind, const char *k, uint64_t id,
                                   uint64_t *dup, struct job **j)
{
	struct jobopt opt = {.key = k, .key_len = strlen(k)};
	struct admit_req rq = {.code = 10u + kind,
	                       .kind = kind,
	                       .args = "x",
	                       .len = 1,
	                       .id = id,
	                       .past_limit = id != 0,
	                       .opt = &opt,
	                       .dup = dup};

	return queue_admit(&fx->m, &fx->journaled, &rq, j);
}

/* A live key under its kind's mode: the second job is not made (ADMIT_DUP,
 * the holder's id, counted), a replayed one is (accepted before), a kind
 * without `unique` ignores keys, and the key is free once its job ended. */
static void test_unique(void **state)
{
	struct fixture *fx = *state;
	struct job *first, *j;
	uint64_t dup = 0;

	fx->m.cfg.queue_limit = 10;
	fx->m.queue.kind_unique[1] = CONFIG_UNIQUE_ACTIVE;
	assert_int_equal(admit_key(fx, 1, "k", 0, &dup, &first), ADMIT_OK);
	assert_int_equal(admit_key(fx, 1, "k", 0, &dup, &j), ADMIT_DUP);
	assert_null(j);
	assert_int_equal(dup, first->id);
	assert_int_equal(fx->m.count.deduplicated, 1);
	assert_int_equal(fx->m.count.accepted[1], 1);
	assert_int_equal(fx->m.live, 1);
	assert_int_equal(admit_key(fx, 1, "k", 40, &dup, &j), ADMIT_OK); /* a replay */
	assert_int_equal(j->uniq, 0);                                    /* first holds it */
	assert_int_equal(admit_key(fx, 0, "k", 0, &dup, &j), ADMIT_OK);  /* no unique */
	assert_int_equal(fx->m.count.deduplicated, 1);
	jobq_remove(&fx->m.queue, first->id);
	unique_started(&fx->m, first); /* active: still held */
	assert_int_equal(admit_key(fx, 1, "k", 0, &dup, &j), ADMIT_DUP);
	unique_ended(&fx->m, first, PROTO_OK);
	job_free(first);
	assert_int_equal(admit_key(fx, 1, "k", 0, &dup, &j), ADMIT_OK);
	assert_int_equal(fx->m.count.deduplicated, 2);
}

/* Admits "d" with opt to the journaled source; returns the job. */
static struct job *admit_opt(struct fixture *fx, const struct jobopt *opt)
{
	struct admit_req rq = {.code = 11, .kind = 1, .args = "d", .len = 1, .opt = opt};
	struct job *j;

	assert_int_equal(queue_admit(&fx->m, &fx->journaled, &rq, &j), ADMIT_OK);
	assert_non_null(j->res);
	return j;
}

static void test_delayed(void **state)
{
	struct fixture *fx = *state;
	struct jobopt in = {.has_in = true, .in = 0.05}, past = {.has_at = true, .at = 1e9};
	struct jobopt far = {.has_in = true, .in = 3600};
	struct job *a, *b, *c;
	double due;
	int turns;

	fx->m.cfg.queue_limit = 100;
	later_start(&fx->m);
	a = admit_opt(fx, &in);
	b = admit_opt(fx, &far);
	c = admit_opt(fx, &past); /* due long ago: queued at once */
	assert_int_equal(later_count(&fx->m), 2);
	assert_int_equal(fx->m.queue.len, 1);
	assert_ptr_equal(fx->m.queue.lane[0].lv[0].head, c);
	assert_int_equal(c->res->state, RESULT_QUEUED);
	assert_int_equal(a->res->state, RESULT_SCHEDULED);
	due = a->res->due;
	/* in= as the absolute time, rounded up to the journal's millisecond. */
	assert_true(due >= ev_now(fx->m.loop) + 0.05 && due < ev_now(fx->m.loop) + 0.052);
	assert_true(due * 1000 == (double)(long long)(due * 1000));
	assert_int_equal(fx->m.live, 3); /* held jobs are live: queue_limit counts them */
	/* A cancel takes b out; an unknown id is not there. */
	assert_null(later_remove(&fx->m, 999));
	assert_ptr_equal(later_remove(&fx->m, b->id), b);
	job_free(b);
	/* The timer releases a once due, not before. */
	for (turns = 0; fx->m.queue.len < 2 && turns < 1000; turns++) {
		assert_int_equal(a->res->state, RESULT_SCHEDULED);
		ev_run(fx->m.loop, EVRUN_ONCE);
	}
	assert_int_equal(fx->m.queue.len, 2);
	assert_true(ev_now(fx->m.loop) >= due);
	assert_int_equal(a->res->state, RESULT_QUEUED);
	assert_int_equal(later_count(&fx->m), 0);
	assert_false(ev_is_active(&fx->m.later.w)); /* nothing held: no timer */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ids, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_queue_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_counts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_journal, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unique, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_delayed, setup, teardown),
	};

	log_init("test_admit");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
