/*
 * Reload on SIGHUP.  The file is parsed into a new struct config; a bad
 * file leaves everything as it was and says why (nginx keeps the old
 * cycle the same way).  A good one is applied without losing a job:
 *
 *   - only [pool] workers changed: grow by spawning, shrink by retiring
 *     the highest slots after their current jobs;
 *   - anything a running worker holds changed (log file, backup and net
 *     settings, [pool] inflight): every worker is retired and a new set is
 *     started with the new settings;
 *   - [control] fifo, socket or mode changed: kept as they are, with a
 *     warning, since clients are connected to the old ones (restart to
 *     move them); so are [journal] file and every [redis] key.
 */
#include <string.h>

#include "log.h"
#include "master.h"

/* The journal stays open where it is; a new path needs a restart. */
static void reload_keep_journal(struct master *m, struct config *next)
{
	if (strcmp(m->cfg.journal_file, next->journal_file) == 0)
		return;
	log_warnx("reload: a new [journal] file needs a restart; keeping %s", m->cfg.journal_file);
	memcpy(next->journal_file, m->cfg.journal_file, sizeof(next->journal_file));
}

static void reload_keep_control(struct master *m, struct config *next)
{
	if (strcmp(m->cfg.fifo, next->fifo) == 0 && strcmp(m->cfg.socket, next->socket) == 0 &&
	    m->cfg.mode == next->mode)
		return;
	log_warnx("reload: [control] changes need a restart; keeping %s and %s", m->cfg.fifo,
	          m->cfg.socket);
	memcpy(next->fifo, m->cfg.fifo, sizeof(next->fifo));
	memcpy(next->socket, m->cfg.socket, sizeof(next->socket));
	next->mode = m->cfg.mode;
}

/* Workers being replaced or retired hold their pipes until they end. */
static int reload_fits(struct master *m, const struct config *next, bool recycle, char *err,
                       size_t errlen)
{
	unsigned want = next->dynamic ? next->max_workers : next->workers, live = pool_live(m);
	unsigned held = recycle ? live : live > want ? live - want : 0;

	return limits_fit(m, want, held, err, errlen);
}

void reload_run(struct master *m)
{
	static const char defaults_name[] = "built-in defaults";
	struct config next;
	char err[512];
	bool recycle;
	int r;

	notify_reloading(m);
	if (m->config_path != NULL)
		r = config_load(&next, m->config_path, err, sizeof(err));
	else
		r = config_defaults(&next, err, sizeof(err));
	if (r == -1) {
		log_err("reload failed, keeping the running configuration: %s", err);
		notify_ready(m);
		return;
	}
	scaler_clamp(&next);
	reload_keep_control(m, &next);
	reload_keep_journal(m, &next);
	redis_reload(m, &next);
	recycle = config_workers_differ(&m->cfg, &next) || next.inflight != m->cfg.inflight;
	if (reload_fits(m, &next, recycle, err, sizeof(err)) == -1) {
		log_err("reload refused, keeping the running configuration and pool: %s", err);
		config_free(&next);
		notify_ready(m);
		return;
	}
	log_info("reload: %s read; %u workers (was %u)%s",
	         m->config_path ? next.source : defaults_name, next.workers, m->target,
	         recycle ? "; replacing every worker for new settings" : "");
	if (recycle)
		pool_retire_all(m);
	/* With every slot retired, no slot is filed in a load bucket. */
	if (next.inflight != m->cfg.inflight && dispatch_resize(m, next.inflight) == -1) {
		log_err("reload: out of memory; keeping inflight = %u", m->cfg.inflight);
		next.inflight = m->cfg.inflight;
	}
	config_free(&m->cfg);
	m->cfg = next;
	log_set_level(m->verbose ? LOG_LVL_DEBUG : m->cfg.log_level);
	journal_configure(m);
	metrics_configure(m);
	/* READY=1 again once the wanted number of workers is up. */
	m->ready = false;
	m->ready_since = ev_time();
	pool_resize(m, m->cfg.workers);
	pool_check_ready(m);
	dispatch_run(m);
}
