/*
 * The Redis source's ops besides ended and close (source.h): its counters
 * for status and metrics, and the reload policy ([redis] keys need a
 * restart).  The ops table is in redis.c.
 */
#include <string.h>

#include "log.h"
#include "redis.h"

bool redis_stats(const struct source *src, struct source_stats *st)
{
	const struct redis_source *r = container_of(src, struct redis_source, src);
	const struct source_stat v[] = {
	    {"connected", "connected", "Whether poold is connected to Redis (1) or not (0).", true,
	     r->st.connected},
	    {"read", "read", "Stream entries read (XREADGROUP).", false, r->st.read},
	    {"acked", "acked", "Stream entries acknowledged (XACK).", false, r->st.acked},
	    {"claimed", "claimed", "Idle entries of other consumers claimed.", false,
	     r->st.claimed},
	    {"dead_lettered", "dead-lettered", "Entries moved to the dead-letter stream.", false,
	     r->st.dead_lettered},
	    {"reconnects", "reconnects", "Connections to Redis made again after a loss.", false,
	     r->st.reconnects},
	};

	st->state = r->st.connected ? "connected" : "NOT CONNECTED";
	st->group = "entries";
	st->n = sizeof(v) / sizeof(v[0]);
	memcpy(st->v, v, sizeof(v));
	return true;
}

void redis_reload(struct source *src, struct config *next)
{
	struct config *c = &src->m->cfg;

	if (strcmp(c->redis_host, next->redis_host) == 0 && c->redis_port == next->redis_port &&
	    strcmp(c->redis_unix, next->redis_unix) == 0 &&
	    strcmp(c->redis_stream, next->redis_stream) == 0 &&
	    strcmp(c->redis_group, next->redis_group) == 0 &&
	    strcmp(c->redis_consumer, next->redis_consumer) == 0 &&
	    c->redis_batch == next->redis_batch &&
	    c->redis_claim_idle_ms == next->redis_claim_idle_ms &&
	    c->redis_max_attempts == next->redis_max_attempts &&
	    strcmp(c->redis_dead_letter, next->redis_dead_letter) == 0)
		return;
	log_warnx("reload: [redis] changes need a restart; keeping the running settings");
	memcpy(next->redis_host, c->redis_host, sizeof(c->redis_host));
	next->redis_port = c->redis_port;
	memcpy(next->redis_unix, c->redis_unix, sizeof(c->redis_unix));
	memcpy(next->redis_stream, c->redis_stream, sizeof(c->redis_stream));
	memcpy(next->redis_group, c->redis_group, sizeof(c->redis_group));
	memcpy(next->redis_consumer, c->redis_consumer, sizeof(c->redis_consumer));
	next->redis_batch = c->redis_batch;
	next->redis_claim_idle_ms = c->redis_claim_idle_ms;
	next->redis_max_attempts = c->redis_max_attempts;
	memcpy(next->redis_dead_letter, c->redis_dead_letter, sizeof(c->redis_dead_letter));
}
