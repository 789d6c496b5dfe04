/*
 * Per-job programs: start, watch, stop, and turn the end into an outcome
 * (runner.h says what the child gets and how the tree is stopped).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "runner.h"

static volatile sig_atomic_t runner_termed;

static void runner_on_term(int sig)
{
	(void)sig;
	runner_termed = 1;
}

void runner_term_catch(bool on)
{
	struct sigaction sa = {.sa_handler = on ? runner_on_term : SIG_DFL};

	if (on)
		runner_termed = 0;
	sigaction(SIGTERM, &sa, NULL);
}

bool runner_term_seen(void)
{
	return runner_termed != 0;
}

/* The child's side, from fork to execve; never returns.  in_fd -1 is
 * /dev/null, err_fd -1 keeps the worker's stderr. */
static void runner_child(const struct runner_spec *spec, int in_fd, int out_fd, int err_fd)
{
	struct sigaction sa;
	sigset_t none;
	int sig, null;

	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (sig = 1; sig < NSIG; sig++)
		(void)sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	null = in_fd >= 0 ? in_fd : open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    (err_fd >= 0 && dup2(err_fd, 2) < 0))
		_exit(127);
	if (spec->lim != NULL && oplimits_apply_child(spec->lim) == -1) {
		dprintf(2, "poold: cannot apply limits: %s\n", strerror(errno));
		_exit(127);
	}
	close_range(3, ~0u, 0);
	execve(spec->argv[0], spec->argv, spec->envp);
	dprintf(2, "poold: exec %s: %s\n", spec->argv[0], strerror(errno));
	_exit(127);
}

/* Keeps the last out_max bytes; tracks the last line of stderr. */
static void runner_keep(struct runner_result *r, const char *b, size_t n, bool is_err)
{
	size_t i, at;

	for (i = 0; i < n && r->out_max > 0; i++) {
		at = (size_t)(r->out_total % r->out_max);
		r->out[at] = b[i];
		r->out_total++;
	}
	if (r->out_max == 0)
		r->out_total += n;
	for (i = 0; is_err && i < n; i++) {
		if (b[i] == '\n') {
			if (r->err_len > 0) {
				memcpy(r->last_err, r->err_line, r->err_len);
				r->last_err[r->err_len] = '\0';
			}
			r->err_len = 0;
		} else if (r->err_len + 1 < sizeof(r->err_line)) {
			r->err_line[r->err_len++] = (b[i] >= 0x20 && b[i] != 0x7f) ? b[i] : '?';
		}
	}
}

/* Reads what fd has; closes it at EOF (sets *fd = -1).  Returns false
 * when nothing more is there now. */
static bool runner_read(int *fd, struct runner_result *r, bool is_err)
{
	char b[4096];
	ssize_t n = read(*fd, b, sizeof(b));

	if (n > 0) {
		runner_keep(r, b, (size_t)n, is_err);
		return true;
	}
	if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		close(*fd);
		*fd = -1;
	}
	return n == -1 && errno == EINTR;
}

static long long runner_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Stops the group: TERM now, KILL (and cgroup.kill) kill_ms later. */
static void runner_stop(pid_t pid, const struct runner_spec *spec, long long *kill_at, int sig)
{
	kill(-pid, sig);
	kill(-pid, SIGCONT);
	if (sig == SIGKILL && spec->lim != NULL)
		oplimits_kill(spec->lim);
	if (sig == SIGTERM)
		*kill_at = runner_now_ms() + spec->kill_timeout_ms;
}

/* Watches the child until its pidfd says it ended, stopping it at its
 * time limit or on the worker's TERM. */
static void runner_watch(const struct runner_spec *spec, struct runner_result *r, pid_t pid,
                         int fds[3])
{
	long long start = runner_now_ms(), now, kill_at = -1, wait_ms;
	struct pollfd p[3];
	int i;

	for (;;) {
		now = runner_now_ms();
		if (!r->timed_out && spec->timeout_ms > 0 && now - start >= spec->timeout_ms) {
			r->timed_out = true;
			runner_stop(pid, spec, &kill_at, SIGTERM);
		}
		if (runner_termed && !r->termed) {
			r->termed = true;
			runner_stop(pid, spec, &kill_at, SIGTERM);
		}
		if (kill_at >= 0 && now >= kill_at) {
			runner_stop(pid, spec, &kill_at, SIGKILL);
			kill_at = -1;
		}
		wait_ms = kill_at >= 0                            ? kill_at - now
		          : spec->timeout_ms > 0 && !r->timed_out ? start + spec->timeout_ms - now
		                                                  : -1;
		for (i = 0; i < 3; i++)
			p[i] = (struct pollfd){.fd = fds[i], .events = POLLIN};
		if (poll(p, 3, wait_ms < 0 ? -1 : (int)wait_ms + 1) <= 0)
			continue;
		for (i = 0; i < 2; i++)
			if (p[i].revents != 0)
				runner_read(&fds[i], r, i == 1);
		if (p[2].revents != 0)
			return;
	}
}

pid_t runner_spawn(const struct runner_spec *spec, int in_fd, int out_fd, int err_fd)
{
	pid_t pid = fork();

	if (pid == 0)
		runner_child(spec, in_fd, out_fd, err_fd);
	if (pid > 0)
		setpgid(pid, pid); /* the child does too: whoever runs first */
	return pid;
}

static int runner_pipes(int out[2], int err[2])
{
	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(err, O_CLOEXEC) == -1) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	return 0;
}

int runner_run(const struct runner_spec *spec, struct runner_result *r)
{
	int out[2], err[2], fds[3], i, flags;
	pid_t pid;

	r->out_total = r->err_len = 0;
	r->last_err[0] = '\0';
	r->timed_out = r->termed = false;
	if (runner_pipes(out, err) == -1)
		return -1;
	runner_term_catch(true);
	pid = runner_spawn(spec, -1, out[1], err[1]);
	close(out[1]);
	close(err[1]);
	fds[0] = out[0];
	fds[1] = err[0];
	fds[2] = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
	if (fds[2] >= 0) {
		runner_watch(spec, r, pid, fds);
		for (i = 0; i < 2; i++) { /* what is left in the pipes, without waiting */
			flags = fds[i] >= 0 ? fcntl(fds[i], F_GETFL) : 0;
			if (fds[i] >= 0 && fcntl(fds[i], F_SETFL, flags | O_NONBLOCK) == 0)
				while (fds[i] >= 0 && runner_read(&fds[i], r, i == 1))
					;
		}
		kill(-pid, SIGKILL); /* leftovers: the zombie leader still holds the id */
		if (spec->lim != NULL)
			oplimits_kill(spec->lim);
	} else if (pid > 0) {
		kill(pid, SIGKILL);
	}
	while (pid > 0 && waitpid(pid, &r->status, 0) == -1 && errno == EINTR)
		;
	for (i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (r->err_len > 0) {
		memcpy(r->last_err, r->err_line, r->err_len);
		r->last_err[r->err_len] = '\0';
	}
	if (runner_termed)
		r->termed = true;
	runner_term_catch(false);
	return pid > 0 && fds[2] >= 0 ? 0 : -1;
}

size_t runner_output(const struct runner_result *r, char *out, size_t len)
{
	size_t kept = r->out_total < r->out_max ? (size_t)r->out_total : r->out_max, i, n;
	unsigned long long from = r->out_total - kept;

	n = kept < len ? kept : len - 1;
	from += kept - n;
	for (i = 0; i < n; i++)
		out[i] = r->out[(size_t)((from + i) % r->out_max)];
	out[n] = '\0';
	return n;
}

int runner_outcome(const struct runner_result *r, struct oplimits *lim, char *msg, size_t len)
{
	const char *sep = r->last_err[0] != '\0' ? ": " : "";
	char bytes[32];
	int st = r->status;

	if (r->timed_out) {
		snprintf(msg, len, "ran past its time limit; process group stopped");
		return JOB_TIMEDOUT;
	}
	if (lim != NULL && oplimits_oom(lim)) {
		oplimits_bytes(lim->memory_max, bytes, sizeof(bytes));
		snprintf(msg, len, "out of memory (memory_max %s)", bytes);
		return JOB_FAILED;
	}
	if (WIFSIGNALED(st)) {
		snprintf(msg, len, "killed by signal %d%s%s", WTERMSIG(st), sep, r->last_err);
		return JOB_FAILED;
	}
	if (WEXITSTATUS(st) == 0) {
		msg[0] = '\0';
		return JOB_OK;
	}
	snprintf(msg, len, "%sexit %d%s%s", WEXITSTATUS(st) == 75 ? "temporary failure: " : "",
	         WEXITSTATUS(st), sep, r->last_err);
	return WEXITSTATUS(st) == 75 ? JOB_TEMPFAIL : JOB_FAILED; /* EX_TEMPFAIL */
}
