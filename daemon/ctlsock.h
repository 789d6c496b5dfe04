/*
 * Private to ctlsock.c and ctlsubmit.c: a client of the control socket.
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

/* ---- ctlsock.c ---- */
/* Closes c and frees it. */
void ctlsock_client_close(struct client *c);
/* Writes what is queued; closes c when all is sent (a stream client goes
 * on: ctlsubmit_sent) or when it is gone. */
void ctlsock_client_write(struct client *c);
/* Sends s as the whole reply, then closes c. */
void ctlsock_client_reply_str(struct client *c, const char *s);

/* ---- ctlsubmit.c: the "submit" stream ---- */
/* Takes the whole "submit" lines c has sent while the queue has room. */
void ctlsubmit_stream(struct client *c);
/* c's answers are all sent: it ends after its EOF, or reads on. */
void ctlsubmit_sent(struct client *c);
/* Jobs ended: the submitters parked for room go on. */
void ctlsubmit_room(struct master *m);

#endif
