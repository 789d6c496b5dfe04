/*
 * A min-heap of (due time, item) for delayed jobs and retries
 * (timerheap.c).  A zeroed struct timerheap is empty.
 */
#ifndef POOLD_TIMERHEAP_H
#define POOLD_TIMERHEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct th_entry {
	double due;
	uint64_t seq; /* ties: first in, first out */
	void *item;
};

struct timerheap {
	struct th_entry *v;
	size_t len, cap;
	uint64_t seq;
};

/* Makes room for one more entry: the next th_push cannot fail; 0 or -1. */
int th_reserve(struct timerheap *h);
/* Adds item due at `due`; 0, or -1 (out of memory: nothing added). */
int th_push(struct timerheap *h, double due, void *item);
/* The earliest entry, or NULL when empty. */
const struct th_entry *th_peek(const struct timerheap *h);
/* Takes the earliest item out (its due time in *due if not NULL); NULL when empty. */
void *th_pop(struct timerheap *h, double *due);
/* Takes out the entry at index i of v[] (any order: found by walking v[0 ..
 * len)); returns its item, or NULL if i >= len.  Invalidates indexes. */
void *th_remove_at(struct timerheap *h, size_t i);
void th_free(struct timerheap *h);

#endif
