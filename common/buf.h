/*
 * Growable byte buffers, as the master keeps them (a worker's frames not
 * yet written, the journal's records not yet written): one function, so
 * the growth rule lives in one place.
 */
#ifndef POOLD_BUF_H
#define POOLD_BUF_H

#include <stddef.h>

/*
 * Makes room in *buf (capacity *cap, len bytes used) for more bytes,
 * doubling from `first` as needed.  Returns 0, or -1 with *buf and *cap
 * unchanged when memory runs out.
 */
int buf_reserve(char **buf, size_t *cap, size_t len, size_t more, size_t first);

#endif
