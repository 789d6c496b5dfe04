/*
 * libFuzzer harness for the journal replay of daemon/journal_replay.c:
 * the record walk, the set of ended ids and the queueing of unfinished
 * jobs, on a journal file's bytes.  The walk and the replay are static,
 * so this file includes journal_replay.c itself; everything it calls is
 * the real code (daemon/journal.c, daemon/queue.c, worker/jobs.c, libev
 * for ev_now), and journal_open, which would touch the disk, is never
 * called.
 *
 * Byte 0 of the input is a set of flags, the rest is the file: bit 0
 * writes the correct checksum into each record (so mutations reach past
 * the FNV-1a check), bit 1 puts the magic line in front.
 *
 * The result is checked against a model built from a second walk: the
 * valid records end where the walk stops and the record there is torn
 * or invalid, and the queue holds exactly the ACCEPTs of known kinds
 * without an END for their id, in file order, with their arguments.
 */
#include "../daemon/journal_replay.c"

#include "fuzz.h"

#define FUZZ_FIX_SUMS 1u
#define FUZZ_MAGIC    2u

/* The valid records of a journal, as the walk hands them over. */
struct records {
	size_t n, cap;
	struct journal_rec *rec;
	const char **args;
	size_t bytes; /* sum of record sizes */
	const char *p, *end;
};

static struct master *fuzz_m;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	log_init("master");
	log_set_level(LOG_LVL_ERR); /* the replay's warnings are expected here */
	fuzz_m = calloc(1, sizeof(*fuzz_m));
	FUZZ_CHECK(fuzz_m != NULL);
	fuzz_m->loop = ev_loop_new(EVFLAG_AUTO);
	FUZZ_CHECK(fuzz_m->loop != NULL);
	snprintf(fuzz_m->cfg.journal_file, sizeof(fuzz_m->cfg.journal_file), "fuzz-journal");
	return 0;
}

static void collect(void *arg, const struct journal_rec *r, const char *args)
{
	struct records *rs = arg;

	FUZZ_CHECK(r->len <= PROTO_ARGS_MAX);
	FUZZ_CHECK(args >= rs->p && args + r->len <= rs->end);
	FUZZ_CHECK(journal_sum(r, args) == r->sum);
	FUZZ_CHECK(r->type == JOURNAL_ACCEPT || r->type == JOURNAL_END);
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->rec = realloc(rs->rec, rs->cap * sizeof(*rs->rec));
		rs->args = realloc(rs->args, rs->cap * sizeof(*rs->args));
		FUZZ_CHECK(rs->rec != NULL && rs->args != NULL);
	}
	rs->rec[rs->n] = *r;
	rs->args[rs->n] = args;
	rs->n++;
	rs->bytes += sizeof(*r) + r->len;
}

/* Writes the right checksum into every whole record, as far as lengths
 * allow. */
static void fix_sums(char *p, size_t size)
{
	size_t off = sizeof(JOURNAL_MAGIC) - 1;
	struct journal_rec r;

	while (size >= off && size - off >= sizeof(r)) {
		memcpy(&r, p + off, sizeof(r));
		if (r.len > PROTO_ARGS_MAX || size - off - sizeof(r) < r.len)
			break;
		r.sum = journal_sum(&r, p + off + sizeof(r));
		memcpy(p + off, &r, sizeof(r));
		off += sizeof(r) + r.len;
	}
}

/* True if the bytes at off do not begin a whole, valid record. */
static bool torn_at(const char *p, size_t size, size_t off)
{
	struct journal_rec r;

	if (size - off < sizeof(r))
		return true;
	memcpy(&r, p + off, sizeof(r));
	return r.len > PROTO_ARGS_MAX || size - off - sizeof(r) < r.len ||
	       journal_sum(&r, p + off + sizeof(r)) != r.sum ||
	       (r.type != JOURNAL_ACCEPT && r.type != JOURNAL_END);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The queue must hold the ACCEPTs of known kinds that have no END. */
static void check_queue(const struct records *rs)
{
	uint64_t *ended = malloc((rs->n + 1) * sizeof(*ended)), max_id = 0;
	const struct job_kind *kind;
	struct job *j = fuzz_m->queue.head;
	size_t i, n_end = 0, queued = 0;

	FUZZ_CHECK(ended != NULL);
	for (i = 0; i < rs->n; i++)
		if (rs->rec[i].type == JOURNAL_END)
			ended[n_end++] = rs->rec[i].id;
	qsort(ended, n_end, sizeof(*ended), cmp_u64);
	for (i = 0; i < rs->n; i++) {
		const struct journal_rec *r = &rs->rec[i];

		/* Id 0 is never given to a job; the set of ended ids uses it
		 * for a free cell. */
		if (r->type != JOURNAL_ACCEPT || r->id == 0 ||
		    bsearch(&r->id, ended, n_end, sizeof(*ended), cmp_u64) != NULL)
			continue;
		kind = jobs_by_code(r->code);
		if (kind == NULL)
			continue;
		FUZZ_CHECK(j != NULL);
		FUZZ_CHECK(j->id == r->id && j->code == r->code && j->len == r->len);
		FUZZ_CHECK(j->kind == jobs_index(kind));
		FUZZ_CHECK(r->len == 0 || memcmp(j->args, rs->args[i], r->len) == 0);
		max_id = r->id > max_id ? r->id : max_id;
		queued++;
		j = j->next;
	}
	FUZZ_CHECK(j == NULL);
	FUZZ_CHECK(fuzz_m->queue.len == queued && fuzz_m->live == queued);
	FUZZ_CHECK(fuzz_m->count.replayed == queued);
	FUZZ_CHECK(fuzz_m->next_id == max_id);
	free(ended);
}

static void reset_master(void)
{
	jobq_clear(&fuzz_m->queue);
	fuzz_m->live = 0;
	fuzz_m->next_id = 0;
	memset(&fuzz_m->count, 0, sizeof(fuzz_m->count));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t mlen = sizeof(JOURNAL_MAGIC) - 1;
	unsigned flags = size > 0 ? data[0] : 0;
	struct records rs = {0};
	size_t len, valid;
	char err[256], *p;
	int rc;

	if (size == 0)
		return 0;
	data++, size--;
	len = size + ((flags & FUZZ_MAGIC) ? mlen : 0);
	p = malloc(len > 0 ? len : 1); /* exact size: ASan sees a read past it */
	FUZZ_CHECK(p != NULL);
	if (flags & FUZZ_MAGIC)
		memcpy(p, JOURNAL_MAGIC, mlen);
	memcpy(p + len - size, data, size);
	if (flags & FUZZ_FIX_SUMS)
		fix_sums(p, len);

	err[0] = '\0';
	rc = journal_replay(fuzz_m, p, len, err, sizeof(err));
	if (len < mlen || memcmp(p, JOURNAL_MAGIC, mlen) != 0) {
		FUZZ_CHECK(rc == -1 && err[0] != '\0' && fuzz_m->queue.len == 0);
	} else {
		FUZZ_CHECK(rc == 0);
		rs.p = p;
		rs.end = p + len;
		valid = journal_walk(p, len, collect, &rs);
		FUZZ_CHECK(valid == mlen + rs.bytes && valid <= len);
		FUZZ_CHECK(valid == len || torn_at(p, len, valid));
		check_queue(&rs);
	}
	reset_master();
	free(rs.rec);
	free(rs.args);
	free(p);
	return 0;
}
