/*
 * The status/wait socket: a Unix stream socket beside the FIFO, for the
 * requests that need an answer (a FIFO cannot give one).  A client sends
 * one line and reads the reply until EOF:
 *
 *   status        a readable table          (status.c)
 *   status json   one JSON object           (status.c)
 *   wait          "waited N failed F", then one line per failed job,
 *                 once every job accepted before the request has ended
 *                 (answered by the settle step: ctlsock_settle)
 *   scale N|+K|-K "workers N (was M)", or "error refused: ..."  (pool.c)
 *   metrics       the Prometheus text format                (metrics.c)
 *   scoreboard    one byte carrying the scoreboard's memfd   (board.c)
 *   job, jobs, cancel, states   the job requests of jobctl_req.c
 *   submit LINE   a job: "id N" or "error REASON"; more "submit" lines
 *                 may follow on the same connection, each answered in
 *                 turn, until the client shuts down its side.  While
 *                 [pool] queue_limit jobs are unfinished, its lines are
 *                 left unread (the client blocks), as with the FIFO
 *                 (ctlsubmit.c).
 *
 * Anything else gets "error unknown request (...)".
 * Replies are queued and written when the socket is writable; the master
 * never blocks on a client.  At most m->ctl_cap clients are served at once
 * (CTLSOCK_MAX, or fewer if the descriptor limit says so: limits.c).  No
 * client can lock the others out: one that has sent no request within
 * CTLSOCK_IDLE seconds is dropped, and when the table is full the oldest
 * of those is dropped at once for a new one.  Only clients with a request
 * in hand (waiters, replies being written) fill the table; a connection
 * beyond it gets the one line "error busy: ..." (poolctl exits 75), also
 * when the process is out of descriptors (a spare one is kept for that).
 * Waiters cost no timer and O(1) memory (ctlwait.c).  The "submit"
 * stream is in ctlsubmit.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "buf.h"
#include "fsutil.h"
#include "log.h"
#include "ctlsock.h"
#include "master.h"

#define CTLSOCK_IDLE    5.0
#define CTLSOCK_BACKLOG 512

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents);
static void client_stream(struct client *c);
static void client_stream_sent(struct client *c);

/* Takes c off the list of clients with no request yet. */
static void client_busy(struct client *c)
{
	struct master *m = c->m;

	if (!c->idle)
		return;
	ev_timer_stop(m->loop, &c->idle_w);
	if (c->iprev != NULL)
		c->iprev->inext = c->inext;
	else
		m->idle_first = c->inext;
	if (c->inext != NULL)
		c->inext->iprev = c->iprev;
	else
		m->idle_last = c->iprev;
	c->idle = false;
}

static void client_close(struct client *c)
{
	struct master *m = c->m;

	ev_io_stop(m->loop, &c->io_w);
	client_busy(c);
	if (c->waiting)
		waitset_remove(&m->waits, &c->wait);
	if (c->parked)
		m->ctl_parked--;
	close(c->fd);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		m->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	m->nclients--;
	free(c->out);
	free(c);
}

/* Writes what is queued; closes the client when all is sent or it is gone. */
static void client_write(struct client *c)
{
	ssize_t n;

	while (c->out_off < c->out_len) {
		n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (n > 0) {
			c->out_off += (size_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		client_close(c);
		return;
	}
	if (c->stream)
		client_stream_sent(c);
	else
		client_close(c);
}

/* Queues a reply (taking ownership of text) and starts sending it. */
static void client_reply(struct client *c, char *text, size_t len)
{
	struct ev_loop *loop = c->m->loop;

	c->out = text;
	c->out_len = len;
	c->out_off = 0;
	c->waiting = false;
	client_busy(c);
	ev_io_stop(loop, &c->io_w);
	ev_io_set(&c->io_w, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io_w);
	client_write(c);
}

static void client_reply_str(struct client *c, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL) {
		client_close(c);
		return;
	}
	client_reply(c, copy, strlen(copy));
}

/* Takes a stream client's "submit" lines (ctlsubmit.c) and acts on
 * what is to be done next. */
static void client_stream(struct client *c)
{
	switch (ctlsubmit_take(c)) {
	case CTLSUBMIT_CLOSE:
		client_close(c);
		break;
	case CTLSUBMIT_TOO_LONG:
		client_reply_str(c, "error request too long\n");
		break;
	case CTLSUBMIT_WRITE:
		client_write(c);
		break;
	case CTLSUBMIT_SENT:
		client_stream_sent(c);
		break;
	}
}

/* A stream client's answers are all sent: it ends after its EOF. */
static void client_stream_sent(struct client *c)
{
	if (ctlsubmit_finished(c))
		client_close(c);
}

static void client_wait_done(struct client *c)
{
	char *lines, *text;
	uint64_t failed;
	size_t len;
	int n;

	if (outcome_failures_since(c->m, c->wait.upto, &lines, &len, &failed) == -1) {
		client_close(c);
		return;
	}
	n = asprintf(&text, "waited %llu failed %llu\n%s", (unsigned long long)c->wait_jobs,
	             (unsigned long long)failed, lines);
	free(lines);
	if (n < 0) {
		client_close(c);
		return;
	}
	client_reply(c, text, (size_t)n);
}

/* Lines already written are jobs the caller submitted: take them in. */
static void client_wait(struct client *c)
{
	struct master *m = c->m;
	int r;

	fifo_drain(m);
	source_drain_all(m);
	c->wait_jobs = m->live;
	r = waitset_add(&m->waits, &c->wait, m->next_id, m->live);
	if (r == -1) {
		client_reply_str(c, "error out of memory\n");
		return;
	}
	c->wait.upto = m->next_id;
	if (r == 1) {
		client_wait_done(c);
		return;
	}
	c->waiting = true;
}

/* "scale N", "scale +K", "scale -K". */
static void client_scale(struct client *c, const char *arg)
{
	struct master *m = c->m;
	char *end, reply[600], err[512];
	unsigned was = m->target;
	long v;

	errno = 0;
	v = strtol(arg, &end, 10);
	if (*arg == '\0' || *end != '\0' || errno == ERANGE || v > 1000000 || v < -1000000) {
		client_reply_str(c, "error bad request: scale wants N, +K or -K\n");
		return;
	}
	if (m->stopping) {
		client_reply_str(c, "error poold is stopping\n");
		return;
	}
	if (*arg == '+' || *arg == '-')
		v += (long)m->target;
	if (pool_scale(m, v, "scale", err, sizeof(err)) == -1) {
		snprintf(reply, sizeof(reply), "error refused: %s\n", err);
		client_reply_str(c, reply);
		return;
	}
	snprintf(reply, sizeof(reply), "workers %u (was %u)\n", m->target, was);
	client_reply_str(c, reply);
}

static void client_request(struct client *c, const char *req)
{
	struct master *m = c->m;
	char *text;
	size_t len;

	if (strcmp(req, "status") == 0 || strcmp(req, "status json") == 0) {
		if (status_render(m, req[6] != '\0', &text, &len) == -1) {
			client_reply_str(c, "error out of memory\n");
			return;
		}
		client_reply(c, text, len);
	} else if (strcmp(req, "wait") == 0) {
		client_wait(c);
	} else if (strncmp(req, "scale ", 6) == 0) {
		client_scale(c, req + 6);
	} else if (strcmp(req, "scoreboard") == 0) {
		/* One byte with the descriptor attached, then the end. */
		if (board_send(m, c->fd) == -1)
			log_warn("status socket: sending the scoreboard");
		client_close(c);
	} else if (strncmp(req, "pause ", 6) == 0 || strncmp(req, "resume ", 7) == 0) {
		char reply[128];

		sched_pause(m, strchr(req, ' ') + 1, req[0] == 'p', reply, sizeof(reply));
		client_reply_str(c, reply);
	} else if (strcmp(req, "metrics") == 0) {
		if (metrics_render(m, &text, &len) == -1) {
			client_reply_str(c, "error out of memory\n");
			return;
		}
		client_reply(c, text, len);
	} else if ((text = jobctl_request(m, req, &len)) != NULL || len > 0) {
		if (text == NULL)
			client_reply_str(c, "error out of memory\n");
		else
			client_reply(c, text, len);
	} else {
		client_reply_str(
		    c, "error unknown request (status, status json, wait, scale, "
		       "pause, resume, metrics, scoreboard, submit, job, jobs, cancel, states)\n");
	}
}

/* Reads the request line; while waiting, reading only notices a hang-up. */
static void client_read(struct client *c)
{
	struct master *m = c->m;
	char *nl;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == 0 && c->stream) {
		c->eof = true;
		client_stream(c);
		return;
	}
	if (n <= 0) {
		client_close(c);
		return;
	}
	if (c->waiting)
		return;
	c->in_len += (size_t)n;
	if (c->stream || (c->in_len >= 7 && memcmp(c->in, "submit ", 7) == 0)) {
		client_busy(c);
		c->stream = true;
		client_stream(c); /* may close c */
		dispatch_run(m);
		return;
	}
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL) {
		if (c->in_len == sizeof(c->in))
			client_reply_str(c, "error request too long\n");
		return;
	}
	*nl = '\0';
	c->in_len = 0;
	client_busy(c);
	client_request(c, c->in);
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, io_w);

	if (revents & EV_WRITE)
		client_write(c);
	else
		client_read(c);
}

/* Says why on a connection about to be closed; it is new or idle, so the
 * line fits its empty socket buffer and the send cannot block. */
/* Reads and drops what a refused client has sent (a request line or a
 * little more): a Unix socket closed with data unread resets its peer,
 * whose read then fails instead of returning the reply and EOF. */
static void ctlsock_drain(int fd)
{
	char buf[1024];
	int i;

	for (i = 0; i < 8 && recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0; i++)
		;
}

static void ctlsock_refuse(int fd, const char *line)
{
	(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	ctlsock_drain(fd);
	close(fd);
}

static void client_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, idle_w);

	client_busy(c);
	c->in_len = 0;
	client_reply_str(c, "error idle: no request within 5 s\n");
}

/* Refuses fd as busy; logs it at most every 10 s. */
static void ctlsock_busy(struct master *m, int fd, const char *why)
{
	char line[160];
	ev_tstamp now = ev_now(m->loop);

	snprintf(line, sizeof(line), "error busy: %u %s; try again\n", m->nclients, why);
	if (now - m->busy_logged >= 10.0) {
		log_warnx("status socket: %.*s (more are not logged for 10 s)",
		          (int)strlen(line) - 7, line + 6);
		m->busy_logged = now;
	}
	ctlsock_refuse(fd, line);
}

/*
 * Makes room: drops the oldest client that has sent nothing, telling it
 * so (a client that was slow to send its request on a loaded machine then
 * reports "busy", never a connection closed without a reply).  A client
 * whose request waits unread in its socket (a burst of connections,
 * accepted before any was read) has sent something: its request is read
 * first and it stays.  Returns true if a client left the table.
 */
static bool ctlsock_evict_idle(struct master *m)
{
	static const char line[] = "error busy: room made for a newer client; try again\n";
	unsigned before = m->nclients;
	struct client *c;
	int unread;

	while ((c = m->idle_first) != NULL) {
		if (ioctl(c->fd, FIONREAD, &unread) == 0 && unread > 0) {
			client_read(c); /* ends its idleness, or closes it */
			if (m->nclients < before)
				return true;
			if (m->idle_first != c)
				continue;
		}
		(void)send(c->fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		ctlsock_drain(c->fd);
		client_close(c);
		return true;
	}
	return false;
}

/*
 * The table is full: drops the oldest client that has sent nothing, or
 * refuses fd with "error busy".  Returns true if there is room now.
 */
static bool ctlsock_make_room(struct master *m, int fd)
{
	if (ctlsock_evict_idle(m))
		return true;
	ctlsock_busy(m, fd, "clients with requests in hand, the most served at once");
	return false;
}

static void client_add(struct master *m, int fd)
{
	struct client *c;

	if (m->nclients >= m->ctl_cap && !ctlsock_make_room(m, fd))
		return;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		ctlsock_refuse(fd, "error out of memory\n");
		return;
	}
	c->m = m;
	c->fd = fd;
	c->next = m->clients;
	if (c->next != NULL)
		c->next->prev = c;
	m->clients = c;
	m->nclients++;
	c->idle = true;
	c->iprev = m->idle_last;
	if (m->idle_last != NULL)
		m->idle_last->inext = c;
	else
		m->idle_first = c;
	m->idle_last = c;
	ev_io_init(&c->io_w, client_io_cb, fd, EV_READ);
	ev_io_start(m->loop, &c->io_w);
	ev_timer_init(&c->idle_w, client_idle_cb, CTLSOCK_IDLE, 0.);
	ev_timer_start(m->loop, &c->idle_w);
}

/* Out of descriptors: the spare one's slot takes the connection, which
 * replaces an idle client or is refused as busy. */
static void ctlsock_out_of_fds(struct master *m)
{
	int fd;

	if (m->ctl_spare == -1)
		return;
	close(m->ctl_spare);
	fd = accept4(m->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd != -1 && ctlsock_evict_idle(m)) {
		client_add(m, fd);
	} else if (fd != -1) {
		ctlsock_busy(m, fd, "clients, and poold is out of file descriptors");
	}
	m->ctl_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void ctlsock_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master *m = container_of(w, struct master, sock_w);
	int fd;

	while ((fd = accept4(m->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1)
		client_add(m, fd);
	if (errno == EMFILE || errno == ENFILE)
		ctlsock_out_of_fds(m);
	else if (errno != EAGAIN && errno != EINTR)
		log_warn("status socket: accept");
}

static void ctlsock_wait_done(struct waiter *w, void *arg)
{
	client_wait_done(container_of(w, struct client, wait));
}

/* Settle step: answers the `wait` clients whose jobs all ended. */
void ctlsock_settle(struct master *m)
{
	struct client *c, *next;

	waitset_take_ready(&m->waits, ctlsock_wait_done, NULL);
	/* Room again: the submitters that waited for it go on. */
	for (c = m->clients; m->ctl_parked > 0 && !jobctl_full(m) && c != NULL; c = next) {
		next = c->next;
		if (c->parked) {
			c->parked = false;
			m->ctl_parked--;
			client_stream(c);
		}
	}
}

/* Removes a socket file left by a daemon that is gone; refuses a live one. */
static int ctlsock_clear_stale(const char *path, const struct sockaddr_un *sa, char *err,
                               size_t errlen)
{
	struct stat st;
	int fd, r;

	if (lstat(path, &st) == -1)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s exists and is not a socket", path);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "another poold is running (it answers on %s)", path);
		return -1;
	}
	unlink(path);
	return 0;
}

int ctlsock_open(struct master *m, char *err, size_t errlen)
{
	const char *path = m->cfg.socket;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	mode_t old_mask;
	int fd, r;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path %s is longer than %zu bytes", path,
		         sizeof(sa.sun_path) - 1);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fsutil_private_parent(path, err, errlen) == -1 ||
	    ctlsock_clear_stale(path, &sa, err, errlen) == -1)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* The socket is born with its mode (no chmod by name afterwards, which
	 * would follow a symlink); the master has no other thread yet. */
	old_mask = umask(~m->cfg.mode & 0777);
	r = fd == -1 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r == -1 || listen(fd, CTLSOCK_BACKLOG) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	m->sock_fd = fd;
	m->ctl_spare = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (m->ctl_cap == 0)
		m->ctl_cap = CTLSOCK_MAX;
	ev_io_init(&m->sock_w, ctlsock_accept_cb, fd, EV_READ);
	ev_io_start(m->loop, &m->sock_w);
	return 0;
}

void ctlsock_close(struct master *m)
{
	while (m->clients != NULL)
		client_close(m->clients);
	waitset_free(&m->waits);
	if (m->ctl_spare != -1)
		close(m->ctl_spare);
	m->ctl_spare = -1;
	if (m->sock_fd == -1)
		return;
	ev_io_stop(m->loop, &m->sock_w);
	close(m->sock_fd);
	unlink(m->cfg.socket);
	m->sock_fd = -1;
}
