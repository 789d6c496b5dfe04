/*
 * The spawner: a small fork server workers are made by.  Forking the
 * master itself costs, per worker, a copy of its page tables and of its
 * descriptor table (two pipe ends per worker already started: 2,000 at
 * 1000 workers), close_range() of all of them in the worker, and the
 * copy-on-write faults of the pages either side writes next.  The spawner
 * is forked at start-up as soon as what workers need is set up (main.c:
 * after the scoreboard and the job log's lock, before the journal's
 * replay, the job sources and the journal's thread), again after each
 * reload (the workers' settings and modules may have changed), keeps
 * only descriptors 0, 1, 2 and its socket, and waits.
 *
 * Per worker the master sends "slot N" with the worker's two pipe ends
 * (SCM_RIGHTS) on a SOCK_SEQPACKET pair and waits for the reply: the pid,
 * or the errno of a failed clone.  The spawner makes the worker with
 * clone3(CLONE_PARENT), so the worker is the master's child: SIGCHLD,
 * reaping and respawning work as for a worker the master forked.  The
 * raw clone skips glibc's fork bookkeeping, which the worker needs two
 * pieces of: the thread id glibc keeps in the thread's control block
 * (robust mutexes store it; the kernel fills it in, CLONE_CHILD_SETTID)
 * and the robust-list registration the kernel drops in a new process
 * (set_robust_list, with the spawner's head: the same address).  The
 * spawner finds that thread-id field once at its start (and checks it in
 * a child of glibc's _Fork) and, when it cannot tell it for sure, says so
 * and the master forks workers itself.
 *
 * Under a seccomp filter that refuses clone3 (systemd's RestrictNamespaces=)
 * the spawner uses clone(2) (x86-64: its argument order differs between
 * architectures); without either it answers ENOSYS and the master forks.
 *
 * The master never waits on a spawner for long: no reply within
 * SPAWNER_WAIT_S, a closed socket or a dead spawner, and the master logs
 * it, kills it and forks its workers itself until the next reload.
 */
#include <errno.h>
#include <linux/sched.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doneline.h"
#include "fsutil.h"
#include "log.h"
#include "master.h"
#include "oplimits.h"
#include "proctitle.h"
#include "waitstatus.h"
#include "worker.h"

#define SPAWNER_WAIT_S 2 /* longest wait for a reply before the spawner is given up */

struct spawn_req {
	uint32_t slot;
};

struct spawn_rep {
	int32_t pid; /* the worker's (the spawner's own in its hello), or -1 */
	int32_t err; /* errno when pid is -1; ENOTSUP in a hello: no spawner */
};

/* In the spawner: glibc's copy of its thread id and its robust list. */
static pid_t *spawner_tid;
static void *spawner_robust;
static size_t spawner_robust_len;

/*
 * The word of this thread's control block (pthread_self) that holds its
 * thread id: the only word in the first KiB equal to gettid(), and the
 * word glibc's own _Fork fills in with a child's id (checked in one).
 * NULL when that is not so.
 */
static pid_t *spawner_find_tid(void)
{
	pid_t me = (pid_t)syscall(SYS_gettid), *p = (pid_t *)(void *)pthread_self(), *hit = NULL;
	int status;
	size_t i;

	for (i = 0; i < 1024 / sizeof(*p); i++) {
		if (p[i] != me)
			continue;
		if (hit != NULL)
			return NULL;
		hit = p + i;
	}
	if (hit == NULL || (me = _Fork()) == -1)
		return NULL;
	if (me == 0)
		_exit(*hit == (pid_t)syscall(SYS_gettid) ? 0 : 1);
	while (waitpid(me, &status, 0) == -1)
		if (errno != EINTR)
			return NULL;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? hit : NULL;
}

/* No handler of the master's; the signals a worker ignores held pending. */
static void spawner_signals(void)
{
	static const int deadly[] = {SIGTERM, SIGQUIT, SIGCONT, SIGSEGV, SIGBUS,
	                             SIGFPE,  SIGILL,  SIGABRT, SIGTRAP, SIGSYS};
	sigset_t mask;
	size_t i;

	worker_signals_default();
	sigfillset(&mask);
	for (i = 0; i < sizeof(deadly) / sizeof(deadly[0]); i++)
		sigdelset(&mask, deadly[i]);
	sigprocmask(SIG_SETMASK, &mask, NULL);
}

/* One request: its length (0 at EOF, -1 on error); fds both -1 unless two came. */
static ssize_t spawner_recv(int sock, struct spawn_req *req, int fds[2])
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = {.iov_base = req, .iov_len = sizeof(*req)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	ssize_t n;

	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	fds[0] = fds[1] = -1;
	n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	c = n > 0 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS &&
	    c->cmsg_len == CMSG_LEN(2 * sizeof(int)))
		memcpy(fds, CMSG_DATA(c), 2 * sizeof(int));
	if (n > 0 && (n != sizeof(*req) || (msg.msg_flags & MSG_CTRUNC))) {
		if (fds[0] != -1)
			close(fds[0]);
		if (fds[1] != -1)
			close(fds[1]);
		fds[0] = fds[1] = -1;
	}
	return n;
}

/* The worker's side of the clone: what glibc's fork would have set, then the worker. */
static void spawner_child(const struct config *cfg, unsigned slot, const int fds[2])
{
	(void)syscall(SYS_set_robust_list, spawner_robust, spawner_robust_len);
	oplimits_slot_enter(slot);
	_exit(worker_run(slot, cfg, fds[0], fds[1]));
}

/*
 * clone3, or clone where a seccomp filter refuses clone3 (systemd's
 * RestrictNamespaces= does, with ENOSYS, as it cannot read its flags).
 */
static pid_t spawner_clone(void)
{
	static bool no_clone3;
	struct clone_args ca;
	long pid = -1;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PARENT | CLONE_CHILD_SETTID;
	ca.child_tid = (uint64_t)(uintptr_t)spawner_tid;
	/* exit_signal stays 0: with CLONE_PARENT the kernel takes the
	 * spawner's own (SIGCHLD, to the master) and clone3 refuses any other. */
	if (!no_clone3) {
		pid = syscall(SYS_clone3, &ca, sizeof(ca));
		no_clone3 = pid == -1 && (errno == ENOSYS || errno == EPERM);
	}
#if defined(__x86_64__) /* flags, stack, parent_tid, child_tid, tls */
	if (no_clone3)
		pid = syscall(SYS_clone, CLONE_PARENT | CLONE_CHILD_SETTID | SIGCHLD, NULL, NULL,
		              spawner_tid, 0L);
#endif
	return (pid_t)pid;
}

static void spawner_serve(const struct config *cfg, int sock)
{
	struct spawn_req req;
	struct spawn_rep rep;
	int fds[2];
	ssize_t n;

	for (;;) {
		n = spawner_recv(sock, &req, fds);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			_exit(n == 0 ? 0 : 1); /* the master closed it, or is gone */
		rep.pid = -1;
		rep.err = EBADMSG;
		if (fds[0] != -1) {
			rep.pid = spawner_clone();
			if (rep.pid == 0)
				spawner_child(cfg, req.slot, fds);
			rep.err = rep.pid == -1 ? errno : 0;
			close(fds[0]);
			close(fds[1]);
		}
		if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != (ssize_t)sizeof(rep))
			_exit(1);
	}
}

__attribute__((noreturn)) static void spawner_main(const struct config *cfg, int sock)
{
	struct spawn_rep rep = {.pid = (int32_t)getpid(), .err = 0};

	spawner_signals();
	worker_signals_clean = true;
	fsutil_close_except(sock, doneline_descriptor()); /* workers map their lines */
	log_init("spawner");
	proctitle_set("poold: spawner", "poold: spawner");
	spawner_tid = spawner_find_tid();
	if (spawner_tid == NULL ||
	    syscall(SYS_get_robust_list, 0, &spawner_robust, &spawner_robust_len) == -1)
		rep.err = ENOTSUP;
	if (send(sock, &rep, sizeof(rep), MSG_NOSIGNAL) != (ssize_t)sizeof(rep) || rep.err != 0)
		_exit(1);
	spawner_serve(cfg, sock);
	_exit(1);
}

/* A reply, waiting at most SPAWNER_WAIT_S (SO_RCVTIMEO); 0 or -1. */
static int spawner_reply(int fd, struct spawn_rep *rep)
{
	ssize_t n;

	do
		n = recv(fd, rep, sizeof(*rep), 0);
	while (n == -1 && errno == EINTR);
	if (n == (ssize_t)sizeof(*rep))
		return 0;
	if (n >= 0)
		errno = EPIPE;
	return -1;
}

/* Ends the spawner, if any, and reaps it at once (it holds no work). */
void spawner_stop(struct master *m)
{
	pid_t pid = m->spawner_pid;

	if (pid == 0)
		return;
	ev_child_stop(m->loop, &m->spawner_w);
	close(m->spawner_fd);
	m->spawner_fd = -1;
	m->spawner_pid = 0;
	kill(pid, SIGKILL);
	while (waitpid(pid, NULL, 0) == -1 && errno == EINTR)
		;
}

static void spawner_lost(struct master *m, const char *why)
{
	log_warnx("spawner: pid %d %s; the master forks workers itself until the next reload",
	          (int)m->spawner_pid, why);
	spawner_stop(m);
}

static void spawner_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct master *m = container_of(w, struct master, spawner_w);
	char how[96];

	ev_child_stop(loop, w);
	if (m->spawner_pid != w->rpid)
		return;
	waitstatus_describe(w->rstatus, how, sizeof(how));
	/* a unit-wide TERM reaches it as it reaches the workers */
	log_msg(m->stopping ? LOG_LVL_DEBUG : LOG_LVL_WARNING,
	        "spawner: pid %d %s; the master forks workers itself until the next reload",
	        (int)w->rpid, how);
	close(m->spawner_fd);
	m->spawner_fd = -1;
	m->spawner_pid = 0;
}

/*
 * Forks a new spawner (ending the one there was), with every signal
 * blocked so none of the master's handlers runs in it.  0, or -1 when the
 * master must fork its workers itself.
 */
int spawner_start(struct master *m)
{
	struct timeval tv = {.tv_sec = SPAWNER_WAIT_S};
	struct spawn_rep rep;
	sigset_t all, old;
	int sv[2];
	pid_t pid;

	spawner_stop(m);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
		log_warn("spawner: socketpair; the master forks workers itself");
		return -1;
	}
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		spawner_main(&m->cfg, sv[1]);
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid == -1) {
		log_warn("spawner: fork; the master forks workers itself");
		close(sv[0]);
		return -1;
	}
	m->spawner_pid = pid;
	m->spawner_fd = sv[0];
	ev_child_init(&m->spawner_w, spawner_child_cb, pid, 0);
	ev_child_start(m->loop, &m->spawner_w);
	if (setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    spawner_reply(sv[0], &rep) == -1 || rep.pid != pid || rep.err != 0) {
		spawner_lost(m, "did not start (its thread id not found, or no answer)");
		return -1;
	}
	log_debug("spawner: pid %d", (int)pid);
	return 0;
}

static int spawner_send(int fd, unsigned slot, int task_fd, int done_fd)
{
	union {
		char buf[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} u;
	struct spawn_req req = {.slot = slot};
	struct iovec iov = {.iov_base = &req, .iov_len = sizeof(req)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	int fds[2] = {task_fd, done_fd};
	ssize_t n;

	memset(&u, 0, sizeof(u));
	msg.msg_control = u.buf;
	msg.msg_controllen = sizeof(u.buf);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(c), fds, sizeof(fds));
	do
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	return n == (ssize_t)sizeof(req) ? 0 : -1;
}

/*
 * Asks the spawner for j's worker; its answer is read by spawner_answer,
 * in the order of the requests.  0, or -1 when there is no spawner (any
 * more): j->pid stays 0 and the caller forks it.
 */
int spawner_request(struct master *m, struct spawn_job *j)
{
	if (m->spawner_pid == 0)
		return -1;
	if (spawner_send(m->spawner_fd, j->slot, j->task_fd, j->done_fd) == 0)
		return 0;
	spawner_lost(m, "cannot be written to");
	return -1;
}

/*
 * The answer to the oldest request not answered yet, into j: the pid, or
 * the errno of a clone that failed as a fork would have (out of processes
 * or memory).  Any other failure is the spawner's own (a clone this
 * kernel, seccomp filter or valgrind refuses: j->pid stays 0, the caller
 * forks); when the spawner is lost on the way, a request it got but did
 * not answer fails (it may have made that worker, which then finds its
 * pipes closed and ends).
 */
void spawner_answer(struct master *m, struct spawn_job *j)
{
	struct spawn_rep rep;

	j->pid = -1;
	j->err = EAGAIN;
	if (m->spawner_pid == 0)
		return;
	if (spawner_reply(m->spawner_fd, &rep) == -1) {
		spawner_lost(m, errno == EAGAIN ? "did not answer in time" : "closed its socket");
		return;
	}
	if (rep.pid == -1 && rep.err != EAGAIN && rep.err != ENOMEM) {
		spawner_lost(m, "cannot clone");
		j->pid = 0;
		return;
	}
	j->pid = rep.pid;
	j->err = rep.err;
	j->by_spawner = rep.pid > 0;
}
