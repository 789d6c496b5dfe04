/*
 * The pool: the slot table, spawning workers (pool_spawn.c, by way of the
 * spawner), reaping them, replacing the ones that die, and resizing.  One
 * child callback that decides between "retired as asked", "replace now"
 * and "replace after a back-off".
 *
 * libev reaps every child (ev_child on the default loop); nothing here
 * calls waitpid.  A slot whose worker dies within a second of its start
 * waits 1 s, 2 s, 4 s ... (at most 60 s) before the next try, so a broken
 * environment cannot turn the master into a fork loop, while the other
 * slots keep serving.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "master.h"
#include "oplimits.h"
#include "waitstatus.h"
#include "worker.h"

#define POOL_YOUNG       1.0  /* a death this soon after start counts as early */
#define POOL_BACKOFF_MAX 60.0 /* longest wait before a respawn */
#define POOL_LOOP_WINDOW 10.0 /* pool-wide early deaths are counted over this */

static void pool_child_cb(struct ev_loop *loop, ev_child *w, int revents);
static void pool_backoff_cb(struct ev_loop *loop, ev_timer *w, int revents);

static struct slot *slot_new(struct master *m, unsigned index)
{
	struct slot *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	/* The bucket table, not the config, says how many jobs a slot may hold. */
	s->ring_cap = m->nbuckets - 1;
	s->ring = calloc(s->ring_cap, sizeof(*s->ring));
	if (s->ring == NULL) {
		free(s);
		return NULL;
	}
	s->m = m;
	s->index = index;
	s->task_fd = s->done_fd = -1;
	s->last_status = -1;
	ev_io_init(&s->task_w, dispatch_task_cb, -1, EV_WRITE);
	ev_io_init(&s->done_w, dispatch_done_cb, -1, EV_READ);
	ev_child_init(&s->child_w, pool_child_cb, 0, 0);
	ev_timer_init(&s->backoff_w, pool_backoff_cb, 0., 0.);
	m->slots[index] = s;
	return s;
}

static void slot_free(struct slot *s)
{
	struct master *m = s->m;

	ev_timer_stop(m->loop, &s->backoff_w);
	oplimits_slot_remove(s->index);
	m->slots[s->index] = NULL;
	free(s->ring);
	free(s->out);
	free(s->in);
	free(s);
}

/* Lines about workers that cannot start: a few per 10 s, whatever the pool size. */
static bool pool_log_ok(struct master *m)
{
	return log_rate_ok(&m->spawn_log, ev_now(m->loop), 8, 10.0, "workers that cannot start");
}

static void slot_backoff(struct slot *s)
{
	double delay = 1.0;
	unsigned i;

	for (i = 1; i < s->early_deaths && delay < POOL_BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > POOL_BACKOFF_MAX)
		delay = POOL_BACKOFF_MAX;
	slot_event(s, SLOT_EV_DIED_YOUNG, ev_now(s->m->loop));
	ev_timer_set(&s->backoff_w, delay, 0.);
	ev_timer_start(s->m->loop, &s->backoff_w);
	if (pool_log_ok(s->m))
		log_warnx("worker[%u]: %u early deaths in a row; next start in %.0f s", s->index,
		          s->early_deaths, delay);
}

/* Its worker could not start (errno says why): a later try. */
static void pool_start_failed(struct slot *s)
{
	if (pool_log_ok(s->m))
		log_warn("worker[%u]: cannot start a worker", s->index);
	s->early_deaths++;
	slot_backoff(s);
}

/* Starts the workers of n slots (pool_spawn.c); a slot whose worker could
 * not start backs off. */
static void pool_start_slots(struct master *m, struct slot **v, unsigned n)
{
	unsigned i;

	pool_spawn(m, v, n);
	for (i = 0; i < n; i++)
		if (v[i]->start_err != 0) {
			errno = v[i]->start_err;
			pool_start_failed(v[i]);
		}
}

static void slot_start(struct slot *s)
{
	pool_start_slots(s->m, &s, 1);
}

static void pool_backoff_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct slot *s = container_of(w, struct slot, backoff_w);

	if (s->state == SLOT_BACKOFF)
		slot_start(s);
}

/*
 * The pool-wide crash-loop guard: when as many workers as the pool has (at
 * least three) die young within POOL_LOOP_WINDOW, something is wrong with
 * the machine or the configuration, not with a job: say so loudly, once
 * per window.  The per-slot back-off already keeps the rate down.
 */
static void pool_count_early(struct master *m)
{
	ev_tstamp now = ev_now(m->loop);
	unsigned limit = m->target > 3 ? m->target : 3;

	if (now - m->early_window > POOL_LOOP_WINDOW) {
		m->early_window = now;
		m->early_count = 0;
	}
	if (++m->early_count == limit)
		log_err("crash loop: %u workers died right after start within %.0f s; "
		        "slots back off (check the log above for how they ended)",
		        m->early_count, POOL_LOOP_WINDOW);
}

/*
 * Whether a slot whose worker just ended gets a new one: yes unless it was
 * retiring or the stop has gone past draining; and also when it was
 * retired by a stop but died holding jobs, which are back in the queue and
 * need a worker to finish the drain.
 */
static bool pool_replace(const struct master *m, const struct slot *s, bool asked)
{
	if (m->stop_stage > 0)
		return false;
	if (s->state != SLOT_RETIRING || (s->recycle && !m->stopping))
		return true;
	return m->stopping && !asked && m->queue.len > 0;
}

static void pool_child_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	struct slot *s = container_of(w, struct slot, child_w);
	struct master *m = s->m;
	int status = w->rstatus;
	bool asked = s->state == SLOT_RETIRING && WIFEXITED(status) && WEXITSTATUS(status) == 0;
	bool starting = s->state == SLOT_STARTING, young;
	unsigned held = s->ring_len;
	char how[96];

	ev_child_stop(loop, w);
	oplimits_slot_kill(s->index); /* what its jobs left, setsid or not */
	waitstatus_describe(status, how, sizeof(how));
	if (asked)
		log_debug("worker[%u]: pid %d %s", s->index, (int)s->pid, how);
	else
		log_warnx("worker[%u]: pid %d %s, holding %u job%s", s->index, (int)s->pid, how,
		          held, held == 1 ? "" : "s");
	dispatch_slot_gone(s, how);
	/* Early: it never got going (no hello, or no job done within a second,
	 * counting those its done line vouched for in dispatch_slot_gone); a
	 * worker killed while it served is not a crash loop. */
	young =
	    !asked && (starting || (s->proc_jobs == 0 && ev_now(loop) - s->started < POOL_YOUNG));
	if (s->task_fd != -1)
		close(s->task_fd);
	close(s->done_fd);
	s->task_fd = s->done_fd = -1;
	s->pid = 0;
	s->last_status = status;
	if (!pool_replace(m, s, asked)) {
		slot_free(s);
	} else {
		if (asked)
			m->count.recycled++;
		else
			m->count.restarts++;
		s->early_deaths = young ? s->early_deaths + 1 : 0;
		if (young)
			pool_count_early(m);
		if (young)
			slot_backoff(s);
		else
			slot_start(s);
	}
}

/*
 * Once as many workers as wanted are READY (at start, or after a reload),
 * says so: a log line and READY=1 to systemd.
 */
void pool_check_ready(struct master *m)
{
	unsigned i, up = 0;

	if (m->ready)
		return;
	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL && m->slots[i]->state == SLOT_READY)
			up++;
	if (up < m->target)
		return;
	m->ready = true;
	log_info("ready: %u workers in %.3f s", up, ev_time() - m->ready_since);
	notify_ready(m);
}

/* Its worker said hello (dispatch.c raised SLOT_EV_HELLO): file it. */
void pool_slot_hello(struct slot *s)
{
	s->idle_since = ev_now(s->m->loop);
	dispatch_slot_ready(s);
	log_debug("worker[%u]: ready", s->index);
	pool_check_ready(s->m);
}

/* Closes the task pipe of a retiring slot once it holds nothing. */
void pool_retire(struct slot *s)
{
	slot_event(s, SLOT_EV_RETIRE, ev_now(s->m->loop));
	dispatch_slot_remove(s);
	if (s->pid == 0) {
		slot_free(s);
		return;
	}
	if (s->ring_len == 0 && s->out_off == s->out_len && s->task_fd != -1) {
		ev_io_stop(s->m->loop, &s->task_w);
		close(s->task_fd);
		s->task_fd = -1;
	}
}

static int pool_grow_table(struct master *m, unsigned want)
{
	struct slot **p;
	unsigned n = m->nslots ? m->nslots : 16;

	while (n < want)
		n *= 2;
	if (n == m->nslots)
		return 0;
	p = realloc(m->slots, n * sizeof(*p));
	if (p == NULL)
		return -1;
	memset(p + m->nslots, 0, (n - m->nslots) * sizeof(*p));
	m->slots = p;
	m->nslots = n;
	return 0;
}

static unsigned pool_active(const struct master *m)
{
	unsigned i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL &&
		    (m->slots[i]->state != SLOT_RETIRING || m->slots[i]->recycle))
			n++;
	return n;
}

/* Starts workers in the lowest free slots, in one batch; how many are active then. */
static unsigned pool_grow(struct master *m, unsigned target, unsigned active)
{
	struct slot **v = target > active ? calloc(target - active, sizeof(*v)) : NULL, *s;
	unsigned i, n = 0;

	for (i = 0; active < target; i++) {
		if (i >= m->nslots && pool_grow_table(m, i + 1) == -1)
			break;
		if (m->slots[i] != NULL)
			continue;
		s = slot_new(m, i);
		if (s == NULL)
			break;
		if (v != NULL)
			v[n++] = s;
		else
			slot_start(s);
		active++;
	}
	pool_start_slots(m, v, n);
	free(v);
	return active;
}

/* Starts workers in the lowest free slots, or retires the highest ones. */
void pool_resize(struct master *m, unsigned target)
{
	unsigned active = pool_active(m), i;
	struct slot *s;

	m->target = target;
	active = pool_grow(m, target, active);
	for (i = m->nslots; i-- > 0 && active > target;) {
		s = m->slots[i];
		if (s == NULL || (s->state == SLOT_RETIRING && !s->recycle))
			continue;
		slot_event(s, SLOT_EV_SHRINK,
		           ev_now(m->loop)); /* a slot being recycled just retires */
		pool_retire(s);
		active--;
	}
	if (active != target)
		log_warnx("pool has %u workers, wanted %u: out of memory", active, target);
}

/*
 * `poolctl scale`, TTIN and TTOU: a new worker count, applied like a
 * reload's (nothing lost) and kept until the next reload reads the file.
 * Returns 0, or -1 with the reason in err (and logged) when the process
 * limits cannot hold that many workers: the pool is left as it is.
 */
int pool_scale(struct master *m, long target, const char *why, char *err, size_t errlen)
{
	unsigned was = m->target;

	if (target < 1)
		target = 1;
	if (target > CONFIG_MAX_WORKERS)
		target = CONFIG_MAX_WORKERS;
	if ((unsigned)target > was && limits_fit(m, (unsigned)target, 0, err, errlen) == -1) {
		log_err("%s: %ld workers refused, keeping %u: %s", why, target, was, err);
		return -1;
	}
	log_info("%s: %ld workers (was %u)", why, target, was);
	m->cfg.workers = (unsigned)target;
	m->cfg.workers_auto = false;
	m->ready = false;
	m->ready_since = ev_time();
	pool_resize(m, (unsigned)target);
	pool_check_ready(m);
	return 0;
}

void pool_retire_all(struct master *m)
{
	unsigned i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL)
			pool_retire(m->slots[i]);
}

int pool_start(struct master *m)
{
	if (pool_grow_table(m, m->cfg.workers) == -1)
		return -1;
	pool_resize(m, m->cfg.workers);
	return pool_active(m) > 0 ? 0 : -1;
}

void pool_signal_all(struct master *m, int sig)
{
	unsigned i;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL && m->slots[i]->pid > 0)
			kill(m->slots[i]->pid, sig);
}

unsigned pool_live(const struct master *m)
{
	unsigned i, n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->slots[i] != NULL)
			n++;
	return n;
}

void pool_free(struct master *m)
{
	unsigned i;

	for (i = 0; i < m->nslots; i++) {
		if (m->slots[i] == NULL)
			continue;
		dispatch_slot_gone(m->slots[i], "was stopped");
		slot_free(m->slots[i]);
	}
	free(m->slots);
	m->slots = NULL;
	m->nslots = 0;
	spawner_stop(m);
}
