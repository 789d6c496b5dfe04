/*
 * The worker loop.  Set-up order after fork matters and is written down in
 * worker_run(): signals first (so nothing of the master's handlers can run
 * here), then descriptors (so no other worker's pipe, the FIFO or a
 * listening socket stays open in this process).
 *
 * Completions are batched, for every kind: the records of the jobs that
 * one read() brought in go back in one write(), sooner when the buffer is
 * full, when the batch has taken more than WORKER_FLUSH_NS (the clock is
 * read after every job with effects, which may be slow, in its coarse
 * form: 4 ns here against 26; every WORKER_CHECK_EVERY jobs without), and
 * before a job of a kind that may run for seconds (the master times the
 * oldest job it holds unreported as the running one).
 *
 * A worker killed at any moment still leaves at most one job done but
 * unreported, the one it was running: after each job it stores in its
 * done line (common/doneline.h) how many jobs it has finished, and when
 * it is gone the master records the jobs that count covers as done ok.
 * So a record the count cannot stand for (failed, a message, output) is
 * written before the count moves past its job.  Without a line (none
 * could be made) a job with effects (log, backup, net) is reported as
 * soon as it ends.
 *
 * EOF on the task pipe means the master is stopping (or gone): the worker
 * finishes what it has read, sends the results and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "doneline.h"
#include "exitcodes.h"
#include "fsutil.h"
#include "jobs.h"
#include "log.h"
#include "proctitle.h"
#include "proto.h"
#include "worker.h"

#define WORKER_IN_SIZE     (64 * 1024)
#define WORKER_OUT_SIZE    (16 * 1024)
#define WORKER_FLUSH_NS    (2 * 1000 * 1000) /* send results after 2 ms of work */
#define WORKER_CHECK_EVERY 32                /* batched jobs between clock reads */

struct worker {
	unsigned slot;
	const struct config *cfg;
	int task_fd;
	int done_fd;
	void **state; /* by kind index: the kind's per-worker state, or NULL */
	/* The kind of the last job, looked up once per run of the same code
	 * (the table does not change in a worker). */
	uint32_t last_code;
	const struct job_kind *last_kind;
	const void *last_conf;
	void *last_state;
	_Atomic uint64_t *line; /* the slot's done line, or NULL */
	uint64_t finished;      /* jobs of this process done, as the line says */
	size_t in_len;
	size_t out_len;
	unsigned since_check;        /* batched jobs since the clock was read */
	struct timespec batch_start; /* when the oldest unsent result was made */
	char in[WORKER_IN_SIZE + PROTO_FRAME_MAX];
	char out[WORKER_OUT_SIZE];
};

/*
 * What a worker does with each signal, decided one by one.  Operators and
 * systemd send signals to every process of the unit (`systemctl kill -s
 * USR1 poold`, `kill -HUP -PGID`, a Ctrl-C in a terminal), and a worker
 * killed holding jobs costs each of them an attempt: so a worker ignores
 * every signal that means something to the master alone (the master tells
 * its workers what they must do through their pipe), and dies only on the
 * ones the master itself uses to stop it.  Signals not listed keep their
 * default action (SEGV, ABRT, ... must still end a broken worker).
 *
 * SIG_IGN, unlike a handler, survives execve(): a job kind that forks and
 * execs a program must put every SIG_IGN row back to SIG_DFL in the child
 * before exec (and empty its mask), or that program would ignore HUP,
 * INT and PIPE, unlike anything started from a shell.
 */
static const struct {
	int sig;
	void (*action)(int);
} worker_signals[] = {
    /* The master's graceful stop and job timeouts: TERM (after SIGCONT), then KILL. */
    {SIGTERM, SIG_DFL},
    {SIGCONT, SIG_DFL},
    /* Quit with a core: only ever meant for debugging, for every process. */
    {SIGQUIT, SIG_DFL},
    /* The master's graceful stop; a Ctrl-C reaches the whole foreground
     * group, and the master drains the workers (TERM after the timeout). */
    {SIGINT, SIG_IGN},
    /* Reload: the master replaces workers itself when their settings change. */
    {SIGHUP, SIG_IGN},
    /* Reopen the job log: the master sends each worker a REOPEN frame. */
    {SIGUSR1, SIG_IGN},
    {SIGUSR2, SIG_IGN},
    /* One worker more or fewer: the master's business; the default would
     * stop the worker (TTIN, TTOU) as if from a terminal. */
    {SIGTTIN, SIG_IGN},
    {SIGTTOU, SIG_IGN},
    {SIGWINCH, SIG_IGN},
    /* A worker writes to a pipe whose reader may die (EPIPE is handled), and
     * a backup past RLIMIT_FSIZE must fail with EFBIG, not kill the worker. */
    {SIGPIPE, SIG_IGN},
    {SIGXFSZ, SIG_IGN},
};

bool worker_signals_clean;

void worker_signals_default(void)
{
	struct sigaction sa;
	int sig;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL); /* EINVAL for KILL, STOP, RT internals */
}

static void worker_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	size_t i;

	if (!worker_signals_clean)
		worker_signals_default();
	memset(&sa, 0, sizeof(sa));
	for (i = 0; i < sizeof(worker_signals) / sizeof(worker_signals[0]); i++) {
		sa.sa_handler = worker_signals[i].action;
		(void)sigaction(worker_signals[i].sig, &sa, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int worker_flush(struct worker *w)
{
	size_t off = 0;
	ssize_t n;

	while (off < w->out_len) {
		n = write(w->done_fd, w->out + off, w->out_len - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		off += (size_t)n;
	}
	w->out_len = 0;
	return 0;
}

/* Time since `since` (CLOCK_MONOTONIC) on clock id, CLOCK_MONOTONIC or
 * its coarse reading (a sixth of the cost, up to a tick behind). */
static long worker_elapsed_ns(const struct timespec *since, clockid_t id)
{
	struct timespec now;

	clock_gettime(id, &now);
	return (now.tv_sec - since->tv_sec) * 1000000000L + (now.tv_nsec - since->tv_nsec);
}

/* Every kind's reopen hook (the master's REOPEN frame, after SIGUSR1). */
static void worker_reopen(struct worker *w)
{
	const struct job_kind *kind;
	size_t k;

	for (k = 0; k < jobs_count(); k++) {
		kind = jobs_at(k);
		if (kind->reopen != NULL && w->state[k] != NULL)
			kind->reopen(w->state[k]);
	}
}

/*
 * Gives each kind its per-worker state and runs its init hook; the kinds
 * whose init refused go in the hello.  Returns 0, or -1 with errno set
 * (what was made is left for worker_kinds_fini).
 */
static int worker_kinds_init(struct worker *w, struct proto_hello *hello)
{
	const struct job_kind *kind;
	size_t k;
	int r;

	w->state = calloc(jobs_count(), sizeof(*w->state));
	if (w->state == NULL)
		return -1;
	for (k = 0; k < jobs_count(); k++) {
		kind = jobs_at(k);
		if (kind->state_size > 0 && (w->state[k] = calloc(1, kind->state_size)) == NULL)
			return -1;
		r = kind->init != NULL ? kind->init(w->state[k], jobs_conf(w->cfg, kind)) : 0;
		if (r == JOB_INIT_REFUSED)
			hello->refused |= 1u << k;
		if (r == -1) {
			free(w->state[k]);
			w->state[k] = NULL;
			return -1;
		}
	}
	return 0;
}

/* Each kind's fini hook, then its state freed. */
static void worker_kinds_fini(struct worker *w)
{
	const struct job_kind *kind;
	size_t k;

	for (k = 0; w->state != NULL && k < jobs_count(); k++) {
		kind = jobs_at(k);
		if (w->state[k] != NULL && kind->fini != NULL)
			kind->fini(w->state[k]);
		free(w->state[k]);
	}
	free(w->state);
	w->state = NULL;
}

/* The kind with this code (w->last_kind, NULL if none) and its section
 * and state. */
static const struct job_kind *worker_kind(struct worker *w, uint32_t code)
{
	const struct job_kind *kind;

	if (w->last_kind != NULL && w->last_code == code)
		return w->last_kind;
	kind = jobs_by_code(code);
	if (kind != NULL) {
		w->last_code = code;
		w->last_conf = jobs_conf(w->cfg, kind);
		w->last_state = w->state[jobs_index(kind)];
	}
	w->last_kind = kind;
	return kind;
}

/*
 * After a job's record is queued: moves the done line past it, and sends
 * the records if they must go now.  A record that the count alone cannot
 * tell (not plain: failed, a message, output) goes out before the count
 * covers it; without a line, so does every job with effects.  Slow jobs
 * (with effects, the clock is read after each) flush the batch, so the
 * master's view of the running job stays within WORKER_FLUSH_NS (and
 * a tick of the coarse clock).
 */
static int worker_settle(struct worker *w, bool effects, bool plain)
{
	if ((w->line != NULL ? !plain : effects) && worker_flush(w) == -1)
		return -1;
	if (w->line != NULL)
		doneline_store(w->line, ++w->finished);
	if (w->out_len == 0)
		return 0;
	if (sizeof(w->out) - w->out_len < PROTO_DONE_MAX ||
	    (effects &&
	     worker_elapsed_ns(&w->batch_start, CLOCK_MONOTONIC_COARSE) > WORKER_FLUSH_NS) ||
	    (!effects && ++w->since_check % WORKER_CHECK_EVERY == 0 &&
	     worker_elapsed_ns(&w->batch_start, CLOCK_MONOTONIC) > WORKER_FLUSH_NS))
		return worker_flush(w);
	return 0;
}

/* Runs one job and queues its completion record. */
static int worker_job(struct worker *w, const struct proto_task *t, const char *args)
{
	const struct job_kind *kind;
	struct job_ctx ctx; /* not zeroed: 256 bytes per job for nothing */
	size_t mlen;
	int result;

	if (t->code == PROTO_CODE_REOPEN) {
		worker_reopen(w);
		return 0;
	}
	kind = worker_kind(w, t->code);
	/* Before a job that may take seconds, the records of the jobs before
	 * it go: the master times the oldest job it holds unreported as the
	 * running one, against that job's time limit.  (A module kind may be
	 * long and still say its jobs are short: POOLD_KIND_BATCH.) */
	if (kind != NULL && kind->may_be_long && !kind->batch_done && w->out_len > 0 &&
	    worker_flush(w) == -1)
		return -1;
	if (w->out_len == 0)
		clock_gettime(CLOCK_MONOTONIC, &w->batch_start);
	ctx.cfg = w->cfg;
	ctx.id = t->id;
	ctx.attempt = t->attempt;
	ctx.batch_start = &w->batch_start;
	ctx.msg[0] = '\0';
	ctx.out = NULL;
	ctx.out_len = 0;
	if (kind == NULL) {
		result = job_result(&ctx, JOB_FAILED, "no kind with code %u (removed by a reload?)",
		                    t->code);
	} else {
		ctx.conf = w->last_conf;
		ctx.state = w->last_state;
		result = kind->run(&ctx, args, t->len);
	}
	mlen = ctx.msg[0] != '\0' ? strlen(ctx.msg) : 0; /* most jobs say nothing */
	w->out_len += proto_done_encode_out(w->out + w->out_len, sizeof(w->out) - w->out_len, t->id,
	                                    (uint32_t)result, ctx.msg, mlen, ctx.out, ctx.out_len);
	return worker_settle(w, kind != NULL && !kind->batch_done,
	                     result == JOB_OK && mlen == 0 && ctx.out_len == 0);
}

/* Runs every whole frame in the input buffer; keeps a partial one. */
static int worker_drain(struct worker *w)
{
	struct proto_task t;
	const char *args;
	size_t off = 0;
	long n;

	while ((n = proto_task_decode(w->in + off, w->in_len - off, &t, &args)) > 0) {
		if (worker_job(w, &t, args) == -1)
			return -1;
		off += (size_t)n;
	}
	if (n == -1) {
		log_err("malformed frame from the master (length %u)", t.len);
		errno = EPROTO;
		return -1;
	}
	memmove(w->in, w->in + off, w->in_len - off);
	w->in_len -= off;
	return worker_flush(w);
}

static int worker_loop(struct worker *w)
{
	ssize_t n;

	for (;;) {
		n = read(w->task_fd, w->in + w->in_len, sizeof(w->in) - w->in_len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			log_warn("read task pipe");
			return POOLD_EXIT_OSERR;
		}
		if (n == 0)
			return w->in_len == 0 ? POOLD_EXIT_OK : POOLD_EXIT_SOFTWARE;
		w->in_len += (size_t)n;
		if (worker_drain(w) == -1)
			return errno == EPROTO ? POOLD_EXIT_SOFTWARE : POOLD_EXIT_OSERR;
	}
}

/* "poold: worker 3" in ps, and in top and the journal while it fits their
 * 15 bytes ("poold: w12" beyond slot 9, rather than a cut-off number). */
static void worker_title(unsigned slot)
{
	char title[32], comm[32];

	snprintf(title, sizeof(title), "poold: worker %u", slot);
	if (strlen(title) <= PROCTITLE_COMM_MAX)
		snprintf(comm, sizeof(comm), "%s", title);
	else
		snprintf(comm, sizeof(comm), "poold: w%u", slot);
	proctitle_set(comm, title);
}

int worker_run(unsigned slot, const struct config *cfg, int task_fd, int done_fd)
{
	struct worker *w;
	struct proto_hello hello = {0};
	_Atomic uint64_t *line;
	char name[32];
	int code;

	worker_reset_signals();
	line = doneline_map(slot); /* before its descriptor is closed */
	fsutil_close_except(task_fd, done_fd);
	snprintf(name, sizeof(name), "worker[%u]", slot);
	log_init(name);
	worker_title(slot);

	/* 80 KiB of buffers: off the stack, and in pages of its own that are
	 * zero until touched (calloc would clear them all from the master's
	 * heap: 20 page copies per worker at start). */
	w = mmap(NULL, sizeof(*w), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (w == MAP_FAILED) {
		log_warn("mmap");
		return POOLD_EXIT_OSERR;
	}
	w->slot = slot;
	w->cfg = cfg;
	w->task_fd = task_fd;
	w->done_fd = done_fd;
	w->line = line;
	/* Hello once every kind is set up: it says which kinds this worker
	 * refuses, before the master sends it any job. */
	if (worker_kinds_init(w, &hello) == -1) {
		log_warn("job kinds' set-up");
		code = POOLD_EXIT_OSERR;
	} else {
		w->out_len = proto_done_encode(w->out, sizeof(w->out), 0, PROTO_HELLO,
		                               (const char *)&hello, sizeof(hello));
		code = worker_flush(w) == -1 ? POOLD_EXIT_OSERR : worker_loop(w);
	}
	if (worker_flush(w) == -1 && code == POOLD_EXIT_OK)
		code = POOLD_EXIT_OSERR;
	worker_kinds_fini(w);
	munmap(w, sizeof(*w));
	return code;
}
