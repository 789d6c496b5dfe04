/*
 * One UTF-8 sequence decoder for every check of poold's text: control
 * lines (ctl.c), operator-kind `text` values (template_value.c), and the
 * U+FFFD repair of JSON strings (textesc.c).  Inline: it runs per byte on
 * the control-line path.
 */
#ifndef POOLD_UTF8_H
#define POOLD_UTF8_H

#include <stddef.h>
#include <stdint.h>

/*
 * The length (1 to 4) of the well-formed UTF-8 sequence at s, of which
 * avail bytes may be read, with its code point in *cp; 0 if it is not
 * well-formed (a stray or missing continuation byte, an overlong form, a
 * UTF-16 surrogate, a value past U+10FFFF, or cut short by avail).
 */
static inline size_t utf8_seq(const unsigned char *s, size_t avail, uint32_t *cp)
{
	size_t n, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, c = s[0] & 0x1fu, min = 0x80;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, c = s[0] & 0x0fu, min = 0x800;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, c = s[0] & 0x07u, min = 0x10000;
	else
		return 0;
	if (avail < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3fu);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

#endif
