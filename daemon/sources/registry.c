/*
 * The job sources started after the journal's replay (replayed jobs keep
 * their ids; the jobs of these sources follow), in this order.  Each
 * starts only if its configuration asks for it and adds itself to the
 * master's list (source.h).  A new source is one row here.  The FIFO is
 * not in the table: it is opened first, before anything can fail late,
 * so that systemd's socket activation hands it over in every case.
 */
#include "master.h"
#include "redis.h"

static int (*const source_starts[])(struct master *m, char *err, size_t errlen) = {
    redis_start,
    mqueue_start,
};

int source_start_all(struct master *m, char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < sizeof(source_starts) / sizeof(source_starts[0]); i++)
		if (source_starts[i](m, err, errlen) == -1)
			return -1;
	return 0;
}
