/*
 * Private to journal.c and journal_replay.c: the record format on disk
 * and what the two files share.  The rest of the master uses the
 * journal_* functions declared in master.h.
 */
#ifndef POOLD_JOURNAL_H
#define POOLD_JOURNAL_H

#include <stdint.h>

#include "master.h"

#define JOURNAL_MAGIC  "poold-journal-1\n"
#define JOURNAL_ACCEPT 'A'
#define JOURNAL_END    'E'

struct journal_rec {
	uint32_t sum; /* FNV-1a of the rest of the record and its arguments */
	uint8_t type; /* JOURNAL_ACCEPT or JOURNAL_END */
	uint8_t pad[3];
	uint32_t len; /* bytes of arguments that follow */
	uint32_t code;
	uint64_t id;
};

uint32_t journal_sum(const struct journal_rec *r, const char *args);

/* Rewrites the file with only the live jobs; 0 or -1 (old file kept). */
int journal_compact(struct master *m);

/* Starts the watchers that write and sync the buffer. */
void journal_start(struct master *m);

#endif
