/*
 * Unit tests of daemon/journal_scan.c on journal bytes built in memory:
 * a clean file, a torn tail (normal: ignored), and damage followed by
 * valid records (one byte flipped early, a run of garbage, damage and a
 * torn tail together), after which every valid record must still be
 * found, in order, with the damage counted.  A record of the longest
 * arguments with the longest options is a record, one past either bound
 * is not.
 */
/* test-sources: daemon/journal_scan.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobopt.h"
#include "journal.h"
#include "proto.h"

#define NREC 200

struct file {
	char *p;
	size_t len, cap;
	size_t off[NREC + 1]; /* where record i (1-based) starts */
};

static void put(struct file *f, const void *p, size_t n)
{
	if (f->len + n > f->cap) {
		f->cap = (f->len + n) * 2;
		f->p = realloc(f->p, f->cap);
		assert_non_null(f->p);
	}
	memcpy(f->p + f->len, p, n);
	f->len += n;
}

/* A journal of NREC ACCEPTs, ids 1..NREC, arguments "job N". */
static void build(struct file *f)
{
	char args[32];
	uint64_t i;

	memset(f, 0, sizeof(*f));
	put(f, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1);
	for (i = 1; i <= NREC; i++) {
		struct journal_rec r = {.type = JOURNAL_ACCEPT, .code = 2, .id = i};

		r.len = (uint32_t)snprintf(args, sizeof(args), "job %llu", (unsigned long long)i);
		r.sum = journal_sum(&r, args);
		f->off[i] = f->len;
		put(f, &r, sizeof(r));
		put(f, args, r.len);
	}
}

/* journal_sum is CRC32C (Castagnoli) of the record after its sum field,
 * then of the arguments: the sums of records written by any build agree.
 * The expected values are from a bit-by-bit CRC32C written apart (Python;
 * CRC32C("123456789") = 0xe3069283). */
static void test_sum_vectors(void **state)
{
	static const struct {
		struct journal_rec r;
		const char *args;
		uint32_t sum;
	} v[] = {
	    {{.type = JOURNAL_ACCEPT, .code = 1, .id = 1}, "", 0x1e08fd69},
	    {{.type = JOURNAL_ACCEPT, .len = 5, .code = 2, .id = 0x0123456789abcdefULL},
	     "hello",
	     0x4de8ff59},
	    {{.type = JOURNAL_ACCEPT, .optlen = 6, .len = 14, .code = 2, .id = 42},
	     "log text key=k",
	     0x8d709308},
	    {{.type = JOURNAL_END, .id = 7}, NULL, 0x41138f8e},
	    {{.type = JOURNAL_ACCEPT, .len = 8, .code = 4, .id = 9}, "12345678", 0xc8399f8d},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		assert_int_equal(journal_sum(&v[i].r, v[i].args), v[i].sum);
}

struct seen {
	uint64_t ids[NREC + 1];
	size_t n;
};

static void collect(void *arg, const struct journal_rec *r, const char *args)
{
	struct seen *s = arg;
	char want[32];

	snprintf(want, sizeof(want), "job %llu", (unsigned long long)r->id);
	assert_int_equal(r->len, strlen(want));
	assert_memory_equal(args, want, r->len);
	assert_true(s->n < NREC);
	s->ids[s->n++] = r->id;
}

/* Checks that exactly ids from..to (in order) were found. */
static void assert_ids(const struct seen *s, uint64_t from, uint64_t to)
{
	uint64_t i;

	assert_int_equal(s->n, to - from + 1);
	for (i = from; i <= to; i++)
		assert_int_equal(s->ids[i - from], i);
}

static void count_cb(void *arg, const struct journal_rec *r, const char *args)
{
	(*(size_t *)arg)++;
}

static void test_clean(void **state)
{
	struct file f;
	struct seen s = {0};
	struct journal_damage d;

	build(&f);
	journal_scan(f.p, f.len, collect, &s, &d);
	assert_ids(&s, 1, NREC);
	assert_int_equal(d.places, 0);
	assert_int_equal(d.bytes, 0);
	assert_int_equal(d.tail, 0);
	free(f.p);
}

/* A torn tail is normal: no damage reported, the tail's size counted. */
static void test_torn_tail(void **state)
{
	struct file f;
	struct seen s = {0};
	struct journal_damage d;

	build(&f);
	f.len -= 5;
	journal_scan(f.p, f.len, collect, &s, &d);
	assert_ids(&s, 1, NREC - 1);
	assert_int_equal(d.places, 0);
	assert_int_equal(d.tail, f.len - f.off[NREC]);
	free(f.p);
}

/* One byte damaged in record 3 (each field in turn): records 4..NREC are
 * all found, and the damage is exactly record 3. */
static void test_one_byte_early(void **state)
{
	size_t k;

	for (k = 0; k < sizeof(struct journal_rec) + 3; k++) {
		struct file f;
		struct seen s = {0};
		struct journal_damage d;

		build(&f);
		f.p[f.off[3] + k] ^= 0x21;
		journal_scan(f.p, f.len, collect, &s, &d);
		assert_int_equal(s.n, NREC - 1);
		assert_int_equal(s.ids[0], 1);
		assert_int_equal(s.ids[1], 2);
		assert_int_equal(s.ids[2], 4);
		assert_int_equal(s.ids[NREC - 2], NREC);
		assert_int_equal(d.places, 1);
		assert_int_equal(d.first, f.off[3]);
		assert_int_equal(d.bytes, f.off[4] - f.off[3]);
		assert_int_equal(d.after, NREC - 3);
		assert_int_equal(d.tail, 0);
		free(f.p);
	}
}

/* A run of garbage over records 10..19 (from the middle of one record to
 * the middle of another) and a torn tail. */
static void test_garbage_and_tail(void **state)
{
	struct file f;
	struct seen s = {0};
	struct journal_damage d;
	size_t i, from, to;

	build(&f);
	srandom(42);
	from = f.off[10] + 7;
	to = f.off[19] + 30;
	for (i = from; i < to; i++)
		f.p[i] = (char)random();
	f.len -= 3;
	journal_scan(f.p, f.len, collect, &s, &d);
	assert_int_equal(s.n, 9 + (NREC - 1 - 20 + 1));
	assert_int_equal(s.ids[8], 9);
	assert_int_equal(s.ids[9], 20);
	assert_int_equal(s.ids[s.n - 1], NREC - 1);
	assert_int_equal(d.places, 1);
	assert_int_equal(d.bytes, f.off[20] - f.off[10]);
	assert_int_equal(d.tail, f.len - f.off[NREC]);
	free(f.p);
}

/* Two separate places, and nothing but the magic. */
static void test_two_places_and_empty(void **state)
{
	struct file f;
	struct seen s = {0};
	struct journal_damage d;

	build(&f);
	f.p[f.off[1]] ^= 1;
	f.p[f.off[NREC] - 1] ^= 1; /* the last byte of record NREC - 1 */
	journal_scan(f.p, f.len, collect, &s, &d);
	assert_int_equal(s.n, NREC - 2);
	assert_int_equal(s.ids[s.n - 1], NREC);
	assert_int_equal(d.places, 2);
	assert_int_equal(d.first, f.off[1]);
	journal_scan(f.p, sizeof(JOURNAL_MAGIC) - 1, collect, &s, &d);
	assert_int_equal(d.places + d.tail + d.bytes, 0);
	free(f.p);
}

/* One ACCEPT of args_len arguments and opt_len option bytes: found? */
static bool found_one(size_t args_len, size_t opt_len)
{
	struct journal_rec r = {.type = JOURNAL_ACCEPT, .code = 2, .id = 1};
	struct journal_damage d;
	struct file f;
	char *body = malloc(args_len + opt_len);
	size_t n = 0;

	assert_non_null(body);
	memset(body, 'a', args_len + opt_len);
	memset(&f, 0, sizeof(f));
	put(&f, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1);
	r.len = (uint32_t)(args_len + opt_len);
	r.optlen = (uint16_t)opt_len;
	r.sum = journal_sum(&r, body);
	put(&f, &r, sizeof(r));
	put(&f, body, r.len);
	journal_scan(f.p, f.len, count_cb, &n, &d);
	free(body);
	free(f.p);
	return n == 1;
}

/* A line of the longest arguments with in=1 is kept with at=S.mmm, longer
 * than what the line held: the record is still read back. */
static void test_longest(void **state)
{
	assert_true(found_one(PROTO_ARGS_MAX, JOBOPT_TEXT_MAX));
	assert_true(found_one(PROTO_ARGS_MAX, 17)); /* "at=1796119200.000" */
	assert_false(found_one(PROTO_ARGS_MAX + 1, 0));
	assert_false(found_one(PROTO_ARGS_MAX, JOBOPT_TEXT_MAX + 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sum_vectors),      cmocka_unit_test(test_clean),
	    cmocka_unit_test(test_torn_tail),        cmocka_unit_test(test_one_byte_early),
	    cmocka_unit_test(test_garbage_and_tail), cmocka_unit_test(test_two_places_and_empty),
	    cmocka_unit_test(test_longest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
