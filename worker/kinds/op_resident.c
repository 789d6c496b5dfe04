/*
 * Resident handlers: start, one line out and one line back per job, and
 * stop (op_resident.h has the protocol and what each failure does).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exitcodes.h"
#include "log.h"
#include "op_resident.h"
#include "runner.h"

static int op_resident_start(struct op_resident *h, const struct opkind *k,
                             const struct oplimits *lim, unsigned kill_ms)
{
	char *argv[TPL_MAX_ELEMS + 1];
	struct runner_spec spec = {.argv = argv, .envp = k->env, .lim = lim};
	int in[2], out[2];
	unsigned i, n = 0;

	for (i = 0; i < k->tpl.n; i++) /* the literal elements; placeholders come per job */
		if (k->tpl.el[i].type == TPL_LIT)
			argv[n++] = k->tpl.el[i].str;
	argv[n] = NULL;
	if (pipe2(in, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(out, O_CLOEXEC) == -1) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	h->pid = runner_spawn(&spec, in[0], out[1], -1);
	close(in[0]);
	close(out[1]);
	h->in_fd = in[1];
	h->out_fd = out[0];
	h->len = 0;
	h->kill_ms = kill_ms;
	h->out_max = k->output < PROTO_OUT_MAX ? k->output : PROTO_OUT_MAX;
	h->lim = lim;
	h->pidfd = h->pid > 0 ? (int)syscall(SYS_pidfd_open, h->pid, 0) : -1;
	if (h->pid > 0 && h->pidfd >= 0) {
		log_info("kind %s: resident handler %s started, pid %d", k->name, argv[0],
		         (int)h->pid);
		return 0;
	}
	op_resident_stop(h, true);
	return -1;
}

/* Waits up to ms for the handler to end by itself: true if it did. */
static bool op_resident_ended(struct op_resident *h, int ms)
{
	struct pollfd p = {.fd = h->pidfd, .events = POLLIN};

	return poll(&p, 1, ms) == 1;
}

void op_resident_stop(struct op_resident *h, bool now)
{
	int status;

	if (h->pid <= 0)
		return;
	close(h->in_fd);
	if (now)
		kill(-h->pid, SIGTERM);
	if (!op_resident_ended(h, (int)h->kill_ms) && !now) {
		kill(-h->pid, SIGTERM);
		op_resident_ended(h, (int)h->kill_ms);
	}
	kill(-h->pid, SIGKILL); /* the group, leftovers too: the zombie holds the id */
	oplimits_kill(h->lim);  /* and what left the group */
	while (waitpid(h->pid, &status, 0) == -1 && errno == EINTR)
		;
	close(h->out_fd);
	close(h->pidfd);
	h->pid = 0;
}

/* The handler died with a job: the worker goes too, so the master
 * redelivers the job (op_resident.h). */
static void op_resident_died(struct op_resident *h, const struct opkind *k, uint64_t id)
{
	log_err("kind %s: resident handler pid %d died with job %llu; worker exits so the job "
	        "is redelivered",
	        k->name, (int)h->pid, (unsigned long long)id);
	op_resident_stop(h, true);
	_exit(POOLD_EXIT_SOFTWARE);
}

/* The worker's TERM (time limit, stop) while the handler has a job. */
static void op_resident_termed(struct op_resident *h)
{
	op_resident_stop(h, true);
	runner_term_catch(false);
	raise(SIGTERM);
}

/* Writes the job's line: its placeholder values, tab-separated. */
static int op_resident_send(struct op_resident *h, const struct opkind *k,
                            const struct tpl_argv *av, struct job_ctx *ctx)
{
	char line[TPL_OUT_MAX + 1];
	const char *v;
	size_t n = 0, off = 0;
	ssize_t w;
	unsigned a;

	for (a = 1; a <= k->tpl.nargs; a++) {
		v = av->argv[k->tpl.by_arg[a]];
		if (strpbrk(v, "\t\r\n") != NULL)
			return job_result(ctx, JOB_FAILED, "value %u has a tab or newline", a);
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s%s", a > 1 ? "\t" : "", v);
	}
	line[n++] = '\n';
	while (off < n) {
		w = write(h->in_fd, line + off, n - off);
		if (w == -1 && errno == EINTR && runner_term_seen())
			op_resident_termed(h);
		if (w == -1 && errno != EINTR)
			return -1; /* EPIPE: the handler closed its stdin or died */
		off += w > 0 ? (size_t)w : 0;
	}
	return 0;
}

/* What op_resident_line() found. */
enum op_resident_read {
	OP_RESIDENT_LINE,     /* a whole line is in h->buf */
	OP_RESIDENT_EOF,      /* its stdout closed */
	OP_RESIDENT_ENDED,    /* the handler ended (pidfd) */
	OP_RESIDENT_TOO_LONG, /* a line longer than h->buf */
};

/* Reads until a whole line is in h->buf, the handler's stdout closes or
 * the handler ends. */
static enum op_resident_read op_resident_line(struct op_resident *h)
{
	struct pollfd p[2];
	ssize_t n;

	while (memchr(h->buf, '\n', h->len) == NULL) {
		if (h->len == sizeof(h->buf))
			return OP_RESIDENT_TOO_LONG;
		p[0] = (struct pollfd){.fd = h->out_fd, .events = POLLIN};
		p[1] = (struct pollfd){.fd = h->pidfd, .events = POLLIN};
		if (poll(p, 2, -1) == -1) {
			if (runner_term_seen())
				op_resident_termed(h);
			continue;
		}
		if (p[0].revents == 0 && p[1].revents != 0)
			return OP_RESIDENT_ENDED;
		n = read(h->out_fd, h->buf + h->len, sizeof(h->buf) - h->len);
		if (n == 0)
			return OP_RESIDENT_EOF;
		h->len += n > 0 ? (size_t)n : 0;
	}
	return OP_RESIDENT_LINE;
}

/* The answer's verb and message into ctx; -1 for garbage. */
static int op_resident_answer(const char *line, struct job_ctx *ctx)
{
	static const struct {
		const char *verb;
		int result;
		const char *prefix;
	} verbs[] = {{"ok", JOB_OK, ""},
	             {"fail", JOB_FAILED, ""},
	             {"retry", JOB_TEMPFAIL, "temporary failure: "}};
	size_t i, n;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		n = strlen(verbs[i].verb);
		if (strncmp(line, verbs[i].verb, n) == 0 && (line[n] == '\0' || line[n] == ' '))
			return job_result(ctx, verbs[i].result, "%s%s", verbs[i].prefix,
			                  line[n] == ' ' ? line + n + 1 : "");
	}
	return -1;
}

/* The answer's message (after its verb and blank), its last out_max
 * bytes, as the job's kept output. */
static void op_resident_keep(struct op_resident *h, struct job_ctx *ctx)
{
	const char *sp = strchr(h->buf, ' ');
	size_t n = sp != NULL ? strlen(sp + 1) : 0;

	if (n > h->out_max)
		n = h->out_max;
	memcpy(h->kept, sp != NULL ? sp + 1 + strlen(sp + 1) - n : h->kept, n);
	ctx->out = h->kept;
	ctx->out_len = n;
}

static int op_resident_fail(struct op_resident *h, struct job_ctx *ctx, const char *what)
{
	op_resident_stop(h, true);
	return job_result(ctx, JOB_FAILED, "resident handler %s; started again at the next job",
	                  what);
}

/* The answer in h->buf (a whole line is there) as the job's result. */
static int op_resident_take(struct op_resident *h, struct job_ctx *ctx)
{
	char shown[96];
	size_t i, n = (size_t)((char *)memchr(h->buf, '\n', h->len) - h->buf);
	int r;

	h->buf[n] = '\0';
	for (i = 0; i < n; i++) /* control characters in a message are shown as '?' */
		h->buf[i] = (h->buf[i] >= 0x20 && h->buf[i] != 0x7f) ? h->buf[i] : '?';
	snprintf(shown, sizeof(shown), "answered garbage '%.60s'", h->buf);
	r = op_resident_answer(h->buf, ctx);
	op_resident_keep(h, ctx);
	memmove(h->buf, h->buf + n + 1, h->len - n - 1);
	h->len -= n + 1;
	return r == -1 ? op_resident_fail(h, ctx, shown) : r;
}

/* One job through a running handler. */
static int op_resident_job(struct op_resident *h, const struct opkind *k, const struct tpl_argv *av,
                           struct job_ctx *ctx)
{
	int r;

	if (h->len > 0)
		return op_resident_fail(h, ctx, "wrote a line no job asked for");
	r = op_resident_send(h, k, av, ctx);
	if (r == JOB_FAILED)
		return r; /* a value the protocol cannot carry */
	if (r == 0) {     /* sent; r == -1: EPIPE, it closed its stdin or died */
		switch (op_resident_line(h)) {
		case OP_RESIDENT_LINE:
			return op_resident_take(h, ctx);
		case OP_RESIDENT_TOO_LONG:
			return op_resident_fail(h, ctx, "answered a line too long");
		case OP_RESIDENT_EOF:
			if (!op_resident_ended(h, (int)h->kill_ms))
				return op_resident_fail(h, ctx, "closed its stdout");
			break;
		case OP_RESIDENT_ENDED:
			break;
		}
	}
	op_resident_died(h, k, ctx->id); /* does not return */
	return JOB_FAILED;
}

int op_resident_run(struct op_resident *h, const struct opkind *k, const struct oplimits *lim,
                    const struct tpl_argv *av, struct job_ctx *ctx)
{
	int r;

	runner_term_catch(true);
	if (h->pid == 0 && op_resident_start(h, k, lim, ctx->cfg->kill_timeout_ms / 2) == -1)
		r = job_result(ctx, JOB_FAILED, "cannot start the resident handler: %s",
		               strerror(errno));
	else
		r = op_resident_job(h, k, av, ctx);
	runner_term_catch(false);
	return r;
}
