/*
 * The Redis source's connection, below the rest of it: sending a command
 * on a context, the rate-limited warnings, the room the queue leaves for
 * a read, dropping both contexts when one fails (with the back-off of the
 * next attempt) and creating the consumer group.  redis.c (connecting,
 * reading, the source ops), redis_claim.c and redis_entry.c call these;
 * nothing here calls back into them, so the source's files form no call
 * circle (tests/tools/callgraph.py).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <hiredis/adapters/libev.h>

#include "log.h"
#include "redis.h"

#define REDIS_WARNS 10 /* per-entry warnings a second */

int redis_send(redisAsyncContext *ac, redisCallbackFn *fn, void *priv, int argc, const char **argv,
               const size_t *lens)
{
	if (ac == NULL)
		return -1;
	return redisAsyncCommandArgv(ac, fn, priv, argc, argv, lens) == REDIS_OK ? 0 : -1;
}

void redis_warn(struct redis_source *r, const char *fmt, ...)
{
	va_list ap;

	if (!log_rate_ok(&r->warn_rate, ev_now(r->m->loop), REDIS_WARNS, 1.0, "redis entries"))
		return;
	va_start(ap, fmt);
	log_vmsg(LOG_LVL_WARNING, fmt, ap);
	va_end(ap);
}

size_t redis_capacity(const struct redis_source *r)
{
	const struct master *m = r->m;
	uint64_t room = queue_room(m);

	if (m->stopping || r->closing || m->queue.len >= m->cfg.redis_batch)
		return 0;
	return room < m->cfg.redis_batch ? (size_t)room : m->cfg.redis_batch;
}

void redis_lost(struct redis_source *r, const redisAsyncContext *dying, const char *why)
{
	redisAsyncContext *rd = r->rd, *wr = r->wr;
	bool was_up = r->state == REDIS_UP;

	if (r->state == REDIS_DOWN)
		return;
	if (!r->down_logged && !r->closing) {
		if (was_up)
			log_warnx("redis: connection lost: %s; reconnecting", why);
		else
			log_warnx("redis: cannot connect to %s: %s; retrying", r->where, why);
		r->down_logged = true;
		r->down_since = ev_now(r->m->loop);
	}
	r->state = REDIS_DOWN;
	r->st.connected = false;
	r->group_ready = false;
	r->rd = r->wr = NULL;
	/* Replies still due come back as NULL: their callbacks put work back. */
	if (rd != NULL && rd != dying)
		redisAsyncFree(rd);
	if (wr != NULL && wr != dying)
		redisAsyncFree(wr);
	ev_timer_stop(r->m->loop, &r->retry_w);
	if (r->closing)
		return;
	/* A connection that fails right after it was made does not reset
	 * the back-off: a flapping server is not hammered. */
	if (was_up && ev_now(r->m->loop) - r->up_since >= 1.0)
		r->backoff = REDIS_BACKOFF_MIN;
	ev_timer_set(&r->retry_w, r->backoff, 0.);
	ev_timer_start(r->m->loop, &r->retry_w);
	r->backoff = r->backoff * 2 > REDIS_BACKOFF_MAX ? REDIS_BACKOFF_MAX : r->backoff * 2;
}

static void redis_group_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = priv;
	const redisReply *rep = reply;

	if (rep == NULL || ac != r->wr)
		return;
	if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "BUSYGROUP", 9) != 0) {
		/* The key exists and is not a stream, say: tried again every claim tick. */
		if (!r->group_warned)
			log_err("redis: XGROUP CREATE %s %s: %s", r->stream, r->group, rep->str);
		r->group_warned = true;
		return;
	}
	if (r->group_warned)
		log_info("redis: consumer group %s of %s is there now", r->group, r->stream);
	r->group_warned = false;
	r->group_ready = true;
}

/* XGROUP CREATE at the stream's end ($), creating the stream if need be;
 * BUSYGROUP (it exists) is what usually comes back. */
void redis_create_group(struct redis_source *r)
{
	const char *argv[] = {"XGROUP", "CREATE", r->stream, r->group, "$", "MKSTREAM"};

	(void)redis_send(r->wr, redis_group_cb, r, 6, argv, NULL);
}
