/*
 * The configuration: built-in defaults, the INI file (inih), validation,
 * and errors as text ("FILE:LINE: reason").  No libev, no exit(), no
 * logging: callers decide what an error means (exit 78 at start-up, keep
 * the old configuration on reload).
 *
 * Relative paths in a file, and the default paths of keys a file leaves
 * out, are taken relative to the directory of that file (so poold and
 * poolctl given the same -c find the same FIFO from anywhere); without a
 * file, the defaults are relative to the working directory.
 * After a successful load every path in struct config is absolute and
 * free of "." and ".." components.
 */
#ifndef POOLD_CONFIG_H
#define POOLD_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "retry.h"

#define CONFIG_MAX_WORKERS    4096
#define CONFIG_REDIS_NAME_MAX 200 /* stream, group, consumer names */
#define CONFIG_MAX_OPKINDS    12  /* [kind.NAME] sections; JOBS_MAX less the built-in kinds */

struct opkind;
struct modconf;
struct modkind;

#define CONFIG_MAX_MODULES 8 /* [module.NAME] sections; their kinds count as [kind.NAME] */

#define CONFIG_MAX_QUEUES  16 /* [queue.NAME] sections, the built-in two included */
#define CONFIG_MAX_TOKENS  8  /* [token.NAME] sections */
#define CONFIG_QUEUE_NAME  32 /* a queue's or token's name, with its NUL */
#define CONFIG_QUEUE_KINDS 16 /* kinds a queue may name (JOBS_MAX) */
#define CONFIG_KIND_NAME   40 /* a kind's name as a queue names it, with its NUL */

/* unique = ...: how long a job's key= holds off another job with the same
 * key (daemon/uniq.c); in [queue.NAME] and [kind.NAME] sections. */
enum config_unique {
	CONFIG_UNIQUE_NONE,   /* keys are names only */
	CONFIG_UNIQUE_QUEUED, /* from acceptance until a worker starts the job */
	CONFIG_UNIQUE_ACTIVE, /* ... until it ends, whatever the outcome */
	CONFIG_UNIQUE_DONE,   /* ... until it ends well (or is cancelled) */
};

/* One [queue.NAME] section (config_queue.c); queue 0 is "default" and
 * queue 1 "long", whether the file has them or not. */
struct config_queue {
	char name[CONFIG_QUEUE_NAME];
	char kinds[CONFIG_QUEUE_KINDS][CONFIG_KIND_NAME]; /* kind names, built-in or [kind.*] */
	unsigned nkinds;
	unsigned concurrency; /* at most this many of its jobs handed out; 0: no cap */
	double rate;          /* jobs a second (token bucket); 0: no limit */
	unsigned burst;       /* the bucket's size; 0: max(1, rate) */
	unsigned inflight;    /* jobs one worker holds while one of these is there; 0: [pool] */
	char needs[CONFIG_QUEUE_NAME]; /* a [token.NAME] each job holds; "" none */
	int token;                     /* index of needs in tokens[], -1 none */
	int unique;                    /* enum config_unique of its kinds' keys */
	struct retry_conf retry;       /* retry, backoff, retry_on (retry.h) */
	unsigned seen;                 /* keys given, to refuse duplicates */
};

/* One [token.NAME] section: count units shared by the queues that need it. */
struct config_token {
	char name[CONFIG_QUEUE_NAME];
	unsigned count;
};

/* When [journal] writes are made durable. */
enum config_fsync {
	CONFIG_FSYNC_ALWAYS,   /* before the jobs of a read are dispatched */
	CONFIG_FSYNC_INTERVAL, /* at most [journal] interval after the write */
	CONFIG_FSYNC_NEVER, /* left to the kernel (survives a crash of poold, not of the machine) */
};

struct config {
	char source[PATH_MAX];  /* file read, "" for built-in defaults */
	char basedir[PATH_MAX]; /* what relative paths were resolved against */

	/* [pool] */
	unsigned workers;             /* resolved count, 1..CONFIG_MAX_WORKERS */
	bool workers_auto;            /* "auto": online CPUs at load time */
	unsigned inflight;            /* jobs sent to one worker and not done */
	unsigned queue_limit;         /* jobs accepted and not yet sent */
	unsigned shutdown_timeout_ms; /* drain time on TERM before TERM to workers */
	unsigned kill_timeout_ms;     /* TERM to KILL of workers at shutdown */
	unsigned job_timeout_ms;      /* a running job past it: its worker is stopped; 0 none */
	unsigned max_attempts;        /* a job whose worker dies this often is buried */
	unsigned timeout_retries;     /* a job past its time limit runs again this often */
	unsigned max_jobs_per_worker; /* recycle a worker after about this many; 0 never */
	bool dynamic;                 /* [pool] mode = dynamic */
	unsigned min_workers;         /* dynamic: never fewer */
	unsigned max_workers;         /* dynamic: never more */
	unsigned idle_timeout_ms;     /* dynamic: a worker idle this long may go */

	/* [control] */
	char fifo[PATH_MAX];       /* the control FIFO */
	char socket[PATH_MAX];     /* the status/wait Unix socket */
	mode_t mode;               /* permission bits of both (and of mqueue), default 0620 */
	char mqueue[NAME_MAX + 1]; /* POSIX message queue "/NAME"; "" (none) for off */
	unsigned mqueue_depth;     /* its mq_maxmsg when poold creates it */

	/* [log] level; the job kinds' own keys ([log] file, [backup], [net]
	 * ...) are in kind_conf, each kind's struct of its own (job.h). */
	int log_level; /* enum log_level of the daemon's own stderr */

	/* [journal] */
	char journal_file[PATH_MAX];  /* accepted, unfinished jobs survive a crash here */
	int journal_fsync;            /* enum config_fsync */
	unsigned journal_interval_ms; /* with CONFIG_FSYNC_INTERVAL: the window at risk */

	/* [results]: ended jobs kept for `poolctl job`, whichever bound comes first */
	unsigned results_keep;       /* how many */
	unsigned results_max_age_ms; /* how long; 0 no limit */
	unsigned results_output_kib; /* operator kinds' output kept, all jobs */

	/* [metrics] */
	char metrics_file[PATH_MAX];  /* Prometheus textfile; "" (none) for off */
	unsigned metrics_interval_ms; /* how often it is written */

	/* [redis]: no Redis source when redis_host and redis_unix are both "" */
	char redis_host[256];         /* url = redis://HOST:PORT */
	unsigned redis_port;          /* with redis_host */
	char redis_unix[PATH_MAX];    /* url = unix:PATH */
	unsigned redis_batch;         /* entries per read, at most */
	unsigned redis_claim_idle_ms; /* others' entries idle this long are claimed */
	unsigned redis_max_attempts;  /* deliveries before the dead-letter stream */
	char redis_stream[CONFIG_REDIS_NAME_MAX + 1];
	char redis_group[CONFIG_REDIS_NAME_MAX + 1];
	char redis_consumer[CONFIG_REDIS_NAME_MAX + 1];    /* "" (auto): HOST-HASH */
	char redis_dead_letter[CONFIG_REDIS_NAME_MAX + 6]; /* never "" once loaded: STREAM:dead */

	/* [queue.NAME] and [token.NAME] (config_queue.c) */
	struct config_queue queues[CONFIG_MAX_QUEUES];
	unsigned nqueues; /* at least 2 once loaded: default, long */
	struct config_token tokens[CONFIG_MAX_TOKENS];
	unsigned ntokens;

	/* By index in the kind table: the values of that kind's section
	 * (config_section.h), NULL for a kind without one.  Owned. */
	void **kind_conf;
	size_t n_kind_conf;

	/* [kind.NAME] sections (opkind.h), in the order of the file.  Owned. */
	struct opkind *opkinds[CONFIG_MAX_OPKINDS];
	unsigned n_opkinds;

	/* [module.NAME] sections and their kinds (modkind.h): the kinds
	 * and the operator kinds are at most CONFIG_MAX_OPKINDS.  Owned. */
	struct modconf *modules[CONFIG_MAX_MODULES];
	unsigned n_modules;
	struct modkind *modkinds[CONFIG_MAX_OPKINDS];
	unsigned n_modkinds;
};

/*
 * Fills *cfg with the built-in defaults (paths under ./poold.d of the
 * working directory).  Returns 0, or -1 with a reason in err.
 */
int config_defaults(struct config *cfg, char *err, size_t errlen);

/*
 * Loads the file at path over the defaults and validates the result.
 * Returns 0, or -1 with "path:line: reason" (or "path: reason") in err;
 * on failure *cfg is left untouched.
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);

/*
 * The same for INI text held in memory; name is used in messages and
 * basedir resolves relative paths.  For tests and the fuzzer.
 */
int config_load_string(struct config *cfg, const char *text, const char *name, const char *basedir,
                       char *err, size_t errlen);

/*
 * Refuses the files poold writes ([metrics] file, [journal] file and the
 * journal's lock file, and every kind's key marked `written`, such as
 * [log] file) naming one file, after resolving symlinks, hard links and
 * directories.  config_load runs it (with the line in the message);
 * reload runs it again once it has kept the running journal.  Returns 0,
 * or -1 with a reason in err.
 */
int config_check_files(const struct config *c, char *err, size_t errlen);

/* Frees what a loaded config owns; the struct itself is the caller's. */
void config_free(struct config *cfg);

/*
 * Parses a duration: a number with an optional unit ms, s, m or h
 * ("250ms", "3s", "1.5s", "2m"; a bare number is seconds).  Returns 0
 * with the value in milliseconds, or -1 if malformed or over a day.
 */
int config_parse_duration(const char *text, unsigned *ms);

/*
 * True if the two configurations differ in a kind's key whose reload
 * policy is CONFIG_RELOAD_WORKERS (config_section.h): running workers
 * hold it, so a reload replaces every worker instead of only resizing
 * the pool.
 */
bool config_workers_differ(const struct config *a, const struct config *b);

#endif
