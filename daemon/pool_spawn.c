/*
 * Starting workers: each slot's two pipes and cgroup, then the workers
 * made by the spawner (spawner.c) in one batch, or forked by the master
 * itself when there is no spawner; then the master's ends of the pipes
 * are watched.  A slot whose worker cannot start backs off (pool.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "doneline.h"
#include "log.h"
#include "master.h"
#include "oplimits.h"
#include "worker.h"

#define POOL_SPAWN_AHEAD 8 /* requests to the spawner not answered yet, at most */

static void close_pair(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/*
 * The master's own fork of a worker, when there is no spawner (spawner.c).
 * All signals are blocked across fork() so the child cannot run one of
 * the master's handlers before worker_run() has reset them; the child
 * never returns from here.
 */
static pid_t slot_fork(struct slot *s, int task_fd, int done_fd)
{
	sigset_t all, old;
	pid_t pid;
	int saved;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0)
		_exit(worker_run(s->index, &s->m->cfg, task_fd, done_fd));
	saved = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = saved;
	return pid;
}

/* Its two pipes (the worker's ends and the master's) and its cgroup; 0 or -1. */
static int slot_pipes(struct slot *s, struct spawn_job *j)
{
	int tp[2], dp[2], saved;

	if (pipe2(tp, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(dp, O_CLOEXEC) == -1) {
		saved = errno;
		close_pair(tp);
		errno = saved;
		return -1;
	}
	/* The new process's done count starts at 0.  A slot beyond the lines
	 * (a pool resized while old slots drain) goes without one: its worker
	 * reports each job with effects at once. */
	doneline_reset(s->index);
	if (oplimits_slot_prepare(s->index) == -1)
		log_warn("worker[%u]: cannot make its cgroup; its jobs get rlimits", s->index);
	j->slot = s->index;
	j->task_fd = tp[0];
	j->task_w = tp[1];
	j->done_fd = dp[1];
	j->done_r = dp[0];
	j->pid = 0;
	j->by_spawner = false;
	return 0;
}

/* Its worker runs: the master's ends of its pipes are watched. */
static void slot_started(struct slot *s, const struct spawn_job *j)
{
	struct master *m = s->m;

	fcntl(j->task_w, F_SETFL, O_NONBLOCK);
	fcntl(j->done_r, F_SETFL, O_NONBLOCK);
	ev_child_set(&s->child_w, j->pid, 0);
	ev_child_start(m->loop, &s->child_w);
	s->pid = j->pid;
	s->task_fd = j->task_w;
	s->done_fd = j->done_r;
	slot_event(s, SLOT_EV_SPAWNED, ev_now(m->loop));
	s->proc_jobs = 0;
	s->recycle_at = 0;
	if (m->cfg.max_jobs_per_worker > 0) /* up to 10% more, so recycling is spread out */
		s->recycle_at = m->cfg.max_jobs_per_worker +
		                (uint64_t)random() % (m->cfg.max_jobs_per_worker / 10 + 1);
	s->started = ev_now(m->loop);
	ev_io_set(&s->task_w, s->task_fd, EV_WRITE);
	ev_io_set(&s->done_w, s->done_fd, EV_READ);
	ev_io_start(m->loop, &s->done_w);
	log_debug("worker[%u]: %s, pid %d", s->index,
	          j->by_spawner ? "started by the spawner" : "forked", (int)j->pid);
}

/* After the spawner's answer: forks what it did not take, then the slot runs or backs off. */
static void pool_spawned(struct master *m, struct spawn_job *j)
{
	if (j->asked)
		spawner_answer(m, j);
	if (j->pid == 0) {
		j->pid = slot_fork(m->slots[j->slot], j->task_fd, j->done_fd);
		j->err = errno;
	}
	close(j->task_fd);
	close(j->done_fd);
	if (j->pid > 0) {
		slot_started(m->slots[j->slot], j);
		return;
	}
	close(j->task_w);
	close(j->done_r);
	m->slots[j->slot]->start_err = j->err != 0 ? j->err : EAGAIN;
}

/*
 * Starts the workers of n slots, up to POOL_SPAWN_AHEAD asked of the
 * spawner before the oldest one's answer is taken, so that the spawner
 * clones while the master makes the next pipes and files the workers it
 * got; the master forks those the spawner did not take.  A slot whose
 * worker cannot start keeps why in start_err (0 if it started), for
 * pool.c to back off.  The requests ahead hold two
 * descriptors each beyond the two per worker limits.c counts.
 */
void pool_spawn(struct master *m, struct slot **v, unsigned n)
{
	struct spawn_job ring[POOL_SPAWN_AHEAD], *j;
	unsigned next = 0, done = 0;

	while (done < n) {
		for (; next < n && next - done < POOL_SPAWN_AHEAD; next++) {
			j = &ring[next % POOL_SPAWN_AHEAD];
			j->slot = ~0u;
			v[next]->start_err = 0;
			if (slot_pipes(v[next], j) == -1) {
				v[next]->start_err = errno;
				continue;
			}
			j->asked = spawner_request(m, j) == 0;
		}
		j = &ring[done++ % POOL_SPAWN_AHEAD];
		if (j->slot != ~0u)
			pool_spawned(m, j);
	}
}
