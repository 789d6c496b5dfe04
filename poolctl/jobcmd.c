/*
 * `poolctl job`, `jobs`, `cancel`, `retry`, `kick` and `wait ID...`: jobs
 * by id.  job and jobs print the daemon's reply (jobctl_req.c); cancel
 * and retry print one line per id and fail if any could not be done, kick
 * one per job queued again; wait polls the states
 * of its ids until all have ended, drawing a progress line on a terminal
 * (ended / total, failures, rate, ETA, redrawn in place) and printing a
 * summary and the jobs that did not succeed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "jobsock.h"
#include "poolctl.h"

/* Ids asked about per "states" request (a request is one line). */
#define JOBCMD_IDS_PER_REQ 200
/* How often wait asks again. */
#define JOBCMD_POLL_MS 100

static double jobcmd_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Answers to cancel, retry and kick: ok lines to stdout, the others to stderr. */
static void cancel_answer(const char *line, void *arg)
{
	unsigned long *bad = arg;

	if (strncmp(line, "ok ", 3) == 0) {
		printf("%s\n", line + 3);
		return;
	}
	(*bad)++;
	poolctl_warn("%s", strncmp(line, "error ", 6) == 0 ? line + 6 : line);
}

int poolctl_cancel(const struct config *cfg, const char *verb, int argc, char **argv)
{
	unsigned long bad = 0;
	struct jobsock js;
	int i;

	jobsock_open(&js, cfg->socket, false, cancel_answer, &bad);
	jobsock_request(&js, verb);
	for (i = 0; i < argc; i++) {
		jobsock_request(&js, " ");
		jobsock_request(&js, argv[i]);
	}
	jobsock_request(&js, "\n");
	jobsock_finish(&js);
	return bad == 0 ? POOLD_EXIT_OK : POOLD_EXIT_FAILED;
}

struct wait_state {
	int n;
	char **ids;
	char *ended; /* per id: 0 live, 1 succeeded, 2 did not */
	char **why;  /* per id: state and reason when it did not succeed */
	int at;      /* index the next answer is about */
	int nended, nbad;
};

static void wait_answer(const char *line, void *arg)
{
	struct wait_state *w = arg;
	const char *st = strchr(line, ' ');
	int i = w->at++;

	if (i >= w->n || st == NULL || w->ended[i])
		return;
	st++;
	if (strncmp(st, "queued", 6) == 0 || strncmp(st, "running", 7) == 0 ||
	    strncmp(st, "scheduled", 9) == 0 || strncmp(st, "retrying", 8) == 0)
		return;
	w->nended++;
	/* "done" alone or with the job's message ("done handled it") */
	w->ended[i] = strncmp(st, "done", 4) == 0 && (st[4] == '\0' || st[4] == ' ') ? 1 : 2;
	if (w->ended[i] == 2) {
		w->nbad++;
		/* The answer's one-word state, as people read it. */
		w->why[i] = strdup(st);
		if (w->why[i] != NULL && strncmp(st, "timed_out", 9) == 0)
			w->why[i][5] = ' ';
	}
}

/* Asks the states of the ids not yet ended. */
static void wait_poll(const struct config *cfg, struct wait_state *w)
{
	struct jobsock js;
	int i, first = 0, k;

	while (first < w->n) {
		w->at = first;
		jobsock_open(&js, cfg->socket, false, wait_answer, w);
		jobsock_request(&js, "states");
		for (i = first, k = 0; i < w->n && k < JOBCMD_IDS_PER_REQ; i++, k++) {
			jobsock_request(&js, " ");
			jobsock_request(&js, w->ids[i]);
		}
		jobsock_request(&js, "\n");
		jobsock_finish(&js);
		first = i;
	}
}

static void wait_progress(const struct wait_state *w, double start)
{
	double el = jobcmd_now() - start, rate = el > 0 ? w->nended / el : 0;

	printf("\r\033[K%d/%d ended, %d failed, %.1f/s", w->nended, w->n, w->nbad, rate);
	if (rate > 0 && w->nended < w->n)
		printf(", ETA %.0fs", (w->n - w->nended) / rate);
	fflush(stdout);
}

static int wait_summary(const struct wait_state *w, double start, bool drawn)
{
	int i;

	if (drawn)
		printf("\r\033[K");
	printf("waited %d failed %d in %.1fs\n", w->n, w->nbad, jobcmd_now() - start);
	for (i = 0; i < w->n; i++)
		if (w->ended[i] == 2)
			printf("job %s %s\n", w->ids[i], w->why[i] ? w->why[i] : "");
	return w->nbad == 0 ? POOLD_EXIT_OK : POOLD_EXIT_FAILED;
}

int poolctl_wait_ids(const struct config *cfg, int argc, char **argv, bool has_timeout,
                     unsigned timeout_ms, bool progress)
{
	struct wait_state w = {.n = argc, .ids = argv};
	double start = jobcmd_now();
	bool draw = progress && isatty(STDOUT_FILENO);
	struct timespec pause = {0, JOBCMD_POLL_MS * 1000000L};
	int i, rc;

	w.ended = calloc((size_t)argc, 1);
	w.why = calloc((size_t)argc, sizeof(*w.why));
	if (w.ended == NULL || w.why == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	for (;;) {
		wait_poll(cfg, &w);
		if (draw)
			wait_progress(&w, start);
		if (w.nended == w.n)
			break;
		if (has_timeout && (jobcmd_now() - start) * 1000 >= timeout_ms) {
			if (draw)
				printf("\n");
			poolctl_die(POOLD_EXIT_TEMPFAIL,
			            "wait: timed out after %u ms, %d of %d ended", timeout_ms,
			            w.nended, w.n);
		}
		nanosleep(&pause, NULL);
	}
	rc = wait_summary(&w, start, draw);
	for (i = 0; i < argc; i++)
		free(w.why[i]);
	free(w.why);
	free(w.ended);
	return rc;
}
