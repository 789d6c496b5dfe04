/*
 * What the libFuzzer harnesses of fuzz/ share: the entry point's
 * prototype, an invariant check that aborts (so libFuzzer saves the input
 * as a crash), and the "chunk script" that decides how a byte stream is
 * cut into reads.  Header-only, so each harness stays one program built
 * from one file plus the project sources it tests.
 *
 * The chunk script is the first bytes of an input: byte 0 & 7 is the
 * number k of size bytes that follow; the read sizes cycle through them
 * (0..127 gives 1..128 bytes, 128..255 gives 256..32512 bytes).  With
 * k == 0 the whole stream arrives in reads as large as the reader allows.
 * The stream itself starts after the script.
 */
#ifndef POOLD_FUZZ_H
#define POOLD_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Aborts with the file, line and condition when an invariant fails. */
#define FUZZ_CHECK(cond)                                                                           \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

struct fuzz_chunks {
	const uint8_t *sizes; /* the size bytes of the script */
	size_t n;             /* how many; 0: as much as the reader takes */
	size_t next;          /* index of the next size byte */
};

/* Takes the chunk script off the front of *data; the rest is the stream. */
static inline void fuzz_chunks_init(struct fuzz_chunks *c, const uint8_t **data, size_t *size)
{
	size_t k = *size > 0 ? (*data)[0] & 7u : 0;

	if (*size == 0) {
		c->n = 0;
		c->next = 0;
		c->sizes = NULL;
		return;
	}
	if (k > *size - 1)
		k = *size - 1;
	c->sizes = *data + 1;
	c->n = k;
	c->next = 0;
	*data += 1 + k;
	*size -= 1 + k;
}

/* The size of the next read: at most room and at most left, at least 1
 * while both are positive. */
static inline size_t fuzz_chunks_next(struct fuzz_chunks *c, size_t room, size_t left)
{
	size_t want = room;

	if (c->n > 0) {
		uint8_t b = c->sizes[c->next++ % c->n];

		want = b < 128 ? (size_t)b + 1 : (size_t)(b - 127) * 256;
	}
	if (want > room)
		want = room;
	if (want > left)
		want = left;
	return want;
}

#endif
