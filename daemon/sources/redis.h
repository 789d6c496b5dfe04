/*
 * Private to daemon/sources/redis*.c: the state of the Redis job source.
 * redis.c owns the connections and reading, redis_entry.c turns entries
 * into jobs and jobs' outcomes into acknowledgements and dead letters,
 * and redis_claim.c takes over entries that other consumers left idle.
 * The rest of the master sees a struct source (source.h) and nothing else;
 * only the source registry (registry.c) calls redis_start.
 */
#ifndef POOLD_REDIS_H
#define POOLD_REDIS_H

#include <stdarg.h>

#include <hiredis/async.h>

#include "log.h"
#include "master.h"

/* "MS-SEQ", each part up to 20 digits, and a NUL. */
#define REDIS_EID_MAX 42
/* Entry IDs per XACK or heartbeat XCLAIM command. */
#define REDIS_IDS_PER_CMD 1024

/* A stream entry ID. */
struct redis_eid {
	uint64_t ms, seq;
};

/* A Redis job's datum: its entry, on the list of entries this poold holds. */
struct redis_job {
	struct source_datum base; /* first: freed with the job */
	struct redis_job *prev, *next;
	struct redis_eid eid;
	uint64_t moved; /* a delayed entry: its job's id in the journal, held here
	                 * only until the journal holds it; 0: the job's own datum */
	char uid[];     /* the entry's optional id field, for logs; "" if none */
};

/* A dead letter not yet confirmed by Redis: the arguments of one EVAL of
 * the move script (XADD to the dead-letter stream, then XACK). */
struct redis_dead {
	struct redis_dead *next;
	bool sent;
	int argc;
	const char **argv;
	size_t *lens;
	/* argv, lens and the bytes follow */
};

/* A string in a reply or an argument list: bytes and length. */
struct redis_str {
	const char *p;
	size_t n;
};

enum redis_state {
	REDIS_DOWN,       /* waiting for the next attempt */
	REDIS_CONNECTING, /* both contexts made, not both connected yet */
	REDIS_UP,
};

/* Counters of the Redis job source, for status and metrics. */
struct redis_stats {
	bool connected;
	uint64_t read;          /* entries read with XREADGROUP */
	uint64_t acked;         /* entries acknowledged (XACK), dead-lettered ones included */
	uint64_t claimed;       /* idle entries taken over (XCLAIM) to be run here */
	uint64_t dead_lettered; /* entries moved to the dead-letter stream */
	uint64_t reconnects;    /* connections made again after one was lost */
};

struct redis_source {
	struct source src; /* its jobs point here (source.h) */
	struct master *m;
	redisAsyncContext *rd; /* XREADGROUP only (it blocks); NULL while down */
	redisAsyncContext *wr; /* every other command; NULL while down */
	enum redis_state state;
	unsigned nconnected; /* contexts of this attempt that are connected */
	bool ever_up;
	bool down_logged; /* the loss was logged; the return will be too */
	bool group_ready; /* XGROUP CREATE answered: reads may start */
	bool group_warned;
	bool reading; /* an XREADGROUP is outstanding */
	bool closing; /* redis_close: take no more entries */
	ev_tstamp read_sent;
	ev_tstamp read_pause; /* no read before this (after an error reply) */
	ev_tstamp down_since;
	ev_tstamp up_since;
	double backoff; /* the next delay before reconnecting */

	/* Where and what (copied from the configuration at start). */
	char host[256]; /* numeric address, or "" for the Unix socket */
	int port;
	char path[PATH_MAX];
	char where[PATH_MAX + 16]; /* for logs */
	char stream[CONFIG_REDIS_NAME_MAX + 1];
	char group[CONFIG_REDIS_NAME_MAX + 1];
	char consumer[CONFIG_REDIS_NAME_MAX + 1];
	char dead[CONFIG_REDIS_NAME_MAX + 6];

	struct redis_stats st;
	ev_timer retry_w;     /* the next attempt, or the time limit of one */
	ev_timer claim_w;     /* every claim_idle / 2 */
	ev_prepare prepare_w; /* reads and acknowledgements, once per loop turn */

	struct redis_job *held; /* jobs from entries, queued or running */
	uint64_t nheld;
	struct redis_job **moving; /* delayed entries (on held) to acknowledge once the
	                            * journal holds their jobs (redis_entry.c) */
	size_t nmoving, moving_cap;
	struct redis_eid *acks; /* entries to acknowledge */
	size_t nacks, acks_cap;
	struct redis_dead *deads; /* dead letters not yet confirmed */
	unsigned wr_waiting;      /* acknowledgements and dead letters sent, unanswered */

	/* The claim scan (redis_claim.c). */
	bool scanning;
	bool history; /* after connecting: this consumer's own pending entries */
	char scan_from[REDIS_EID_MAX + 1];
	struct redis_eid *snap; /* the held entries, sorted, when the history scan was sent */
	size_t nsnap;

	/* Per-entry warnings: at most REDIS_WARNS a second. */
	struct log_rate warn_rate;

	/* Room to build one command of up to REDIS_IDS_PER_CMD IDs. */
	const char *argv[8 + REDIS_IDS_PER_CMD];
	size_t lens[8 + REDIS_IDS_PER_CMD];
	char ids[REDIS_IDS_PER_CMD][REDIS_EID_MAX];
};

/* ---- redis.c ---- */
/* Starts the Redis source if [redis] url is set (connecting in the
 * background); 0, or -1 with a reason in err (a host that does not resolve). */
int redis_start(struct master *m, char *err, size_t errlen);

/* ---- redis_conn.c (calls nothing of the other redis files) ---- */
/* The back-off between connection attempts: from MIN, doubling to MAX. */
#define REDIS_BACKOFF_MIN 0.1
#define REDIS_BACKOFF_MAX 5.0
/* Sends one command; 0, or -1 if the context refused it (it is going). */
int redis_send(redisAsyncContext *ac, redisCallbackFn *fn, void *priv, int argc, const char **argv,
               const size_t *lens);
/* How many entries to take now: 0 while the queue holds a batch or more. */
size_t redis_capacity(const struct redis_source *r);
/* Drops both connections (one of them hiredis is freeing: dying) and
 * schedules the next attempt; says so once per outage. */
void redis_lost(struct redis_source *r, const redisAsyncContext *dying, const char *why);
/* XGROUP CREATE at the stream's end, creating the stream if need be. */
void redis_create_group(struct redis_source *r);
/* A warning about one entry, rate-limited. */
void redis_warn(struct redis_source *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- redis_entry.c ---- */
int redis_eid_parse(const char *s, size_t len, struct redis_eid *e);
/* Writes "MS-SEQ" into out (REDIS_EID_MAX bytes); returns its length. */
size_t redis_eid_format(const struct redis_eid *e, char *out);
/* Takes one entry [ID, [FIELD, VALUE...]] as a job, or dead-letters it. */
void redis_take_entry(struct redis_source *r, const redisReply *e, bool claimed);
/* Copies an entry's fields to the dead-letter stream with outcome and
 * reason fields, and acknowledges it, atomically. */
void redis_dead_entry(struct redis_source *r, const struct redis_eid *eid, const redisReply *fields,
                      const char *outcome, const char *reason);
/* Sends the acknowledgements due and the dead letters not yet sent. */
void redis_flush(struct redis_source *r);
void redis_free_pending(struct redis_source *r);
/* The source op: a job's outcome is recorded; acknowledge its entry
 * (after copying it to the dead-letter stream unless it went well). */
void redis_job_ended(struct source *src, struct job *j, uint32_t status, const char *msg,
                     size_t len);

/* ---- redis_ops.c ---- */
/* The source's stats op: the counters of r->st. */
bool redis_stats(const struct source *src, struct source_stats *st);
/* The source's reload op: [redis] changes need a restart; keeps the
 * running ones in next. */
void redis_reload(struct source *src, struct config *next);

/* ---- redis_claim.c ---- */
void redis_claim_start(struct redis_source *r);
/* Refreshes the idle time of every entry held here, so that no other
 * consumer claims an entry this poold is still running. */
void redis_heartbeat(struct redis_source *r);
void redis_claim_scan(struct redis_source *r);

#endif
