/*
 * The journal: accepted jobs survive a crash or SIGKILL of the master, and
 * a stop past shutdown_timeout.  Append-only: an ACCEPT record (id, code,
 * arguments) when a job is accepted, an END record when it ends, whatever
 * the outcome.  At start the ACCEPTs without an END are queued again
 * (at-least-once: a job that ended after its END was lost runs twice).
 *
 * Records are gathered in a buffer and written in batches: after each
 * FIFO read, before its jobs are dispatched, and once per loop turn for
 * the ENDs.  A write() is enough to survive a crash of poold itself.
 * [journal] fsync decides when they reach the disk, always by the sync
 * thread (journal_sync.c), never in the loop while it runs: always (the
 * jobs of a read are dispatched once a sync that began after their
 * records were written has ended: journal_holds; reads that come while a
 * sync runs share the next one), interval (a timer asks), never.
 *
 * Compaction keeps the file about as large as the unfinished work: once it
 * is over JOURNAL_COMPACT_MIN and four times the ACCEPTs of the live jobs,
 * the live jobs are written to a new file (fsutil_tmp: an unguessable
 * O_EXCL temporary) and the thread commits it (fdatasync, rename over the
 * journal, directory fsync).  Until it has, every record goes to both
 * files, so a crash at any point leaves a journal with all of them.  At
 * start and at exit (outside the loop) compaction is done in place.  The
 * lock that keeps a second poold away is on a separate file
 * (journal_replay.c), so a rename never takes it away.
 *
 * Job ids are never given twice by runs of the same poold: they are
 * reserved JOURNAL_ID_BLOCK at a time by an IDS record, written and
 * synced before the first of them is used; every compacted file starts
 * with the current reservation, and a start continues after it.
 *
 * A record is {u32 sum, u8 type, u8 pad, u16 optlen, u32 len, u32 code,
 * u64 id} and len bytes of arguments, of which an ACCEPT's last optlen are
 * the job's option words ("key=K": jobopt_format), so a replayed job keeps
 * its key (journals of earlier versions hold 0 there: no options); sum is
 * CRC32C of everything after it (journal_scan.c), so a torn or garbled
 * tail (a power cut) is recognised and ignored.  A KEY record (id, the
 * key as its arguments) keeps the `until-done` key of a job that ended
 * without success, an UNKEY releases it (unique.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "jobs.h"
#include "journal.h"
#include "log.h"
#include "master.h"

#define JOURNAL_COMPACT_MIN (64u << 20)
/* Ids reserved per IDS record: one write and sync per this many jobs.
 * The next block is reserved when half of one is left, and the sync
 * thread makes it durable long before the first of its ids is needed. */
#define JOURNAL_ID_BLOCK (1u << 20)

static int journal_reserve(struct journal *jl, size_t more)
{
	if (jl->len + more <= jl->cap)
		return 0;
	return buf_reserve(&jl->buf, &jl->cap, jl->len, more, 64 * 1024);
}

/* Room for a record of len bytes of arguments past the buffer's end: 0,
 * or -1 (logged).  Not inlined: rare, and it would cost each record its
 * saved registers. */
__attribute__((noinline)) static int journal_grow(struct journal *jl, uint32_t len, uint64_t id)
{
	if (journal_reserve(jl, sizeof(struct journal_rec) + len) == 0)
		return 0;
	log_warnx("journal: out of memory; job %llu is not journaled", (unsigned long long)id);
	return -1;
}

/* Buffers one record; its last optlen bytes of args are option words.
 * Inlined into each caller (twice per job: ACCEPT and END), so each gets
 * its constant type and lengths folded in. */
__attribute__((always_inline)) static inline void journal_put(struct journal *jl, uint8_t type,
                                                              uint64_t id, uint32_t code,
                                                              const char *args, uint32_t len,
                                                              uint16_t optlen)
{
	struct journal_rec r = {.type = type, .optlen = optlen, .len = len, .code = code, .id = id};

	if (jl->fd == -1 ||
	    (jl->len + sizeof(r) + len > jl->cap && journal_grow(jl, len, id) == -1))
		return;
	r.sum = journal_sum(&r, args);
	memcpy(jl->buf + jl->len, &r, sizeof(r));
	if (len > 0)
		memcpy(jl->buf + jl->len + sizeof(r), args, len);
	jl->len += sizeof(r) + len;
}

__attribute__((noinline)) static void journal_put_tries(struct master *m, const struct job *j);

void journal_accept(struct master *m, const struct job *j)
{
	journal_put(&m->journal, JOURNAL_ACCEPT, j->id, j->code, j->args, j->len + j->optlen,
	            j->optlen);
	m->journal.live_bytes += sizeof(struct journal_rec) + j->len + j->optlen;
	if (j->retries > 0)
		journal_put_tries(m, j);
}

/* One RETRY record: j failed at `at`, runs again at `due` (0: now). */
static void journal_put_retry(struct master *m, const struct job *j, double at, double due,
                              const char *reason, size_t len)
{
	char text[64 + RESULTS_TRY_REASON];
	int n = snprintf(text, sizeof(text), "%.6f %.6f %.*s", at, due,
	                 (int)(len < RESULTS_TRY_REASON ? len : RESULTS_TRY_REASON), reason);

	if (n > 0)
		journal_put(&m->journal, JOURNAL_RETRY, j->id, j->retries, text,
		            (uint32_t)(n < (int)sizeof(text) ? n : (int)sizeof(text) - 1), 0);
}

void journal_retry(struct master *m, const struct job *j, double at, double due, const char *reason,
                   size_t len)
{
	if (j->src != NULL && j->src->journaled)
		journal_put_retry(m, j, at, due, reason, len);
}

/* After a compaction's ACCEPT of a job that was retried: its failed
 * attempts kept (the last one with its due time, if it waits).  Not
 * inlined into journal_accept: every other ACCEPT would pay its saved
 * registers. */
static void journal_put_tries(struct master *m, const struct job *j)
{
	const struct result *res = j->res;
	const struct result_try *t;
	double due;
	unsigned i;

	if (res == NULL) {
		journal_put_retry(m, j, 0, 0, "", 0); /* its count at least */
		return;
	}
	due = res->state == RESULT_RETRYING ? res->due : 0;
	for (i = 0; (t = results_try_at(res, i)) != NULL; i++)
		journal_put_retry(m, j, t->at, results_try_at(res, i + 1) == NULL ? due : 0,
		                  t->reason, strlen(t->reason));
	if (i == 0)
		journal_put_retry(m, j, 0, due, "", 0);
}

void journal_end(struct master *m, const struct job *j)
{
	journal_put(&m->journal, JOURNAL_END, j->id, 0, NULL, 0, 0);
	m->journal.live_bytes -= sizeof(struct journal_rec) + j->len + j->optlen;
}

/* Its bytes count as live while the key is kept, so compaction weighs them. */
void journal_key(struct master *m, bool keep, uint64_t id, const char *key, size_t len)
{
	uint64_t size = sizeof(struct journal_rec) + len;

	journal_put(&m->journal, keep ? JOURNAL_KEY : JOURNAL_UNKEY, id, 0, key, (uint32_t)len, 0);
	if (keep)
		m->journal.live_bytes += size;
	else if (m->journal.live_bytes >= size)
		m->journal.live_bytes -= size;
}

static void journal_put_key(void *arg, const char *key, size_t len, uint64_t id)
{
	journal_key(arg, true, id, key, len);
}

/*
 * The next job id.  An id is given out only once an IDS record covering
 * it is durable: the next block is reserved ahead (its record written and
 * a sync asked of the thread); only if the thread has not synced it by
 * the time its first id is needed (or there is no thread) does the loop
 * sync itself.
 */
/* Not inlined: the common id (no block to reserve, none to wait for)
 * then costs a few instructions. */
__attribute__((noinline)) static void journal_ids_ahead(struct master *m, uint64_t id)
{
	struct journal *jl = &m->journal;

	if (id + JOURNAL_ID_BLOCK / 2 > m->id_reserved) {
		m->id_reserved = (id > m->id_reserved ? id : m->id_reserved) + JOURNAL_ID_BLOCK;
		journal_put(jl, JOURNAL_IDS, m->id_reserved, 0, NULL, 0, 0);
		journal_flush(m, false);
		if (jl->len == 0)
			journal_sync_ask_ids(&jl->sync, m->id_reserved);
	}
	if (id > jl->ids_durable) {
		journal_flush(m, true); /* durable before the id is given out */
		if (!jl->dirty)
			jl->ids_durable = m->id_reserved;
	}
}

uint64_t journal_next_id(struct master *m)
{
	const struct journal *jl = &m->journal;
	uint64_t id = ++m->next_id;

	if (jl->fd != -1 && (id + JOURNAL_ID_BLOCK / 2 > m->id_reserved || id > jl->ids_durable))
		journal_ids_ahead(m, id);
	return id;
}

static int journal_write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(fd, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Appends every live job (queued, held until due, or held by a worker)
 * and every key an ended job keeps (unique.c) to the buffer. */
static void journal_put_live(struct master *m)
{
	struct job *j;
	unsigned i, k;
	struct slot *s;
	size_t h;

	m->journal.live_bytes = 0;
	if (m->id_reserved > 0)
		journal_put(&m->journal, JOURNAL_IDS, m->id_reserved, 0, NULL, 0, 0);
	uniq_each_ended(&m->uniq, journal_put_key, m);
	for (j = jobq_first(&m->queue); j != NULL; j = jobq_next(&m->queue, j))
		if (j->src->journaled) /* other sources keep their own jobs */
			journal_accept(m, j);
	for (h = 0; (j = later_at(m, h)) != NULL; h++)
		if (j->src->journaled)
			journal_accept(m, j);
	for (i = 0; i < m->nslots; i++) {
		if ((s = m->slots[i]) == NULL)
			continue;
		for (k = 0; k < s->ring_len; k++) {
			j = s->ring[(s->ring_head + k) % s->ring_cap];
			if (j->src->journaled)
				journal_accept(m, j);
		}
	}
}

/*
 * Replaces the file with one holding only the live jobs.  On failure the
 * old file stays in use (with what the buffer held written to it).
 */
int journal_compact(struct master *m)
{
	struct journal *jl = &m->journal;
	struct fsutil_tmp t;

	if (fsutil_tmp_open(&t, m->cfg.journal_file, 0600) == -1) {
		log_warn("journal: cannot create a temporary beside %s", m->cfg.journal_file);
		return -1;
	}
	jl->len = 0;
	if (journal_reserve(jl, sizeof(JOURNAL_MAGIC) - 1) == 0) {
		memcpy(jl->buf, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1);
		jl->len = sizeof(JOURNAL_MAGIC) - 1;
	}
	journal_put_live(m);
	if (journal_write_all(t.fd, jl->buf, jl->len) == -1) {
		fsutil_tmp_abort(&t);
		t.fd = -1;
	}
	if (t.fd == -1 || fsutil_tmp_commit(&t, true) == -1) {
		log_warn("journal: compaction of %s failed", m->cfg.journal_file);
		jl->len = 0;
		journal_put_live(m); /* the old file lacks nothing the live set needs */
		return -1;
	}
	journal_sync_fd(&jl->sync, t.fd);
	close(jl->fd);
	jl->fd = t.fd;
	jl->size = jl->len;
	jl->len = 0;
	jl->dirty = false;
	return 0;
}

/*
 * Starts a compaction that the sync thread commits (journal_sync_done
 * takes the result); what the buffer holds goes to the old file first.
 * In place (journal_compact) when there is no thread.
 */
static void journal_compact_begin(struct master *m)
{
	struct journal *jl = &m->journal;
	struct fsutil_tmp t;

	if (!jl->sync.running) {
		journal_compact(m);
		return;
	}
	if (jl->len > 0 && journal_write_all(jl->fd, jl->buf, jl->len) == -1)
		return; /* journal_flush logs it on its next try */
	jl->size += jl->len;
	jl->dirty |= jl->len > 0;
	jl->len = 0;
	if (fsutil_tmp_open(&t, m->cfg.journal_file, 0600) == -1) {
		log_warn("journal: cannot create a temporary beside %s", m->cfg.journal_file);
		jl->compact_retry = jl->size + JOURNAL_COMPACT_MIN;
		return;
	}
	if (journal_reserve(jl, sizeof(JOURNAL_MAGIC) - 1) == 0) {
		memcpy(jl->buf, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1);
		jl->len = sizeof(JOURNAL_MAGIC) - 1;
	}
	journal_put_live(m);
	if (journal_write_all(t.fd, jl->buf, jl->len) == -1 ||
	    !journal_sync_commit_ask(&jl->sync, &t)) {
		log_warn("journal: compaction of %s failed", m->cfg.journal_file);
		fsutil_tmp_abort(&t);
		jl->len = 0;
		jl->compact_retry = jl->size + JOURNAL_COMPACT_MIN;
		return;
	}
	/* t.dirfd is the thread's now: its commit (or abort) closes it. */
	jl->next_fd = t.fd;
	jl->next_size = jl->len;
	jl->len = 0;
}

/* Writes len bytes to the journal, and to a compaction's file until it
 * is committed; -1 if the journal's own write failed. */
static int journal_write_both(struct journal *jl, const char *buf, size_t len)
{
	if (journal_write_all(jl->fd, buf, len) == -1)
		return -1;
	if (jl->next_fd != -1 && journal_write_all(jl->next_fd, buf, len) == 0)
		jl->next_size += len;
	return 0;
}

/*
 * Writes what the buffer holds; with sync (only outside the running loop,
 * or without a sync thread), makes it durable too.  A write error (a full
 * disk) is logged once per episode; the records stay in the buffer and
 * are tried again.
 */
void journal_flush(struct master *m, bool sync)
{
	struct journal *jl = &m->journal;

	if (jl->fd == -1)
		return;
	if (jl->next_fd == -1 && jl->size > JOURNAL_COMPACT_MIN && jl->size > 4 * jl->live_bytes &&
	    jl->size >= jl->compact_retry) {
		journal_compact_begin(m);
		return;
	}
	if (jl->len > 0) {
		if (journal_write_both(jl, jl->buf, jl->len) == -1) {
			if (!jl->failing)
				log_warn("journal: write %s", m->cfg.journal_file);
			jl->failing = true;
			return;
		}
		jl->failing = false;
		jl->size += jl->len;
		jl->len = 0;
		jl->dirty = true;
	}
	if (sync && jl->dirty && fdatasync(jl->fd) == 0)
		jl->dirty = false;
}

/* The sync thread ended a round: jobs up to the id it made durable may be
 * dispatched (by this turn's settle step), and a compaction it committed
 * makes its file the journal. */
static void journal_sync_done(struct ev_loop *loop, ev_async *w, int revents)
{
	struct master *m = container_of(w, struct master, journal.sync.done_w);
	struct journal *jl = &m->journal;
	uint64_t ids;
	int committed;

	jl->durable_id = journal_sync_result(&jl->sync, &committed, &ids);
	if (ids > jl->ids_durable)
		jl->ids_durable = ids;
	if (committed == 0 || jl->next_fd == -1)
		return;
	if (committed == 1) {
		close(jl->fd);
		jl->fd = jl->next_fd;
		jl->size = jl->next_size;
	} else {
		log_warnx("journal: compaction of %s failed; tried again after %u MiB more",
		          m->cfg.journal_file, JOURNAL_COMPACT_MIN >> 20);
		close(jl->next_fd);
		jl->compact_retry = jl->size + JOURNAL_COMPACT_MIN;
	}
	jl->next_fd = -1;
}

bool journal_has(const struct master *m, uint64_t id)
{
	const struct journal *jl = &m->journal;

	if (jl->len > 0 || jl->failing)
		return false; /* a write failed: not yet */
	return m->cfg.journal_fsync != CONFIG_FSYNC_ALWAYS || id <= jl->durable_id ||
	       (jl->fd == -1 && !jl->dirty);
}

uint64_t journal_unsynced(const struct master *m)
{
	if (m->cfg.journal_fsync != CONFIG_FSYNC_ALWAYS || m->journal.fd == -1 ||
	    m->next_id <= m->journal.durable_id)
		return 0;
	return m->next_id - m->journal.durable_id;
}

static void journal_sync_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, journal.sync_w);
	struct journal *jl = &m->journal;

	journal_flush(m, false);
	if (jl->dirty && journal_sync_ask(&jl->sync, 0))
		jl->dirty = false;
	else if (jl->dirty)
		journal_flush(m, true);
}

/* After jobs were accepted from a read: their records are written; with
 * fsync = always, a sync is asked for (the jobs wait for it). */
void journal_after_read(struct master *m)
{
	struct journal *jl = &m->journal;

	journal_flush(m, false);
	if (m->cfg.journal_fsync != CONFIG_FSYNC_ALWAYS || jl->fd == -1 || jl->len > 0)
		return; /* a failed write: the jobs wait for the next one */
	if (m->next_id <= jl->durable_id)
		return;
	if (journal_sync_ask(&jl->sync, m->next_id)) {
		jl->dirty = false;
		return;
	}
	journal_flush(m, true); /* no thread */
	if (!jl->dirty)
		jl->durable_id = m->next_id;
}

void journal_start(struct master *m)
{
	struct journal *jl = &m->journal;

	jl->durable_id = m->next_id; /* compacted and synced by journal_open */
	jl->ids_durable = m->id_reserved;
	/* The first block of ids, synced now, before the loop runs. */
	if (jl->fd != -1 && m->id_reserved < m->next_id + JOURNAL_ID_BLOCK / 2) {
		m->id_reserved = m->next_id + JOURNAL_ID_BLOCK;
		journal_put(jl, JOURNAL_IDS, m->id_reserved, 0, NULL, 0, 0);
		journal_flush(m, true);
		if (!jl->dirty)
			jl->ids_durable = m->id_reserved;
	}
	journal_sync_start(&jl->sync, m->loop, jl->fd, journal_sync_done);
	ev_init(&jl->sync_w, journal_sync_cb);
	journal_configure(m);
}

/* Applies [journal] fsync and interval (at start and on reload). */
void journal_configure(struct master *m)
{
	struct journal *jl = &m->journal;

	if (jl->fd == -1)
		return;
	ev_timer_stop(m->loop, &jl->sync_w);
	jl->sync_w.repeat = m->cfg.journal_interval_ms / 1000.0;
	if (m->cfg.journal_fsync == CONFIG_FSYNC_INTERVAL)
		ev_timer_again(m->loop, &jl->sync_w);
}

/*
 * At exit: what is buffered is written and synced; with no job left
 * unfinished the file is compacted to nothing but its header, otherwise
 * the unfinished jobs stay in it for the next start.
 */
void journal_close(struct master *m)
{
	struct journal *jl = &m->journal;
	uint64_t live;

	if (jl->fd != -1) {
		ev_timer_stop(m->loop, &jl->sync_w);
		journal_sync_stop(&jl->sync);
		journal_sync_done(m->loop, &jl->sync.done_w, 0); /* a compaction's end */
		live = source_live_journaled(m);
		if (live == 0) /* no journaled job unfinished */
			journal_compact(m);
		journal_flush(m, true);
		if (live > 0)
			log_notice("journal: %llu unfinished jobs kept in %s for the next start",
			           (unsigned long long)live, m->cfg.journal_file);
		close(jl->fd);
		jl->fd = -1;
	}
	free(jl->buf);
	jl->buf = NULL;
	jl->len = jl->cap = 0;
	if (jl->lock_fd >= 0) /* the lock file stays: see journal_lock */
		close(jl->lock_fd);
	jl->lock_fd = -1;
}
