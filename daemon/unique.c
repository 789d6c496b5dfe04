/*
 * Unique keys, the master's side: `unique = queued | active | until-done`
 * ([queue.NAME], or a [kind.NAME] of its own) for the job option `key=`.
 * Admission asks here whether a new job's key is live (then the job is
 * not made: the socket answers the holder's id, other intakes count it as
 * deduplicated); the job's life (jobctl.c: started, ended) and cancels
 * end the key's life by the mode's rule (uniq.c).  A job that holds a key
 * carries its mode (j->uniq), so a reload that changes a mode applies to
 * later jobs; its key is read back from the option words it keeps.
 *
 * Across a restart: live jobs come back from the journal with their
 * options and claim their keys again at admission (a replay never
 * deduplicates: both jobs were accepted).  The key of an `until-done` job
 * that ended without success outlives the job, so it has journal records
 * of its own (KEY when it is kept, UNKEY when a cancel releases it;
 * compaction rewrites the kept ones).  The results registry (results.c)
 * also indexes keys, for `poolctl job key=K` look-ups: that is a name for
 * finding the newest job, kept or forgotten by [results]; this is the rule
 * that holds a second job off, which never forgets a live key.
 */
#include <stdio.h>
#include <string.h>

#include "jobopt.h"
#include "log.h"
#include "master.h"

/* Deduplications logged per second; the rest are counted and summarised. */
#define UNIQUE_LOGS 10

/* The mode of kind index `kind` (sched_map_kinds fills the table). */
static int unique_mode(const struct master *m, uint16_t kind)
{
	return kind < MASTER_MAX_KINDS ? m->queue.kind_unique[kind] : CONFIG_UNIQUE_NONE;
}

int unique_check(struct master *m, struct source *src, const struct admit_req *rq)
{
	const struct jobopt *o = rq->opt;
	uint64_t holder;
	int mode;

	if (o == NULL || o->key == NULL || (mode = unique_mode(m, rq->kind)) == CONFIG_UNIQUE_NONE)
		return 0;
	if (rq->id != 0 || !uniq_held(&m->uniq, o->key, o->key_len, &holder))
		return mode; /* a replayed job was accepted already: never a duplicate */
	m->count.deduplicated++;
	if (rq->dup != NULL)
		*rq->dup = holder;
	if (log_rate_ok(&m->dedup_log, ev_now(m->loop), UNIQUE_LOGS, 1.0, "deduplications"))
		log_info("%s job key=%.*s deduplicated: job %llu holds the key", src->ops->name,
		         (int)o->key_len, o->key, (unsigned long long)holder);
	return -1;
}

void unique_claim(struct master *m, struct job *j, const struct jobopt *o, int mode)
{
	uint64_t holder;
	int r = uniq_claim(&m->uniq, o->key, o->key_len, j->id, &holder);

	j->uniq = r == 0 ? (uint8_t)mode : 0;
	if (r == -1)
		log_warnx("job %llu key=%.*s: out of memory; its key holds nothing off",
		          (unsigned long long)j->id, (int)o->key_len, o->key);
	else if (r == 1) /* a replay: both jobs were accepted before the restart */
		log_notice("job %llu key=%.*s: job %llu holds the key already; both run",
		           (unsigned long long)j->id, (int)o->key_len, o->key,
		           (unsigned long long)holder);
}

/* The key j holds, read back from its option words; false if none. */
static bool unique_key(const struct job *j, struct jobopt *o)
{
	return j->uniq != 0 && jobopt_read(j->args + j->len, j->optlen, o) == 0 && o->key != NULL;
}

void unique_started(struct master *m, struct job *j)
{
	struct jobopt o;

	if (unique_key(j, &o) &&
	    uniq_event(&m->uniq, j->uniq, UNIQ_STARTED, o.key, o.key_len, j->id))
		j->uniq = 0;
}

void unique_ended(struct master *m, struct job *j, uint32_t status)
{
	enum uniq_event ev = status == PROTO_OK            ? UNIQ_OK
	                     : status == OUTCOME_CANCELLED ? UNIQ_CANCELLED
	                                                   : UNIQ_FAILED;
	struct jobopt o;

	if (!unique_key(j, &o))
		return;
	if (!uniq_event(&m->uniq, j->uniq, ev, o.key, o.key_len, j->id) &&
	    j->uniq == CONFIG_UNIQUE_DONE && ev == UNIQ_FAILED)
		journal_key(m, true, j->id, o.key, o.key_len); /* kept past the job's end */
	j->uniq = 0;
}

int unique_cancel_ended(struct master *m, uint64_t id, char *msg, size_t msglen)
{
	char key[JOBOPT_KEY_MAX + 1];

	if (!uniq_release_ended(&m->uniq, id, key, sizeof(key)))
		return -1;
	journal_key(m, false, id, key, strlen(key));
	snprintf(msg, msglen, "job %llu: ended; its key %s released", (unsigned long long)id, key);
	log_notice("%s", msg);
	return 0;
}

bool unique_pass(struct master *m, uint64_t old, char *key, size_t size)
{
	if (!uniq_release_ended(&m->uniq, old, key, size))
		return false;
	journal_key(m, false, old, key, strlen(key));
	return true;
}

void unique_pass_undo(struct master *m, uint64_t old, const char *key)
{
	unique_replay(m, true, old, key, strlen(key));
	journal_key(m, true, old, key, strlen(key));
}

void unique_replay(struct master *m, bool keep, uint64_t id, const char *key, size_t len)
{
	uint64_t holder;

	if (!keep) {
		uniq_release(&m->uniq, key, len, id);
		return;
	}
	if (uniq_claim(&m->uniq, key, len, id, &holder) == -1) {
		log_warnx("journal: out of memory; the key of job %llu is not kept",
		          (unsigned long long)id);
		return;
	}
	/* As at its end: held by an ended job, until a cancel releases it. */
	uniq_event(&m->uniq, CONFIG_UNIQUE_DONE, UNIQ_FAILED, key, len, holder);
}
