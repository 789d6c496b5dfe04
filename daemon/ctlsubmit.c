/*
 * The control socket's "submit" stream: a client sends "submit LINE"
 * lines and gets one answer each, in order ("id N" or "error REASON"),
 * until it shuts down its side.  Each line is admitted by jobctl_submit
 * (queue_admit, as for every source); the jobs are made durable (the
 * journal) before any id is sent.  While [pool] queue_limit jobs are
 * unfinished the client is parked: its lines stay unread (it blocks), as
 * with the FIFO, until jobs end (ctlsock.c's settle step takes them on).
 * Owns no client and never closes or writes one: it says what ctlsock.c
 * is to do next, so the two files do not call each other in a circle.
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "ctlsock.h"
#include "master.h"

/* A stream client's watcher: read unless parked or at EOF, write while
 * replies are pending. */
static void client_watch(struct client *c)
{
	int ev = (c->parked || c->eof ? 0 : EV_READ) | (c->out_off < c->out_len ? EV_WRITE : 0);

	ev_io_stop(c->m->loop, &c->io_w);
	if (ev == 0)
		return;
	ev_io_set(&c->io_w, c->fd, ev);
	ev_io_start(c->m->loop, &c->io_w);
}

/* Answers one "submit LINE" (nl: its newline in c->in); false if the
 * reply cannot be queued (out of memory). */
static bool client_submit_one(struct client *c, char *nl, bool *took)
{
	char err[400], line[480];
	uint64_t id;
	int n;

	*nl = '\0';
	if (strncmp(c->in, "submit ", 7) != 0)
		n = snprintf(line, sizeof(line), "error only submit requests may follow one\n");
	else if (jobctl_submit(c->m, c->in + 7, (size_t)(nl - c->in) - 7, &id, err, sizeof(err)) ==
	         0) {
		n = snprintf(line, sizeof(line), "id %llu\n", (unsigned long long)id);
		*took = true;
	} else {
		n = snprintf(line, sizeof(line), "error %s\n", err);
	}
	n = n < (int)sizeof(line) ? n : (int)sizeof(line) - 1;
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	if (buf_reserve(&c->out, &c->out_cap, c->out_len, (size_t)n, 4096) == -1)
		return false;
	memcpy(c->out + c->out_len, line, (size_t)n);
	c->out_len += (size_t)n;
	c->in_len -= (size_t)(nl - c->in) + 1;
	memmove(c->in, nl + 1, c->in_len);
	return true;
}

/*
 * Takes the whole "submit" lines a stream client has sent while the queue
 * has room, queues their answers, and makes the jobs durable (journal)
 * before any id is sent.
 */
enum ctlsubmit_next ctlsubmit_take(struct client *c)
{
	struct master *m = c->m;
	bool took = false;
	char *nl;

	while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
		if (jobctl_full(m)) {
			c->parked = true;
			m->ctl_parked++;
			break;
		}
		if (!client_submit_one(c, nl, &took))
			return CTLSUBMIT_CLOSE;
	}
	if (nl == NULL && c->in_len == sizeof(c->in))
		return CTLSUBMIT_TOO_LONG;
	if (took)
		journal_after_read(m);
	client_watch(c);
	return c->out_off < c->out_len ? CTLSUBMIT_WRITE : CTLSUBMIT_SENT;
}

bool ctlsubmit_finished(struct client *c)
{
	if (c->eof && !c->parked && memchr(c->in, '\n', c->in_len) == NULL)
		return true;
	client_watch(c);
	return false;
}
