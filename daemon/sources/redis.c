/*
 * The Redis job source: a Redis Streams consumer group read beside the
 * FIFO when [redis] url is set (no source is added and nothing here runs
 * when it is not).  This file owns connecting, the reading and the
 * source ops (source.h); redis_conn.c the rest of the connections.
 *
 * Two hiredis async contexts on the master's loop: `rd` only ever waits in
 * XREADGROUP ... BLOCK, and `wr` carries everything else (XGROUP, XACK,
 * XPENDING, XCLAIM, dead letters), because Redis runs nothing else for a
 * client blocked in a read: an acknowledgement or a heartbeat must not
 * wait a second behind it.  They are made together and dropped together.
 * When either fails, both are dropped and made again after a back-off of
 * 0.1 s doubling to 5 s; the loss is logged once and the return once.
 * The loop never waits on Redis: host names are resolved once, at start,
 * and connecting is non-blocking with a time limit.
 *
 * Reading: one XREADGROUP outstanding at a time, issued once per loop turn
 * (an ev_prepare watcher) while the queue holds fewer than [redis] batch
 * jobs, for at most that many entries and what [pool] queue_limit leaves
 * room for (unfinished jobs, FIFO ones included).  So
 * a busy pool stops reading and the entries stay in the stream for other
 * consumers: backpressure reaches the stream.  Entries read and not
 * acknowledged stay pending in the group whatever happens to us.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/adapters/libev.h>
#include <hiredis/sds.h>

#include "log.h"
#include "redis.h"

#define REDIS_CONNECT_TIME 5.0 /* a connection attempt may take this long */
#define REDIS_BLOCK_MS     "1000"
#define REDIS_CLOSE_WAIT   2.0 /* at exit, for the last acknowledgements */

static void redis_connect(struct redis_source *r);
static const struct source_ops redis_ops;

/* Both contexts are connected: set up the group, send what waited. */
static void redis_up(struct redis_source *r)
{
	struct master *m = r->m;

	r->state = REDIS_UP;
	r->st.connected = true;
	r->up_since = ev_now(m->loop);
	ev_timer_stop(m->loop, &r->retry_w);
	if (!r->ever_up)
		log_info(
		    "redis: connected to %s: stream %s, group %s, consumer %s, dead letters to %s",
		    r->where, r->stream, r->group, r->consumer, r->dead);
	else if (r->down_logged)
		log_info("redis: reconnected to %s after %.1f s", r->where,
		         ev_now(m->loop) - r->down_since);
	if (r->ever_up)
		r->st.reconnects++;
	r->ever_up = true;
	r->down_logged = false;
	r->history = true;
	snprintf(r->scan_from, sizeof(r->scan_from), "-");
	if (r->host[0] != '\0') { /* TCP only: it fails, and breaks the context, on a Unix socket */
		redisEnableKeepAlive(&r->rd->c);
		redisEnableKeepAlive(&r->wr->c);
	}
	redis_create_group(r);
	redis_heartbeat(r);
	redis_flush(r);
	redis_claim_scan(r);
}

static void redis_connect_cb(const redisAsyncContext *ac, int status)
{
	struct redis_source *r = ac->data;

	if (ac != r->rd && ac != r->wr)
		return;
	if (status != REDIS_OK) {
		/* ac->errstr is copied from the context only after this callback. */
		redis_lost(r, ac, ac->c.errstr[0] != '\0' ? ac->c.errstr : "connect failed");
		return;
	}
	if (++r->nconnected == 2)
		redis_up(r);
}

static void redis_disconnect_cb(const redisAsyncContext *ac, int status)
{
	struct redis_source *r = ac->data;

	/* One we dropped ourselves (redis_lost, redis_close) says goodbye too. */
	if (ac != r->rd && ac != r->wr)
		return;
	redis_lost(r, ac,
	           status == REDIS_OK || ac->c.errstr[0] == '\0' ? "connection closed"
	                                                         : ac->c.errstr);
}

/* One non-blocking connection on the loop; NULL with a reason in why. */
static redisAsyncContext *redis_context(struct redis_source *r, char *why, size_t whylen)
{
	redisAsyncContext *ac;

	ac = r->host[0] != '\0' ? redisAsyncConnect(r->host, r->port)
	                        : redisAsyncConnectUnix(r->path);
	if (ac == NULL) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	if (ac->err) {
		snprintf(why, whylen, "%s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	ac->data = r;
	redisLibevAttach(r->m->loop, ac);
	redisAsyncSetConnectCallback(ac, redis_connect_cb);
	redisAsyncSetDisconnectCallback(ac, redis_disconnect_cb);
	return ac;
}

static void redis_connect(struct redis_source *r)
{
	char why[256];

	r->nconnected = 0;
	r->state = REDIS_CONNECTING;
	r->rd = redis_context(r, why, sizeof(why));
	if (r->rd != NULL)
		r->wr = redis_context(r, why, sizeof(why));
	if (r->rd == NULL || r->wr == NULL) {
		redis_lost(r, NULL, why);
		return;
	}
	ev_timer_set(&r->retry_w, REDIS_CONNECT_TIME, 0.);
	ev_timer_start(r->m->loop, &r->retry_w);
}

static void redis_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct redis_source *r = container_of(w, struct redis_source, retry_w);

	if (r->state == REDIS_CONNECTING)
		redis_lost(r, NULL, "connect timed out");
	else if (r->state == REDIS_DOWN)
		redis_connect(r);
}

/* XREADGROUP's reply: nil when BLOCK ran out, else [[STREAM, [ENTRY...]]]. */
static void redis_read_cb(redisAsyncContext *ac, void *reply, void *priv)
{
	struct redis_source *r = priv;
	const redisReply *rep = reply, *s;
	size_t i, k;

	r->reading = false;
	if (rep == NULL || rep->type == REDIS_REPLY_NIL)
		return;
	if (rep->type == REDIS_REPLY_ERROR) {
		redis_warn(r, "redis: XREADGROUP: %s", rep->str);
		r->read_pause = ev_now(r->m->loop) + 1.0;
		if (strncmp(rep->str, "NOGROUP", 7) == 0) {
			r->group_ready = false;
			redis_create_group(r);
		}
		return;
	}
	for (i = 0; rep->type == REDIS_REPLY_ARRAY && i < rep->elements; i++) {
		s = rep->element[i];
		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[1]->type != REDIS_REPLY_ARRAY)
			continue;
		for (k = 0; k < s->element[1]->elements; k++)
			redis_take_entry(r, s->element[1]->element[k], false);
	}
}

/* Issues the next read if there is room for its entries. */
static void redis_read(struct redis_source *r)
{
	char count[24];
	const char *argv[] = {"XREADGROUP", "GROUP",        r->group,  r->consumer, "COUNT", count,
	                      "BLOCK",      REDIS_BLOCK_MS, "STREAMS", r->stream,   ">"};
	size_t n = redis_capacity(r);

	if (r->reading || n == 0 || ev_now(r->m->loop) < r->read_pause)
		return;
	snprintf(count, sizeof(count), "%zu", n);
	if (redis_send(r->rd, redis_read_cb, r, 11, argv, NULL) == 0) {
		r->reading = true;
		r->read_sent = ev_now(r->m->loop);
	}
}

static void redis_prepare_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct redis_source *r = container_of(w, struct redis_source, prepare_w);

	if (r->state != REDIS_UP)
		return;
	redis_flush(r);
	if (!r->group_ready)
		return;
	/* This consumer's own pending entries first, page by page as the
	 * queue has room; new entries only once the history scan is through. */
	if (r->history) {
		if (!r->scanning && redis_capacity(r) > 0 && ev_now(loop) >= r->read_pause)
			redis_claim_scan(r);
		return;
	}
	redis_read(r);
}

/* Copies what the configuration says; resolves a host name once, here. */
static int redis_where(struct redis_source *r, const struct config *cfg, char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
	char host[256]; /* a numeric address fits */
	int e;

	if (cfg->redis_unix[0] != '\0') {
		snprintf(r->path, sizeof(r->path), "%s", cfg->redis_unix);
		snprintf(r->where, sizeof(r->where), "unix:%s", r->path);
		return 0;
	}
	e = getaddrinfo(cfg->redis_host, NULL, &hints, &ai);
	if (e != 0) {
		snprintf(err, errlen, "[redis] url: cannot resolve %s: %s", cfg->redis_host,
		         gai_strerror(e));
		return -1;
	}
	e = getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(ai);
	if (e != 0) {
		snprintf(err, errlen, "[redis] url: %s: %s", cfg->redis_host, gai_strerror(e));
		return -1;
	}
	snprintf(r->host, sizeof(r->host), "%s", host);
	r->port = (int)cfg->redis_port;
	snprintf(r->where, sizeof(r->where),
	         strchr(host, ':') ? "redis://[%s]:%d" : "redis://%s:%d", host, r->port);
	return 0;
}

/* The consumer name: the configured one, or HOST-HASH (FNV-1a of the
 * journal's real path): the same at every start of this instance, and
 * different for two instances on one host (they cannot share a journal). */
static void redis_names(struct redis_source *r, const struct config *cfg)
{
	char host[128] = "poold", real[PATH_MAX];
	const char *path = cfg->journal_file;
	uint32_t h = 2166136261u;

	snprintf(r->stream, sizeof(r->stream), "%s", cfg->redis_stream);
	snprintf(r->group, sizeof(r->group), "%s", cfg->redis_group);
	snprintf(r->dead, sizeof(r->dead), "%s", cfg->redis_dead_letter);
	if (cfg->redis_consumer[0] != '\0') {
		snprintf(r->consumer, sizeof(r->consumer), "%s", cfg->redis_consumer);
		return;
	}
	if (gethostname(host, sizeof(host)) == -1 || host[0] == '\0')
		snprintf(host, sizeof(host), "poold");
	host[sizeof(host) - 1] = '\0';
	if (realpath(path, real) != NULL)
		path = real;
	for (; *path != '\0'; path++)
		h = (h ^ (unsigned char)*path) * 16777619u;
	snprintf(r->consumer, sizeof(r->consumer), "%s-%08x", host, (unsigned)h);
}

int redis_start(struct master *m, char *err, size_t errlen)
{
	struct redis_source *r;

	if (m->cfg.redis_host[0] == '\0' && m->cfg.redis_unix[0] == '\0')
		return 0;
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->m = m;
	if (redis_where(r, &m->cfg, err, errlen) == -1) {
		free(r);
		return -1;
	}
	redis_names(r, &m->cfg);
	r->backoff = REDIS_BACKOFF_MIN;
	ev_init(&r->retry_w, redis_retry_cb);
	ev_prepare_init(&r->prepare_w, redis_prepare_cb);
	ev_prepare_start(m->loop, &r->prepare_w);
	redis_claim_start(r);
	r->src.ops = &redis_ops;
	source_add(m, &r->src);
	log_info("redis: jobs from stream %s at %s", r->stream, r->where);
	redis_connect(r);
	return 0;
}

/*
 * At exit, the acknowledgements and dead letters just recorded are still
 * in hiredis's buffer: the loop has stopped, so write them and read their
 * replies here, with poll(2), for at most REDIS_CLOSE_WAIT seconds.
 */
static void redis_drain(struct redis_source *r)
{
	redisAsyncContext *ac = r->wr;
	ev_tstamp deadline = ev_time() + REDIS_CLOSE_WAIT, left;
	struct pollfd p;

	redis_flush(r);
	while (r->wr == ac && ac != NULL && r->wr_waiting > 0) {
		left = deadline - ev_time();
		if (left <= 0)
			break;
		p.fd = ac->c.fd;
		p.events = POLLIN | (sdslen(ac->c.obuf) > 0 ? POLLOUT : 0);
		if (poll(&p, 1, (int)(left * 1000) + 1) == -1 && errno != EINTR)
			break;
		if (p.revents & POLLOUT)
			redisAsyncHandleWrite(ac);
		if (r->wr == ac && (p.revents & (POLLIN | POLLHUP | POLLERR)))
			redisAsyncHandleRead(ac);
	}
	if (r->wr_waiting > 0 || r->nacks > 0)
		log_warnx("redis: %llu acknowledgements not confirmed at exit; "
		          "those entries will run again elsewhere",
		          (unsigned long long)(r->wr_waiting + r->nacks));
}

static void redis_close(struct source *src)
{
	struct redis_source *r = container_of(src, struct redis_source, src);
	struct master *m = r->m;

	r->closing = true;
	ev_prepare_stop(m->loop, &r->prepare_w);
	ev_timer_stop(m->loop, &r->retry_w);
	ev_timer_stop(m->loop, &r->claim_w);
	if (r->state == REDIS_UP)
		redis_drain(r);
	if (r->nheld > 0)
		log_notice("redis: %llu entries read and not finished stay pending in group %s",
		           (unsigned long long)r->nheld, r->group);
	redis_lost(r, NULL, "closing");
	redis_free_pending(r);
	free(r->snap);
	free(r);
}

static const struct source_ops redis_ops = {
    .name = "redis",
    .ended = redis_job_ended,
    .stats = redis_stats,
    .reload = redis_reload,
    .close = redis_close,
};
