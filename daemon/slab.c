/* slab.h: blocks of small objects, each block freed with its last object. */
#include <stdlib.h>

#include "slab.h"

struct slab_block {
	size_t held;         /* objects not put back, the never used ones included */
	max_align_t align[]; /* then the objects */
};

static void slab_drop(struct slab_block *b, size_t n)
{
	b->held -= n;
	if (b->held == 0)
		free(b);
}

void *slab_take(struct slab *s, size_t size, size_t per, size_t max, struct slab_block **block)
{
	struct slab_block *b;
	char *o;

	if (s->nfresh == 0) {
		if (s->made + per > max || (b = malloc(sizeof(*b) + per * size)) == NULL)
			return NULL;
		b->held = per;
		s->last = b;
		s->fresh = (char *)b->align;
		s->nfresh = per;
		s->made += per;
	}
	o = s->fresh;
	s->fresh += size;
	s->nfresh--;
	*block = s->last;
	return o;
}

void slab_put(struct slab_block *b)
{
	slab_drop(b, 1);
}

void slab_clear(struct slab *s)
{
	if (s->nfresh > 0)
		slab_drop(s->last, s->nfresh);
	s->nfresh = 0;
	s->fresh = NULL;
	s->last = NULL;
}
