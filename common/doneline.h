/*
 * Done lines: one shared counter per worker slot, where a worker says how
 * many of its jobs have finished (their effects done) without a system
 * call, and where the master reads it after the worker is gone.  The
 * master sends completion records in batches for every kind; the count
 * tells it which of a dead worker's jobs had finished though their
 * records never came (dispatch_slot_gone in daemon/dispatch_done.c).
 *
 * The lines are the pages of one memfd, made by the master before the
 * first fork.  The master never maps it (its memory stays the same with
 * a thousand workers): it resets and reads a slot's page with pwrite and
 * pread.  A worker maps its own page alone, then its copy of the
 * descriptor is closed with the rest, so no worker can move another's
 * count; it writes its pid beside the count, and the master trusts a
 * count only under the pid of the worker it reaped.
 */
#ifndef POOLD_DONELINE_H
#define POOLD_DONELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Master, before the first fork: makes the lines of slots 0 to nslots - 1
 * (a sparse file: a page is memory only once a worker of its slot has
 * stored into it).  Returns 0, or -1 with errno set; without lines every
 * call below does nothing, doneline_map returns NULL and doneline_take
 * false.  A second call does nothing.
 */
int doneline_setup(unsigned nslots);

/* The lines' descriptor (-1 without lines): the spawner keeps it for the
 * workers it makes. */
int doneline_descriptor(void);

/* Master, before it forks a worker for slot: its count back to 0.
 * Returns 0, or -1 with errno set (no line for that slot: ERANGE). */
int doneline_reset(unsigned slot);

/*
 * Master, once the worker of slot, process pid, is gone: stores its last
 * count in *count and resets the line.  Returns false (and *count 0) if
 * the slot has no line, it cannot be read, or it is not pid's (a worker
 * that died before it mapped its line, after a reset that failed).
 */
bool doneline_take(unsigned slot, pid_t pid, uint64_t *count);

/*
 * Worker, right after fork: maps the line of its own slot, writes its pid
 * there (the master trusts a count only under the pid of the worker it
 * reaped) and forgets the descriptor (the worker closes it with every other one it must not
 * hold).  Returns the line, or NULL if there is none (then the worker
 * reports each job with effects at once, as without lines).
 */
_Atomic uint64_t *doneline_map(unsigned slot);

/* Worker: n jobs of this process have finished.  A release store: what
 * the jobs did comes before it. */
static inline void doneline_store(_Atomic uint64_t *line, uint64_t n)
{
	atomic_store_explicit(line, n, memory_order_release);
}

#endif
