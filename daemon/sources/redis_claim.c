/*
 * Claiming: entries that another consumer read and never acknowledged (its
 * poold died, or lost its host) move to a live one.  Every claim_idle / 2:
 *
 *   - heartbeat: every entry this poold holds (queued or running) is
 *     XCLAIMed to itself again with JUSTID, which resets its idle time
 *     without counting a delivery, so no other consumer takes over an
 *     entry that is merely waiting or running long here;
 *   - scan: XPENDING ... IDLE claim_idle lists entries idle that long, with
 *     their consumers and delivery counts.  Those delivered max_attempts
 *     times or more are claimed and moved to the dead-letter stream
 *     ("delivered N times"); the others are XCLAIMed here, at most as many
 *     as the queue has room for, and run.  XCLAIM's own idle test makes
 *     two scanning consumers take each entry once.
 *
 * The first scan after each connection (the history scan) lists this
 * consumer's own pending entries, whatever their idle time, and takes
 * those it does not hold, before any new entry is read (redis.c pages it
 * on as the queue has room): entries delivered by a read whose reply a lost
 * connection swallowed, or left by a crash of a poold with the same
 * configured consumer name.  What it holds is snapshotted when the
 * XPENDING is sent, after the acknowledgements due, so an entry that
 * ended meanwhile is not taken again.  The scan pages through the pending
 * list with an exclusive start ("(ID"), so entries it skips do not hide
 * the ones behind them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "redis.h"

static int redis_eid_cmp(const void *a, const void *b)
{
	const struct redis_eid *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A read with no reply this long means the connection is dead. */
#define REDIS_READ_STALL 15.0

/* Entries one XCLAIM asks for, with their delivery counts. */
struct redis_claim {
	bool bury;
	size_t n;
	struct {
		struct redis_eid eid;
		long long count;
	} e[];
};

static void redis_heartbeat_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = ac->data;
	const redisReply *rep = reply;

	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		redis_warn(r, "redis: XCLAIM (heartbeat): %s", rep->str);
}

/* XCLAIM STREAM GROUP CONSUMER MIN-IDLE IDS... [JUSTID]: the fixed part. */
static size_t redis_claim_head(struct redis_source *r, const char *min_idle)
{
	r->argv[0] = "XCLAIM";
	r->argv[1] = r->stream;
	r->argv[2] = r->group;
	r->argv[3] = r->consumer;
	r->argv[4] = min_idle;
	return 5;
}

void redis_heartbeat(struct redis_source *r)
{
	struct redis_job *x = r->held;
	size_t n, h;

	while (x != NULL && r->state == REDIS_UP) {
		h = redis_claim_head(r, "0");
		for (n = 0; x != NULL && n < REDIS_IDS_PER_CMD; x = x->next, n++) {
			redis_eid_format(&x->eid, r->ids[n]);
			r->argv[h + n] = r->ids[n];
		}
		r->argv[h + n] = "JUSTID";
		if (redis_send(r->wr, redis_heartbeat_cb, NULL, (int)(h + n + 1), r->argv, NULL) ==
		    -1)
			return;
	}
}

/* What XCLAIM returned: entries to run here, or to move to dead letters. */
static void redis_claimed_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = ac->data;
	struct redis_claim *c = priv;
	const redisReply *rep = reply, *e;
	char reason[64], id[REDIS_EID_MAX];
	struct redis_eid eid;
	size_t i, k;

	for (i = 0; rep != NULL && rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
		e = rep->element[i];
		if (!c->bury) {
			redis_take_entry(r, e, true);
			continue;
		}
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
		    e->element[0]->type != REDIS_REPLY_STRING ||
		    redis_eid_parse(e->element[0]->str, (size_t)e->element[0]->len, &eid) == -1)
			continue;
		for (k = 0; k < c->n && memcmp(&c->e[k].eid, &eid, sizeof(eid)) != 0; k++)
			;
		snprintf(reason, sizeof(reason), "delivered %lld times",
		         k < c->n ? c->e[k].count : 0);
		redis_eid_format(&eid, id);
		redis_warn(r, "redis: entry %s %s; moved to %s", id, reason, r->dead);
		redis_dead_entry(r, &eid, e->element[1], "undeliverable", reason);
	}
	if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		redis_warn(r, "redis: XCLAIM: %s", rep->str);
	free(c);
}

static void redis_claim_send(struct redis_source *r, struct redis_claim *c)
{
	char idle[24];
	size_t i, h;

	if (c == NULL)
		return;
	if (c->n == 0) {
		free(c);
		return;
	}
	snprintf(idle, sizeof(idle), "%u", r->history ? 0u : r->m->cfg.redis_claim_idle_ms);
	h = redis_claim_head(r, idle);
	for (i = 0; i < c->n; i++) {
		redis_eid_format(&c->e[i].eid, r->ids[i]);
		r->argv[h + i] = r->ids[i];
	}
	if (redis_send(r->wr, redis_claimed_cb, c, (int)(h + c->n), r->argv, NULL) == -1)
		free(c);
}

static struct redis_claim *redis_claim_new(size_t n, bool bury)
{
	struct redis_claim *c = malloc(sizeof(*c) + n * sizeof(c->e[0]));

	if (c != NULL) {
		c->bury = bury;
		c->n = 0;
	}
	return c;
}

/* One XPENDING row [ID, CONSUMER, IDLE, COUNT], checked. */
static int redis_pending_row(const redisReply *row, struct redis_eid *eid)
{
	if (row->type != REDIS_REPLY_ARRAY || row->elements != 4 ||
	    row->element[0]->type != REDIS_REPLY_STRING ||
	    row->element[1]->type != REDIS_REPLY_STRING ||
	    row->element[3]->type != REDIS_REPLY_INTEGER)
		return -1;
	return redis_eid_parse(row->element[0]->str, (size_t)row->element[0]->len, eid);
}

/*
 * Files one row as an entry to run or to bury, or skips it (this
 * consumer's own, outside the history scan).  Returns false, filing
 * nothing, when it should run and the queue has no more room.
 */
static bool redis_scan_row(struct redis_source *r, const redisReply *row,
                           const struct redis_eid *eid, struct redis_claim *run,
                           struct redis_claim *bury, size_t room)
{
	long long count = row->element[3]->integer;
	struct redis_claim *c;

	if (!r->history && strcmp(row->element[1]->str, r->consumer) == 0)
		return true;
	if (r->history && r->nsnap > 0 &&
	    bsearch(eid, r->snap, r->nsnap, sizeof(*eid), redis_eid_cmp) != NULL)
		return true;
	if (count >= (long long)r->m->cfg.redis_max_attempts)
		c = bury;
	else if (run->n < room)
		c = run;
	else
		return false;
	c->e[c->n].eid = *eid;
	c->e[c->n++].count = count;
	return true;
}

/*
 * One XPENDING reply: claims what it lists, and moves the scan's start
 * past the rows it dealt with (back to the beginning after the last page).
 */
static void redis_scan_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = priv;
	const redisReply *rep = reply, *row;
	size_t i, room = redis_capacity(r), n;
	struct redis_claim *run, *bury;
	struct redis_eid eid;
	bool done = true;

	r->scanning = false;
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY) {
		if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
			redis_warn(r, "redis: XPENDING: %s", rep->str);
		r->read_pause = ev_now(r->m->loop) + 1.0; /* the history scan: not at once */
		return;
	}
	n = rep->elements;
	run = redis_claim_new(n, false);
	bury = redis_claim_new(n, true);
	for (i = 0; run != NULL && bury != NULL && i < n && done; i++) {
		row = rep->element[i];
		if (redis_pending_row(row, &eid) == -1)
			continue;
		done = redis_scan_row(r, row, &eid, run, bury, room);
		if (done)
			snprintf(r->scan_from, sizeof(r->scan_from), "(%.*s",
			         (int)row->element[0]->len, row->element[0]->str);
	}
	redis_claim_send(r, run);
	redis_claim_send(r, bury);
	if (done && run != NULL && bury != NULL && n < r->m->cfg.redis_batch) {
		snprintf(r->scan_from, sizeof(r->scan_from), "-");
		r->history = false;
	}
}

/* Sorts the held entries into r->snap for the history scan; -1 without memory. */
static int redis_snapshot(struct redis_source *r)
{
	const struct redis_job *x;
	struct redis_eid *p = NULL;
	size_t n = 0;

	if (r->nheld > 0 && (p = malloc(r->nheld * sizeof(*p))) == NULL)
		return -1;
	for (x = r->held; x != NULL; x = x->next)
		p[n++] = x->eid;
	if (n > 0)
		qsort(p, n, sizeof(*p), redis_eid_cmp);
	free(r->snap);
	r->snap = p;
	r->nsnap = n;
	return 0;
}

/* XPENDING STREAM GROUP [IDLE MS] START + COUNT [CONSUMER]: the history
 * scan lists this consumer's entries whatever their idle time. */
void redis_claim_scan(struct redis_source *r)
{
	char idle[24], count[24];
	const char *argv[9] = {"XPENDING", r->stream, r->group};
	struct master *m = r->m;
	int argc = 3;

	if (r->scanning || r->closing || m->stopping || r->state != REDIS_UP)
		return;
	snprintf(idle, sizeof(idle), "%u", m->cfg.redis_claim_idle_ms);
	snprintf(count, sizeof(count), "%u", m->cfg.redis_batch);
	if (!r->history) {
		argv[argc++] = "IDLE";
		argv[argc++] = idle;
	}
	argv[argc++] = r->scan_from;
	argv[argc++] = "+";
	argv[argc++] = count;
	if (r->history) {
		argv[argc++] = r->consumer;
		redis_flush(r); /* XACKs first: an entry that ended is not listed */
		if (redis_snapshot(r) == -1)
			return;
	}
	if (redis_send(r->wr, redis_scan_cb, r, argc, argv, NULL) == 0)
		r->scanning = true;
}

static void redis_claim_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct redis_source *r = container_of(w, struct redis_source, claim_w);

	if (r->state != REDIS_UP)
		return;
	if (r->reading && ev_now(loop) - r->read_sent > REDIS_READ_STALL) {
		redis_lost(r, NULL, "no reply to XREADGROUP in 15 s");
		return;
	}
	if (!r->group_ready)
		redis_create_group(r);
	redis_heartbeat(r);
	redis_claim_scan(r);
}

void redis_claim_start(struct redis_source *r)
{
	ev_timer_init(&r->claim_w, redis_claim_cb, 0., r->m->cfg.redis_claim_idle_ms / 2000.0);
	ev_timer_again(r->m->loop, &r->claim_w);
}
