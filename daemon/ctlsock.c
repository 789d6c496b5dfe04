/*
 * The status/wait socket: a Unix stream socket beside the FIFO, for the
 * requests that need an answer (a FIFO cannot give one).  A client sends
 * one line and reads the reply until EOF:
 *
 *   status        a readable table          (status.c)
 *   status json   one JSON object           (status.c)
 *   wait          "waited N failed F", then one line per failed job,
 *                 once every job accepted before the request has ended
 *
 * Replies are queued and written when the socket is writable; the master
 * never blocks on a client.  A client that says nothing for
 * CTLSOCK_IDLE seconds is dropped, and at most CTLSOCK_MAX are served at
 * once, so clients cannot use up the master's descriptors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "master.h"

#define CTLSOCK_MAX     64
#define CTLSOCK_IDLE    10.0
#define CTLSOCK_REQ_MAX 256

struct client {
	struct master *m;
	struct client *prev, *next;
	int fd;
	ev_io io_w;
	ev_timer idle_w;
	char in[CTLSOCK_REQ_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool waiting;
	uint64_t wait_upto; /* jobs with ids up to this one */
	uint64_t wait_jobs; /* that were unfinished at the request */
	uint64_t wait_left; /* of those, still unfinished */
};

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents);

static void client_close(struct client *c)
{
	struct master *m = c->m;

	ev_io_stop(m->loop, &c->io_w);
	ev_timer_stop(m->loop, &c->idle_w);
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
		break;
	}
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
	ev_timer_stop(loop, &c->idle_w);
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

static void client_wait_done(struct client *c)
{
	char *lines, *text;
	uint64_t failed;
	size_t len;
	int n;

	if (outcome_failures_since(c->m, c->wait_upto, &lines, &len, &failed) == -1) {
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

/* "scale N", "scale +K", "scale -K". */
static void client_scale(struct client *c, const char *arg)
{
	struct master *m = c->m;
	char *end, reply[64];
	unsigned was = m->target, now;
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
	now = pool_scale(m, v, "scale");
	snprintf(reply, sizeof(reply), "workers %u (was %u)\n", now, was);
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
		/* Lines already written are jobs the caller submitted: take them in. */
		fifo_drain(m);
		dispatch_run(m);
		c->waiting = true;
		c->wait_upto = m->next_id;
		c->wait_jobs = c->wait_left = m->live;
		ev_timer_stop(m->loop, &c->idle_w);
		if (c->wait_left == 0)
			client_wait_done(c);
	} else if (strncmp(req, "scale ", 6) == 0) {
		client_scale(c, req + 6);
	} else if (strcmp(req, "scoreboard") == 0) {
		/* One byte with the descriptor attached, then the end. */
		if (board_send(m, c->fd) == -1)
			log_warn("status socket: sending the scoreboard");
		client_close(c);
	} else if (strcmp(req, "metrics") == 0) {
		if (metrics_render(m, &text, &len) == -1) {
			client_reply_str(c, "error out of memory\n");
			return;
		}
		client_reply(c, text, len);
	} else {
		client_reply_str(c, "error unknown request (status, status json, wait, scale, "
		                    "metrics, scoreboard)\n");
	}
}

/* Reads the request line; while waiting, reading only notices a hang-up. */
static void client_read(struct client *c)
{
	char *nl;
	ssize_t n;

	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	if (c->waiting)
		return;
	c->in_len += (size_t)n;
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL) {
		if (c->in_len == sizeof(c->in))
			client_reply_str(c, "error request too long\n");
		return;
	}
	*nl = '\0';
	c->in_len = 0;
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

static void client_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	client_close(container_of(w, struct client, idle_w));
}

static void ctlsock_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct master *m = container_of(w, struct master, sock_w);
	struct client *c;
	int fd;

	while ((fd = accept4(m->sock_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) != -1) {
		c = m->nclients < CTLSOCK_MAX ? calloc(1, sizeof(*c)) : NULL;
		if (c == NULL) {
			log_warnx("status socket: too many clients; closing a new one");
			close(fd);
			continue;
		}
		c->m = m;
		c->fd = fd;
		c->next = m->clients;
		if (c->next != NULL)
			c->next->prev = c;
		m->clients = c;
		m->nclients++;
		ev_io_init(&c->io_w, client_io_cb, fd, EV_READ);
		ev_io_start(loop, &c->io_w);
		ev_timer_init(&c->idle_w, client_idle_cb, CTLSOCK_IDLE, 0.);
		ev_timer_start(loop, &c->idle_w);
	}
	if (errno != EAGAIN && errno != EINTR)
		log_warn("status socket: accept");
}

void ctlsock_job_ended(struct master *m, uint64_t id)
{
	struct client *c, *next;

	for (c = m->clients; c != NULL; c = next) {
		next = c->next;
		if (c->waiting && id <= c->wait_upto && --c->wait_left == 0)
			client_wait_done(c);
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
	if (r == -1 || listen(fd, CTLSOCK_MAX) == -1) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	m->sock_fd = fd;
	ev_io_init(&m->sock_w, ctlsock_accept_cb, fd, EV_READ);
	ev_io_start(m->loop, &m->sock_w);
	return 0;
}

void ctlsock_close(struct master *m)
{
	while (m->clients != NULL)
		client_close(m->clients);
	if (m->sock_fd == -1)
		return;
	ev_io_stop(m->loop, &m->sock_w);
	close(m->sock_fd);
	unlink(m->cfg.socket);
	m->sock_fd = -1;
}
