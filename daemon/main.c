/*
 * poold: the master's entry point.  Only wiring: parse the command line,
 * load the configuration, open the socket and the FIFO, start the pool and
 * run the loop; then tear down in reverse.  poold runs in the foreground
 * (a new-style daemon: no fork into the background, no pidfile).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "doneline.h"
#include "exitcodes.h"
#include "jobs.h"
#include "log.h"
#include "master.h"
#include "oplimits.h"
#include "proctitle.h"

static void usage(FILE *f)
{
	fprintf(
	    f,
	    "usage: poold [-c FILE] [-t] [-v] [--version] [--help]\n"
	    "       poold --check-module FILE.so\n"
	    "  -c, --config FILE  read FILE (default: built-in defaults, files under ./poold.d)\n"
	    "  -t, --test         check the configuration and exit (0 ok, 78 bad)\n"
	    "      --check-module FILE.so\n"
	    "                     report a native module's ABI, kinds and schemas, or why it\n"
	    "                     cannot be loaded, and exit (0 ok, 78 bad)\n"
	    "  -v, --verbose      log at debug level\n"
	    "      --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n");
}

static int parse_args(int argc, char **argv, struct master *m, bool *test, bool *verbose)
{
	static const struct option opts[] = {
	    {"config", required_argument, NULL, 'c'},
	    {"test", no_argument, NULL, 't'},
	    {"verbose", no_argument, NULL, 'v'},
	    {"version", no_argument, NULL, 'V'},
	    {"help", no_argument, NULL, 'h'},
	    {"check-module", required_argument, NULL, 'M'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:tvh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			m->config_path = optarg;
			break;
		case 't':
			*test = true;
			break;
		case 'v':
			*verbose = true;
			break;
		case 'V':
			printf("poold %s\n", POOLD_VERSION);
			exit(POOLD_EXIT_OK);
		case 'h':
			usage(stdout);
			exit(POOLD_EXIT_OK);
		case 'M':
			exit(modcheck_run(optarg));
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "poold: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

/*
 * A start-up step failed after the status socket was opened: removes the
 * socket file (a later start must not find a stale one it did not make)
 * and exits.  Every failure after ctlsock_open goes through here.
 */
static void master_setup_fail(struct master *m, int code, const char *err)
{
	spawner_stop(m);
	ctlsock_close(m);
	fatalx(code, "%s", err);
}

/* Opens what clients talk to and starts the pool; exits on failure. */
static void master_setup(struct master *m)
{
	char what[2 * PATH_MAX + 64];
	char err[512];

	m->loop = ev_default_loop(EVFLAG_AUTO);
	if (m->loop == NULL)
		fatalx(POOLD_EXIT_OSERR, "cannot initialise libev");
	m->start_time = m->ready_since = ev_time();
	/* The retries' jitter: differs between runs, no secret needed. */
	m->retry_seed = (uint64_t)(m->start_time * 1e6) ^ ((uint64_t)getpid() << 32);
	notify_init(m);
	/* First: a second poold on the same journal must touch nothing. */
	if (journal_lock(m, err, sizeof(err)) == -1)
		fatalx(POOLD_EXIT_CANTCREAT, "%s", err);
	if (ctlsock_open(m, err, sizeof(err)) == -1)
		fatalx(POOLD_EXIT_CANTCREAT, "%s", err);
	if (fifo_open(m, err, sizeof(err)) == -1)
		master_setup_fail(m, POOLD_EXIT_CANTCREAT, err);
	if (dispatch_init(m) == -1)
		master_setup_fail(m, POOLD_EXIT_OSERR, "out of memory");
	sched_map_kinds(m); /* before the journal's replay admits jobs */
	if (board_init(m, err, sizeof(err)) == -1)
		master_setup_fail(m, POOLD_EXIT_OSERR, err);
	if (job_log_setup() == -1)
		master_setup_fail(m, POOLD_EXIT_OSERR, "log write lock: cannot create it");
	/* Room for retiring slots beside a full pool. */
	if (doneline_setup(2 * CONFIG_MAX_WORKERS) == -1)
		log_warn("no done lines: jobs with effects report one by one");
	/* What workers need is set up: the spawner is made now, before the
	 * journal's replay, the job sources and threads grow the master. */
	(void)spawner_start(m);
	jobctl_start(m); /* before the journal: replayed jobs are tracked */
	later_start(m);  /* before the journal: replayed jobs may be held */
	if (journal_open(m, err, sizeof(err)) == -1)
		master_setup_fail(m, POOLD_EXIT_CANTCREAT, err);
	/* After the journal: replayed jobs keep their ids, other sources' follow. */
	if (source_start_all(m, err, sizeof(err)) == -1)
		master_setup_fail(m, POOLD_EXIT_CONFIG, err);
	signals_start(m);
	settle_start(m);
	deadline_start(m);
	scaler_start(m);
	metrics_configure(m);
	log_info("control FIFO %s%s, status socket %s", m->cfg.fifo,
	         m->fifo_activated ? " (passed by systemd)" : "", m->cfg.socket);
	log_info("%s", jobs_describe(&m->cfg, false, what, sizeof(what)));
	if (pool_start(m) == -1) {
		snprintf(err, sizeof(err), "cannot start any worker: %s", strerror(errno));
		master_setup_fail(m, POOLD_EXIT_OSERR, err);
	}
}

static void master_teardown(struct master *m)
{
	settle_stop(m);
	ev_timer_stop(m->loop, &m->deadline_w);
	ev_timer_stop(m->loop, &m->results_w);
	ev_timer_stop(m->loop, &m->metrics_w);
	ev_timer_stop(m->loop, &m->scaler_w);
	notify_close(m);
	ctlsock_close(m);
	fifo_close(m);
	pool_free(m);
	board_close(m);
	journal_close(m);
	source_close_all(m);
	later_free(m);
	jobq_clear(&m->queue);
	jobcache_clear(&m->jobcache);
	dispatch_free(m);
	jobctl_free(m);
	outcome_free(m);
	buried_free(m);
	config_free(&m->cfg);
	ev_loop_destroy(m->loop);
}

int main(int argc, char **argv)
{
	struct master m;
	bool test = false, verbose = false;
	char err[512];
	int r;

	memset(&m, 0, sizeof(m));
	m.fifo_fd = m.sock_fd = m.board_fd = m.journal.lock_fd = m.ctl_spare = -1;
	m.fifo_peek[0] = m.fifo_peek[1] = m.fifo_null = -1;
	log_init("master");
	/* Before getopt keeps pointers into argv: titles overwrite the area. */
	if (proctitle_init(argc, argv) == -1)
		log_warn("no process titles");
	if (parse_args(argc, argv, &m, &test, &verbose) == -1)
		return POOLD_EXIT_USAGE;
	config_kinds_register(&jobs_config_kinds);
	r = m.config_path ? config_load(&m.cfg, m.config_path, err, sizeof(err))
	                  : config_defaults(&m.cfg, err, sizeof(err));
	if (r == -1) {
		log_err("%s", err);
		/* Socket-activated: wait for a good file, holding the FIFO (reload.c). */
		if (test || m.config_path == NULL || !activation_pending())
			return POOLD_EXIT_CONFIG;
		if (reload_wait_valid(&m, err) == -1)
			return POOLD_EXIT_OK;
	}
	scaler_clamp(&m.cfg);
	if (jobs_install(&m.cfg, err, sizeof(err)) == -1) { /* a new process: it fits */
		log_err("%s", err);
		return POOLD_EXIT_CONFIG;
	}
	if (test) {
		log_info("configuration %s is valid", m.config_path ? m.cfg.source : "(defaults)");
		config_free(&m.cfg);
		return POOLD_EXIT_OK;
	}
	m.verbose = verbose;
	log_set_level(verbose ? LOG_LVL_DEBUG : m.cfg.log_level);
	if (limits_fit(&m, m.cfg.dynamic ? m.cfg.max_workers : m.cfg.workers, 0, err,
	               sizeof(err)) == -1) {
		log_err("%s", err);
		config_free(&m.cfg);
		return POOLD_EXIT_CONFIG;
	}
	srandom((unsigned)getpid() ^ (unsigned)time(NULL));
	signal(SIGPIPE, SIG_IGN);
	log_info("poold %s starting: pid %d, %s, %u workers", POOLD_VERSION, (int)getpid(),
	         m.config_path ? m.cfg.source : "built-in defaults", m.cfg.workers);
	(void)oplimits_setup(); /* before the first worker: it moves us */
	oplimits_describe(err, sizeof(err));
	log_info("%s", err);
	proctitle_set_argv("poold: master", argc, argv);
	master_setup(&m);
	ev_run(m.loop, 0);
	master_teardown(&m);
	log_info("stopped");
	return POOLD_EXIT_OK;
}
