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
 *     move them); so are [journal] file and what a job source
 *     keeps (its reload op, source.h).
 *
 * A file that failed to load is kept in STATUS= (notify.c) until one loads.
 *
 * Started by systemd with the FIFO (poold.socket) and a file that does not
 * load, exiting would not keep a job: every line waiting in the FIFO
 * starts the service again at once, the start limit is hit within a
 * second, the socket unit fails and removes the FIFO with its lines.  So
 * the master waits instead: READY=1 (systemd stops starting it), the
 * reason in STATUS=, the FIFO held and not read, until a HUP (`systemctl
 * reload`, which checks the file with `poold -t` first) loads the file;
 * then it starts as usual and reads what waited.  TERM or INT stop it
 * with exit 0.  Without a FIFO from systemd poold exits 78 as before.
 */
#include <signal.h>
#include <string.h>

#include "jobs.h"
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
	    m->cfg.mode == next->mode && strcmp(m->cfg.mqueue, next->mqueue) == 0 &&
	    m->cfg.mqueue_depth == next->mqueue_depth)
		return;
	log_warnx("reload: [control] changes need a restart; keeping %s and %s", m->cfg.fifo,
	          m->cfg.socket);
	memcpy(next->mqueue, m->cfg.mqueue, sizeof(next->mqueue));
	next->mqueue_depth = m->cfg.mqueue_depth;
	memcpy(next->fifo, m->cfg.fifo, sizeof(next->fifo));
	memcpy(next->socket, m->cfg.socket, sizeof(next->socket));
	next->mode = m->cfg.mode;
}

/* [queue.NAME] and [token.NAME] hold jobs and counts: a restart applies them. */
static void reload_keep_queues(struct master *m, struct config *next)
{
	if (m->cfg.nqueues == next->nqueues && m->cfg.ntokens == next->ntokens &&
	    memcmp(m->cfg.queues, next->queues, sizeof(next->queues)) == 0 &&
	    memcmp(m->cfg.tokens, next->tokens, sizeof(next->tokens)) == 0)
		return;
	log_warnx(
	    "reload: [queue.*] and [token.*] changes need a restart; keeping the running ones");
	memcpy(next->queues, m->cfg.queues, sizeof(next->queues));
	memcpy(next->tokens, m->cfg.tokens, sizeof(next->tokens));
	next->nqueues = m->cfg.nqueues;
	next->ntokens = m->cfg.ntokens;
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
		notify_config(m, err, false);
		return;
	}
	notify_config(m, NULL, false);
	scaler_clamp(&next);
	reload_keep_control(m, &next);
	reload_keep_queues(m, &next);
	reload_keep_journal(m, &next);
	/* Again with the journal kept: a new [log] file may name the old one. */
	if (config_check_files(&next, err, sizeof(err)) == -1) {
		log_err("reload failed, keeping the running configuration: %s: %s",
		        m->config_path ? next.source : defaults_name, err);
		config_free(&next);
		notify_ready(m);
		return;
	}
	source_reload_all(m, &next);
	recycle = config_workers_differ(&m->cfg, &next) || next.inflight != m->cfg.inflight;
	if (reload_fits(m, &next, recycle, err, sizeof(err)) == -1 ||
	    jobs_install(&next, err, sizeof(err)) == -1) {
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
	sched_map_kinds(m); /* kinds the reload added go to their queues */
	log_set_level(m->verbose ? LOG_LVL_DEBUG : m->cfg.log_level);
	journal_configure(m);
	jobctl_configure(m);
	metrics_configure(m);
	/* Workers started from now on carry the new settings and modules. */
	(void)spawner_start(m);
	/* READY=1 again once the wanted number of workers is up. */
	m->ready = false;
	m->ready_since = ev_time();
	pool_resize(m, m->cfg.workers);
	pool_check_ready(m);
}

/* The signals a master without a valid configuration answers. */
static const int reload_wait_signals[] = {SIGHUP, SIGTERM, SIGINT, SIGUSR1, SIGTTIN, SIGTTOU};
#define RELOAD_WAIT_NSIG (sizeof(reload_wait_signals) / sizeof(reload_wait_signals[0]))

struct reload_wait {
	struct master *m;
	ev_signal sig[RELOAD_WAIT_NSIG];
	int result; /* 1 waiting, 0 loaded, -1 asked to stop */
};

static void reload_wait_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct reload_wait *rw = w->data;
	struct master *m = rw->m;
	char err[512];

	if (w->signum == SIGTERM || w->signum == SIGINT) {
		log_info("signal %s: stopping; no job was read", sigabbrev_np(w->signum));
		notify_stopping(m);
		rw->result = -1;
		ev_break(loop, EVBREAK_ALL);
		return;
	}
	if (w->signum != SIGHUP) {
		log_notice("signal %s: ignored, no valid configuration yet",
		           sigabbrev_np(w->signum));
		return;
	}
	notify_reloading(m);
	if (config_load(&m->cfg, m->config_path, err, sizeof(err)) == -1) {
		log_err("configuration still invalid, not reading the FIFO: %s", err);
		notify_config(m, err, true);
		notify_waiting(m);
		return;
	}
	log_info("reload: %s read; starting", m->cfg.source);
	notify_config(m, NULL, false);
	rw->result = 0;
	ev_break(loop, EVBREAK_ALL);
}

int reload_wait_valid(struct master *m, const char *err)
{
	struct reload_wait rw = {.m = m, .result = 1};
	size_t i;

	m->loop = ev_default_loop(EVFLAG_AUTO);
	if (m->loop == NULL)
		return -1;
	notify_init(m);
	log_err("configuration invalid: holding the FIFO systemd passed, not reading it; "
	        "fix %s, then reload (systemctl reload poold, or HUP)",
	        m->config_path);
	notify_config(m, err, true);
	notify_waiting(m);
	for (i = 0; i < RELOAD_WAIT_NSIG; i++) {
		ev_signal_init(&rw.sig[i], reload_wait_cb, reload_wait_signals[i]);
		rw.sig[i].data = &rw;
		ev_signal_start(m->loop, &rw.sig[i]);
	}
	ev_run(m->loop, 0);
	for (i = 0; i < RELOAD_WAIT_NSIG; i++)
		ev_signal_stop(m->loop, &rw.sig[i]);
	notify_close(m);
	if (rw.result == -1) {
		ev_loop_destroy(m->loop);
		m->loop = NULL;
	}
	return rw.result;
}
