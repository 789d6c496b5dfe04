/*
 * A binary min-heap of (due time, item): the delayed jobs of `in=` and
 * `at=` and the retries waiting out their back-off (issue 14).  O(log n)
 * push and pop, O(1) peek; one ev_timer on the loop is armed for the
 * earliest entry, so a million delayed jobs cost one timer.  Entries due
 * at the same time come out in the order they went in (a sequence number
 * breaks ties), so jobs delayed alike keep their order.
 *
 * Any entry can be taken out (a cancel): the caller finds its index by
 * walking v[0 .. len) and th_remove_at restores the order, O(log n).
 * The master's user is daemon/later.c.
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

/* Moves entry i down until neither child comes before it. */
static void th_sift_down(struct timerheap *h, size_t i)
{
	size_t l, r, m;

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
}

/* Moves entry i up while it comes before its parent. */
static void th_sift_up(struct timerheap *h, size_t i)
{
	size_t parent;

	while (i > 0) {
		parent = (i - 1) / 2;
		if (!th_before(&h->v[i], &h->v[parent]))
			break;
		th_swap(&h->v[i], &h->v[parent]);
		i = parent;
	}
}

int th_reserve(struct timerheap *h)
{
	size_t cap;
	struct th_entry *v;

	if (h->len < h->cap)
		return 0;
	cap = h->cap > 0 ? h->cap * 2 : 64;
	v = realloc(h->v, cap * sizeof(*v));
	if (v == NULL)
		return -1;
	h->v = v;
	h->cap = cap;
	return 0;
}

int th_push(struct timerheap *h, double due, void *item)
{
	size_t i;

	if (th_reserve(h) == -1)
		return -1;
	i = h->len++;
	h->v[i] = (struct th_entry){.due = due, .seq = h->seq++, .item = item};
	th_sift_up(h, i);
	return 0;
}

const struct th_entry *th_peek(const struct timerheap *h)
{
	return h->len > 0 ? &h->v[0] : NULL;
}

void *th_pop(struct timerheap *h, double *due)
{
	if (h->len == 0)
		return NULL;
	if (due != NULL)
		*due = h->v[0].due;
	return th_remove_at(h, 0);
}

void *th_remove_at(struct timerheap *h, size_t i)
{
	void *item;

	if (i >= h->len)
		return NULL;
	item = h->v[i].item;
	h->v[i] = h->v[--h->len];
	if (i < h->len) {
		th_sift_down(h, i);
		th_sift_up(h, i);
	}
	return item;
}

void th_free(struct timerheap *h)
{
	free(h->v);
	*h = (struct timerheap){0};
}
