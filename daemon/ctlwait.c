/*
 * Waiters of `poolctl wait`, so that a thousand of them cost a job's end
 * O(log groups) and each one O(1) memory, with no timer and no scan.
 *
 * A waiter waits for every job accepted before its request: all ids up to
 * the last one given out then (upto).  Waiters that came while no job was
 * accepted share a group.  Group k counts the unfinished jobs with ids
 * above group k-1's upto and up to its own, so a job that ends lowers
 * exactly one count (found by binary search), and a group is done once it
 * and every group before it are at zero: the front groups are popped.
 * A group whose last waiter leaves hands its count to the next group
 * (or, the last one, drops it), so groups never outnumber waiters.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctlwait.h"

/* The group of the first upto >= id, or len if none. */
static size_t waitset_find(const struct waitset *ws, uint64_t id)
{
	size_t lo = 0, hi = ws->len, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ws->g[ws->first + mid].upto < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Room for one more group at the end; -1 without memory. */
static int waitset_room(struct waitset *ws)
{
	struct wait_group *p;
	size_t cap;

	if (ws->first + ws->len < ws->cap)
		return 0;
	if (ws->first > 0) {
		memmove(ws->g, ws->g + ws->first, ws->len * sizeof(*ws->g));
		ws->first = 0;
		if (ws->len < ws->cap)
			return 0;
	}
	cap = ws->cap ? ws->cap * 2 : 16;
	p = realloc(ws->g, cap * sizeof(*p));
	if (p == NULL) {
		errno = ENOMEM;
		return -1;
	}
	ws->g = p;
	ws->cap = cap;
	return 0;
}

static void waitset_link(struct wait_group *g, struct waiter *w)
{
	w->prev = NULL;
	w->next = g->head;
	if (g->head != NULL)
		g->head->prev = w;
	g->head = w;
	w->on = true;
}

int waitset_add(struct waitset *ws, struct waiter *w, uint64_t upto, uint64_t live)
{
	struct wait_group *g;

	w->on = false;
	w->ready = false;
	w->upto = upto;
	if (live == 0)
		return 1;
	if (ws->len > 0 && ws->g[ws->first + ws->len - 1].upto == upto) {
		g = &ws->g[ws->first + ws->len - 1];
	} else {
		if (waitset_room(ws) == -1)
			return -1;
		g = &ws->g[ws->first + ws->len++];
		g->upto = upto;
		/* The jobs not counted by earlier groups are this one's. */
		g->left = live > ws->total ? live - ws->total : 0;
		g->head = NULL;
		ws->total += g->left;
	}
	waitset_link(g, w);
	ws->waiters++;
	return 0;
}

/* Takes w off the list that starts at *head. */
static void waiter_unlink(struct waiter **head, struct waiter *w)
{
	if (w->prev != NULL)
		w->prev->next = w->next;
	else
		*head = w->next;
	if (w->next != NULL)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void waitset_unready(struct waitset *ws, struct waiter *w)
{
	waiter_unlink(&ws->ready, w);
	w->ready = false;
}

void waitset_remove(struct waitset *ws, struct waiter *w)
{
	size_t k = waitset_find(ws, w->upto), at;
	struct wait_group *g;

	if (w->ready) {
		waitset_unready(ws, w);
		return;
	}
	if (!w->on || k == ws->len)
		return;
	at = ws->first + k;
	g = &ws->g[at];
	waiter_unlink(&g->head, w);
	w->on = false;
	ws->waiters--;
	if (g->head != NULL)
		return;
	if (k + 1 < ws->len)
		ws->g[at + 1].left += g->left; /* the next group waits for those jobs too */
	else
		ws->total -= g->left;
	memmove(g, g + 1, (ws->len - k - 1) * sizeof(*g));
	ws->len--;
}

void waitset_mark_ended(struct waitset *ws, uint64_t id)
{
	size_t k = waitset_find(ws, id);
	struct waiter *w, *next;
	struct wait_group g;

	if (k == ws->len || ws->g[ws->first + k].left == 0)
		return;
	ws->g[ws->first + k].left--;
	ws->total--;
	while (ws->len > 0 && ws->g[ws->first].left == 0) {
		g = ws->g[ws->first++];
		ws->len--;
		for (w = g.head; w != NULL; w = next) {
			next = w->next;
			w->on = false;
			w->ready = true;
			ws->waiters--;
			w->prev = NULL;
			w->next = ws->ready;
			if (ws->ready != NULL)
				ws->ready->prev = w;
			ws->ready = w;
		}
	}
	if (ws->len == 0)
		ws->first = 0;
}

void waitset_take_ready(struct waitset *ws, void (*done)(struct waiter *, void *), void *arg)
{
	struct waiter *w;

	while ((w = ws->ready) != NULL) {
		waitset_unready(ws, w);
		done(w, arg);
	}
}

void waitset_job_ended(struct waitset *ws, uint64_t id, void (*done)(struct waiter *, void *),
                       void *arg)
{
	waitset_mark_ended(ws, id);
	waitset_take_ready(ws, done, arg);
}

void waitset_free(struct waitset *ws)
{
	free(ws->g);
	memset(ws, 0, sizeof(*ws));
}
