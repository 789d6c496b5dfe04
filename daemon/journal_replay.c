/*
 * Opening the journal at start: the jobs a previous run accepted and did
 * not finish are queued again, with their ids, before the FIFO is read;
 * then the file is compacted to hold just them.  A torn tail (the last
 * records of a power cut) is recognised by its checksum and ignored; a
 * file that is not a poold journal is refused rather than overwritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "journal.h"
#include "log.h"
#include "master.h"

/* Ids of ended jobs: an open-addressing set; 0 marks a free cell (ids start at 1). */
struct id_set {
	uint64_t *cell;
	size_t mask;
};

static int id_set_init(struct id_set *set, size_t n)
{
	size_t cap = 16;

	while (cap < 2 * n)
		cap *= 2;
	set->cell = calloc(cap, sizeof(*set->cell));
	set->mask = cap - 1;
	return set->cell == NULL ? -1 : 0;
}

static size_t id_set_slot(const struct id_set *set, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & set->mask;

	while (set->cell[i] != 0 && set->cell[i] != id)
		i = (i + 1) & set->mask;
	return i;
}

/* Walks the records after the magic; calls fn for each whole, valid one.
 * Returns the bytes of valid records. */
static size_t journal_walk(const char *p, size_t size,
                           void (*fn)(void *arg, const struct journal_rec *r, const char *args),
                           void *arg)
{
	size_t off = sizeof(JOURNAL_MAGIC) - 1;
	struct journal_rec r;

	while (size - off >= sizeof(r)) {
		memcpy(&r, p + off, sizeof(r));
		if (r.len > PROTO_ARGS_MAX || size - off - sizeof(r) < r.len ||
		    journal_sum(&r, p + off + sizeof(r)) != r.sum ||
		    (r.type != JOURNAL_ACCEPT && r.type != JOURNAL_END))
			break;
		fn(arg, &r, p + off + sizeof(r));
		off += sizeof(r) + r.len;
	}
	return off;
}

struct replay {
	struct master *m;
	struct id_set ended;
	size_t n_end;
	uint64_t queued, skipped;
};

static void replay_count(void *arg, const struct journal_rec *r, const char *args)
{
	struct replay *rp = arg;

	rp->n_end += r->type == JOURNAL_END;
}

static void replay_mark(void *arg, const struct journal_rec *r, const char *args)
{
	struct replay *rp = arg;

	if (r->type == JOURNAL_END)
		rp->ended.cell[id_set_slot(&rp->ended, r->id)] = r->id;
}

static void replay_queue(void *arg, const struct journal_rec *r, const char *args)
{
	struct replay *rp = arg;
	struct master *m = rp->m;
	const struct job_kind *kind;
	struct job *j;

	if (r->type != JOURNAL_ACCEPT || rp->ended.cell[id_set_slot(&rp->ended, r->id)] == r->id)
		return;
	kind = jobs_by_code(r->code);
	j = kind != NULL ? job_new(r->code, (uint16_t)jobs_index(kind), args, r->len) : NULL;
	if (j == NULL) {
		rp->skipped++;
		return;
	}
	j->id = r->id;
	j->accepted = ev_now(m->loop);
	jobq_push(&m->queue, j);
	m->live++;
	m->count.accepted[j->kind]++;
	if (r->id > m->next_id)
		m->next_id = r->id;
	rp->queued++;
}

/* Queues the unfinished jobs of a journal mapped at p. */
static int journal_replay(struct master *m, const char *p, size_t size, char *err, size_t errlen)
{
	struct replay rp = {.m = m};
	size_t valid;

	if (size < sizeof(JOURNAL_MAGIC) - 1 ||
	    memcmp(p, JOURNAL_MAGIC, sizeof(JOURNAL_MAGIC) - 1) != 0) {
		snprintf(err, errlen, "%s is not a poold journal; move it away",
		         m->cfg.journal_file);
		return -1;
	}
	journal_walk(p, size, replay_count, &rp);
	if (id_set_init(&rp.ended, rp.n_end) == -1) {
		snprintf(err, errlen, "journal: out of memory");
		return -1;
	}
	journal_walk(p, size, replay_mark, &rp);
	valid = journal_walk(p, size, replay_queue, &rp);
	free(rp.ended.cell);
	if (valid < size)
		log_warnx("journal: ignoring %zu bytes of a torn tail", size - valid);
	if (rp.skipped > 0)
		log_warnx("journal: %llu jobs of unknown kinds skipped",
		          (unsigned long long)rp.skipped);
	if (rp.queued > 0)
		log_notice("journal: %llu unfinished jobs of a previous run queued again",
		           (unsigned long long)rp.queued);
	m->count.replayed = rp.queued;
	return 0;
}

int journal_open(struct master *m, char *err, size_t errlen)
{
	struct journal *jl = &m->journal;
	const char *path = m->cfg.journal_file;
	struct stat st;
	void *p;
	int fd, r = 0;

	jl->fd = -1;
	if (fsutil_private_parent(path, err, errlen) == -1)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "journal %s: %s", path,
		         fd == -1 ? strerror(errno) : "not a regular file");
		if (fd != -1)
			close(fd);
		return -1;
	}
	if (st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED) {
			snprintf(err, errlen, "journal %s: mmap: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		r = journal_replay(m, p, (size_t)st.st_size, err, errlen);
		munmap(p, (size_t)st.st_size);
	}
	jl->fd = fd;
	if (r == -1 || journal_compact(m) == -1) {
		if (r == 0)
			snprintf(err, errlen, "journal %s: cannot write a compacted copy", path);
		close(jl->fd);
		jl->fd = -1;
		return -1;
	}
	journal_start(m);
	return 0;
}
