/*
 * Escaping for logs and terminals, UTF-8 repair for JSON (textesc.h).
 * textesc_escape runs once per `log` job on the hot path: no allocation,
 * and runs of printable ASCII are copied 8 bytes at a time.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "ctl.h"
#include "textesc.h"
#include "utf8.h"

/* True if the 8 bytes of x all go out as they are: printable ASCII
 * (ctl_word_printable) and none a backslash (no zero byte in x ^ '\\'s). */
static bool textesc_word_plain(uint64_t x)
{
	uint64_t b = x ^ ('\\' * CTL_ONES);

	return ctl_word_printable(x) && ((b - CTL_ONES) & ~b & CTL_HIGHS) == 0;
}

/* Copies the plain bytes at the start of text[0..len), a word at a time,
 * to out; returns how many (a multiple of 8: the rest goes byte by byte). */
static size_t textesc_plain_run(char *out, const char *text, size_t len)
{
	size_t i = 0;
	uint64_t x;

	for (; i + 8 <= len; i += 8) {
		memcpy(&x, text + i, 8);
		if (!textesc_word_plain(x))
			break;
		memcpy(out + i, &x, 8);
	}
	return i;
}

/* If s starts with one of the characters textesc_escape writes as
 * \uHHHH, returns the length of its UTF-8 form and sets *cp; else 0. */
static size_t textesc_special(const unsigned char *s, size_t avail, unsigned *cp)
{
	if (avail >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
		*cp = s[1]; /* U+0080..U+009F */
		return 2;
	}
	if (avail >= 2 && s[0] == 0xd8 && s[1] == 0x9c) {
		*cp = 0x061c;
		return 2;
	}
	if (avail < 3 || (s[0] != 0xe2 && s[0] != 0xef) || (s[1] & 0xc0) != 0x80 ||
	    (s[2] & 0xc0) != 0x80)
		return 0;
	*cp = ((unsigned)(s[0] & 0x0f) << 12) | ((unsigned)(s[1] & 0x3f) << 6) | (s[2] & 0x3fu);
	if ((*cp >= 0x200b && *cp <= 0x200f) || (*cp >= 0x2028 && *cp <= 0x202e) ||
	    (*cp >= 0x2060 && *cp <= 0x2069) || *cp == 0xfeff || (*cp >= 0xfff9 && *cp <= 0xfffb))
		return 3;
	return 0;
}

/* Escapes the character at text[0] (of len bytes) into out; returns the
 * bytes taken from text and sets *wrote to the bytes written. */
static size_t textesc_one(char *out, const char *text, size_t len, size_t *wrote)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = (unsigned char)text[0];
	size_t n = 0, k;
	unsigned cp;

	if (c >= 0x80 && (k = textesc_special((const unsigned char *)text, len, &cp))) {
		out[n++] = '\\';
		out[n++] = 'u';
		for (int sh = 12; sh >= 0; sh -= 4)
			out[n++] = hex[(cp >> sh) & 0xf];
		*wrote = n;
		return k;
	}
	if (c >= 0x20 && c != 0x7f && c != '\\') {
		out[n++] = (char)c;
	} else if (c == '\\' || c == '\t') {
		out[n++] = '\\';
		out[n++] = c == '\t' ? 't' : '\\';
	} else {
		out[n++] = '\\';
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0xf];
	}
	*wrote = n;
	return 1;
}

size_t textesc_escape(char *out, const char *text, size_t len)
{
	size_t i = 0, n = 0, k, end, w;

	while (i < len) {
		k = textesc_plain_run(out + n, text + i, len - i);
		i += k;
		n += k;
		/* The word that stopped the run (or the tail): byte by byte. */
		end = len - i > 8 ? i + 8 : len;
		while (i < end) {
			i += textesc_one(out + n, text + i, len - i, &w);
			n += w;
		}
	}
	return n;
}

size_t textesc_utf8(char *out, const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n = 0, k;
	uint32_t cp;

	while (i < len) {
		k = utf8_seq(s + i, len - i, &cp);
		if (k == 0) {
			memcpy(out + n, "\xef\xbf\xbd", 3);
			n += 3;
			i++;
			continue;
		}
		memcpy(out + n, s + i, k);
		n += k;
		i += k;
	}
	return n;
}
