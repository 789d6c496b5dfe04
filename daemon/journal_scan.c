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

#include "jobopt.h"
#include "journal.h"
#include "proto.h"

/* FNV-1a: the sum of files that start with JOURNAL_MAGIC_V1. */
static uint32_t journal_sum_v1(const struct journal_rec *r, const char *args)
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

/* CRC32C (Castagnoli, reflected 0x82f63b78) in software, bit by bit:
 * only where the CPU has no crc32 instruction. */
static uint32_t journal_crc_soft(uint32_t crc, const unsigned char *p, size_t len)
{
	unsigned k;

	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return crc;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same CRC32C with SSE4.2's crc32 instruction, 8 bytes at a time. */
__attribute__((target("sse4.2"))) static uint32_t journal_crc_hw(uint32_t crc,
                                                                 const unsigned char *p, size_t len)
{
	uint64_t c = crc, w;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, 8);
		c = __builtin_ia32_crc32di(c, w);
	}
	crc = (uint32_t)c;
	if (len >= 4) { /* a record's header ends in one */
		uint32_t w4;

		memcpy(&w4, p, 4);
		crc = __builtin_ia32_crc32si(crc, w4);
		p += 4;
		len -= 4;
	}
	for (; len > 0; p++, len--)
		crc = __builtin_ia32_crc32qi(crc, *p);
	return crc;
}

_Static_assert(sizeof(struct journal_rec) - sizeof(uint32_t) == 20,
               "journal_sum_hw takes the header after the sum as 8 + 8 + 4 bytes");

/* The record's sum with the crc32 instruction: its 20 header bytes in
 * three steps, then the arguments (none in an END record).  Twice per job
 * (ACCEPT and END): 15 instructions a record where the header and the
 * arguments through the general loop took 33. */
__attribute__((target("sse4.2"))) static uint32_t journal_sum_hw(const struct journal_rec *r,
                                                                 const char *args)
{
	const unsigned char *h = (const unsigned char *)r + sizeof(r->sum);
	uint64_t a, b;
	uint32_t c, crc;

	memcpy(&a, h, 8);
	memcpy(&b, h + 8, 8);
	memcpy(&c, h + 16, 4);
	crc = (uint32_t)__builtin_ia32_crc32di(__builtin_ia32_crc32di(~0u, a), b);
	crc = __builtin_ia32_crc32si(crc, c);
	if (r->len > 0)
		crc = journal_crc_hw(crc, (const unsigned char *)args, r->len);
	return ~crc;
}

static bool journal_hw(void)
{
	static int hw = -1; /* read-only after the first call: same answer each time */

	if (hw == -1)
		hw = __builtin_cpu_supports("sse4.2") ? 1 : 0;
	return hw == 1;
}
#define JOURNAL_SUM_HW 1
#endif

uint32_t journal_sum(const struct journal_rec *r, const char *args)
{
	uint32_t crc;

#ifdef JOURNAL_SUM_HW
	if (journal_hw())
		return journal_sum_hw(r, args);
#endif
	crc = journal_crc_soft(~0u, (const unsigned char *)r + sizeof(r->sum),
	                       sizeof(*r) - sizeof(r->sum));
	return ~journal_crc_soft(crc, (const unsigned char *)args, r->len);
}

typedef uint32_t journal_sum_fn(const struct journal_rec *r, const char *args);

static bool journal_rec_sum_at(const char *p, size_t size, size_t off, struct journal_rec *r,
                               journal_sum_fn *sum)
{
	if (off > size || size - off < sizeof(*r))
		return false;
	memcpy(r, p + off, sizeof(*r));
	/* The cheap tests first: the resync calls this at every offset. */
	return JOURNAL_TYPE_KNOWN(r->type) && r->optlen <= r->len && r->optlen <= JOBOPT_TEXT_MAX &&
	       r->len - r->optlen <= PROTO_ARGS_MAX && size - off - sizeof(*r) >= r->len &&
	       sum(r, p + off + sizeof(*r)) == r->sum;
}

bool journal_rec_at(const char *p, size_t size, size_t off, struct journal_rec *r)
{
	return journal_rec_sum_at(p, size, off, r, journal_sum);
}

bool journal_magic_ok(const char *p, size_t size)
{
	size_t n = sizeof(JOURNAL_MAGIC) - 1;

	return size >= n &&
	       (memcmp(p, JOURNAL_MAGIC, n) == 0 || memcmp(p, JOURNAL_MAGIC_V1, n) == 0);
}

void journal_scan(const char *p, size_t size,
                  void (*fn)(void *arg, const struct journal_rec *r, const char *args), void *arg,
                  struct journal_damage *d)
{
	size_t off = sizeof(JOURNAL_MAGIC) - 1, next;
	journal_sum_fn *sum = memcmp(p, JOURNAL_MAGIC_V1, off) == 0 ? journal_sum_v1 : journal_sum;
	struct journal_rec r;

	memset(d, 0, sizeof(*d));
	while (off < size) {
		if (journal_rec_sum_at(p, size, off, &r, sum)) {
			fn(arg, &r, p + off + sizeof(r));
			off += sizeof(r) + r.len;
			d->after += d->places > 0;
			continue;
		}
		for (next = off + 1; next < size && !journal_rec_sum_at(p, size, next, &r, sum);
		     next++)
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
