/*
 * Private to dispatch.c and dispatch_done.c: the load buckets that
 * dispatch.c keeps and dispatch_done.c refiles a slot in after its
 * completions.  dispatch_done.c calls dispatch.c, never the reverse.  The
 * rest of the master uses the dispatch_* functions in master.h.
 */
#ifndef POOLD_DISPATCH_H
#define POOLD_DISPATCH_H

#include "master.h"

/* Files s in the bucket of its load (s->ring_len); lowers m->min_load. */
void dispatch_bucket_insert(struct master *m, struct slot *s);
/* Takes s out of its bucket (the caller fixes m->min_load). */
void dispatch_bucket_unlink(struct master *m, struct slot *s);
/* After a removal: the lowest non-empty bucket, or nbuckets if none. */
void dispatch_bucket_fix_min(struct master *m);

#endif
