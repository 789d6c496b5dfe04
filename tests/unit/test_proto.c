/* test-sources: common/proto.c */
/*
 * The master-worker frame codec: round trips, exact length checks, and
 * the refusal of lengths no honest peer sends.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"

static void test_task_round_trip(void **state)
{
	char buf[PROTO_FRAME_MAX];
	struct proto_task t;
	const char *args;
	size_t n = proto_task_encode(buf, sizeof(buf), 3, 42, "/etc/hosts", 10);

	assert_int_equal(n, sizeof(struct proto_task) + 10);
	assert_int_equal(proto_task_decode(buf, n, &t, &args), (long)n);
	assert_int_equal(t.code, 3);
	assert_int_equal(t.id, 42);
	assert_int_equal(t.len, 10);
	assert_memory_equal(args, "/etc/hosts", 10);
}

static void test_task_partial_needs_more(void **state)
{
	char buf[64];
	struct proto_task t;
	const char *args;
	size_t n = proto_task_encode(buf, sizeof(buf), 2, 7, "hello", 5), i;

	for (i = 0; i < n; i++)
		assert_int_equal(proto_task_decode(buf, i, &t, &args), 0);
	assert_int_equal(proto_task_decode(buf, n, &t, &args), (long)n);
}

static void test_task_limits(void **state)
{
	static char buf[2 * PROTO_FRAME_MAX], args[PROTO_FRAME_MAX];
	struct proto_task t, bad = {.code = 1, .len = PROTO_ARGS_MAX + 1, .id = 1};
	const char *a;

	/* The largest frame carries the arguments of the longest line. */
	assert_int_equal(proto_task_encode(buf, sizeof(buf), 1, 1, args, PROTO_ARGS_MAX),
	                 PROTO_FRAME_MAX);
	assert_int_equal(proto_task_encode(buf, sizeof(buf), 1, 1, args, PROTO_ARGS_MAX + 1), 0);
	assert_int_equal(proto_task_encode(buf, 20, 1, 1, args, 5), 0);
	memcpy(buf, &bad, sizeof(bad));
	assert_int_equal(proto_task_decode(buf, sizeof(buf), &t, &a), -1);
}

static void test_task_stream_of_frames(void **state)
{
	char buf[256];
	struct proto_task t;
	const char *args;
	size_t off = 0, n = 0;
	long r;
	int i;

	for (i = 0; i < 5; i++)
		n += proto_task_encode(buf + n, sizeof(buf) - n, 1, (uint64_t)i + 1, "xxxx",
		                       (size_t)i);
	for (i = 0; i < 5; i++) {
		r = proto_task_decode(buf + off, n - off, &t, &args);
		assert_true(r > 0);
		assert_int_equal(t.id, (uint64_t)i + 1);
		assert_int_equal(t.len, (uint32_t)i);
		off += (size_t)r;
	}
	assert_int_equal(off, n);
}

static void test_done_round_trip(void **state)
{
	char buf[512];
	struct proto_done d;
	const char *msg;
	size_t n = proto_done_encode(buf, sizeof(buf), 9, PROTO_FAILED, "boom", 4);

	assert_int_equal(proto_done_decode(buf, n, &d, &msg), (long)n);
	assert_int_equal(d.id, 9);
	assert_int_equal(d.status, PROTO_FAILED);
	assert_memory_equal(msg, "boom", 4);
	assert_int_equal(proto_done_decode(buf, n - 1, &d, &msg), 0);
}

static void test_done_truncates_long_message(void **state)
{
	char buf[1024], msg_in[600];
	struct proto_done d;
	const char *msg;
	size_t n;

	memset(msg_in, 'a', sizeof(msg_in));
	n = proto_done_encode(buf, sizeof(buf), 1, PROTO_OK, msg_in, sizeof(msg_in));
	assert_int_equal(n, sizeof(struct proto_done) + PROTO_MSG_MAX);
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), (long)n);
	assert_int_equal(d.len, PROTO_MSG_MAX);
}

static void test_done_rejects_lies(void **state)
{
	struct proto_done big = {.id = 1, .status = PROTO_OK, .len = PROTO_MSG_MAX + 1};
	struct proto_done odd = {.id = 1, .status = 77, .len = 0};
	char buf[1024] = {0};
	struct proto_done d;
	const char *msg;

	memcpy(buf, &big, sizeof(big));
	assert_int_equal(proto_done_decode(buf, sizeof(buf), &d, &msg), -1);
	/* A huge length is refused from the header alone, before any wait for data. */
	assert_int_equal(proto_done_decode(buf, sizeof(big), &d, &msg), -1);
	memcpy(buf, &odd, sizeof(odd));
	assert_int_equal(proto_done_decode(buf, sizeof(buf), &d, &msg), -1);
}

/* The output after the message: sent whole, or its last PROTO_OUT_MAX
 * bytes; a length over PROTO_OUT_MAX is refused from the header alone. */
static void test_done_output(void **state)
{
	static char out[PROTO_OUT_MAX + 10], buf[PROTO_DONE_MAX];
	struct proto_done d, lie = {.id = 1, .status = PROTO_OK, .out_len = PROTO_OUT_MAX + 1};
	const char *msg;
	size_t n, i;

	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)('a' + i % 26);
	n = proto_done_encode_out(buf, sizeof(buf), 5, PROTO_FAILED, "exit 3", 6, "two\n", 4);
	assert_int_equal(n, sizeof(struct proto_done) + 10);
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), (long)n);
	assert_int_equal(d.len, 6);
	assert_int_equal(d.out_len, 4);
	assert_memory_equal(msg + d.len, "two\n", 4);
	assert_int_equal(proto_done_decode(buf, n - 1, &d, &msg), 0);
	n = proto_done_encode_out(buf, sizeof(buf), 6, PROTO_OK, "", 0, out, sizeof(out));
	assert_int_equal(n, sizeof(struct proto_done) + PROTO_OUT_MAX);
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), (long)n);
	assert_memory_equal(msg, out + 10, PROTO_OUT_MAX);
	assert_int_equal(proto_done_encode_out(buf, n - 1, 6, PROTO_OK, "", 0, out, sizeof(out)),
	                 0);
	memcpy(buf, &lie, sizeof(lie));
	assert_int_equal(proto_done_decode(buf, sizeof(lie), &d, &msg), -1);
	/* A hello carries no output. */
	n = proto_done_encode_out(buf, sizeof(buf), 0, PROTO_HELLO, "12345678", 8, "x", 1);
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), -1);
	/* No output: the 16-byte header of every built-in kind's record. */
	assert_int_equal(sizeof(struct proto_done), 16);
}

/* A hello carries exactly a struct proto_hello: the refused kinds. */
static void test_hello_exact_length(void **state)
{
	struct proto_hello h = {.refused = 1u << 5};
	struct proto_hello got;
	char buf[64];
	struct proto_done d;
	const char *msg;
	size_t n;

	n = proto_done_encode(buf, sizeof(buf), 0, PROTO_HELLO, (const char *)&h, sizeof(h));
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), (long)n);
	memcpy(&got, msg, sizeof(got));
	assert_int_equal(got.refused, 1u << 5);
	n = proto_done_encode(buf, sizeof(buf), 0, PROTO_HELLO, NULL, 0);
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), -1);
	n = proto_done_encode(buf, sizeof(buf), 0, PROTO_HELLO, "123456789", 9);
	assert_int_equal(proto_done_decode(buf, n, &d, &msg), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_task_round_trip),
	    cmocka_unit_test(test_done_output),
	    cmocka_unit_test(test_task_partial_needs_more),
	    cmocka_unit_test(test_task_limits),
	    cmocka_unit_test(test_task_stream_of_frames),
	    cmocka_unit_test(test_done_round_trip),
	    cmocka_unit_test(test_done_truncates_long_message),
	    cmocka_unit_test(test_done_rejects_lies),
	    cmocka_unit_test(test_hello_exact_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
