/*
 * libFuzzer harness for the journal replay of daemon/journal_replay.c:
 * the record walk, the set of ended ids and the queueing of unfinished
 * jobs, on a journal file's bytes.  The walk and the replay are static,
 * so this file includes journal_replay.c itself; everything it calls is
 * the real code (daemon/journal.c, daemon/queue.c, worker/kinds/jobs.c, libev
 * for ev_now), and journal_open, which would touch the disk, is never
 * called.
 *
 * Byte 0 of the input is a set of flags, the rest is the file: bit 0
 * writes the correct checksum into each record (so mutations reach past
 * the CRC32C check), bit 1 puts the magic line in front.  A file with the
 * older magic (FNV-1a sums) is replayed too, and checked for crashes only.
 *
 * The result is checked against a model built from a second walk: the
 * valid records come in file order without overlap, every byte is a
 * record (ACCEPT, END, the id reservation IDS or a RETRY), damage skipped before
 * a later record (which must not start a valid one at its first byte) or
 * the torn tail, and the queue holds exactly the ACCEPTs of known kinds
 * without an END for their id (but those held until a due time: at=, a
 * retry's back-off), by priority (pri=) and in file order
 * within one, with their arguments and their options (the last optlen bytes of an ACCEPT, also in
 * the registry of results); new ids start after every id queued or reserved.
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
	size_t next;  /* offset just after the last record collected */
	size_t gaps;  /* bytes between records, which must not start one */
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
	later_start(fuzz_m);
	snprintf(fuzz_m->cfg.journal_file, sizeof(fuzz_m->cfg.journal_file), "fuzz-journal");
	return 0;
}

/* True if the bytes at off do not begin a whole, valid record (written
 * out again here, as the model, rather than calling journal_rec_at). */
static bool torn_at(const char *p, size_t size, size_t off)
{
	struct journal_rec r;

	if (size - off < sizeof(r))
		return true;
	memcpy(&r, p + off, sizeof(r));
	return r.optlen > r.len || r.optlen > JOBOPT_TEXT_MAX ||
	       r.len - r.optlen > PROTO_ARGS_MAX || size - off - sizeof(r) < r.len ||
	       journal_sum(&r, p + off + sizeof(r)) != r.sum || !JOURNAL_TYPE_KNOWN(r.type);
}

static void collect(void *arg, const struct journal_rec *r, const char *args)
{
	struct records *rs = arg;

	FUZZ_CHECK(r->len <= PROTO_ARGS_MAX && r->optlen <= r->len);
	FUZZ_CHECK(args >= rs->p && args + r->len <= rs->end);
	FUZZ_CHECK(journal_sum(r, args) == r->sum);
	FUZZ_CHECK(JOURNAL_TYPE_KNOWN(r->type));
	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->rec = realloc(rs->rec, rs->cap * sizeof(*rs->rec));
		rs->args = realloc(rs->args, rs->cap * sizeof(*rs->args));
		FUZZ_CHECK(rs->rec != NULL && rs->args != NULL);
	}
	/* In file order, never overlapping; what was skipped starts no record. */
	FUZZ_CHECK(args - sizeof(*r) >= rs->p + rs->next);
	if (args - sizeof(*r) > rs->p + rs->next) {
		FUZZ_CHECK(torn_at(rs->p, (size_t)(rs->end - rs->p), rs->next));
		rs->gaps += (size_t)(args - sizeof(*r) - (rs->p + rs->next));
	}
	rs->next = (size_t)(args + r->len - rs->p);
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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The options of an ACCEPT as replay reads them (jobopt_read; text that
 * does not read counts as none); false if it has none. */
static bool rec_opts(const struct journal_rec *r, const char *args, struct jobopt *o)
{
	if (r->optlen > 0 && jobopt_read(args + r->len - r->optlen, r->optlen, o) == 0)
		return true;
	memset(o, 0, sizeof(*o));
	return false;
}

/* A queued job against its ACCEPT: id, kind, priority, the arguments
 * without the option text, and the options kept after the arguments and
 * in the job's record of the registry.  An at= is kept rounded up to the
 * millisecond (admit.c): checked by value, the rest by text. */
static void check_job(const struct job *j, const struct journal_rec *r, const char *args)
{
	uint32_t alen = r->len - r->optlen;
	char text[JOBOPT_TEXT_MAX];
	struct jobopt o, kept;
	size_t n = 0;

	if (rec_opts(r, args, &o) && o.has_at) {
		FUZZ_CHECK(jobopt_read(j->args + j->len, j->optlen, &kept) == 0 && kept.has_at);
		FUZZ_CHECK(kept.at > o.at - 1e-6 && kept.at < o.at + 0.0011);
		o.at = kept.at;
	}
	if (o.key != NULL || o.has_pri || o.has_at)
		n = jobopt_format(&o, text, sizeof(text));
	FUZZ_CHECK(j->id == r->id && j->code == r->code && j->len == alen);
	FUZZ_CHECK(j->kind == jobs_index(jobs_by_code(r->code)));
	FUZZ_CHECK(j->pri == (o.has_pri ? o.pri : 0));
	FUZZ_CHECK(alen == 0 || memcmp(j->args, args, alen) == 0);
	FUZZ_CHECK(j->optlen == n && (n == 0 || memcmp(j->args + alen, text, n) == 0));
	FUZZ_CHECK(j->res != NULL && j->res->id == j->id);
	FUZZ_CHECK(o.key == NULL ? j->res->key == NULL
	                         : j->res->key != NULL && strlen(j->res->key) == o.key_len &&
	                               memcmp(j->res->key, o.key, o.key_len) == 0);
}

/* True if the record is an ACCEPT that replay queues: a known kind, an
 * id (0 is never given; the set of ended ids uses it for a free cell)
 * and no END for it. */
static bool queued(const struct journal_rec *r, const uint64_t *ended, size_t n_end)
{
	return r->type == JOURNAL_ACCEPT && r->id != 0 &&
	       bsearch(&r->id, ended, n_end, sizeof(*ended), cmp_u64) == NULL &&
	       jobs_by_code(r->code) != NULL;
}

/* True if job id is held until a due time (later.c: at=, or a retry). */
static bool held(uint64_t id)
{
	struct job *j;
	size_t i;

	for (i = 0; (j = later_at(fuzz_m, i)) != NULL; i++)
		if (j->id == id)
			return true;
	return false;
}

/* The retries of job id: its last RETRY record's count (0 if none). */
static unsigned retries_of(const struct records *rs, uint64_t id)
{
	unsigned n = 0;
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (rs->rec[i].type == JOURNAL_RETRY && rs->rec[i].id == id)
			n = rs->rec[i].code < UINT16_MAX ? rs->rec[i].code : UINT16_MAX;
	return n;
}

/* The queue must hold the ACCEPTs that replay queues and did not hold
 * until a due time, by priority (highest first, jobopt pri=), in file
 * order within one, each with its retries; new ids start after every id
 * queued and every reservation ('I'). */
static void check_queue(const struct records *rs)
{
	uint64_t *ended = malloc((rs->n + 1) * sizeof(*ended)), max_id = 0;
	struct job *j = jobq_first(&fuzz_m->queue);
	size_t i, n_end = 0, n = 0, n_held = 0;
	struct jobopt o;
	int pri;

	FUZZ_CHECK(ended != NULL);
	for (i = 0; i < rs->n; i++) {
		if (rs->rec[i].type == JOURNAL_END)
			ended[n_end++] = rs->rec[i].id;
		if (rs->rec[i].type == JOURNAL_IDS && rs->rec[i].id > max_id)
			max_id = rs->rec[i].id;
	}
	qsort(ended, n_end, sizeof(*ended), cmp_u64);
	for (pri = QUEUE_PRI_MAX; pri >= 0; pri--)
		for (i = 0; i < rs->n; i++) {
			if (!queued(&rs->rec[i], ended, n_end))
				continue;
			rec_opts(&rs->rec[i], rs->args[i], &o);
			if ((o.has_pri ? o.pri : 0) != pri)
				continue;
			max_id = rs->rec[i].id > max_id ? rs->rec[i].id : max_id;
			if (held(rs->rec[i].id)) {
				n_held++;
				continue;
			}
			FUZZ_CHECK(j != NULL);
			check_job(j, &rs->rec[i], rs->args[i]);
			FUZZ_CHECK(j->retries == retries_of(rs, j->id));
			n++;
			j = jobq_next(&fuzz_m->queue, j);
		}
	FUZZ_CHECK(j == NULL);
	FUZZ_CHECK(later_count(fuzz_m) == n_held);
	FUZZ_CHECK(fuzz_m->queue.len == n && fuzz_m->live == n + n_held);
	FUZZ_CHECK(fuzz_m->count.replayed == n + n_held);
	FUZZ_CHECK(fuzz_m->next_id == max_id);
	free(ended);
}

static void reset_master(void)
{
	later_free(fuzz_m);
	memset(&fuzz_m->later, 0, sizeof(fuzz_m->later));
	later_start(fuzz_m);
	jobq_clear(&fuzz_m->queue);
	results_free(&fuzz_m->results);
	fuzz_m->live = 0;
	fuzz_m->next_id = 0;
	fuzz_m->id_reserved = 0;
	fuzz_m->fifo_src.live = 0;
	memset(&fuzz_m->count, 0, sizeof(fuzz_m->count));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const size_t mlen = sizeof(JOURNAL_MAGIC) - 1;
	unsigned flags = size > 0 ? data[0] : 0;
	struct records rs = {0};
	struct journal_damage d, d2;
	size_t len;
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
	rc = journal_replay(fuzz_m, p, len, &d, err, sizeof(err));
	if (!journal_magic_ok(p, len)) {
		FUZZ_CHECK(rc == -1 && err[0] != '\0' && fuzz_m->queue.len == 0);
	} else if (memcmp(p, JOURNAL_MAGIC, mlen) == 0) {
		FUZZ_CHECK(rc == 0);
		rs.p = p;
		rs.end = p + len;
		rs.next = mlen;
		journal_scan(p, len, collect, &rs, &d2);
		FUZZ_CHECK(memcmp(&d, &d2, sizeof(d)) == 0);
		/* Every byte is a record, damage before a record, or the tail. */
		FUZZ_CHECK(rs.gaps == d.bytes && mlen + rs.bytes + d.bytes + d.tail == len);
		FUZZ_CHECK(d.tail == 0 || (d.tail == len - rs.next && torn_at(p, len, rs.next)));
		FUZZ_CHECK((d.places == 0) == (d.bytes == 0) && d.places <= d.bytes);
		check_queue(&rs);
	}
	reset_master();
	free(rs.rec);
	free(rs.args);
	free(p);
	return 0;
}
