/*
 * The status/wait socket's clients: a Unix stream socket beside the FIFO,
 * for the requests that need an answer (a FIFO cannot give one).  A client
 * sends one line and reads the reply until EOF:
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
 * never blocks on a client.  Waiters cost no timer and O(1) memory
 * (ctlwait.c).  The "submit" stream is in ctlsubmit.c.  This file holds
 * a client from its first byte to its close: reading its request,
 * answering it, the stream and wait; the listener, the table's admission
 * and the idle timer are in ctlsock_accept.c, which calls ctlsock_client_read,
 * ctlsock_client_close and the rest declared in ctlsock.h, never the reverse.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "ctlsock.h"
#include "master.h"

static void client_stream(struct client *c);
static void client_stream_sent(struct client *c);

/* Takes c off the list of clients with no request yet. */
void ctlsock_client_busy(struct client *c)
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

void ctlsock_client_close(struct client *c)
{
	struct master *m = c->m;

	ev_io_stop(m->loop, &c->io_w);
	ctlsock_client_busy(c);
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
		ctlsock_client_close(c);
		return;
	}
	if (c->stream)
		client_stream_sent(c);
	else
		ctlsock_client_close(c);
}

/* Queues a reply (taking ownership of text) and starts sending it. */
static void client_reply(struct client *c, char *text, size_t len)
{
	struct ev_loop *loop = c->m->loop;

	c->out = text;
	c->out_len = len;
	c->out_off = 0;
	c->waiting = false;
	ctlsock_client_busy(c);
	ev_io_stop(loop, &c->io_w);
	ev_io_set(&c->io_w, c->fd, EV_WRITE);
	ev_io_start(loop, &c->io_w);
	client_write(c);
}

void ctlsock_reply_str(struct client *c, const char *s)
{
	char *copy = strdup(s);

	if (copy == NULL) {
		ctlsock_client_close(c);
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
		ctlsock_client_close(c);
		break;
	case CTLSUBMIT_TOO_LONG:
		ctlsock_reply_str(c, "error request too long\n");
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
		ctlsock_client_close(c);
}

static void client_wait_done(struct client *c)
{
	char *lines, *text;
	uint64_t failed;
	size_t len;
	int n;

	if (outcome_failures_since(c->m, c->wait.upto, &lines, &len, &failed) == -1) {
		ctlsock_client_close(c);
		return;
	}
	n = asprintf(&text, "waited %llu failed %llu\n%s", (unsigned long long)c->wait_jobs,
	             (unsigned long long)failed, lines);
	free(lines);
	if (n < 0) {
		ctlsock_client_close(c);
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
		ctlsock_reply_str(c, "error out of memory\n");
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
		ctlsock_reply_str(c, "error bad request: scale wants N, +K or -K\n");
		return;
	}
	if (m->stopping) {
		ctlsock_reply_str(c, "error poold is stopping\n");
		return;
	}
	if (*arg == '+' || *arg == '-')
		v += (long)m->target;
	if (pool_scale(m, v, "scale", err, sizeof(err)) == -1) {
		snprintf(reply, sizeof(reply), "error refused: %s\n", err);
		ctlsock_reply_str(c, reply);
		return;
	}
	snprintf(reply, sizeof(reply), "workers %u (was %u)\n", m->target, was);
	ctlsock_reply_str(c, reply);
}

static void client_request(struct client *c, const char *req)
{
	struct master *m = c->m;
	char *text;
	size_t len;

	if (strcmp(req, "status") == 0 || strcmp(req, "status json") == 0) {
		if (status_render(m, req[6] != '\0', &text, &len) == -1) {
			ctlsock_reply_str(c, "error out of memory\n");
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
		ctlsock_client_close(c);
	} else if (strncmp(req, "pause ", 6) == 0 || strncmp(req, "resume ", 7) == 0) {
		char reply[128];

		sched_pause(m, strchr(req, ' ') + 1, req[0] == 'p', reply, sizeof(reply));
		ctlsock_reply_str(c, reply);
	} else if (strcmp(req, "metrics") == 0) {
		if (metrics_render(m, &text, &len) == -1) {
			ctlsock_reply_str(c, "error out of memory\n");
			return;
		}
		client_reply(c, text, len);
	} else if ((text = jobctl_request(m, req, &len)) != NULL || len > 0) {
		if (text == NULL)
			ctlsock_reply_str(c, "error out of memory\n");
		else
			client_reply(c, text, len);
	} else {
		ctlsock_reply_str(
		    c, "error unknown request (status, status json, wait, scale, "
		       "pause, resume, metrics, scoreboard, submit, job, jobs, cancel, states)\n");
	}
}

/* Reads the request line; while waiting, reading only notices a hang-up. */
void ctlsock_client_read(struct client *c)
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
		ctlsock_client_close(c);
		return;
	}
	if (c->waiting)
		return;
	c->in_len += (size_t)n;
	if (c->stream || (c->in_len >= 7 && memcmp(c->in, "submit ", 7) == 0)) {
		ctlsock_client_busy(c);
		c->stream = true;
		client_stream(c); /* may close c */
		dispatch_run(m);
		return;
	}
	nl = memchr(c->in, '\n', c->in_len);
	if (nl == NULL) {
		if (c->in_len == sizeof(c->in))
			ctlsock_reply_str(c, "error request too long\n");
		return;
	}
	*nl = '\0';
	c->in_len = 0;
	ctlsock_client_busy(c);
	client_request(c, c->in);
}

static void client_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct client *c = container_of(w, struct client, io_w);

	if (revents & EV_WRITE)
		client_write(c);
	else
		ctlsock_client_read(c);
}

void ctlsock_client_start(struct client *c)
{
	ev_io_init(&c->io_w, client_io_cb, c->fd, EV_READ);
	ev_io_start(c->m->loop, &c->io_w);
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
