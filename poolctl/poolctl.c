/*
 * poolctl's entry point: the command line, the configuration that says
 * where the daemon is (the same INI file poold reads, or the same built-in
 * defaults, found by locate.c), and the messages.  It checks the whole
 * command line before it loads the configuration, so a usage error is
 * always exit 64; the work itself is in submit.c and query.c.  No mutable
 * globals here (locate.c keeps which configuration was loaded).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ctl.h"
#include "exitcodes.h"
#include "jobs.h"
#include "poolctl.h"

#ifndef POOLD_VERSION
#define POOLD_VERSION "dev"
#endif

enum command {
	CMD_SUBMIT,
	CMD_SUBMIT_STDIN,
	CMD_SUBMIT_REDIS,
	CMD_SUBMIT_REDIS_STDIN,
	CMD_SUBMIT_FIFO,
	CMD_SUBMIT_FIFO_STDIN,
	CMD_SUBMIT_MQ,
	CMD_SUBMIT_MQ_STDIN,
	CMD_PAUSE,
	CMD_RESUME,
	CMD_STATUS,
	CMD_WAIT,
	CMD_SCALE,
	CMD_METRICS,
	CMD_TOP,
	CMD_JOB,
	CMD_JOBS,
	CMD_CANCEL,
	CMD_RETRY,
	CMD_KICK,
	CMD_WAIT_IDS,
};

/* What the command line asked for, checked before the configuration is
 * loaded. */
struct request {
	enum command cmd;
	bool json;
	bool has_timeout;
	unsigned timeout_ms;
	int argc; /* submit: TASK and ARGS */
	char **argv;
	unsigned iterations; /* top -n */
	bool quiet;          /* submit --quiet */
	unsigned mq_prio;    /* submit --mq --priority N */
	bool no_progress;    /* wait --no-progress */
	char query[512];     /* jobs: the request line */
};

static void usage(FILE *out)
{
	size_t i;

	fputs("usage: poolctl [-c FILE] COMMAND [ARGS...]\n"
	      "       poolctl -h | --help | --version\n"
	      "commands:\n"
	      "  submit [--quiet] [OPTION=V...] TASK [ARGS...]  send one job, print its id;\n"
	      "      options: key=K  pri=0..9  in=DURATION (90, 1.5s, 10m, 2h)\n"
	      "               at=TIME (Unix seconds, or 2026-12-01T10:00:00Z)\n"
	      "  submit [--quiet] -         one job per line of standard input, an id each\n"
	      "  submit --fifo TASK [ARGS...] | -   into the FIFO, no ids (bulk, crash-tolerant)\n"
	      "  submit --mq [--priority N] TASK [ARGS...] | -  to [control] mqueue, no ids\n"
	      "  submit --redis TASK [ARGS...] | -  add jobs to the [redis] stream instead\n"
	      "  pause QUEUE, resume QUEUE  hold a [queue.NAME]'s jobs, let them go again\n"
	      "  status [--json]            print poold's counters and workers\n"
	      "  wait [--timeout DURATION]  wait until every job accepted so far has ended\n"
	      "  wait [--timeout D] [--no-progress] ID...  wait until those jobs have ended\n"
	      "  job ID|key=K [--json]      what became of one job\n"
	      "  jobs [--state S] [--kind K] [--limit N] [--json]  live and recent jobs\n"
	      "  cancel ID...               cancel queued, scheduled, running or retrying jobs\n"
	      "  retry ID...                queue buried or failed jobs again (as new jobs)\n"
	      "  kick [N]                   queue the N oldest buried jobs again (all without N)\n"
	      "  scale N|+K|-K              set, raise or lower the number of workers\n"
	      "  metrics                    print the Prometheus metrics\n"
	      "  top [-n COUNT]             a live view, refreshed every second\n"
	      "tasks:",
	      out);
	for (i = 0; i < jobs_count(); i++)
		fprintf(out, " %s", jobs_at(i)->name);
	fputs("\n", out);
}

size_t poolctl_join(int argc, char **argv, char *line)
{
	size_t len = 0, n;
	int i;

	for (i = 0; i < argc; i++) {
		n = strlen(argv[i]);
		if (len + (i > 0) + n + 1 > CTL_LINE_MAX)
			poolctl_die(POOLD_EXIT_DATAERR,
			            "rejected: line is too long (limit %d bytes with its newline)",
			            CTL_LINE_MAX);
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	return len;
}

static void poolctl_vwarn(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
static void poolctl_vwarn(const char *fmt, va_list ap)
{
	fputs("poolctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void poolctl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	poolctl_vwarn(fmt, ap);
	va_end(ap);
}

void poolctl_die(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	poolctl_vwarn(fmt, ap);
	va_end(ap);
	exit(code);
}

void poolctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	poolctl_vwarn(fmt, ap);
	va_end(ap);
	usage(stderr);
	exit(POOLD_EXIT_USAGE);
}

/* A job id: digits only. */
static bool id_ok(const char *a)
{
	size_t n = strspn(a, "0123456789");

	return n > 0 && n <= 20 && a[n] == '\0';
}

/* `wait [--timeout DURATION] [--no-progress] [ID...]`. */
static void parse_wait(struct request *req, int argc, char **argv)
{
	const char *value = NULL;
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc)
			value = argv[++i];
		else if (strcmp(argv[i], "--timeout") == 0)
			poolctl_usage_error("wait: --timeout needs a DURATION");
		else if (strncmp(argv[i], "--timeout=", 10) == 0)
			value = argv[i] + 10;
		else if (strcmp(argv[i], "--no-progress") == 0)
			req->no_progress = true;
		else if (id_ok(argv[i]))
			argv[n++] = argv[i];
		else
			poolctl_usage_error("wait: unexpected argument '%s'", argv[i]);
	}
	req->argc = n;
	req->argv = argv;
	if (n > 0)
		req->cmd = CMD_WAIT_IDS;
	if (value == NULL)
		return;
	if (config_parse_duration(value, &req->timeout_ms) < 0)
		poolctl_usage_error("wait: bad duration '%s' (like 500ms, 30s, 2m; at most a day)",
		                    value);
	req->has_timeout = true;
}

/* N, +K or -K: digits after an optional sign, at most 9 of them. */
static bool scale_arg_ok(const char *a)
{
	size_t n;

	if (*a == '+' || *a == '-')
		a++;
	n = strspn(a, "0123456789");
	return n > 0 && n <= 9 && a[n] == '\0';
}

/* `jobs [--state S] [--kind K] [--limit N] [--json]` into req->query. */
static void parse_jobs(struct request *req, int argc, char **argv)
{
	static const char *const opts[] = {"--state", "state",   "--kind",
	                                   "kind",    "--limit", "limit"};
	size_t n = (size_t)snprintf(req->query, sizeof(req->query), "jobs");
	int i, k;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0) {
			req->json = true;
			continue;
		}
		for (k = 0; k < 6 && strcmp(argv[i], opts[k]) != 0; k += 2)
			;
		if (k == 6 || i + 1 == argc || strlen(argv[i + 1]) > 60 || strchr(argv[i + 1], ' '))
			poolctl_usage_error("jobs: want --state S, --kind K, --limit N, --json");
		n += (size_t)snprintf(req->query + n, sizeof(req->query) - n, " %s=%s", opts[k + 1],
		                      argv[++i]);
	}
	snprintf(req->query + n, sizeof(req->query) - n, "%s\n", req->json ? " json" : "");
}

/* `job ID|key=K [--json]`, `cancel ID...`, `retry ID...` and `kick [N]`. */
static void parse_job(struct request *req, int argc, char **argv, const char *name)
{
	int i;

	if (strcmp(name, "kick") == 0) {
		if (argc > 1 || (argc == 1 && (!id_ok(argv[0]) || strlen(argv[0]) > 9)))
			poolctl_usage_error("kick: want nothing (all) or a count");
		req->cmd = CMD_KICK;
		req->argc = argc;
		req->argv = argv;
		return;
	}
	if (strcmp(name, "job") != 0) {
		if (argc == 0)
			poolctl_usage_error("%s: want one or more job ids", name);
		for (i = 0; i < argc; i++)
			if (!id_ok(argv[i]))
				poolctl_usage_error("%s: '%s' is not a job id", name, argv[i]);
		req->cmd = name[0] == 'c' ? CMD_CANCEL : CMD_RETRY;
		req->argc = argc;
		req->argv = argv;
		return;
	}
	req->json = argc == 2 && strcmp(argv[1], "--json") == 0;
	if (argc != 1 + req->json || (!id_ok(argv[0]) && strncmp(argv[0], "key=", 4) != 0) ||
	    strlen(argv[0]) > 200)
		poolctl_usage_error("job: want an id or key=KEY, and maybe --json");
	req->cmd = CMD_JOB;
	snprintf(req->query, sizeof(req->query), "job %s%s\n", argv[0], req->json ? " json" : "");
}

/* submit --mq --priority N: a job priority, 0..9 (higher first). */
static unsigned parse_priority(const char *a)
{
	if (a[0] < '0' || a[0] > '9' || a[1] != '\0')
		poolctl_usage_error("submit --mq --priority: want 0..9, not '%s'", a);
	return (unsigned)(a[0] - '0');
}

/* Fills req from the words after the global options; exits 64 on error. */
static void parse_command(struct request *req, int argc, char **argv)
{
	const char *name = argv[0];

	memset(req, 0, sizeof(*req));
	argc--;
	argv++;
	if (strcmp(name, "submit") == 0) {
		bool redis = false, fifo = false, mq = false;

		for (; argc > 0 && strncmp(argv[0], "--", 2) == 0; argc--, argv++) {
			if (strcmp(argv[0], "--quiet") == 0)
				req->quiet = true;
			else if (strcmp(argv[0], "--redis") == 0)
				redis = true;
			else if (strcmp(argv[0], "--fifo") == 0)
				fifo = true;
			else if (strcmp(argv[0], "--mq") == 0)
				mq = true;
			else if (strcmp(argv[0], "--priority") == 0 && argc > 1 && mq)
				req->mq_prio = parse_priority(argv[1]), argc--, argv++;
			else
				poolctl_usage_error("submit: unknown option '%s'", argv[0]);
		}
		if (redis + fifo + mq > 1)
			poolctl_usage_error("submit: --redis, --fifo and --mq exclude each other");
		if (argc == 0)
			poolctl_usage_error("submit: missing TASK");
		if (strcmp(argv[0], "-") == 0 && argc > 1)
			poolctl_usage_error("submit -: unexpected argument '%s'", argv[1]);
		req->cmd = strcmp(argv[0], "-") == 0 ? CMD_SUBMIT_STDIN : CMD_SUBMIT;
		if (redis)
			req->cmd =
			    req->cmd == CMD_SUBMIT ? CMD_SUBMIT_REDIS : CMD_SUBMIT_REDIS_STDIN;
		if (fifo)
			req->cmd = req->cmd == CMD_SUBMIT ? CMD_SUBMIT_FIFO : CMD_SUBMIT_FIFO_STDIN;
		if (mq)
			req->cmd = req->cmd == CMD_SUBMIT ? CMD_SUBMIT_MQ : CMD_SUBMIT_MQ_STDIN;
		req->argc = argc;
		req->argv = argv;
	} else if (strcmp(name, "status") == 0) {
		req->cmd = CMD_STATUS;
		if (argc == 1 && strcmp(argv[0], "--json") == 0)
			req->json = true;
		else if (argc > 0)
			poolctl_usage_error("status: unexpected argument '%s'", argv[0]);
	} else if (strcmp(name, "wait") == 0) {
		req->cmd = CMD_WAIT;
		parse_wait(req, argc, argv);
	} else if (strcmp(name, "scale") == 0) {
		req->cmd = CMD_SCALE;
		if (argc != 1 || !scale_arg_ok(argv[0]))
			poolctl_usage_error("scale: want N, +K or -K (a number of workers)");
		req->argv = argv;
	} else if (strcmp(name, "top") == 0) {
		req->cmd = CMD_TOP;
		if (argc == 2 && strcmp(argv[0], "-n") == 0 &&
		    strspn(argv[1], "0123456789") == strlen(argv[1]) && argv[1][0] != '\0' &&
		    strlen(argv[1]) < 7)
			req->iterations = (unsigned)atoi(argv[1]);
		else if (argc > 0)
			poolctl_usage_error("top: want nothing or -n COUNT");
	} else if (strcmp(name, "job") == 0 || strcmp(name, "cancel") == 0 ||
	           strcmp(name, "retry") == 0 || strcmp(name, "kick") == 0) {
		parse_job(req, argc, argv, name);
	} else if (strcmp(name, "jobs") == 0) {
		req->cmd = CMD_JOBS;
		parse_jobs(req, argc, argv);
	} else if (strcmp(name, "pause") == 0 || strcmp(name, "resume") == 0) {
		req->cmd = name[0] == 'p' ? CMD_PAUSE : CMD_RESUME;
		if (argc != 1 || argv[0][0] == '\0' || strlen(argv[0]) > 31 ||
		    strspn(argv[0], "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(argv[0]))
			poolctl_usage_error("%s: want one queue name", name);
		req->argv = argv;
	} else if (strcmp(name, "metrics") == 0) {
		req->cmd = CMD_METRICS;
		if (argc > 0)
			poolctl_usage_error("metrics: unexpected argument '%s'", argv[0]);
	} else {
		poolctl_usage_error("unknown command '%s'", name);
	}
}

/* Global options; returns the index of the command word.  Exits on --help,
 * --version and errors. */
static int parse_options(int argc, char **argv, const char **cfgpath)
{
	static const struct option longopts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:c:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			*cfgpath = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(POOLD_EXIT_OK);
		case 'V':
			printf("poolctl %s\n", POOLD_VERSION);
			exit(POOLD_EXIT_OK);
		case ':':
			poolctl_usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			poolctl_usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		poolctl_usage_error("missing COMMAND");
	return optind;
}

/* Opens /dev/null on a closed standard descriptor, so that the FIFO or the
 * socket can never become our "stdout" and receive what we print. */
static void standard_fds(void)
{
	int fd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		if (open("/dev/null", O_RDWR) != fd)
			poolctl_die(POOLD_EXIT_OSERR, "cannot open /dev/null: %s", strerror(errno));
	}
}

static int run(const struct config *cfg, const struct request *req)
{
	switch (req->cmd) {
	case CMD_SUBMIT:
		return poolctl_submit(cfg, req->argc, req->argv, req->quiet);
	case CMD_SUBMIT_STDIN:
		return poolctl_submit_stdin(cfg, req->quiet);
	case CMD_SUBMIT_FIFO:
		return poolctl_submit_fifo(cfg, req->argc, req->argv);
	case CMD_SUBMIT_FIFO_STDIN:
		return poolctl_submit_fifo_stdin(cfg);
	case CMD_SUBMIT_REDIS:
		return poolctl_submit_redis(cfg, req->argc, req->argv);
	case CMD_SUBMIT_REDIS_STDIN:
		return poolctl_submit_redis_stdin(cfg);
	case CMD_STATUS:
		return poolctl_ask(cfg, req->json ? "status json\n" : "status\n");
	case CMD_WAIT:
		return poolctl_wait(cfg, req->has_timeout, req->timeout_ms);
	case CMD_SCALE: {
		char line[32];

		snprintf(line, sizeof(line), "scale %s\n", req->argv[0]);
		return poolctl_ask(cfg, line);
	}
	case CMD_METRICS:
		return poolctl_ask(cfg, "metrics\n");
	case CMD_SUBMIT_MQ:
		return poolctl_submit_mq(cfg, req->argc, req->argv, req->mq_prio);
	case CMD_SUBMIT_MQ_STDIN:
		return poolctl_submit_mq_stdin(cfg, req->mq_prio);
	case CMD_PAUSE:
	case CMD_RESUME: {
		char line[64];

		snprintf(line, sizeof(line), "%s %s\n", req->cmd == CMD_PAUSE ? "pause" : "resume",
		         req->argv[0]);
		return poolctl_ask(cfg, line);
	}
	case CMD_TOP:
		return poolctl_top(cfg, req->iterations);
	case CMD_JOB:
	case CMD_JOBS:
		return poolctl_ask(cfg, req->query);
	case CMD_CANCEL:
		return poolctl_cancel(cfg, "cancel", req->argc, req->argv);
	case CMD_RETRY:
		return poolctl_cancel(cfg, "retry", req->argc, req->argv);
	case CMD_KICK:
		return poolctl_cancel(cfg, "kick", req->argc, req->argv);
	case CMD_WAIT_IDS:
		return poolctl_wait_ids(cfg, req->argc, req->argv, req->has_timeout,
		                        req->timeout_ms, !req->no_progress);
	}
	poolctl_die(POOLD_EXIT_SOFTWARE, "unhandled command %d", (int)req->cmd);
}

int main(int argc, char **argv)
{
	const char *cfgpath = NULL;
	struct request req;
	struct config cfg;
	struct sigaction sa;
	int first, rc;

	standard_fds();
	first = parse_options(argc, argv, &cfgpath);
	parse_command(&req, argc - first, argv + first);

	/* A daemon that goes away shows up as EPIPE, reported as such. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0)
		poolctl_die(POOLD_EXIT_OSERR, "sigaction: %s", strerror(errno));

	poolctl_load_config(&cfg, cfgpath);
	rc = run(&cfg, &req);
	config_free(&cfg);
	return rc;
}
