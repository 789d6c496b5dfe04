/*
 * A binary min-heap of (due time, item): the delayed jobs of `in=` and
 * `at=` and the retries waiting out their back-off (issue 14).  O(log n)
 * push and pop, O(1) peek; one ev_timer on the loop is armed for the
 * earliest entry, so a million delayed jobs cost one timer.  Entries due
 * at the same time come out in the order they went in (a sequence number
 * breaks ties), so jobs delayed alike keep their order.
 *
 * Only the mechanism so far: the job options that fill it (jobctl's
 * common/jobopt.c, issue 13) have not landed, so nothing in the master
 * pushes yet (TODO issue 14: wire in=/at= and retries once jobopt lands).
 */
#include <stdlib.h>

#include "timerheap.h"

static bool th_before(const struct th_entry *a, const struct th_entry *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void th_swap(struct th_entry *a, struct th_entry *b)
{
	struct th_entry t = *a;

	*a = *b;
	*b = t;
}

int th_push(struct timerheap *h, double due, void *item)
{
	size_t i, parent, cap;
	struct th_entry *v;

	if (h->len == h->cap) {
		cap = h->cap > 0 ? h->cap * 2 : 64;
		v = realloc(h->v, cap * sizeof(*v));
		if (v == NULL)
			return -1;
		h->v = v;
		h->cap = cap;
	}
	i = h->len++;
	h->v[i] = (struct th_entry){.due = due, .seq = h->seq++, .item = item};
	while (i > 0) {
		parent = (i - 1) / 2;
		if (!th_before(&h->v[i], &h->v[parent]))
			break;
		th_swap(&h->v[i], &h->v[parent]);
		i = parent;
	}
	return 0;
}

const struct th_entry *th_peek(const struct timerheap *h)
{
	return h->len > 0 ? &h->v[0] : NULL;
}

void *th_pop(struct timerheap *h, double *due)
{
	size_t i = 0, l, r, m;
	void *item;

	if (h->len == 0)
		return NULL;
	item = h->v[0].item;
	if (due != NULL)
		*due = h->v[0].due;
	h->v[0] = h->v[--h->len];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		m = i;
		if (l < h->len && th_before(&h->v[l], &h->v[m]))
			m = l;
		if (r < h->len && th_before(&h->v[r], &h->v[m]))
			m = r;
		if (m == i)
			break;
		th_swap(&h->v[i], &h->v[m]);
		i = m;
	}
	return item;
}

void th_free(struct timerheap *h)
{
	free(h->v);
	*h = (struct timerheap){0};
}
