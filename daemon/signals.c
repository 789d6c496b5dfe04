/*
 * Signals, as operators know them from nginx and gunicorn, through libev
 * watchers only (the handlers libev installs just set flags):
 *
 *   TERM, INT  graceful stop: stop taking jobs, finish the queue and what
 *              runs within [pool] shutdown_timeout, then TERM the workers,
 *              then KILL them after [pool] kill_timeout; exit 0.  Jobs
 *              not yet due (in=, at=) are not run early: the journal
 *              keeps them for the next start.  A second
 *              TERM or INT skips the wait and TERMs the workers at once.
 *   HUP        reload: parse the file again into a new config; if it is
 *              bad, keep the old one and say why; if it is good, resize
 *              the pool (or replace every worker when their settings
 *              changed).  Nothing accepted is lost either way.
 *   USR1       reopen the [log] file in every worker (logrotate).
 *   TTIN, TTOU one worker more, one fewer (as gunicorn does), kept until
 *              the next reload reads the file again.
 *   USR2       no meaning yet; logged and ignored, so a signal sent to the
 *              whole unit (`systemctl kill -s USR2`) cannot end the master
 *              by its default action.
 */
#include <limits.h>
#include <signal.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "master.h"

static void signals_stop_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, stop_w);
	unsigned left = pool_live(m);

	if (m->stop_stage == 0) {
		log_warnx("shutdown: %zu queued and %llu unfinished jobs after %.1f s; "
		          "sending TERM to %u workers",
		          m->queue.len, (unsigned long long)m->live,
		          m->cfg.shutdown_timeout_ms / 1000.0, left);
		m->stop_stage = 1;
		pool_signal_all(m, SIGTERM);
		pool_signal_all(m, SIGCONT); /* a stopped worker must see its TERM */
		ev_timer_set(w, m->cfg.kill_timeout_ms / 1000.0, 0.);
		ev_timer_start(loop, w);
	} else if (m->stop_stage == 1) {
		log_warnx("shutdown: %u workers still running; sending KILL", left);
		m->stop_stage = 2;
		pool_signal_all(m, SIGKILL);
	}
}

/*
 * Called whenever the pool or the queue changed during a stop: once the
 * queue is empty, every worker is retired (its pipe closed when it holds
 * nothing), and once no worker is left the loop ends.
 */
void signals_check_drained(struct master *m)
{
	if (m->queue.len == 0 || m->stop_stage > 0)
		pool_retire_all(m);
	if (pool_live(m) > 0)
		return;
	if (m->live > later_count(m))
		log_warnx("shutdown: %llu accepted jobs were not finished",
		          (unsigned long long)(m->live - later_count(m)));
	if (later_count(m) > 0)
		log_notice("shutdown: %zu scheduled jobs (in=, at=) not yet due; kept in the "
		           "journal, they are scheduled again at the next start",
		           later_count(m));
	ev_timer_stop(m->loop, &m->stop_w);
	ev_break(m->loop, EVBREAK_ALL);
}

static void signals_stop(struct master *m, int sig)
{
	if (m->stopping) {
		if (m->stop_stage == 0) {
			log_notice("signal %s again: not waiting for the queue", sigabbrev_np(sig));
			ev_timer_stop(m->loop, &m->stop_w);
			signals_stop_timer_cb(m->loop, &m->stop_w, 0);
		}
		return;
	}
	m->stopping = true;
	m->stop_time = ev_now(m->loop);
	log_info("signal %s: stopping; %zu queued, %zu scheduled, %llu unfinished",
	         sigabbrev_np(sig), m->queue.len, later_count(m), (unsigned long long)m->live);
	notify_stopping(m);
	fifo_close(m);
	source_drain_all(m); /* what submitters handed over is not dropped */
	ev_timer_set(&m->stop_w, m->cfg.shutdown_timeout_ms / 1000.0, 0.);
	ev_timer_start(m->loop, &m->stop_w);
}

static void signals_reopen(struct master *m)
{
	char what[PATH_MAX + 64];
	unsigned i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL &&
		    dispatch_send_control(m->slots[i], PROTO_CODE_REOPEN) == 0)
			n++;
	log_info("signal USR1: %u workers reopen %s", n,
	         jobs_describe(&m->cfg, true, what, sizeof(what)));
}

static void signals_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct master *m;
	char err[512];

	switch (w->signum) {
	case SIGTERM:
		m = container_of(w, struct master, sig_term);
		signals_stop(m, SIGTERM);
		break;
	case SIGINT:
		m = container_of(w, struct master, sig_int);
		signals_stop(m, SIGINT);
		break;
	case SIGHUP:
		m = container_of(w, struct master, sig_hup);
		if (!m->stopping)
			reload_run(m);
		break;
	case SIGUSR1:
		m = container_of(w, struct master, sig_usr1);
		signals_reopen(m);
		break;
	case SIGUSR2:
		m = container_of(w, struct master, sig_usr2);
		log_notice("signal USR2: not used by poold; ignored");
		break;
	case SIGTTIN:
		m = container_of(w, struct master, sig_ttin);
		if (!m->stopping)
			pool_scale(m, (long)m->target + 1, "signal TTIN", err, sizeof(err));
		break;
	case SIGTTOU:
		m = container_of(w, struct master, sig_ttou);
		if (!m->stopping)
			pool_scale(m, (long)m->target - 1, "signal TTOU", err, sizeof(err));
		break;
	}
}

void signals_start(struct master *m)
{
	ev_signal_init(&m->sig_term, signals_cb, SIGTERM);
	ev_signal_init(&m->sig_int, signals_cb, SIGINT);
	ev_signal_init(&m->sig_hup, signals_cb, SIGHUP);
	ev_signal_init(&m->sig_usr1, signals_cb, SIGUSR1);
	ev_signal_start(m->loop, &m->sig_term);
	ev_signal_start(m->loop, &m->sig_int);
	ev_signal_start(m->loop, &m->sig_hup);
	ev_signal_start(m->loop, &m->sig_usr1);
	ev_signal_init(&m->sig_usr2, signals_cb, SIGUSR2);
	ev_signal_start(m->loop, &m->sig_usr2);
	ev_signal_init(&m->sig_ttin, signals_cb, SIGTTIN);
	ev_signal_init(&m->sig_ttou, signals_cb, SIGTTOU);
	ev_signal_start(m->loop, &m->sig_ttin);
	ev_signal_start(m->loop, &m->sig_ttou);
	ev_timer_init(&m->stop_w, signals_stop_timer_cb, 0., 0.);
}
