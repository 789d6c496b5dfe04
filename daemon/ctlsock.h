/*
 * Private to ctlsock_accept.c, ctlsock.c and ctlsubmit.c: a client of the
 * control socket.  ctlsock_accept.c (the listener) calls ctlsock.c (the
 * client's requests and replies), which calls ctlsubmit.c, never the
 * other way round.
 * The rest of the master uses the ctlsock_* functions in master.h.
 */
#ifndef POOLD_CTLSOCK_H
#define POOLD_CTLSOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "master.h"

#define CTLSOCK_REQ_MAX (CTL_LINE_MAX + 16) /* "submit " and a whole line */

struct client {
	struct master *m;
	struct client *prev, *next;   /* every client */
	struct client *iprev, *inext; /* clients with no request yet, oldest first */
	bool idle;                    /* on that list */
	int fd;
	ev_io io_w;
	ev_timer idle_w;
	char in[CTLSOCK_REQ_MAX];
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	bool stream; /* sending "submit" lines */
	bool eof;    /* ... and has shut down its side */
	bool parked; /* ... and waits for room in the queue */
	bool waiting;
	struct waiter wait;
	uint64_t wait_jobs; /* unfinished at the request */
};

/* ---- ctlsock.c: a client's requests and replies (ctlsock_accept.c calls) ---- */
/* Takes c off the list of clients with no request yet. */
void ctlsock_client_busy(struct client *c);
/* Closes c and frees it. */
void ctlsock_client_close(struct client *c);
/* Queues a copy of s as c's reply and starts sending it. */
void ctlsock_reply_str(struct client *c, const char *s);
/* Reads c's request line, and answers it when it is whole (may close c). */
void ctlsock_client_read(struct client *c);
/* Starts c's watcher, which writes its reply or reads its request. */
void ctlsock_client_start(struct client *c);

/* ---- ctlsubmit.c: the "submit" stream ---- */
/* What ctlsock.c does with the client after ctlsubmit_take. */
enum ctlsubmit_next {
	CTLSUBMIT_CLOSE,    /* out of memory: close it */
	CTLSUBMIT_TOO_LONG, /* a line over CTLSOCK_REQ_MAX: reply so and close */
	CTLSUBMIT_WRITE,    /* answers are queued: write them */
	CTLSUBMIT_SENT,     /* nothing to write: see ctlsubmit_finished */
};
/* Takes the whole "submit" lines c has sent while the queue has room
 * (parks c at the limit) and queues their answers. */
enum ctlsubmit_next ctlsubmit_take(struct client *c);
/* c's answers are all sent: true if it is finished (EOF, nothing left:
 * close it), else its watcher is set to read on. */
bool ctlsubmit_finished(struct client *c);

#endif
