/* test-sources: common/textesc.c */
/*
 * textesc_escape against a byte-at-a-time model of its rules (the `log`
 * line's escaping, worker/kinds/job_log.c): random texts of printable
 * ASCII with, at random places and so at every offset from the 8-byte
 * words the fast path copies, control bytes, DEL, backslashes, tabs, the
 * characters written as \uHHHH, other UTF-8 and cut sequences.  Seeded;
 * the seed is printed (POOLD_SEED repeats a run).
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

#include "textesc.h"
#include "utf8.h"

/* The rules, one byte or one sequence at a time (the code before it
 * copied words). */
/* The code points written as \uHHHH, as ranges (job_log.c's list). */
static const unsigned model_ranges[][2] = {
    {0x80, 0x9f},     {0x61c, 0x61c},   {0x200b, 0x200f}, {0x2028, 0x202e},
    {0x2060, 0x2069}, {0xfeff, 0xfeff}, {0xfff9, 0xfffb},
};

/* A whole 2- or 3-byte UTF-8 character (utf8.h, the decoder of control
 * lines) whose code point is in a range: its length; else 0. */
static size_t model_special(const unsigned char *s, size_t avail, unsigned *cp)
{
	uint32_t c;
	size_t k = utf8_seq(s, avail, &c), i;

	if (k != 2 && k != 3)
		return 0;
	*cp = c;
	for (i = 0; i < sizeof(model_ranges) / sizeof(model_ranges[0]); i++)
		if (c >= model_ranges[i][0] && c <= model_ranges[i][1])
			return k;
	return 0;
}

static size_t model_escape(char *out, const unsigned char *s, size_t len)
{
	size_t i, n = 0, k;
	unsigned cp;

	for (i = 0; i < len; i++) {
		if (s[i] >= 0x80 && (k = model_special(s + i, len - i, &cp))) {
			n += (size_t)sprintf(out + n, "\\u%04x", cp);
			i += k - 1;
		} else if (s[i] == '\\' || s[i] == '\t') {
			n += (size_t)sprintf(out + n, "\\%c", s[i] == '\t' ? 't' : '\\');
		} else if (s[i] < 0x20 || s[i] == 0x7f) {
			n += (size_t)sprintf(out + n, "\\x%02x", s[i]);
		} else {
			out[n++] = (char)s[i];
		}
	}
	return n;
}

/* Appends one random piece: mostly plain ASCII, else something else. */
static size_t random_piece(unsigned char *p)
{
	static const char *const odd[] = {
	    "\\",           "\t",           "\x01",         "\x1f",         "\x7f",
	    "\n",           "\xc2\x85",     "\xc2\xa0",     "\xe2\x80\xa8", "\xe2\x80\xae",
	    "\xe2\x81\xa6", "\xef\xbb\xbf", "\xef\xbf\xbd", "\xd8\x9c",     "\xe2\x80",
	    "\xc3\xa9",     "\xff",         "\xe2",         "\xe0\x82\x80",
	};
	size_t n, i;

	if (rand() % 4 != 0) {
		n = (size_t)(rand() % 20);
		for (i = 0; i < n; i++)
			p[i] = (unsigned char)(0x20 + rand() % 95);
		return n;
	}
	i = (size_t)rand() % (sizeof(odd) / sizeof(odd[0]));
	n = strlen(odd[i]);
	memcpy(p, odd[i], n);
	return n;
}

static void test_against_model(void **state)
{
	static unsigned char text[4096];
	static char got[4 * sizeof(text) + 8], want[4 * sizeof(text) + 8];
	const char *env = getenv("POOLD_SEED");
	unsigned seed = env != NULL ? (unsigned)strtoul(env, NULL, 10) : (unsigned)time(NULL);
	size_t len, target, g, w;
	int round;

	printf("seed %u\n", seed);
	srand(seed);
	for (round = 0; round < 3000; round++) {
		len = 0;
		target = (size_t)rand() % (sizeof(text) - 32);
		while (len < target)
			len += random_piece(text + len);
		g = textesc_escape(got, (const char *)text, len);
		w = model_escape(want, text, len);
		if (g != w || memcmp(got, want, g) != 0)
			fail_msg("seed %u round %d: %zu bytes escaped to %zu, model %zu", seed,
			         round, len, g, w);
	}
}

/* Every special sequence and control byte at each offset 0..15 of a run
 * of plain bytes, so each falls in every place of a word. */
static void test_every_offset(void **state)
{
	static const char *const odd[] = {"\\",           "\t",       "\x01",
	                                  "\x7f",         "\xc2\x85", "\xe2\x80\xa8",
	                                  "\xef\xbb\xbf", "\xe2\x80", "\xc3\xa9"};
	unsigned char text[64];
	char got[256], want[256];
	size_t i, off, k, len;

	for (i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
		for (off = 0; off < 16; off++) {
			k = strlen(odd[i]);
			memset(text, 'a', sizeof(text));
			memcpy(text + off, odd[i], k);
			for (len = off + k; len <= off + k + 9; len++) {
				assert_int_equal(textesc_escape(got, (const char *)text, len),
				                 model_escape(want, text, len));
				assert_memory_equal(got, want, model_escape(want, text, len));
			}
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_model),
	    cmocka_unit_test(test_every_offset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
