/*
 * [pool] mode = dynamic: the pool follows the load between min_workers and
 * max_workers.  Once a second: while jobs wait for a worker, start more,
 * one in the first second and twice as many each second the wait goes on,
 * at most 32 a second (the spawn-rate rule of PHP-FPM's and Apache's
 * dynamic pools); when nothing waits, retire the workers that have had
 * nothing to do for idle_timeout, never going under min_workers.  Retired
 * workers finish what they hold first, as in any resize.  Work per tick is
 * O(workers); nothing per job.
 */
#include "log.h"
#include "master.h"

#define SCALER_TICK     1.0
#define SCALER_RATE_MAX 32

/* Keeps the starting count of a dynamic pool within its bounds. */
void scaler_clamp(struct config *cfg)
{
	if (!cfg->dynamic)
		return;
	if (cfg->workers < cfg->min_workers)
		cfg->workers = cfg->min_workers;
	if (cfg->workers > cfg->max_workers)
		cfg->workers = cfg->max_workers;
}

static void scaler_grow(struct master *m)
{
	unsigned n = m->cfg.max_workers - m->target;

	if (n > m->spawn_rate)
		n = m->spawn_rate;
	log_info("dynamic: %zu jobs wait; starting %u more workers (%u in all)", m->queue.len, n,
	         m->target + n);
	pool_resize(m, m->target + n);
	m->spawn_rate = m->spawn_rate * 2 > SCALER_RATE_MAX ? SCALER_RATE_MAX : m->spawn_rate * 2;
}

static void scaler_shrink(struct master *m, ev_tstamp now)
{
	double idle = m->cfg.idle_timeout_ms / 1000.0;
	unsigned i, gone = 0;
	struct slot *s;

	for (i = m->nslots; i-- > 0 && m->target > m->cfg.min_workers;) {
		s = m->slots[i];
		if (s == NULL || s->state != SLOT_READY || s->ring_len > 0 ||
		    now - s->idle_since < idle)
			continue;
		pool_retire(s);
		m->target--;
		gone++;
	}
	if (gone > 0)
		log_info("dynamic: retired %u workers idle for %.1f s (%u left)", gone, idle,
		         m->target);
}

static void scaler_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, scaler_w);

	if (!m->cfg.dynamic || m->stopping)
		return;
	if (m->queue.len > 0 && m->target < m->cfg.max_workers) {
		scaler_grow(m);
		return;
	}
	if (m->spawn_rate > 1 && m->queue.len == 0)
		log_info("dynamic: no job waits; the spawn rate starts again at 1");
	m->spawn_rate = 1;
	if (m->queue.len == 0)
		scaler_shrink(m, ev_now(loop));
}

void scaler_start(struct master *m)
{
	m->spawn_rate = 1;
	ev_timer_init(&m->scaler_w, scaler_cb, SCALER_TICK, SCALER_TICK);
	ev_timer_start(m->loop, &m->scaler_w);
}
