/*
 * Growable byte buffers (see buf.h).  No I/O, no logging.
 */
#include <stdlib.h>

#include "buf.h"

int buf_reserve(char **buf, size_t *cap, size_t len, size_t more, size_t first)
{
	size_t n = *cap ? *cap : first;
	char *p;

	if (len + more <= *cap)
		return 0;
	while (n < len + more)
		n *= 2;
	p = realloc(*buf, n);
	if (p == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}
