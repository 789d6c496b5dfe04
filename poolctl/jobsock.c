/*
 * poolctl's conversation with the daemon's socket for jobs by id: a
 * stream of "submit LINE" requests whose answers ("id N" or "error WHY")
 * are read while more lines are written (so neither side's buffer grows
 * without bound), and one-shot requests whose whole reply is wanted in
 * memory (cancel, states).  No globals; exits like the rest of poolctl.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "exitcodes.h"
#include "jobsock.h"
#include "poolctl.h"

void jobsock_open(struct jobsock *js, const char *path, bool submit, jobsock_answer_fn fn,
                  void *arg)
{
	memset(js, 0, sizeof(*js));
	js->fd = poolctl_connect_as(path, submit);
	js->fn = fn;
	js->arg = arg;
}

/* Reads what is there and hands over each whole answer line; false at EOF. */
static bool jobsock_read(struct jobsock *js)
{
	ssize_t n = read(js->fd, js->in + js->in_len, sizeof(js->in) - 1 - js->in_len);
	char *nl;

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n < 0 && errno != ECONNRESET)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "lost the connection to poold: %s",
		            strerror(errno));
	if (n <= 0)
		return false;
	js->in_len += (size_t)n;
	while ((nl = memchr(js->in, '\n', js->in_len)) != NULL) {
		*nl = '\0';
		js->answered++;
		js->fn(js->in, js->arg);
		js->in_len -= (size_t)(nl - js->in) + 1;
		memmove(js->in, nl + 1, js->in_len);
	}
	if (js->in_len == sizeof(js->in) - 1)
		poolctl_die(POOLD_EXIT_SOFTWARE, "an answer from poold over %zu bytes",
		            sizeof(js->in));
	return true;
}

/* Writes all of buf, reading answers whenever they come. */
static void jobsock_write(struct jobsock *js, const char *buf, size_t len)
{
	struct pollfd p = {.fd = js->fd, .events = POLLIN | POLLOUT};
	ssize_t n;

	while (len > 0) {
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			poolctl_die(POOLD_EXIT_OSERR, "poll: %s", strerror(errno));
		if ((p.revents & POLLIN) && !jobsock_read(js))
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold closed the connection");
		if (!(p.revents & (POLLOUT | POLLERR | POLLHUP)))
			continue;
		n = send(js->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold went away: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

void jobsock_submit(struct jobsock *js, const char *line, size_t len)
{
	jobsock_write(js, "submit ", 7);
	jobsock_write(js, line, len);
	jobsock_write(js, "\n", 1);
	js->sent++;
}

void jobsock_request(struct jobsock *js, const char *req)
{
	jobsock_write(js, req, strlen(req));
}

void jobsock_finish(struct jobsock *js)
{
	shutdown(js->fd, SHUT_WR);
	while (jobsock_read(js))
		;
	close(js->fd);
	js->fd = -1;
}
