/*
 * The scoreboard: a shared-memory view of the pool (the Apache prefork
 * idea) that readers such as `poolctl top` map and read without asking
 * the master anything, so it answers however busy the master is.  The
 * master is its only writer; it is a memfd (nothing to leak: it goes away
 * with its last mapping) created before the first fork, and handed to a
 * client over the status socket (SCM_RIGHTS) on request "scoreboard".
 *
 * Consistency is a sequence lock: the master makes `seq` odd, writes,
 * makes it even again; a reader copies what it needs and retries if seq
 * was odd or changed meanwhile (scoreboard_read).
 */
#ifndef POOLD_SCOREBOARD_H
#define POOLD_SCOREBOARD_H

#include <stddef.h>
#include <stdint.h>

#define SCOREBOARD_MAGIC 0x34627370306f6f70ull /* "poo0psb4" */
#define SCOREBOARD_SLOTS 4096                  /* CONFIG_MAX_WORKERS */
#define SCOREBOARD_KINDS 16                    /* at least JOBS_MAX (board.c asserts it) */

enum scoreboard_state {
	SB_FREE = 0,
	SB_STARTING,
	SB_IDLE,
	SB_BUSY,
	SB_RETIRING,
	SB_BACKOFF,
};

struct scoreboard_slot {
	int32_t pid;
	uint32_t state;      /* enum scoreboard_state */
	uint64_t job_id;     /* the job it runs now, 0 if idle */
	uint32_t job_kind;   /* its kind's index in the kind table + 1; 0 if idle */
	uint32_t in_flight;  /* jobs it holds */
	double job_started;  /* Unix time the current job started */
	uint64_t jobs_done;  /* by this slot, all processes */
	int32_t last_status; /* wait status of its last process, -1 none */
	uint32_t pad;
};

#define SCOREBOARD_QUEUES 16 /* CONFIG_MAX_QUEUES (board.c asserts it) */
#define SCOREBOARD_TOKENS 8  /* CONFIG_MAX_TOKENS */

/* One [queue.NAME]: its jobs waiting and handed out, and its limits. */
struct scoreboard_queue {
	char name[32];
	uint64_t queued;
	uint32_t running;  /* handed out and not ended */
	uint32_t cap;      /* concurrency; 0 none */
	uint32_t inflight; /* 0: [pool] inflight */
	uint32_t paused;   /* 1 while `poolctl pause` holds it */
	double rate;       /* jobs a second; 0 none */
	double burst;
};

/* One [token.NAME]: units held by running jobs, of count. */
struct scoreboard_token {
	char name[32];
	uint32_t in_use, count;
};

struct scoreboard {
	uint64_t magic;
	uint64_t seq; /* odd while the master writes */
	int32_t master_pid;
	uint32_t nslots; /* slots in use: 0 .. nslots-1 may be non-free */
	double updated;  /* Unix time of the last update */
	double started;  /* Unix time the master started */
	uint32_t workers_wanted;
	uint32_t ntasks; /* task kinds below */
	uint64_t accepted, done, failed, timed_out, buried, rejected, retried, restarts;
	uint64_t queued, in_flight;
	uint64_t scheduled;                    /* held until their due time (in=, at=) */
	uint64_t retrying;                     /* failed jobs waiting for a retry's back-off */
	uint64_t deduplicated;                 /* jobs not made: their unique key was live */
	char task_names[SCOREBOARD_KINDS][16]; /* by index in the kind table */
	struct scoreboard_slot slot[SCOREBOARD_SLOTS];
	uint32_t nqueues, ntokens; /* entries in use below */
	struct scoreboard_queue queue[SCOREBOARD_QUEUES];
	struct scoreboard_token token[SCOREBOARD_TOKENS];
};

/*
 * Copies a consistent snapshot of sb into out (which the caller owns).
 * Returns 0, or -1 if the master kept writing through every try.
 */
int scoreboard_read(const volatile struct scoreboard *sb, struct scoreboard *out);

#endif
