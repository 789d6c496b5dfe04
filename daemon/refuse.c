/*
 * Kinds a worker cannot run: a module kind whose module would not load or
 * whose init failed in that worker (worker/kinds/job_mod.c).  The worker
 * lists them in its hello (struct proto_hello), slot.c keeps the mask,
 * and dispatch asks here for another slot only when the least-loaded one
 * refuses the job's kind: a pool where no worker refuses anything pays a
 * test of a zero mask per job, nothing more.
 *
 * Where a refused job goes: to the least-loaded READY slot under the
 * share that runs its kind; if none has room now but a live worker (READY,
 * or STARTING: its hello may take the kind) could run it, it waits in the
 * queue, in its place; if every live worker refuses the kind, to the
 * least-loaded slot all the same, which fails it at once with its init's
 * reason, and the master says once that no worker can run the kind.
 * Never sends, never reads: dispatch does.
 */
#include "master.h"

/* True if a live worker (or one still starting) does not refuse bit. */
static bool refuse_some_taker(const struct master *m, uint32_t bit)
{
	const struct slot *s;
	unsigned i;

	for (i = 0; i < m->nslots; i++) {
		s = m->slots[i];
		if (s != NULL && !s->broken && (s->refused & bit) == 0 &&
		    (s->state == SLOT_READY || s->state == SLOT_STARTING))
			return true;
	}
	return false;
}

/* The least-loaded READY slot under share jobs that runs bit, or NULL. */
static struct slot *refuse_least_loaded(const struct master *m, uint32_t bit, unsigned share)
{
	struct slot *s;
	unsigned b;

	for (b = m->min_load; b < share && b < m->nbuckets; b++)
		for (s = m->bucket[b]; s != NULL; s = s->bnext)
			if ((s->refused & bit) == 0)
				return s;
	return NULL;
}

struct slot *refuse_pick(struct master *m, unsigned kind, unsigned share, uint32_t *blocked)
{
	uint32_t bit = 1u << kind;
	const struct job_kind *k;
	struct slot *s;

	if (*blocked & bit)
		return NULL;
	s = refuse_least_loaded(m, bit, share);
	if (s != NULL)
		return s;
	if (refuse_some_taker(m, bit)) {
		*blocked |= bit;
		return NULL;
	}
	if ((m->refuse_told & bit) == 0) {
		k = jobs_at(kind);
		log_warnx("no worker can run %s jobs (see each worker's reason above); they fail "
		          "with that reason",
		          k != NULL ? k->name : "these");
		m->refuse_told |= bit;
	}
	return m->bucket[m->min_load];
}

void refuse_hello(struct master *m, const struct slot *s)
{
	m->refuse_told &= s->refused;
}
