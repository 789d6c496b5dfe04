/*
 * Reading the scoreboard (see scoreboard.h): the reader half of the
 * sequence lock.  The writer half is the master's, in daemon/board.c.
 */
#include <string.h>

#include "scoreboard.h"

int scoreboard_read(const volatile struct scoreboard *sb, struct scoreboard *out)
{
	uint64_t before, after;
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		before = sb->seq;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (before & 1)
			continue;
		memcpy(out, (const void *)sb, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		after = sb->seq;
		if (after == before && out->magic == SCOREBOARD_MAGIC)
			return 0;
	}
	return -1;
}
