/*
 * Redis entries in and out: an entry becomes a job the way a FIFO line
 * does (jobs_check_line on "TASK ARGS"), and a job's recorded outcome
 * becomes an acknowledgement.  Redis jobs are not written to poold's own
 * journal: until it is acknowledged an entry stays pending in the group,
 * which is their durability.  A delayed entry (in=, at=) is the exception:
 * the journal takes it over and the entry is acknowledged (redis_queue).
 *
 * An entry is acknowledged only once its job's outcome is recorded.  One
 * whose job did not end well (failed, timed out, buried) or that is not a
 * valid job is first copied to the dead-letter stream with the outcome
 * and the reason, and the copy and the XACK are one atomic script, so an
 * entry is never acknowledged without its dead letter.  Acknowledgements
 * are gathered and sent as one XACK per loop turn; those a lost
 * connection leaves unanswered are sent again (XACK is idempotent).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobs.h"
#include "log.h"
#include "redis.h"

/* KEYS: stream, dead-letter stream; ARGV: group, entry ID, fields...  The
 * dead letter gets the field `entry` (the original ID) before the others. */
static const char redis_move_script[] =
    "redis.call('XADD', KEYS[2], '*', 'entry', ARGV[2], unpack(ARGV, 3)) "
    "return redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])";

/* The longest id field kept for logs. */
#define REDIS_UID_MAX 64

int redis_eid_parse(const char *s, size_t len, struct redis_eid *e)
{
	char buf[REDIS_EID_MAX], *end;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	e->ms = strtoull(buf, &end, 10);
	if (*end != '-' || end[1] < '0' || end[1] > '9')
		return -1;
	e->seq = strtoull(end + 1, &end, 10);
	return *end == '\0' ? 0 : -1;
}

size_t redis_eid_format(const struct redis_eid *e, char *out)
{
	int n = snprintf(out, REDIS_EID_MAX, "%llu-%llu", (unsigned long long)e->ms,
	                 (unsigned long long)e->seq);

	return n > 0 ? (size_t)n : 0;
}

/* The value of a field in [FIELD, VALUE, ...], or NULL. */
static const redisReply *redis_field(const redisReply *fields, const char *name)
{
	size_t i, n = strlen(name);

	for (i = 0; i + 1 < fields->elements; i += 2) {
		const redisReply *f = fields->element[i];

		if (f->type == REDIS_REPLY_STRING && (size_t)f->len == n &&
		    memcmp(f->str, name, n) == 0 &&
		    fields->element[i + 1]->type == REDIS_REPLY_STRING)
			return fields->element[i + 1];
	}
	return NULL;
}

static void redis_dead_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = ac->data;
	struct redis_dead *d = priv, **pp;
	const redisReply *rep = reply;

	r->wr_waiting--;
	if (rep == NULL) {
		d->sent = false; /* sent again after reconnecting */
		return;
	}
	if (rep->type == REDIS_REPLY_ERROR) {
		redis_warn(r, "redis: cannot move entry %.*s to %s: %s; it stays pending",
		           (int)d->lens[6], d->argv[6], r->dead, rep->str);
	} else {
		r->st.dead_lettered++;
		r->st.acked++;
	}
	for (pp = &r->deads; *pp != NULL && *pp != d; pp = &(*pp)->next)
		;
	if (*pp == d)
		*pp = d->next;
	free(d);
}

static void redis_dead_send(struct redis_source *r, struct redis_dead *d)
{
	if (r->state != REDIS_UP || d->sent)
		return;
	if (redis_send(r->wr, redis_dead_cb, d, d->argc, d->argv, d->lens) == 0) {
		d->sent = true;
		r->wr_waiting++;
	}
}

/*
 * Queues a dead letter: EVAL of the move script with the stream, the
 * dead-letter stream, the group, the entry's ID and the n strings of kv
 * (field, value, ...), all copied into one allocation.
 */
static void redis_dead_new(struct redis_source *r, const struct redis_eid *eid,
                           const struct redis_str *kv, size_t n)
{
	char id[REDIS_EID_MAX];
	struct redis_str head[] = {{"EVAL", 4},
	                           {redis_move_script, sizeof(redis_move_script) - 1},
	                           {"2", 1},
	                           {r->stream, strlen(r->stream)},
	                           {r->dead, strlen(r->dead)},
	                           {r->group, strlen(r->group)},
	                           {id, redis_eid_format(eid, id)}};
	size_t nh = sizeof(head) / sizeof(head[0]), argc = nh + n, bytes = 0, i;
	struct redis_dead *d;
	char *p;

	for (i = 0; i < argc; i++)
		bytes += i < nh ? head[i].n : kv[i - nh].n;
	d = malloc(sizeof(*d) + argc * (sizeof(char *) + sizeof(size_t)) + bytes);
	if (d == NULL) {
		log_warnx("redis: out of memory; entry %s stays pending", id);
		return;
	}
	d->argv = (const char **)(void *)(d + 1);
	d->lens = (size_t *)(void *)(d->argv + argc);
	p = (char *)(d->lens + argc);
	for (i = 0; i < argc; i++) {
		const struct redis_str *s = i < nh ? &head[i] : &kv[i - nh];

		memcpy(p, s->p, s->n);
		d->argv[i] = p;
		d->lens[i] = s->n;
		p += s->n;
	}
	d->argc = (int)argc;
	d->sent = false;
	d->next = r->deads;
	r->deads = d;
	redis_dead_send(r, d);
}

void redis_dead_entry(struct redis_source *r, const struct redis_eid *eid, const redisReply *fields,
                      const char *outcome, const char *reason)
{
	size_t i, n = 0, nf = fields != NULL ? fields->elements & ~(size_t)1 : 0;
	struct redis_str *kv = malloc((nf + 4) * sizeof(*kv));

	if (kv == NULL) {
		log_warnx("redis: out of memory; an entry stays pending");
		return;
	}
	for (i = 0; i < nf; i += 2) {
		const redisReply *f = fields->element[i], *v = fields->element[i + 1];

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING ||
		    strcmp(f->str, "entry") == 0 || strcmp(f->str, "outcome") == 0 ||
		    strcmp(f->str, "reason") == 0)
			continue;
		kv[n++] = (struct redis_str){f->str, (size_t)f->len};
		kv[n++] = (struct redis_str){v->str, (size_t)v->len};
	}
	kv[n++] = (struct redis_str){"outcome", 7};
	kv[n++] = (struct redis_str){outcome, strlen(outcome)};
	kv[n++] = (struct redis_str){"reason", 6};
	kv[n++] = (struct redis_str){reason, strlen(reason)};
	redis_dead_new(r, eid, kv, n);
	free(kv);
}

/* The entry's task and args as one control line in buf; 0, or -1 with a
 * reason in err. */
static int redis_line(const redisReply *fields, char *buf, size_t *len, char *err, size_t errlen)
{
	const redisReply *task = redis_field(fields, "task"), *args = redis_field(fields, "args");
	size_t n;

	if (task == NULL) {
		snprintf(err, errlen, "no task field");
		return -1;
	}
	n = (size_t)task->len + (args != NULL && args->len > 0 ? 1 + (size_t)args->len : 0);
	if (n + 1 > CTL_LINE_MAX) {
		snprintf(err, errlen, "task and args over %d bytes", CTL_LINE_MAX - 1);
		return -1;
	}
	memcpy(buf, task->str, (size_t)task->len);
	if (args != NULL && args->len > 0) {
		buf[task->len] = ' ';
		memcpy(buf + task->len + 1, args->str, (size_t)args->len);
	}
	*len = n;
	return 0;
}

/* The id field, printable characters only, for logs. */
static void redis_uid(const redisReply *fields, char *out)
{
	const redisReply *id = redis_field(fields, "id");
	size_t i, n = id != NULL ? (size_t)id->len : 0;

	if (n > REDIS_UID_MAX)
		n = REDIS_UID_MAX;
	for (i = 0; i < n; i++)
		out[i] = id->str[i] > ' ' && id->str[i] <= '~' ? id->str[i] : '?';
	out[n] = '\0';
}

static void redis_ack_add(struct redis_source *r, const struct redis_eid *eid);

/* A free place on the list of delayed entries being moved into the
 * journal, grown as needed; NULL when out of memory. */
static struct redis_job **redis_moving_slot(struct redis_source *r)
{
	struct redis_job **mv;

	if (r->nmoving == r->moving_cap) {
		mv = realloc(r->moving, (r->moving_cap + 16) * sizeof(*mv));
		if (mv == NULL)
			return NULL;
		r->moving = mv;
		r->moving_cap += 16;
	}
	return &r->moving[r->nmoving];
}

/*
 * Queues a checked entry as a job carrying its ID.  Past the queue limit:
 * the read was sized to the room there was (redis_capacity), and an entry
 * read is taken rather than left pending until another consumer claims it.
 *
 * A delayed entry (in=, at=) must not sit pending in the stream until it
 * is due: it becomes a job of the journal (the FIFO's source: it runs,
 * and comes back after a crash, as any journaled job; its outcome is not
 * dead-lettered), and the entry is acknowledged once the journal holds
 * its ACCEPT (journal_has, redis_moved_flush).  Until then its record
 * stays on the held list, so heartbeats keep it ours and the history scan
 * does not take it again.
 */
static void redis_queue(struct redis_source *r, const struct redis_eid *eid,
                        const struct job_kind *kind, const struct ctl_line *cl, const char *uid)
{
	bool delayed = cl->opt.has_in || cl->opt.has_at;
	char ref[REDIS_EID_MAX];
	size_t ulen = strlen(uid);
	struct redis_job *x = malloc(sizeof(*x) + ulen + 1);
	struct redis_job **mv = NULL;
	struct admit_req rq = {.code = kind->code,
	                       .kind = (uint16_t)jobs_index(kind),
	                       .args = cl->args,
	                       .len = cl->args_len,
	                       .past_limit = true,
	                       .datum = x != NULL && !delayed ? &x->base : NULL,
	                       .opt = &cl->opt,
	                       .ref = ref};
	struct job *j = NULL;
	enum admit_result ar = ADMIT_NOMEM;

	redis_eid_format(eid, ref);
	mv = delayed && x != NULL ? redis_moving_slot(r) : NULL;
	if (x != NULL && (!delayed || mv != NULL))
		ar = queue_admit(r->m, delayed ? &r->m->fifo_src : &r->src, &rq, &j);
	if (ar == ADMIT_DUP) { /* its key is live: counted, acknowledged, not run */
		free(x);
		redis_ack_add(r, eid);
		return;
	}
	if (ar != ADMIT_OK) {
		free(x);
		log_warnx("redis: out of memory; an entry stays pending");
		return;
	}
	x->moved = delayed ? j->id : 0;
	if (mv != NULL) {
		*mv = x;
		r->nmoving++;
	}
	x->base.owner = &r->src;
	x->eid = *eid;
	memcpy(x->uid, uid, ulen + 1);
	x->prev = NULL;
	x->next = r->held;
	if (r->held != NULL)
		r->held->prev = x;
	r->held = x;
	r->nheld++;
}

void redis_take_entry(struct redis_source *r, const redisReply *e, bool claimed)
{
	char line[CTL_LINE_MAX], err[256], id[REDIS_EID_MAX], uid[REDIS_UID_MAX + 1];
	const struct job_kind *kind = NULL;
	const redisReply *fields;
	struct redis_eid eid;
	struct ctl_line cl;
	size_t len;

	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 ||
	    e->element[0]->type != REDIS_REPLY_STRING ||
	    redis_eid_parse(e->element[0]->str, (size_t)e->element[0]->len, &eid) == -1)
		return;
	fields = e->element[1];
	if (fields->type != REDIS_REPLY_ARRAY)
		return; /* deleted from the stream while pending */
	if (claimed)
		r->st.claimed++;
	else
		r->st.read++;
	if (r->closing || r->m->stopping)
		return; /* it stays pending; another consumer claims it */
	redis_uid(fields, uid);
	if (redis_line(fields, line, &len, err, sizeof(err)) == 0)
		kind = jobs_check_line(line, len, &cl, err, sizeof(err));
	if (kind != NULL) {
		redis_queue(r, &eid, kind, &cl, uid);
		return;
	}
	redis_eid_format(&eid, id);
	redis_warn(r, "redis: entry %s%s%s rejected: %s; moved to %s", id, uid[0] ? " id " : "",
	           uid, err, r->dead);
	redis_dead_entry(r, &eid, fields, "rejected", err);
}

/* Adds an entry to the acknowledgements of this loop turn. */
static void redis_ack_add(struct redis_source *r, const struct redis_eid *eid)
{
	struct redis_eid *p;
	size_t cap;

	if (r->nacks == r->acks_cap) {
		cap = r->acks_cap ? 2 * r->acks_cap : 256;
		p = realloc(r->acks, cap * sizeof(*p));
		if (p == NULL) {
			log_warnx("redis: out of memory; an entry stays pending");
			return;
		}
		r->acks = p;
		r->acks_cap = cap;
	}
	r->acks[r->nacks++] = *eid;
}

/* An XACK batch in flight: its IDs go back to the list if it is lost. */
struct redis_ack_batch {
	size_t n;
	struct redis_eid ids[];
};

static void redis_ack_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = ac->data;
	struct redis_ack_batch *b = priv;
	const redisReply *rep = reply;
	size_t i;

	r->wr_waiting--;
	if (rep == NULL && !r->closing)
		for (i = 0; i < b->n; i++)
			redis_ack_add(r, &b->ids[i]);
	else if (rep != NULL && rep->type == REDIS_REPLY_ERROR)
		redis_warn(r, "redis: XACK of %zu entries: %s", b->n, rep->str);
	else if (rep != NULL)
		r->st.acked += b->n;
	free(b);
}

/* One XACK for up to REDIS_IDS_PER_CMD entries of the list; -1 if not sent. */
static int redis_ack_send(struct redis_source *r)
{
	size_t n = r->nacks < REDIS_IDS_PER_CMD ? r->nacks : REDIS_IDS_PER_CMD, i;
	struct redis_ack_batch *b = malloc(sizeof(*b) + n * sizeof(b->ids[0]));

	if (b == NULL)
		return -1;
	b->n = n;
	memcpy(b->ids, r->acks + r->nacks - n, n * sizeof(b->ids[0]));
	r->argv[0] = "XACK";
	r->argv[1] = r->stream;
	r->argv[2] = r->group;
	for (i = 0; i < n; i++) {
		r->lens[3 + i] = redis_eid_format(&b->ids[i], r->ids[i]);
		r->argv[3 + i] = r->ids[i];
	}
	r->lens[0] = 4;
	r->lens[1] = strlen(r->stream);
	r->lens[2] = strlen(r->group);
	if (redis_send(r->wr, redis_ack_cb, b, (int)(3 + n), r->argv, r->lens) == -1) {
		free(b);
		return -1;
	}
	r->wr_waiting++;
	r->nacks -= n;
	return 0;
}

/* Takes x off the held list (it is the caller's to free). */
static void redis_unhold(struct redis_source *r, struct redis_job *x)
{
	if (x->prev != NULL)
		x->prev->next = x->next;
	else
		r->held = x->next;
	if (x->next != NULL)
		x->next->prev = x->prev;
	r->nheld--;
}

/* Delayed entries whose job the journal now holds: acknowledged.  For
 * the others, the journal writes its buffer and (fsync = always) is asked
 * for a sync, as after a FIFO read: nobody else asks for these jobs. */
static void redis_moved_flush(struct redis_source *r)
{
	struct redis_job *x;
	size_t i = 0;

	if (r->nmoving > 0)
		journal_after_read(r->m);
	while (i < r->nmoving) {
		x = r->moving[i];
		if (!journal_has(r->m, x->moved)) {
			i++;
			continue;
		}
		redis_unhold(r, x);
		redis_ack_add(r, &x->eid);
		free(x);
		r->moving[i] = r->moving[--r->nmoving];
	}
}

void redis_flush(struct redis_source *r)
{
	struct redis_dead *d;

	redis_moved_flush(r);
	if (r->state != REDIS_UP)
		return;
	while (r->nacks > 0 && redis_ack_send(r) == 0)
		;
	for (d = r->deads; d != NULL && r->state == REDIS_UP; d = d->next)
		redis_dead_send(r, d);
}

void redis_free_pending(struct redis_source *r)
{
	struct redis_dead *d;

	while (r->nmoving > 0) { /* not acknowledged: pending, and journaled */
		redis_unhold(r, r->moving[--r->nmoving]);
		free(r->moving[r->nmoving]);
	}
	free(r->moving);
	r->moving = NULL;
	r->moving_cap = 0;

	while ((d = r->deads) != NULL) {
		r->deads = d->next;
		free(d);
	}
	free(r->acks);
	r->acks = NULL;
	r->nacks = r->acks_cap = 0;
}

void redis_job_ended(struct source *src, struct job *j, uint32_t status, const char *msg,
                     size_t len)
{
	struct redis_source *r = container_of(src, struct redis_source, src);
	struct redis_job *x = container_of(j->datum, struct redis_job, base);
	const char *task = jobs_at(j->kind)->name;
	char reason[PROTO_MSG_MAX + 1];
	struct redis_str kv[10];
	size_t n = 0;

	j->datum = NULL; /* freed here, not with the job */
	redis_unhold(r, x);
	if (status == PROTO_OK) {
		redis_ack_add(r, &x->eid);
		free(x);
		return;
	}
	snprintf(reason, sizeof(reason), "%.*s", (int)len, msg);
	kv[n++] = (struct redis_str){"task", 4};
	kv[n++] = (struct redis_str){task, strlen(task)};
	kv[n++] = (struct redis_str){"args", 4};
	kv[n++] = (struct redis_str){j->args, j->len};
	if (x->uid[0] != '\0') {
		kv[n++] = (struct redis_str){"id", 2};
		kv[n++] = (struct redis_str){x->uid, strlen(x->uid)};
	}
	kv[n++] = (struct redis_str){"outcome", 7};
	kv[n++] = (struct redis_str){outcome_name(status), strlen(outcome_name(status))};
	kv[n++] = (struct redis_str){"reason", 6};
	kv[n++] = (struct redis_str){reason, strlen(reason)};
	redis_dead_new(r, &x->eid, kv, n);
	free(x);
}
