/*
 * Opening the journal at start: the jobs a previous run accepted and did
 * not finish are queued again, with their ids, before the FIFO is read;
 * then the file is compacted to hold just them.  A torn tail (the last
 * records of a power cut) is recognised by its checksum and ignored;
 * damage with valid records after it is skipped (journal_scan.c), those
 * records are replayed, and the damaged file is kept aside and reported
 * at error level; a file that is not a poold journal is refused rather
 * than overwritten.  Also here: the lock that keeps a second poold away
 * from the same journal.
 */
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "jobopt.h"
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

/* The replayed jobs by id, for their RETRY records (open addressing). */
struct id_jobs {
	struct job **cell;
	size_t mask;
};

struct replay {
	struct master *m;
	struct id_set ended;
	struct id_jobs jobs; /* after the ACCEPTs are queued */
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
	if (r->type == JOURNAL_IDS && r->id > rp->m->id_reserved)
		rp->m->id_reserved = r->id;
	if (r->type == JOURNAL_KEY || r->type == JOURNAL_UNKEY)
		unique_replay(rp->m, r->type == JOURNAL_KEY, r->id, args, r->len);
}

static void replay_queue(void *arg, const struct journal_rec *r, const char *args)
{
	struct replay *rp = arg;
	struct master *m = rp->m;
	const struct job_kind *kind;
	struct jobopt opt;
	struct admit_req rq = {.code = r->code,
	                       .args = args,
	                       .len = r->len - r->optlen,
	                       .id = r->id,
	                       .past_limit = true};

	if (r->type != JOURNAL_ACCEPT || rp->ended.cell[id_set_slot(&rp->ended, r->id)] == r->id)
		return;
	/* Its options as they were accepted (an older journal has none). */
	if (r->optlen > 0 && jobopt_read(args + rq.len, r->optlen, &opt) == 0)
		rq.opt = &opt;
	kind = jobs_by_code(r->code);
	if (kind != NULL)
		rq.kind = (uint16_t)jobs_index(kind);
	/* The FIFO's jobs are the ones journaled: a replayed job is one again. */
	if (kind == NULL || queue_admit(m, &m->fifo_src, &rq, NULL) != ADMIT_OK) {
		rp->skipped++;
		return;
	}
	rp->queued++;
}

static struct job **id_jobs_slot(const struct id_jobs *t, uint64_t id)
{
	size_t i = (size_t)(id * 0x9e3779b97f4a7c15ull) & t->mask;

	while (t->cell[i] != NULL && t->cell[i]->id != id)
		i = (i + 1) & t->mask;
	return &t->cell[i];
}

/* Every replayed job (queued, or held by an at= option); -1 out of memory. */
static int id_jobs_fill(struct id_jobs *t, struct master *m)
{
	size_t cap = 16, i;
	struct job *j;

	while (cap < 2 * (m->queue.len + later_count(m)))
		cap *= 2;
	t->cell = calloc(cap, sizeof(*t->cell));
	t->mask = cap - 1;
	if (t->cell == NULL)
		return -1;
	for (j = jobq_first(&m->queue); j != NULL; j = jobq_next(&m->queue, j))
		*id_jobs_slot(t, j->id) = j;
	for (i = 0; (j = later_at(m, i)) != NULL; i++)
		*id_jobs_slot(t, j->id) = j;
	return 0;
}

/*
 * A RETRY record of a replayed job: its retries so far and the failed
 * attempt's reason; a due time still to come (the last record of a job
 * that waited) holds it again until then (retry.c, later.c).  A job whose
 * due time passed keeps its place in the queue.
 */
static void replay_retry(void *arg, const struct journal_rec *r, const char *args)
{
	struct replay *rp = arg;
	struct master *m = rp->m;
	char text[64 + RESULTS_TRY_REASON + 1], *end;
	size_t n = r->len < sizeof(text) - 1 ? r->len : sizeof(text) - 1;
	double at, due;
	struct job *j;

	if (r->type != JOURNAL_RETRY || (j = *id_jobs_slot(&rp->jobs, r->id)) == NULL)
		return;        /* ended, or not replayed (an unknown kind) */
	memcpy(text, args, n); /* args are not NUL-terminated */
	text[n] = '\0';
	at = strtod(text, &end);
	due = strtod(end, &end);
	end += *end == ' ';
	j->retries = (uint16_t)(r->code < UINT16_MAX ? r->code : UINT16_MAX);
	if (j->res != NULL && at > 0)
		results_tried(j->res, at, end, strlen(end));
	if (due <= ev_now(m->loop) || j->res == NULL || j->res->state != RESULT_QUEUED ||
	    later_room(m) == -1 || jobq_remove(&m->queue, j->id) != j)
		return;
	later_hold(m, j, due); /* later_room: cannot fail */
	if (j->res->state == RESULT_SCHEDULED)
		results_retrying(&m->results, j->res);
}

/*
 * Says loudly what damage cost: the bytes no record could be read from
 * are lost (each run held at least one record: a lost ACCEPT is a job
 * that will not run, a lost END one that runs again).
 */
static void journal_report(const struct journal_damage *d, const char *path)
{
	if (d->places > 0)
		log_err("journal: %s is damaged: %zu bytes in %zu places (the first at byte "
		        "%zu) could not be read and are lost, at least %zu records; %zu valid "
		        "records after the damage recovered",
		        path, d->bytes, d->places, d->first, d->places, d->after);
	if (d->tail > 0)
		log_warnx("journal: ignoring %zu bytes of a torn tail", d->tail);
}

/* Queues the unfinished jobs of a journal mapped at p; *d gets the damage. */
static int journal_replay(struct master *m, const char *p, size_t size, struct journal_damage *d,
                          char *err, size_t errlen)
{
	struct replay rp = {.m = m};

	if (!journal_magic_ok(p, size)) {
		snprintf(err, errlen, "%s is not a poold journal; move it away",
		         m->cfg.journal_file);
		return -1;
	}
	journal_scan(p, size, replay_count, &rp, d);
	if (id_set_init(&rp.ended, rp.n_end) == -1) {
		snprintf(err, errlen, "journal: out of memory");
		return -1;
	}
	journal_scan(p, size, replay_mark, &rp, d);
	journal_scan(p, size, replay_queue, &rp, d);
	free(rp.ended.cell);
	if (id_jobs_fill(&rp.jobs, m) == -1) {
		snprintf(err, errlen, "journal: out of memory");
		return -1;
	}
	journal_scan(p, size, replay_retry, &rp, d);
	free(rp.jobs.cell);
	/* New ids start after everything an earlier run may have given. */
	if (m->id_reserved > m->next_id)
		m->next_id = m->id_reserved;
	journal_report(d, m->cfg.journal_file);
	if (rp.skipped > 0)
		log_warnx("journal: %llu jobs of unknown kinds skipped",
		          (unsigned long long)rp.skipped);
	if (rp.queued > 0)
		log_notice("journal: %llu unfinished jobs of a previous run queued again (%zu of "
		           "them scheduled: in=, at=)",
		           (unsigned long long)rp.queued, later_count(m));
	return 0;
}

/*
 * Before the rewrite at start erases them, a damaged file's bytes are kept
 * under a second name for a post-mortem (a hard link: the rewrite renames
 * a new file over the name, and the old one lives on under this one).
 * Without that copy the start is refused: the bytes would be gone.
 */
static int journal_keep_damaged(const char *path, char *err, size_t errlen)
{
	char kept[PATH_MAX + 64];

	if (fsutil_keep_aside(path, "damaged", kept, sizeof(kept)) == -1) {
		snprintf(err, errlen,
		         "journal %s is damaged and cannot be kept aside (%s); "
		         "move it away or repair it",
		         path, strerror(errno));
		return -1;
	}
	log_err("journal: the damaged file is kept as %s", kept);
	return 0;
}

/*
 * One poold per journal: an exclusive flock(2) on JOURNAL.lock, taken
 * before anything else is touched and held until exit.  A separate file,
 * because compaction renames a new journal over the old name (a lock on
 * the journal itself would then guard a deleted file), and one never
 * removed (removing it would let two processes lock two different
 * files).  Close-on-exec, and the workers close every descriptor but
 * their pipes (worker_close_fds), so the lock ends with the master.  The
 * holder's pid is written into the file for the refusal message.
 */
int journal_lock(struct master *m, char *err, size_t errlen)
{
	char path[PATH_MAX + 8], pid[32] = "";
	ssize_t n;
	int fd;

	m->journal.lock_fd = -1;
	snprintf(path, sizeof(path), "%s.lock", m->cfg.journal_file);
	if (fsutil_private_parent(path, err, errlen) == -1)
		return -1;
	fd = fsutil_open_file(path, O_RDWR | O_CREAT, 0600);
	if (fd == -1) {
		snprintf(err, errlen, "journal lock %s: %s", path, fsutil_why(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		n = errno == EWOULDBLOCK ? pread(fd, pid, sizeof(pid) - 1, 0) : -1;
		pid[n > 0 ? strcspn(pid, "\n") : 0] = '\0';
		snprintf(err, errlen, "journal %s is in use by another poold (pid %s; lock %s)",
		         m->cfg.journal_file, pid[0] != '\0' ? pid : "unknown", path);
		close(fd);
		return -1;
	}
	n = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n)
		log_warn("journal: cannot write our pid into %s", path);
	m->journal.lock_fd = fd;
	return 0;
}

/* Maps and replays the file open at fd; keeps it aside if damaged. */
static int journal_read(struct master *m, int fd, size_t size, char *err, size_t errlen)
{
	struct journal_damage d = {0};
	void *p;
	int r;

	if (size == 0)
		return 0;
	p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "journal %s: mmap: %s", m->cfg.journal_file, strerror(errno));
		return -1;
	}
	r = journal_replay(m, p, size, &d, err, errlen);
	munmap(p, size);
	if (r == 0 && d.places > 0)
		r = journal_keep_damaged(m->cfg.journal_file, err, errlen);
	return r;
}

int journal_open(struct master *m, char *err, size_t errlen)
{
	struct journal *jl = &m->journal;
	const char *path = m->cfg.journal_file;
	struct stat st;
	int fd;

	jl->fd = -1;
	jl->next_fd = -1;
	err[0] = '\0';
	if (fsutil_private_parent(path, err, errlen) == -1)
		return -1;
	fsutil_tmp_sweep(path); /* a compaction's temporary a crash left */
	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "journal %s: %s", path,
		         fd == -1 ? fsutil_why(errno) : "not a regular file");
		if (fd != -1)
			close(fd);
		return -1;
	}
	jl->fd = fd;
	if (journal_read(m, fd, (size_t)st.st_size, err, errlen) == -1 ||
	    journal_compact(m) == -1) {
		if (err[0] == '\0')
			snprintf(err, errlen, "journal %s: cannot write a compacted copy", path);
		close(jl->fd);
		jl->fd = -1;
		return -1;
	}
	journal_start(m);
	return 0;
}
