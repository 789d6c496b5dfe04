/*
 * Reading the journal's records (the format is in journal.h): their
 * checksum, and the walk over a file's bytes that replay and the fuzzer
 * use.  Pure functions of the bytes: no master state, no I/O, so the
 * walk is tested alone (tests/unit/test_journal_scan.c).
 *
 * A record that does not check out is either a torn tail (the last
 * records of a crash or a power cut: nothing valid follows) or damage
 * (a bad block, a stray write) with valid records after it.  A torn
 * tail is normal; after damage the walk resynchronises on the next
 * offset where a whole record checks out, byte by byte, so every valid
 * record after the damage is still found.  A false resync needs a
 * 32-bit checksum, a type byte and a length to agree by chance.
 */
#include <string.h>

#include "journal.h"
#include "proto.h"

uint32_t journal_sum(const struct journal_rec *r, const char *args)
{
	const unsigned char *p = (const unsigned char *)r + sizeof(r->sum);
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*r) - sizeof(r->sum); i++)
		h = (h ^ p[i]) * 16777619u;
	for (i = 0; i < r->len; i++)
		h = (h ^ (unsigned char)args[i]) * 16777619u;
	return h;
}

bool journal_rec_at(const char *p, size_t size, size_t off, struct journal_rec *r)
{
	if (off > size || size - off < sizeof(*r))
		return false;
	memcpy(r, p + off, sizeof(*r));
	/* The cheap tests first: the resync calls this at every offset. */
	return (r->type == JOURNAL_ACCEPT || r->type == JOURNAL_END || r->type == JOURNAL_IDS) &&
	       r->len <= PROTO_ARGS_MAX && r->optlen <= r->len &&
	       size - off - sizeof(*r) >= r->len && journal_sum(r, p + off + sizeof(*r)) == r->sum;
}

void journal_scan(const char *p, size_t size,
                  void (*fn)(void *arg, const struct journal_rec *r, const char *args), void *arg,
                  struct journal_damage *d)
{
	size_t off = sizeof(JOURNAL_MAGIC) - 1, next;
	struct journal_rec r;

	memset(d, 0, sizeof(*d));
	while (off < size) {
		if (journal_rec_at(p, size, off, &r)) {
			fn(arg, &r, p + off + sizeof(r));
			off += sizeof(r) + r.len;
			d->after += d->places > 0;
			continue;
		}
		for (next = off + 1; next < size && !journal_rec_at(p, size, next, &r); next++)
			;
		if (next >= size) {
			d->tail = size - off;
			break;
		}
		if (d->places++ == 0)
			d->first = off;
		d->bytes += next - off;
		off = next;
	}
}
