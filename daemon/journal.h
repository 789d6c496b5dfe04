/*
 * Private to journal.c, journal_replay.c and journal_scan.c: the record
 * format on disk and what the files share.  The rest of the master uses the
 * journal_* functions declared in master.h.
 */
#ifndef POOLD_JOURNAL_H
#define POOLD_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Files this version writes (CRC32C sums), and the older ones it still
 * reads (FNV-1a sums, the same layout; their optlen is 0 before job
 * options existed); the magics are the same length. */
#define JOURNAL_MAGIC    "poold-journal-2\n"
#define JOURNAL_MAGIC_V1 "poold-journal-1\n"
#define JOURNAL_ACCEPT   'A'
#define JOURNAL_END      'E'
#define JOURNAL_IDS      'I' /* ids up to this record's id are reserved */
#define JOURNAL_KEY      'K' /* ended job id keeps its unique key (the arguments) */
#define JOURNAL_UNKEY    'U' /* ... releases it */
/* A failed attempt of a live job that is retried (retry.c): code is the
 * job's retries so far, the arguments "AT DUE REASON" (when it failed,
 * when it runs again, both wall-clock seconds; its reason).  Versions
 * before retries skip it as damage. */
#define JOURNAL_RETRY 'R'

/* A type this version reads. */
#define JOURNAL_TYPE_KNOWN(t)                                                                      \
	((t) == JOURNAL_ACCEPT || (t) == JOURNAL_END || (t) == JOURNAL_IDS ||                      \
	 (t) == JOURNAL_KEY || (t) == JOURNAL_UNKEY || (t) == JOURNAL_RETRY)

struct journal_rec {
	uint32_t sum; /* CRC32C of the rest of the record and its arguments */
	uint8_t type; /* JOURNAL_ACCEPT, _END, _IDS, _KEY, _UNKEY or _RETRY */
	uint8_t pad;
	uint16_t optlen; /* of len, the last bytes: the job's options (jobopt.h),
	                  * at most JOBOPT_TEXT_MAX: they may be longer than the
	                  * line's own (in=1 is kept as at=S.mmm) */
	uint32_t len;    /* bytes of arguments (at most PROTO_ARGS_MAX) and options */
	uint32_t code;
	uint64_t id;
};

/* What journal_scan skipped: damage (unreadable bytes with valid records
 * after them) and a torn tail (unreadable bytes at the end). */
struct journal_damage {
	size_t bytes;  /* bytes of damage */
	size_t places; /* separate runs of damage */
	size_t first;  /* offset of the first run (when places > 0) */
	size_t after;  /* valid records found after the first run */
	size_t tail;   /* bytes of a torn tail */
};

/* CRC32C of the record after its sum, and of its arguments (journal_scan.c;
 * the crc32 instruction where the CPU has one). */
uint32_t journal_sum(const struct journal_rec *r, const char *args);

/* True if p[0..size) starts with the magic of a journal this version reads. */
bool journal_magic_ok(const char *p, size_t size);

/* True if a whole, valid record starts at off of p[0..size); copies its
 * header into *r. */
bool journal_rec_at(const char *p, size_t size, size_t off, struct journal_rec *r);

/*
 * Walks the records after the magic line of p[0..size) and calls fn for
 * each valid one, in file order, resynchronising after damage; fills *d
 * with what it skipped.  p must start with a magic (journal_magic_ok; the
 * sum is the one of that magic's version).
 */
void journal_scan(const char *p, size_t size,
                  void (*fn)(void *arg, const struct journal_rec *r, const char *args), void *arg,
                  struct journal_damage *d);

struct master;

/* Rewrites the file with only the live jobs; 0 or -1 (old file kept). */
int journal_compact(struct master *m);

/* Starts the watchers that write and sync the buffer. */
void journal_start(struct master *m);

#endif
