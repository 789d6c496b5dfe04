/*
 * systemd's readiness protocol (sd_notify(3)) for Type=notify: datagrams
 * of "KEY=VALUE" lines to the socket named by $NOTIFY_SOCKET (a path, or
 * an abstract name when it starts with '@').  The protocol is a documented
 * one-liner on the wire, so it is spoken here directly rather than pulling
 * in libsystemd for it.  Only the master notifies (workers never call into
 * this file, and the socket is closed in them with every other fd).
 * Without $NOTIFY_SOCKET every function here is a no-op.
 *
 * Messages: READY=1 once every worker is up; STATUS= every second;
 * RELOADING=1 with MONOTONIC_USEC= when a reload starts, READY=1 after it;
 * STOPPING=1 when a stop starts, then EXTEND_TIMEOUT_USEC= each second
 * while the drain still makes progress.
 *
 * A file that failed to load stays in STATUS= until one loads: "running:
 * ...; configuration on disk invalid since T: FILE:LINE: reason" after a
 * failed reload, and "configuration invalid since T, not reading the FIFO:
 * ..." while the master waits for a good file (reload.c), so `systemctl
 * status` keeps saying that the file on disk is bad.
 *
 * The watchdog: WATCHDOG=1 is sent at half of $WATCHDOG_USEC, and only
 * while the pool is healthy: the ping comes from a timer of the master's
 * loop, so a wedged master sends none; and while jobs are queued or in
 * flight, some job must have ended within the last $WATCHDOG_USEC, so a
 * pool whose workers are all stuck (or stopped) lets the watchdog fire.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

#define NOTIFY_STATUS_PERIOD 1.0
#define NOTIFY_EXTEND_USEC   (5 * 1000000ULL)

static uint64_t notify_total_ended(const struct master *m)
{
	struct census c;

	census_take(m, &c);
	return c.ended;
}

static void notify_send(struct master *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void notify_send(struct master *m, const char *fmt, ...)
{
	struct notify *n = &m->notify;
	char msg[1024];
	va_list ap;
	int len;

	if (n->fd == -1)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(msg))
		return;
	if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL, (struct sockaddr *)&n->sa, n->salen) ==
	        -1 &&
	    !n->warned) {
		log_warn("notify socket");
		n->warned = true;
	}
}

/* Sends the periodic STATUS=, with the bad file's reason when there is one. */
static void notify_status(struct master *m, uint64_t ended, double rate)
{
	struct notify *n = &m->notify;
	struct census c;

	if (n->waiting) {
		notify_send(m, "STATUS=configuration invalid since %s, not reading the FIFO: %s",
		            n->bad_since, n->bad);
		return;
	}
	census_take(m, &c);
	notify_send(m,
	            "STATUS=%s: %u workers (%u busy, %u idle), %zu queued, %llu done, "
	            "%.0f jobs/s%s%s%s%s",
	            m->stopping ? "stopping" : "running", c.ready, c.busy, c.idle, (size_t)c.queued,
	            (unsigned long long)ended, rate,
	            n->bad[0] != '\0' ? "; configuration on disk invalid since " : "", n->bad_since,
	            n->bad[0] != '\0' ? ": " : "", n->bad);
}

static void notify_status_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, notify.status_w);
	struct notify *n = &m->notify;
	uint64_t ended = notify_total_ended(m);

	notify_status(m, ended, (double)(ended - n->status_ended) / NOTIFY_STATUS_PERIOD);
	if (m->stopping && ended != n->status_ended)
		notify_send(m, "EXTEND_TIMEOUT_USEC=%llu", NOTIFY_EXTEND_USEC);
	n->status_ended = ended;
}

/* True while the pool makes progress or has nothing to do. */
static bool notify_healthy(struct master *m, ev_tstamp now)
{
	struct notify *n = &m->notify;
	uint64_t ended = notify_total_ended(m);

	if (ended != n->watch_ended || m->live == 0) {
		n->watch_ended = ended;
		n->progress = now;
	}
	return now - n->progress < n->watchdog_usec / 1e6;
}

static void notify_watchdog_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct master *m = container_of(w, struct master, notify.watchdog_w);

	struct notify *n = &m->notify;

	if (notify_healthy(m, ev_now(loop))) {
		if (n->stalled)
			log_notice("watchdog: jobs end again; pinging systemd");
		n->stalled = false;
		notify_send(m, "WATCHDOG=1");
		return;
	}
	if (!n->stalled)
		log_err("watchdog: %llu jobs unfinished and none ended for %.1f s; "
		        "not pinging systemd",
		        (unsigned long long)m->live, ev_now(loop) - n->progress);
	n->stalled = true;
}

/* Reads $WATCHDOG_USEC, honouring $WATCHDOG_PID. */
static void notify_watchdog_env(struct notify *n)
{
	const char *usec = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
	char *end;

	n->watchdog_usec = 0;
	if (usec == NULL)
		return;
	if (pid != NULL && strtol(pid, NULL, 10) != (long)getpid())
		return;
	n->watchdog_usec = strtoull(usec, &end, 10);
	if (*end != '\0')
		n->watchdog_usec = 0;
}

void notify_init(struct master *m)
{
	struct notify *n = &m->notify;
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len;

	n->fd = -1;
	ev_timer_init(&n->status_w, notify_status_cb, NOTIFY_STATUS_PERIOD, NOTIFY_STATUS_PERIOD);
	ev_timer_init(&n->watchdog_w, notify_watchdog_cb, 0., 0.);
	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    (len = strlen(path)) >= sizeof(n->sa.sun_path))
		return;
	n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (n->fd == -1) {
		log_warn("notify socket");
		return;
	}
	n->sa.sun_family = AF_UNIX;
	memcpy(n->sa.sun_path, path, len);
	if (path[0] == '@')
		n->sa.sun_path[0] = '\0';
	n->salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	ev_timer_start(m->loop, &n->status_w);
	notify_watchdog_env(n);
	if (n->watchdog_usec > 0) {
		n->progress = ev_now(m->loop);
		ev_timer_set(&n->watchdog_w, n->watchdog_usec / 2e6, n->watchdog_usec / 2e6);
		ev_timer_start(m->loop, &n->watchdog_w);
		log_info("systemd watchdog every %.1f s", n->watchdog_usec / 1e6);
	}
}

void notify_config(struct master *m, const char *err, bool waiting)
{
	struct notify *n = &m->notify;
	time_t now;

	n->waiting = waiting;
	if (err == NULL) {
		n->bad[0] = n->bad_since[0] = '\0';
		return;
	}
	/* "Since" the first failure: a second bad reload keeps the time. */
	if (n->bad[0] == '\0') {
		now = time(NULL);
		if (strftime(n->bad_since, sizeof(n->bad_since), "%Y-%m-%d %H:%M:%S %Z",
		             localtime(&now)) == 0)
			n->bad_since[0] = '\0';
	}
	snprintf(n->bad, sizeof(n->bad), "%s", err);
	notify_status(m, notify_total_ended(m), 0.);
}

void notify_waiting(struct master *m)
{
	notify_send(m, "READY=1");
	notify_status(m, 0, 0.);
}

void notify_ready(struct master *m)
{
	notify_send(m, "READY=1\nSTATUS=running: %u workers", m->target);
}

void notify_reloading(struct master *m)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	notify_send(m, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading",
	            (unsigned long long)ts.tv_sec * 1000000ULL +
	                (unsigned long long)ts.tv_nsec / 1000);
}

void notify_stopping(struct master *m)
{
	notify_send(m, "STOPPING=1\nSTATUS=stopping: %zu queued, %llu unfinished", m->queue.len,
	            (unsigned long long)m->live);
}

void notify_close(struct master *m)
{
	struct notify *n = &m->notify;

	ev_timer_stop(m->loop, &n->status_w);
	ev_timer_stop(m->loop, &n->watchdog_w);
	if (n->fd != -1)
		close(n->fd);
	n->fd = -1;
}
