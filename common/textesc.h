/*
 * Arbitrary bytes made safe to show: for a log line or a terminal
 * (textesc_escape: nothing can forge a line, move the cursor or reorder
 * text) and for JSON strings (textesc_utf8: valid UTF-8, as jansson
 * requires).  Pure functions over buffers, no allocation.
 */
#ifndef POOLD_TEXTESC_H
#define POOLD_TEXTESC_H

#include <stddef.h>

/*
 * Copies len bytes of text into out, escaped: bytes below 0x20 and 0x7f
 * become \xHH (lower-case hex), except tab which becomes \t, and a
 * backslash becomes \\.  Characters that log readers treat as line breaks
 * or that reorder or hide text (C1 controls U+0080-U+009F with NEL
 * U+0085, U+2028, U+2029, the bidi controls U+061C, U+200E, U+200F,
 * U+202A-U+202E, U+2066-U+2069, and the invisible U+200B-U+200D,
 * U+2060-U+2064, U+FEFF, U+FFF9-U+FFFB) become \uHHHH.  Other bytes from
 * 0x80 up pass through.  out needs 4 * len bytes.  Returns the bytes
 * written.
 */
size_t textesc_escape(char *out, const char *text, size_t len);

/*
 * Copies len bytes of text into out with every byte that is not part of
 * a valid UTF-8 sequence (overlong forms, surrogates and code points over
 * U+10FFFF included) replaced by U+FFFD.  out needs 3 * len bytes.
 * Returns the bytes written.
 */
size_t textesc_utf8(char *out, const char *text, size_t len);

#endif
