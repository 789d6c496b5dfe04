/*
 * Blocks of small objects of one size: the jobs of the queue (queue.c) and
 * the records of the results registry (results.c) are made a block at a
 * time while their number grows towards its bound, so that a burst costs
 * one malloc per block rather than one per object.  An object remembers
 * its block; each block counts the objects not yet put back and is freed
 * with the last of them, in whatever order they go.
 */
#ifndef POOLD_SLAB_H
#define POOLD_SLAB_H

#include <stddef.h>

struct slab_block;

struct slab {
	char *fresh;             /* the newest block's next never used object */
	size_t nfresh;           /* never used objects left in it */
	struct slab_block *last; /* that block */
	size_t made;             /* objects in all the blocks ever made */
};

/*
 * A never used object of `size` bytes (a multiple of its alignment): from
 * the newest block, or from a new block of `per` objects while
 * made + per <= max; NULL past that or out of memory.  *block gets the
 * object's block.  Its bytes are as malloc left them.
 */
void *slab_take(struct slab *s, size_t size, size_t per, size_t max, struct slab_block **block);

/* An object of block b is done with; the block goes with its last. */
void slab_put(struct slab_block *b);

/* The newest block's never used objects given up (at the end, before or
 * after the objects in use are put). */
void slab_clear(struct slab *s);

#endif
