/*
 * The master process: its context struct and, under a banner per file,
 * the functions each daemon/ file exports (those of a job's life after
 * its admission in joblife.h, included at the end).  There are no globals in the
 * master: main() creates one struct master and every libev callback gets
 * back to it (or to its slot) with container_of.
 */
#ifndef POOLD_MASTER_H
#define POOLD_MASTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/types.h>
#include <sys/un.h>

#include <ev.h>

#include "config.h"
#include "ctl.h"
#include "ctlwait.h"
#include "fsutil.h"
#include "jobs.h"
#include "latency.h"
#include "log.h"
#include "proto.h"
#include "results.h"
#include "uniq.h"
#include "source.h"
#include "timerheap.h"

#define container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

/* Completion bytes read per read(2). */
#define MASTER_READ_SIZE (64 * 1024)

/* How many job kinds per-kind counters can hold: the kind table's
 * bound, which worker/kinds/jobs.c asserts at compile time. */
#define MASTER_MAX_KINDS JOBS_MAX

/* Job priorities: 0 (the default) .. QUEUE_PRI_MAX, higher first (queue.c). */
#define QUEUE_PRI_MAX 9

/* One accepted job, from the FIFO line until its outcome is recorded. */
struct job {
	struct job *next; /* queue link */
	uint64_t id;
	uint32_t code;
	uint16_t kind;     /* index in the job table, for counters */
	uint16_t attempts; /* times it was given to a worker */
	uint16_t timeouts; /* times it ran past its time limit */
	uint16_t retries;  /* failed attempts retried (its queue's retry; retry.c) */
	uint8_t pri;       /* priority, 0..QUEUE_PRI_MAX */
	uint8_t lane;      /* its [queue.NAME], by index in the configuration */
	uint32_t len;
	ev_tstamp accepted;         /* loop time it was read, or its hold (later.c) ended */
	ev_tstamp sent;             /* loop time when it was last given to a worker */
	struct source *src;         /* where it came from (source.h) */
	struct source_datum *datum; /* its source's data, or NULL; freed with the job */
	struct result *res;      /* its record for `poolctl job` (results.c); NULL if untracked */
	struct slab_block *slab; /* the block it was made in (queue.c); NULL if alone */
	uint16_t optlen;         /* bytes of job options after the arguments in args[] */
	uint8_t uniq;            /* enum config_unique of the key it holds (unique.c); 0 none */
	char args[];
};

/* Arguments up to this size get a block of one size, kept for reuse. */
#define JOB_SMALL_ARGS 48
/* Blocks kept on the free list at most. */
#define JOB_CACHE_MAX 16384

/* Small jobs are made JOB_SLAB at a time, in one block, while the blocks
 * hold fewer than JOB_CACHE_MAX jobs (queue.c). */
#define JOB_SLAB 64

/* Ended jobs' blocks, for the next admission (queue.c). */
struct jobcache {
	struct job *free;
	size_t len;
	struct slab slab; /* blocks of JOB_SLAB small jobs (slab.h) */
};

/* The jobs of one priority, oldest first; O(1) at both ends. */
struct joblevel {
	struct job *head;
	struct job *tail;
	size_t len;
	uint64_t pass; /* stride scheduling: its next turn (queue.c) */
};

/* Lanes of the queue: one per [queue.NAME] (config.h). */
#define QUEUE_LANES CONFIG_MAX_QUEUES

/* One [queue.NAME]: its jobs by priority and the state of its limits
 * (queue.c says what each one holds back). */
struct joblane {
	char name[CONFIG_QUEUE_NAME];
	struct joblevel lv[QUEUE_PRI_MAX + 1];
	uint64_t vtime; /* the pass of the level taken last */
	size_t len;
	unsigned cap;      /* concurrency: at most this many handed out; 0 none */
	unsigned inflight; /* handed only to a worker holding fewer; 0 none */
	int token;         /* the [token.NAME] each job holds, -1 none */
	double rate;       /* jobs a second; 0 none */
	double burst;      /* the bucket's size */
	double bucket;     /* rate tokens left */
	double filled;     /* when the bucket was last topped up */
	bool paused;       /* poolctl pause: nothing handed out */
	bool plain;        /* no cap, inflight, token or rate (jobq_configure) */
	uint8_t level;     /* the level taken last (jobq_lane_pop) */
	unsigned running;  /* handed out and not ended */
	unsigned running_max;
	uint64_t handed; /* in all */
};

/* The master's queue: lanes taken in turn, each lane's levels by weight.
 * A zeroed one is one lane without limits. */
struct jobq {
	struct joblane lane[QUEUE_LANES];
	unsigned nlanes; /* 0: as 1 */
	unsigned next;   /* the lane to look at first */
	unsigned hot;    /* the lane that got the last job */
	unsigned token_free[CONFIG_MAX_TOKENS];
	unsigned token_count[CONFIG_MAX_TOKENS];
	unsigned ntokens;
	unsigned char kind_lane[JOBS_MAX];      /* by kind index: its lane (sched.c) */
	unsigned char kind_unique[JOBS_MAX];    /* by kind index: enum config_unique (unique.c) */
	struct retry_conf kind_retry[JOBS_MAX]; /* by kind index: its retries (retry.c) */
	size_t len;                             /* jobs in all lanes */
};

enum slot_state {
	SLOT_STARTING, /* forked, no hello yet: gets no jobs */
	SLOT_READY,    /* takes jobs */
	SLOT_RETIRING, /* finishes what it has, then its pipe is closed */
	SLOT_BACKOFF,  /* died young; respawned when its timer fires */
};

/* One worker: the nginx-style slot, reused when its worker is replaced. */
struct slot {
	struct master *m;
	unsigned index; /* worker[index] in logs and status */
	enum slot_state state;
	pid_t pid;             /* 0 when no process */
	int task_fd;           /* write end of the task pipe, non-blocking; -1 */
	int done_fd;           /* read end of the completion pipe, non-blocking; -1 */
	ev_io task_w;          /* writable; active only while out holds bytes */
	ev_io done_w;          /* readable completions */
	ev_child child_w;      /* registered right after fork */
	ev_timer backoff_w;    /* respawn delay after an early death */
	ev_tstamp started;     /* when the current process was forked */
	unsigned early_deaths; /* consecutive deaths within a second of start */
	int start_err;         /* why pool_spawn could not start its worker; 0 if it did */
	bool broken;           /* protocol error or pipe gone: no more jobs */
	unsigned lim;          /* the lowest queue inflight of its jobs; 0 none (sched.c) */
	uint64_t proc_jobs;    /* done by the current process */
	uint64_t recycle_at;   /* retire after this many (max_jobs_per_worker + jitter); 0 never */
	bool recycle;          /* retiring to be replaced, not to shrink the pool */
	bool liar;             /* sent a bad record: nothing more it sends counts */
	ev_tstamp idle_since;  /* when it last had nothing to do (dynamic mode) */
	ev_tstamp head_since;  /* when the oldest job in flight started running */
	bool woken;            /* jobs were sent to it idle; none completed since */
	uint64_t overdue_id;   /* job past its time limit; its worker was sent TERM */
	ev_tstamp term_at;     /* when that TERM was sent */
	bool kill_sent;
	uint32_t refused;   /* bit i: its worker cannot run kind index i (hello) */
	uint64_t jobs_done; /* by this slot, all processes */
	int last_status;    /* wait status of the last process, -1 none */

	/* Jobs sent (or about to be) and not done, oldest first.  Workers run
	 * frames in order, so completions must come back in this order. */
	struct job **ring;
	unsigned ring_cap; /* [pool] inflight when the slot was made */
	unsigned ring_head;
	unsigned ring_len;

	/* Encoded frames not yet written to the task pipe. */
	char *out;
	size_t out_off, out_len, out_cap;

	/* Completion bytes read and not yet decoded: a record a read cut,
	 * PROTO_DONE_MAX bytes allocated when one first is (rare; a slot
	 * stays small, and so the master that forks the next worker). */
	char *in;
	size_t in_len;

	/* Load buckets (dispatch.c) and the list of slots with frames to write. */
	struct slot *bprev, *bnext;
	bool in_bucket;
	bool dirty;
	struct slot *dirty_next;
};

/* One recorded failure, kept until a `poolctl wait` has reported it. */
struct failure {
	uint64_t id;
	uint16_t kind;
	char reason[96];
};

/* Outcomes the master records beside the workers' proto_status values. */
#define OUTCOME_BURIED    3 /* its worker died on every attempt */
#define OUTCOME_CANCELLED 4 /* `poolctl cancel` */
/* outcome_record's slot for a job that never reached a worker. */
#define OUTCOME_NO_SLOT UINT32_MAX

struct counters {
	uint64_t accepted[MASTER_MAX_KINDS];
	uint64_t buried[MASTER_MAX_KINDS];
	uint64_t done[MASTER_MAX_KINDS];
	uint64_t failed[MASTER_MAX_KINDS];
	uint64_t timedout[MASTER_MAX_KINDS];
	uint64_t cancelled[MASTER_MAX_KINDS];
	uint64_t rejected;     /* FIFO lines refused */
	uint64_t retried;      /* jobs given to another worker after a death */
	uint64_t restarts;     /* workers that died and were replaced */
	uint64_t recycled;     /* workers replaced after max_jobs_per_worker */
	uint64_t replayed;     /* unfinished jobs of a previous run, from the journal */
	uint64_t killed;       /* workers killed for a malformed frame */
	uint64_t deduplicated; /* jobs not made: their key= was live (unique.c) */
	uint64_t retry_held;   /* failed jobs held for a retry (retry.c) */
	uint64_t kicked;       /* buried or failed jobs queued again (retry, kick) */
};

/* Buckets of poold_job_duration_seconds (metrics.c). */
#define METRICS_NBUCKETS 19

/* Per task kind: time queued (accepted to sent) and time run. */
struct kind_stats {
	struct latency wait;
	struct latency run;
	uint64_t run_le[METRICS_NBUCKETS]; /* per bucket, not cumulative */
};

/* Jobs held until a due time, in no queue (later.c). */
struct later {
	struct timerheap heap; /* of struct job *, by due time (wall clock) */
	ev_timer w;            /* armed for the earliest, at most LATER_RECHECK ahead */
};

struct client;     /* ctlsock.c */
struct scoreboard; /* common/scoreboard.h */

/* The thread that runs the journal's syncs and commits its compactions
 * (journal_sync.c). */
struct journal_sync {
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int fd;                    /* under lock: the journal's current descriptor */
	uint64_t want;             /* under lock: records of jobs up to this id are to be durable */
	uint64_t durable;          /* under lock: ... are durable */
	uint64_t ids_want;         /* under lock: the id reservation to make durable */
	uint64_t ids_durable;      /* under lock: ... made durable */
	bool asked;                /* under lock: a sync is asked for */
	bool stop;                 /* under lock: the thread is to end */
	int committed;             /* under lock: the last compaction: 1 done, -1 failed, 0 none */
	struct fsutil_tmp *commit; /* under lock: a compaction to commit, or NULL */
	struct fsutil_tmp commit_copy; /* what commit points to (fd: a dup) */
	int commit_fd;                 /* the loop's descriptor of that file */
	bool running;                  /* loop only: the thread exists */
	struct ev_loop *loop;          /* NULL when not started */
	ev_async done_w;               /* the thread's "a round is done" */
};

/* The journal of accepted, unfinished jobs (journal.c). */
struct journal {
	int fd;      /* -1: not open */
	int lock_fd; /* JOURNAL.lock, flocked for the life of the master; -1 if none */
	char *buf;   /* records not yet written */
	size_t len, cap;
	uint64_t size;          /* bytes in the file */
	uint64_t live_bytes;    /* bytes the live jobs' ACCEPTs take */
	bool dirty;             /* written since the last fdatasync */
	int next_fd;            /* a compaction's file, also written until committed; -1 */
	uint64_t next_size;     /* bytes in it */
	uint64_t compact_retry; /* after a failed compaction: not before this size */
	uint64_t durable_id;    /* fsync = always: jobs up to this id may be dispatched */
	uint64_t ids_durable;   /* ids up to this one may be given out (journal_next_id) */
	bool failing;           /* the last write failed (logged once) */
	ev_timer sync_w;        /* fsync = interval */
	struct journal_sync sync;
};

/* systemd notification state (notify.c). */
struct notify {
	int fd; /* -1 without $NOTIFY_SOCKET */
	struct sockaddr_un sa;
	socklen_t salen;
	bool warned;
	bool stalled;           /* the watchdog is held back */
	uint64_t watchdog_usec; /* 0: no watchdog */
	ev_timer status_w;
	ev_timer watchdog_w;
	ev_tstamp progress;    /* last time a job ended or the pool was idle */
	uint64_t watch_ended;  /* jobs ended at the last watchdog check */
	uint64_t status_ended; /* jobs ended at the last STATUS */
	bool waiting;          /* no valid configuration yet: not reading the FIFO */
	char bad[512];         /* why the file on disk is invalid; "" when it is not */
	char bad_since[40];    /* when it was first found invalid */
};

struct master {
	struct ev_loop *loop;
	const char *config_path; /* NULL: built-in defaults */
	struct config cfg;

	/* The pool. */
	struct slot **slots;    /* slot table; NULL entries are free */
	unsigned nslots;        /* table size */
	unsigned target;        /* workers wanted */
	ev_tstamp early_window; /* crash-loop guard: start of the count */
	unsigned early_count;   /* workers that died young since then */
	bool ready;             /* the wanted workers are up (since start or the last reload) */
	ev_tstamp ready_since;  /* start, or the last reload */
	bool verbose;           /* -v: debug level whatever the file says */
	/* Lines about workers that cannot start (pool.c). */
	struct log_rate spawn_log;
	/* The fork server (spawner.c); spawner_pid is 0 when there is none. */
	pid_t spawner_pid;
	int spawner_fd;
	ev_child spawner_w;

	/* Dispatch: slots by jobs in flight, and the slots to write. */
	struct slot **bucket; /* bucket[n]: READY slots with n jobs in flight */
	unsigned nbuckets;    /* inflight + 1 */
	unsigned min_load;
	unsigned ran_n;       /* jobs measured in this window (dispatch.c) */
	unsigned ran_short;   /* of them, short ones: ran at most short_ran */
	double short_ran;     /* DISPATCH_FILL_TIME / inflight */
	bool short_jobs;      /* a full batch of recent jobs runs within DISPATCH_FILL_TIME */
	uint32_t refuse_told; /* kinds no live worker can run, logged (refuse.c) */
	struct slot *dirty;
	struct jobq queue;
	struct jobcache jobcache; /* blocks of ended jobs, reused (queue.c) */
	uint64_t next_id;
	uint64_t id_reserved;   /* ids up to this one are reserved in the journal */
	struct results results; /* live and recently ended jobs by id (results.c) */
	struct uniq uniq;       /* live unique keys (unique.c) */
	struct log_rate dedup_log;
	ev_timer results_w;     /* drops ended jobs past [results] max_age */
	char *rbuf;             /* completion read buffer, shared by all slots */
	uint64_t live;          /* accepted, not yet ended */
	struct source *sources; /* the job sources, in start order (source.c) */

	/* The control FIFO, the source of jobs that are journaled. */
	struct source fifo_src;
	int fifo_fd;
	bool fifo_activated; /* passed by systemd (poold.socket) */
	ev_io fifo_w;
	bool fifo_paused;          /* queue full: not reading */
	int fifo_peek[2];          /* private pipe that tee(2) copies the FIFO into */
	int fifo_null;             /* /dev/null: where consumed FIFO bytes go */
	ev_timer fifo_grace_w;     /* watches a FIFO that holds only an unfinished line */
	bool fifo_stalled;         /* that is the case: fifo_w is stopped */
	size_t fifo_stall_len;     /* the FIFO's byte count when it stalled */
	uint64_t fifo_taken;       /* bytes consumed from the FIFO so far */
	uint64_t fifo_part_at;     /* fifo_taken when the unfinished line was first seen */
	ev_tstamp fifo_part_since; /* ... and when; -1 when there is none */
	struct ctl_split split;
	struct log_rate reject_log; /* rejection log lines, all sources (source.c) */

	/* The status/wait socket and its clients. */
	int sock_fd;
	ev_io sock_w;
	struct client *clients;
	unsigned nclients;
	struct client *idle_first, *idle_last; /* no request yet, oldest first */
	unsigned ctl_cap;                      /* clients served at once (limits.c) */
	int ctl_spare;                         /* kept to refuse a client when out of fds */
	ev_tstamp busy_logged;
	struct waitset waits; /* `poolctl wait` clients (ctlwait.c) */
	unsigned ctl_parked;  /* submitters waiting for room in the queue */

	/* Outcomes reported to `poolctl wait`. */
	struct failure *failures;
	size_t nfailures;
	uint64_t failures_dropped; /* over the cap, counted only */

	/* Retries (retry.c): the back-off's generator; buried jobs kept whole (buried.c). */
	uint64_t retry_seed;
	struct job *buried_first, *buried_last; /* oldest first */
	size_t nburied;
	uint64_t wait_mark; /* failures up to this id were reported */

	struct counters count;
	struct latency latency; /* accepted to ended, every job */
	struct kind_stats kstats[MASTER_MAX_KINDS];
	ev_timer metrics_w; /* writes [metrics] file */
	bool metrics_failing;
	ev_tstamp start_time;
	struct notify notify;
	struct journal journal;
	struct scoreboard *board; /* shared view of the pool (board.c) */
	int board_fd;
	ev_timer board_w;
	ev_timer scaler_w;   /* dynamic mode */
	ev_timer sched_w;    /* a queue's rate lets a held job go (sched.c) */
	struct later later;  /* delayed jobs (in=, at=) and back-offs (later.c) */
	unsigned spawn_rate; /* dynamic mode: workers to start at the next tick */

	/* Signals and shutdown. */
	ev_signal sig_term, sig_int, sig_hup, sig_usr1, sig_usr2, sig_ttin, sig_ttou;
	ev_timer stop_w;     /* shutdown_timeout, then kill_timeout */
	ev_timer deadline_w; /* checks running jobs against their time limits */
	bool stopping;
	ev_prepare settle_w;    /* the settle step (settle.c) */
	ev_idle settle_again_w; /* one more turn without blocking (settle.c) */
	ev_tstamp stop_time;
	int stop_stage; /* 0 draining, 1 TERM sent, 2 KILL sent */
};

/* ---- census.c: the pool census that status, metrics, board and notify read ---- */
struct census {
	unsigned wanted;   /* workers the pool is sized for */
	unsigned workers;  /* slots in use, any state */
	unsigned starting; /* forked, no hello yet */
	unsigned ready;    /* taking jobs: busy + idle */
	unsigned busy;     /* READY and holding jobs */
	unsigned idle;     /* READY and holding none */
	unsigned retiring;
	unsigned backoff;
	unsigned holding; /* any state, holding jobs (a retiring worker finishing) */
	uint64_t in_flight;
	uint64_t queued;
	uint64_t scheduled; /* held until their due time (later.c): in=, at= */
	uint64_t retrying;  /* failed, waiting for a retry's back-off (retry.c) */
	uint64_t live;      /* accepted, not yet ended */
	uint64_t waiting;   /* `poolctl wait` clients not yet answered */
	uint64_t accepted, done, failed, timedout, buried, cancelled;
	uint64_t ended; /* done + failed + timedout + buried + cancelled */
};
/* Fills c from m in one pass over the slots. */
void census_take(const struct master *m, struct census *c);

/* ---- slot.c: a slot's state x event table (the table is in slot.c) ---- */
enum slot_event {
	SLOT_EV_SPAWNED,     /* a new process was forked for it */
	SLOT_EV_HELLO,       /* its worker said hello */
	SLOT_EV_RETIRE,      /* finish what it holds, then go */
	SLOT_EV_SHRINK,      /* retire to make the pool smaller (not to be replaced) */
	SLOT_EV_RECYCLE,     /* retire to be replaced (max_jobs_per_worker) */
	SLOT_EV_DIED_YOUNG,  /* its worker died early: wait before the next start */
	SLOT_EV_PIPE_BROKEN, /* a pipe to it failed or hit EOF */
	SLOT_EV_LIED,        /* it sent a bad record */
	SLOT_EV_OVERDUE,     /* its running job passed its time limit (TERM sent) */
	SLOT_EV_KILL_SENT,   /* it was sent KILL after TERM */
	SLOT_NEVENTS
};
/* Applies ev at time now: 0, or -1 if the event is refused in the slot's
 * state (nothing changed). */
int slot_event(struct slot *s, enum slot_event ev, ev_tstamp now);
/* For a job a reaped worker held: why it timed out if it is the one that
 * ran past its limit, else NULL. */
const char *slot_overdue(const struct slot *s, const struct job *j);
/* Its worker said hello refusing these kinds (bit i: kind index i):
 * SLOT_EV_HELLO and the mask; 0, or -1 as slot_event. */
int slot_hello(struct slot *s, uint32_t refused, ev_tstamp now);

/* ---- refuse.c: kinds a worker cannot run (a module's init failed) ---- */
/*
 * For a job of kind index `kind` that the least-loaded slot refuses: the
 * least-loaded READY slot under `share` jobs that takes the kind; NULL if
 * none has room now but a live worker could take it (the job waits; the
 * kind is added to *blocked, which skips the search for the rest of the
 * pass); or, if every live worker refuses the kind, the least-loaded slot
 * all the same (it fails the job with its init's reason; logged once).
 */
struct slot *refuse_pick(struct master *m, unsigned kind, unsigned share, uint32_t *blocked);
/* A worker said hello: kinds it runs are no longer "run by no worker". */
void refuse_hello(struct master *m, const struct slot *s);

/* ---- limits.c: descriptors and processes the pool needs ---- */
/*
 * Checks (raising soft limits up to the hard ones) that the process can
 * hold `workers` workers while `held` more still hold their pipes, and
 * sets m->ctl_cap from what is left.  0, or -1 with one line in err.
 */
int limits_fit(struct master *m, unsigned workers, unsigned held, char *err, size_t errlen);

/* ---- pool.c: the slot table, spawning, reaping, resizing ---- */
int pool_start(struct master *m);
void pool_slot_hello(struct slot *s);
void pool_check_ready(struct master *m);
void pool_resize(struct master *m, unsigned target);
void pool_retire(struct slot *s);
void pool_retire_all(struct master *m);
int pool_scale(struct master *m, long target, const char *why, char *err, size_t errlen);
void pool_signal_all(struct master *m, int sig);
unsigned pool_live(const struct master *m);
void pool_free(struct master *m);
void pool_spawn(struct master *m, struct slot **v, unsigned n); /* pool_spawn.c */

/* spawner.c: the fork server workers are made by. */
struct spawn_job {
	unsigned slot;
	int task_fd, done_fd; /* the worker's ends of its pipes */
	int task_w, done_r;   /* the master's */
	pid_t pid;            /* the worker; 0: not made (fork it); -1: failed, errno in err */
	int err;
	bool by_spawner; /* pid made by the spawner */
	bool asked;      /* sent to the spawner, not answered yet */
};
int spawner_start(struct master *m);
void spawner_stop(struct master *m);
int spawner_request(struct master *m, struct spawn_job *j);
void spawner_answer(struct master *m, struct spawn_job *j);

/* ---- settle.c: the settle step, once per loop turn (order in settle.c) ---- */
void settle_start(struct master *m);
void settle_stop(struct master *m);

/* ---- dispatch.c, dispatch_done.c: least-loaded dispatch, frames out, completions in ---- */
int dispatch_init(struct master *m);
int dispatch_resize(struct master *m, unsigned inflight);
void dispatch_run(struct master *m);
void dispatch_slot_ready(struct slot *s);
void dispatch_slot_remove(struct slot *s);
int dispatch_send_control(struct slot *s, uint32_t code);
void dispatch_slot_gone(struct slot *s, const char *how);
void dispatch_done_cb(struct ev_loop *loop, ev_io *w, int revents);
void dispatch_task_cb(struct ev_loop *loop, ev_io *w, int revents);
void dispatch_free(struct master *m);

/* ---- journal.c, journal_replay.c: accepted jobs survive a crash ---- */
/* Locks JOURNAL.lock so that no second poold uses the journal (before
 * anything else is opened; released at exit).  0, or -1 with a reason. */
int journal_lock(struct master *m, char *err, size_t errlen);
/* Opens the journal, queues the unfinished jobs of a previous run and
 * compacts it.  0, or -1 with a reason in err. */
int journal_open(struct master *m, char *err, size_t errlen);
void journal_accept(struct master *m, const struct job *j);
/* The next job id, never given by an earlier run of this poold: ids are
 * reserved in blocks by a journal record written before they are used. */
uint64_t journal_next_id(struct master *m);
void journal_end(struct master *m, const struct job *j);
/* The key of ended job id is kept (keep) or released (unique.c). */
void journal_key(struct master *m, bool keep, uint64_t id, const char *key, size_t len);
/* j failed at `at` and is retried at `due`: a RETRY record (journal.h),
 * if its source journals. */
void journal_retry(struct master *m, const struct job *j, double at, double due, const char *reason,
                   size_t len);
/* After jobs were accepted from a read: write them (and fsync, if always). */
void journal_after_read(struct master *m);
void journal_flush(struct master *m, bool sync);
void journal_close(struct master *m);
void journal_configure(struct master *m);
int journal_sync_start(struct journal_sync *js, struct ev_loop *loop, int fd,
                       void (*done)(struct ev_loop *, ev_async *, int));
bool journal_sync_ask(struct journal_sync *js, uint64_t upto);
bool journal_sync_commit_ask(struct journal_sync *js, const struct fsutil_tmp *t);
bool journal_sync_ask_ids(struct journal_sync *js, uint64_t reserved);
uint64_t journal_sync_result(struct journal_sync *js, int *committed, uint64_t *ids);
void journal_sync_fd(struct journal_sync *js, int fd);
void journal_sync_stop(struct journal_sync *js);
/* fsync = always: the job's records are not known durable yet, so it may
 * not be dispatched (journal.c); inline, since dispatch asks per job. */
static inline bool journal_holds(const struct master *m, const struct job *j)
{
	return m->cfg.journal_fsync == CONFIG_FSYNC_ALWAYS && j->id > m->journal.durable_id &&
	       j->src != NULL && j->src->journaled && m->journal.fd != -1;
}
/* The journal holds job id's ACCEPT: written (nothing is left in the
 * buffer) and, with fsync = always, synced (or the journal was closed
 * after a final sync).  What a source that hands its jobs over to the
 * journal waits for before it lets go of them (a Redis entry's XACK). */
bool journal_has(const struct master *m, uint64_t id);
/* fsync = always: jobs accepted and not yet known durable (at most). */
uint64_t journal_unsynced(const struct master *m);

/* ---- sched.c: the queues' limits at dispatch, pause, status ---- */
void sched_init(struct master *m);
/* Which lane each kind of the table goes to (at start and after a reload
 * that may add kinds). */
void sched_map_kinds(struct master *m);
/* The next job for the least-loaded worker (holding `load` jobs) under
 * the queues' limits, at loop time now. */
struct job *sched_pick(struct master *m, unsigned load, ev_tstamp now);
/* j was given to s (true if s may take one more: sched_slot_open) / left
 * s (ended or given back). */
bool sched_assigned(struct slot *s, const struct job *j);
void sched_left(struct slot *s, const struct job *j);
/* s may take one more job (no queue's inflight holds it back). */
bool sched_slot_open(const struct slot *s);
/* `pause NAME` / `resume NAME`: 0 with the reply line, or -1 with an error line. */
int sched_pause(struct master *m, const char *name, bool pause, char *reply, size_t len);
struct json_t;
void sched_status_text(const struct master *m, FILE *f);
/* Adds "queues" and "tokens" to root; -1 out of memory. */
int sched_status_json(const struct master *m, struct json_t *root);
void sched_metrics(const struct master *m, FILE *f);

/* ---- deadline.c: job time limits ---- */
void deadline_start(struct master *m);

/* ---- queue.c: jobs and the job queue ---- */
struct job *job_new(uint32_t code, uint16_t kind, const char *args, size_t len);
/* The same with option words (jobopt_format's text) kept after the
 * arguments: args[len .. len + optlen), for the journal. */
struct job *job_new_opts(uint32_t code, uint16_t kind, const char *args, size_t len,
                         const char *opts, size_t optlen);
void job_free(struct job *j);
/* job_new, or a block from the cache; job_put keeps a block or frees it. */
struct job *job_take(struct jobcache *c, uint32_t code, uint16_t kind, const char *args, size_t len,
                     const char *opts, size_t optlen);
void job_put(struct jobcache *c, struct job *j);
/* Frees the cached jobs and the newest block's never used ones: at the
 * end, after which a block goes with its last job freed. */
void jobcache_clear(struct jobcache *c);
void jobq_push(struct jobq *q, struct job *j);
void jobq_push_front(struct jobq *q, struct job *j);
struct job *jobq_pop(struct jobq *q);
void jobq_clear(struct jobq *q);
/* Takes job id out of the queue (a cancel); NULL if it is not queued. */
struct job *jobq_remove(struct jobq *q, uint64_t id);
/* Every queued job, lane by lane, highest priority first, oldest first:
 * for (j = jobq_first(q); j != NULL; j = jobq_next(q, j)). */
struct job *jobq_first(const struct jobq *q);
struct job *jobq_next(const struct jobq *q, const struct job *j);
/* The lane's next job by priority (queue.c), whatever its limits. */
struct job *jobq_lane_pop(struct jobq *q, struct joblane *ln);
/* Lanes and their limits from cfg's [queue.NAME] and [token.NAME]. */
void jobq_configure(struct jobq *q, const struct config *cfg);
/*
 * The next job a worker holding `load` jobs may get under the limits (it
 * counts as handed out), or NULL.  When only a rate holds jobs back,
 * *wake is set to when the first of them may go (else left alone).
 */
struct job *jobq_pick(struct jobq *q, unsigned load, double now, double *wake);
/* A picked job left its worker (ended, or given back to be requeued);
 * returns its lane's inflight (as jobq_inflight). */
unsigned jobq_release(struct jobq *q, const struct job *j);
/* A picked job that no worker took: released, and counted neither as
 * handed out nor against the rate (then jobq_push_front it back). */
void jobq_unpick(struct jobq *q, const struct job *j);
/* The lane's inflight for a job of it: 0 when none. */
unsigned jobq_inflight(const struct jobq *q, const struct job *j);
/* The lane called name, or NULL. */
struct joblane *jobq_lane(struct jobq *q, const char *name);

/* ---- fifo.c: the control FIFO ---- */
/* ---- sources/fifo.c: the control FIFO, the source of journaled jobs ---- */
/* Opens the FIFO and adds m->fifo_src to the sources; 0, or -1 with a
 * reason in err. */
int fifo_open(struct master *m, char *err, size_t errlen);
void fifo_drain(struct master *m);
void fifo_close(struct master *m);

/* ---- sources/mqueue.c: the POSIX message queue, [control] mqueue ---- */
int mqueue_start(struct master *m, char *err, size_t errlen);

/* ---- sources/activation.c: the FIFO from systemd's socket activation ---- */
enum activation_result {
	ACTIVATION_FOUND, /* *fd: the FIFO, non-blocking and close-on-exec */
	ACTIVATION_NONE,  /* none passed: create it ourselves */
	ACTIVATION_BAD,   /* what was passed is unusable: a reason in err */
};
/* Looks for the FIFO among the descriptors systemd passed ($LISTEN_FDS). */
enum activation_result activation_fifo(const char *path, int *fd, char *err, size_t errlen);
/* True if systemd passed us a FIFO (checked without taking it). */
bool activation_pending(void);

/* ---- scaler.c: [pool] mode = dynamic ---- */
void scaler_clamp(struct config *cfg);
void scaler_start(struct master *m);

/* ---- board.c: the shared-memory scoreboard ---- */
int board_init(struct master *m, char *err, size_t errlen);
int board_send(struct master *m, int sock);
void board_close(struct master *m);

/* ---- ctlsock.c, ctlsock_accept.c, ctlwait.c: the status/wait socket ---- */
/* Clients served at once, when the descriptor limit allows. */
#define CTLSOCK_MAX 2048
int ctlsock_open(struct master *m, char *err, size_t errlen);
void ctlsock_settle(struct master *m);
void ctlsock_close(struct master *m);

/* ---- status.c: status as text and JSON ---- */
int status_render(struct master *m, bool json, char **text, size_t *len);

/* ---- signals.c: TERM/INT, HUP, USR1, and the shutdown sequence ---- */
void signals_start(struct master *m);
void signals_check_drained(struct master *m);

/* ---- metrics.c: Prometheus text format ---- */
void metrics_observe(struct master *m, unsigned kind, double queued, double ran);
int metrics_render(struct master *m, char **text, size_t *len);
void metrics_configure(struct master *m);

/* ---- notify.c: systemd's sd_notify protocol and watchdog ---- */
void notify_init(struct master *m);
void notify_ready(struct master *m);
void notify_reloading(struct master *m);
/* The configuration file failed to load (err: FILE:LINE: reason), or
 * loaded (err NULL); waiting: the master has none and is not reading the
 * FIFO.  Kept in every STATUS= until the next call. */
void notify_config(struct master *m, const char *err, bool waiting);
/* READY=1 for a master that waits for a valid configuration. */
void notify_waiting(struct master *m);
void notify_stopping(struct master *m);
void notify_close(struct master *m);

/* ---- reload.c: SIGHUP, and waiting for a valid file ---- */
void reload_run(struct master *m);
/*
 * For a master started by systemd with the FIFO and a file that does not
 * load (err says why): holds the FIFO unread and waits for a HUP that
 * loads the file into m->cfg (returns 0) or a TERM or INT (returns -1).
 */
int reload_wait_valid(struct master *m, const char *err);

/* ---- modcheck.c: poold --check-module FILE ---- */
/* Reports on the module at path on stdout, or why it cannot be loaded on
 * stderr.  Returns the exit code: 0, or 78 (POOLD_EXIT_CONFIG). */
int modcheck_run(const char *path);

/* A job's life after admission: later.c, unique.c, outcome.c, retry.c,
 * buried.c, jobctl*.c. */
#include "joblife.h"

#endif
