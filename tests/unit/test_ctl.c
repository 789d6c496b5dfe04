/* test-sources: common/ctl.c common/jobopt.c */
/*
 * Control lines: the parser's rejections (each with its message) and the
 * splitter fed from a real pipe, with overlong lines between good ones.
 */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ctl.h"

static int parse(const char *s, struct ctl_line *cl, char *err)
{
	return ctl_parse(s, strlen(s), cl, err, 128);
}

static void test_parse_task_and_args(void **state)
{
	struct ctl_line cl;
	char err[128];

	assert_int_equal(parse("log  hello   world \r", &cl, err), 0);
	assert_int_equal(cl.task_len, 3);
	assert_memory_equal(cl.task, "log", 3);
	/* Inner blanks are the text's own; trailing blanks and CR are not. */
	assert_int_equal(cl.args_len, 13);
	assert_memory_equal(cl.args, "hello   world", 13);
	assert_int_equal(parse("\tnoop", &cl, err), 0);
	assert_int_equal(cl.args_len, 0);
	assert_int_equal(parse("log caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", &cl, err), 0);
}

/* The task as one word (its bytes over spaces, the first lowest) when the
 * line is read in one step and the task has under 8 bytes; else 0. */
static void test_parse_task_word(void **state)
{
	static const char *const one_step[] = {"noop",      "log hello", "backup\r",
	                                       "net x y z", "a",         "abcdefg b"};
	struct ctl_line cl;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(one_step) / sizeof(one_step[0]); i++) {
		assert_int_equal(parse(one_step[i], &cl, err), 0);
		assert_true(cl.task_word ==
		            le64toh(ctl_load((const unsigned char *)cl.task, cl.task_len)));
	}
	assert_int_equal(parse("noop", &cl, err), 0);
	assert_true(cl.task_word == le64toh(ctl_load((const unsigned char *)"noop    ", 8)));
	assert_int_equal(parse("abcdefgh x", &cl, err), 0); /* 8 bytes */
	assert_true(cl.task_word == 0);
	assert_int_equal(parse("key=k noop", &cl, err), 0); /* options first */
	assert_true(cl.task_word == 0);
	assert_int_equal(parse("  noop", &cl, err), 0); /* leading blanks */
	assert_true(cl.task_word == 0);
	(void)state;
}

/* A first word without '=' is the task (no option parse): the options a
 * line before left in the same struct are cleared, and an option word
 * after the task is its argument; a first word with '=' is an option. */
static void test_parse_options_or_none(void **state)
{
	struct ctl_line cl;
	char err[128];

	assert_int_equal(parse(" key=k1 pri=7 in=5 backup /etc", &cl, err), 0);
	assert_non_null(cl.opt.key);
	assert_true(cl.opt.has_pri && cl.opt.has_in);
	assert_memory_equal(cl.task, "backup", 6);
	assert_int_equal(parse("\tnoop key=k2 pri=3", &cl, err), 0);
	assert_null(cl.opt.key);
	assert_int_equal(cl.opt.key_len, 0);
	assert_false(cl.opt.has_pri || cl.opt.has_in || cl.opt.has_at);
	assert_int_equal(cl.task_len, 4);
	assert_int_equal(cl.args_len, 12);
	assert_memory_equal(cl.args, "key=k2 pri=3", 12);
	assert_int_equal(parse("no=op", &cl, err), -1);
	assert_non_null(strstr(err, "unknown job option 'no'"));
	assert_int_equal(parse("pri=1", &cl, err), -1);
	assert_string_equal(err, "job options but no task");
}

/* Lines around the 8 bytes read in one step (a first word ending in them,
 * or not; blanks, '=' and other bytes in them): task and arguments as a
 * byte-by-byte reading finds them. */
static void test_parse_short_lines(void **state)
{
	static const struct {
		const char *line, *task, *args; /* task NULL: refused */
	} cases[] = {
	    {"a", "a", ""},
	    {"noop", "noop", ""},
	    {"noop  ", "noop", ""},
	    {"noop \t ", "noop", ""},
	    {"noop\t", "noop", ""},
	    {" noop", "noop", ""},
	    {"\tlog x", "log", "x"},
	    {"log a b", "log", "a b"},
	    {"abcdefg x", "abcdefg", "x"},
	    {"abcdefgh x", "abcdefgh", "x"},
	    {"abcdefghij", "abcdefghij", ""},
	    {"log x=1", "log", "x=1"},
	    {"log       x", "log", "x"},
	    {"net h:1 \xc3\xa9", "net", "h:1 \xc3\xa9"},
	    {"x\xc3\xa9 y", "x\xc3\xa9", "y"},
	    {"ab=c d", NULL, NULL},
	    {"pri=1 log x", "log", "x"},
	    {"pri=1234 log", NULL, NULL},
	    {"", NULL, NULL},
	    {" ", NULL, NULL},
	    {"        ", NULL, NULL},
	    {"noop\x01", NULL, NULL},
	    {"noop   \x01", NULL, NULL},
	    {"noop    \x01", NULL, NULL},
	};
	struct ctl_line cl;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = parse(cases[i].line, &cl, err);

		if (cases[i].task == NULL) {
			assert_int_equal(r, -1);
			continue;
		}
		assert_int_equal(r, 0);
		assert_int_equal(cl.task_len, strlen(cases[i].task));
		assert_memory_equal(cl.task, cases[i].task, cl.task_len);
		assert_int_equal(cl.args_len, strlen(cases[i].args));
		assert_memory_equal(cl.args, cases[i].args, cl.args_len);
		assert_int_equal(cl.opt.has_pri, strncmp(cases[i].line, "pri=", 4) == 0);
	}
	assert_int_equal(parse("noop    \x01", &cl, err), -1);
	assert_string_equal(err, "control character 0x01 at offset 8");
	assert_int_equal(parse("log abcd\xff", &cl, err), -1);
	assert_string_equal(err, "invalid UTF-8 at offset 8");
}

static void test_parse_rejections(void **state)
{
	static const struct {
		const char *line;
		size_t len;
		const char *msg;
	} cases[] = {
	    {"", 0, "empty line"},
	    {"   \t ", 5, "empty line"},
	    {"log a\0b", 7, "NUL byte at offset 5"},
	    {"log a\x1b[2J", 10, "control character 0x1b at offset 5"},
	    {"log \x7f", 5, "control character 0x7f at offset 4"},
	    {"log \xff", 5, "invalid UTF-8 at offset 4"},
	    {"log \xc0\xaf", 6, "invalid UTF-8 at offset 4"},     /* overlong '/' */
	    {"log \xed\xa0\x80", 7, "invalid UTF-8 at offset 4"}, /* surrogate */
	    {"log \xe2\x82", 6, "invalid UTF-8 at offset 4"},     /* cut short */
	    {"log a\rb", 7, "control character 0x0d at offset 5"},
	};
	struct ctl_line cl;
	char err[128];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(ctl_parse(cases[i].line, cases[i].len, &cl, err, sizeof(err)), -1);
		assert_string_equal(err, cases[i].msg);
	}
}

/* One odd byte at each offset of a long line (the check goes 32 and 8
 * bytes at a time): rejected at that offset; UTF-8 there passes. */
static void test_parse_every_offset(void **state)
{
	static const char bad[] = {'\x01', '\x7f', '\x80', '\xff', '\0', '\x1f'};
	char line[100], err[128], want[64];
	struct ctl_line cl;
	size_t off, i;

	for (off = 4; off + 2 <= sizeof(line); off++) {
		for (i = 0; i < sizeof(bad); i++) {
			memset(line, 'a' + (char)(off % 26), sizeof(line));
			memcpy(line, "log ", 4);
			line[off] = bad[i];
			assert_int_equal(ctl_parse(line, sizeof(line), &cl, err, sizeof(err)), -1);
			snprintf(want, sizeof(want), "at offset %zu", off);
			assert_non_null(strstr(err, want));
		}
		memcpy(line + off, "\xc3\xa9", 2);
		assert_int_equal(ctl_parse(line, sizeof(line), &cl, err, sizeof(err)), 0);
		assert_int_equal(cl.args_len, sizeof(line) - 4);
	}
}

static void test_parse_length_limit(void **state)
{
	char *line = malloc(CTL_LINE_MAX + 1);
	struct ctl_line cl;
	char err[128];

	memcpy(line, "log ", 4);
	memset(line + 4, 'x', CTL_LINE_MAX - 4);
	/* 4095 bytes and its newline make the largest line. */
	assert_int_equal(ctl_parse(line, CTL_LINE_MAX - 1, &cl, err, sizeof(err)), 0);
	assert_int_equal(ctl_parse(line, CTL_LINE_MAX, &cl, err, sizeof(err)), -1);
	assert_string_equal(err, "line of 4097 bytes is over the limit of 4096");
	free(line);
}

static void test_parse_code(void **state)
{
	uint32_t code;

	assert_int_equal(ctl_parse_code("4", 1, &code), 0);
	assert_int_equal(code, 4);
	assert_int_equal(ctl_parse_code("4294967295", 10, &code), 0);
	assert_int_equal(code, UINT32_MAX);
	assert_int_equal(ctl_parse_code("4294967296", 10, &code), -1);
	assert_int_equal(ctl_parse_code("12a", 3, &code), -1);
	assert_int_equal(ctl_parse_code("", 0, &code), -1);
	assert_int_equal(ctl_parse_code("-1", 2, &code), -1);
}

/* Writes data into a pipe and collects what the splitter makes of it. */
static void split_all(const char *data, size_t len, char *out, size_t outlen)
{
	struct ctl_split *s = malloc(sizeof(*s));
	int p[2];
	size_t used = 0, room, total = 0;
	char *space;
	const char *line;
	size_t llen;
	ssize_t n;
	enum ctl_split_result r;

	assert_int_equal(pipe(p), 0);
	ctl_split_init(s);
	out[0] = '\0';
	while (total < len) {
		size_t chunk = len - total < 3000 ? len - total : 3000;

		assert_int_equal(write(p[1], data + total, chunk), (ssize_t)chunk);
		total += chunk;
		space = ctl_split_space(s, &room);
		assert_true(room > 0);
		n = read(p[0], space, room);
		assert_true(n > 0);
		ctl_split_commit(s, (size_t)n);
		while ((r = ctl_split_next(s, &line, &llen)) != CTL_SPLIT_AGAIN)
			used += (size_t)snprintf(out + used, outlen - used, "%.*s;",
			                         r != CTL_SPLIT_LINE ? 4
			                         : llen > 20         ? 4
			                                             : (int)llen,
			                         r != CTL_SPLIT_LINE ? "OVER"
			                         : llen > 20         ? "LONG"
			                                             : line);
	}
	close(p[0]);
	close(p[1]);
	free(s);
}

static void test_split_lines_across_reads(void **state)
{
	const char *data = "noop\nlog a\n\nnet x:1\n";
	struct ctl_split s;
	const char *line;
	size_t len, room;
	char *space;

	ctl_split_init(&s);
	/* One byte at a time: lines come out whole, never early. */
	for (size_t i = 0; i < strlen(data); i++) {
		space = ctl_split_space(&s, &room);
		*space = data[i];
		ctl_split_commit(&s, 1);
		if (data[i] != '\n') {
			assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_AGAIN);
			continue;
		}
		assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_LINE);
		assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_AGAIN);
	}
	assert_int_equal(ctl_split_pending(&s), 0);
}

/* Lines of every length from 0 to 17 in one read (the newline found a
 * word at a time within 8 bytes, else by memchr), then an unfinished line
 * of 9 bytes: each line whole, then nothing until its newline comes. */
static void test_split_every_length(void **state)
{
	struct ctl_split s;
	const char *line;
	size_t len, room, n = 0, k;
	char *space;

	ctl_split_init(&s);
	space = ctl_split_space(&s, &room);
	for (k = 0; k <= 17; k++) {
		memset(space + n, 'a' + (int)k, k);
		n += k;
		space[n++] = '\n';
	}
	memcpy(space + n, "unfinish\t", 9);
	ctl_split_commit(&s, n + 9);
	for (k = 0; k <= 17; k++) {
		assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_LINE);
		assert_int_equal(len, k);
		assert_true(k == 0 || (line[0] == 'a' + (int)k && line[k - 1] == 'a' + (int)k));
	}
	assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_AGAIN);
	assert_int_equal(ctl_split_pending(&s), 9);
	space = ctl_split_space(&s, &room);
	memcpy(space, "ed\n", 3);
	ctl_split_commit(&s, 3);
	assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_LINE);
	assert_int_equal(len, 11);
	assert_memory_equal(line, "unfinish\ted", 11);
	assert_int_equal(ctl_split_next(&s, &line, &len), CTL_SPLIT_AGAIN);
}

static void test_split_overlong_between_good(void **state)
{
	size_t big = 10000, n = 0;
	char *data = malloc(big + 64);
	char out[256];

	n += (size_t)sprintf(data, "noop\n");
	memset(data + n, 'x', big);
	n += big;
	n += (size_t)sprintf(data + n, "\nlog after\n");
	split_all(data, n, out, sizeof(out));
	/* The 10,000-byte line is reported once; the lines around it are intact. */
	assert_string_equal(out, "noop;OVER;log after;");
	free(data);
}

static void test_split_exact_limit(void **state)
{
	char *data = malloc(2 * CTL_LINE_MAX + 16);
	char out[256];
	size_t n;

	memset(data, 'y', CTL_LINE_MAX - 1);
	data[CTL_LINE_MAX - 1] = '\n';
	memset(data + CTL_LINE_MAX, 'z', CTL_LINE_MAX);
	data[2 * CTL_LINE_MAX] = '\n';
	n = 2 * CTL_LINE_MAX + 1;
	split_all(data, n, out, sizeof(out));
	/* 4096 bytes with the newline pass; 4097 do not. */
	assert_string_equal(out, "LONG;OVER;");
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_task_and_args),
	    cmocka_unit_test(test_parse_task_word),
	    cmocka_unit_test(test_parse_options_or_none),
	    cmocka_unit_test(test_parse_short_lines),
	    cmocka_unit_test(test_parse_rejections),
	    cmocka_unit_test(test_parse_every_offset),
	    cmocka_unit_test(test_parse_length_limit),
	    cmocka_unit_test(test_parse_code),
	    cmocka_unit_test(test_split_lines_across_reads),
	    cmocka_unit_test(test_split_every_length),
	    cmocka_unit_test(test_split_overlong_between_good),
	    cmocka_unit_test(test_split_exact_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
