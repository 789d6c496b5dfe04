/*
 * Escaping for logs and terminals, UTF-8 repair for JSON (textesc.h).
 * textesc_escape runs once per `log` job on the hot path: no allocation.
 */
#include <stdbool.h>
#include <string.h>

#include "textesc.h"
#include "utf8.h"

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

size_t textesc_escape(char *out, const char *text, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0, k;
	unsigned char c;
	unsigned cp;

	for (i = 0; i < len; i++) {
		c = (unsigned char)text[i];
		if (c >= 0x80 &&
		    (k = textesc_special((const unsigned char *)text + i, len - i, &cp))) {
			out[n++] = '\\';
			out[n++] = 'u';
			for (int sh = 12; sh >= 0; sh -= 4)
				out[n++] = hex[(cp >> sh) & 0xf];
			i += k - 1;
			continue;
		}
		if (c >= 0x20 && c != 0x7f && c != '\\') {
			out[n++] = (char)c;
			continue;
		}
		out[n++] = '\\';
		if (c == '\\' || c == '\t') {
			out[n++] = c == '\t' ? 't' : '\\';
			continue;
		}
		out[n++] = 'x';
		out[n++] = hex[c >> 4];
		out[n++] = hex[c & 0xf];
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
