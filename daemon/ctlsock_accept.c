/*
 * The status/wait socket's listening side: opening it (clearing a socket
 * file a dead daemon left), accepting connections, and closing it.  At
 * most m->ctl_cap clients are served at once (CTLSOCK_MAX, or fewer if
 * the descriptor limit says so: limits.c).  No client can lock the
 * others out: one that has sent no request within CTLSOCK_IDLE seconds is
 * dropped, and when the table is full the oldest of those is dropped at
 * once for a new one.  Only clients with a request in hand (waiters,
 * replies being written) fill the table; a connection beyond it gets the
 * one line "error busy: ..." (poolctl exits 75), also when the process
 * is out of descriptors (a spare one is kept for that).  A client, once
 * in the table, is served by ctlsock.c (the requests and replies): this
 * file calls its ctlsock_client_start, ctlsock_client_read and
 * ctlsock_client_close, and nothing there calls back here.
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

#include "fsutil.h"
#include "log.h"
#include "ctlsock.h"
#include "master.h"

#define CTLSOCK_IDLE    5.0
#define CTLSOCK_BACKLOG 512

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

/* Says why on a connection about to be closed; it is new or idle, so the
 * line fits its empty socket buffer and the send cannot block. */
static void ctlsock_refuse(int fd, const char *line)
{
	(void)send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
	ctlsock_drain(fd);
	close(fd);
}

static void client_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct client *c = container_of(w, struct client, idle_w);

	ctlsock_client_busy(c);
	c->in_len = 0;
	ctlsock_reply_str(c, "error idle: no request within 5 s\n");
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
			ctlsock_client_read(c); /* ends its idleness, or closes it */
			if (m->nclients < before)
				return true;
			if (m->idle_first != c)
				continue;
		}
		(void)send(c->fd, line, sizeof(line) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		ctlsock_drain(c->fd);
		ctlsock_client_close(c);
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
	ctlsock_client_start(c);
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
		ctlsock_client_close(m->clients);
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
