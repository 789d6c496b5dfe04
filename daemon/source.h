/*
 * Job sources: where jobs come from (the control FIFO with its journal,
 * a stream of a message broker, ...).  Each source embeds a struct source with
 * its ops and registers it on the master's list; the core (admission,
 * outcome, journal, status, metrics, reload, shutdown) calls the ops and
 * never names a source.  Every job carries a typed pointer to its source,
 * and a source that keeps something per job (a stream entry's ID) hangs it
 * on the job as a struct source_datum embedded in its own struct.
 *
 * Admission is one path for every source and for the journal's replay
 * (admit.c): the id, the [pool] queue_limit rule, the per-kind count, the
 * journal record for the sources that journal.
 */
#ifndef POOLD_SOURCE_H
#define POOLD_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct job;
struct jobopt;
struct master;
struct source;

/* Counters one source shows in status and metrics, at most this many. */
#define SOURCE_STATS_MAX 16

/*
 * One counter of a source.  Status shows it as "key":value in the
 * source's JSON object and as "value label" in its text line; metrics as
 * poold_<source>_<key> (a gauge) or poold_<source>_<key>_total (a counter).
 */
struct source_stat {
	const char *key;
	const char *label;
	const char *help; /* the metric's HELP text */
	bool gauge;       /* a gauge: in the text line's head (state), not its list */
	uint64_t value;
};

/* What a source's stats op fills in. */
struct source_stats {
	const char *state; /* text status: "NAME: STATE, GROUP: ..."; NULL: no state */
	const char *group; /* text status: the words before the list of counters */
	size_t n;
	struct source_stat v[SOURCE_STATS_MAX];
};

struct source_ops {
	const char *name; /* status key and metric prefix: lowercase, no space */
	/* A job of this source reached its outcome (already counted, logged
	 * and told to waiters); the job is freed after this returns. */
	void (*ended)(struct source *src, struct job *j, uint32_t status, const char *msg,
	              size_t len);
	/* Fills *st; returns false to show nothing (no counters yet). */
	bool (*stats)(const struct source *src, struct source_stats *st);
	/* On reload, before next becomes the running configuration: keeps in
	 * next what this source cannot change while it runs. */
	void (*reload)(struct source *src, struct config *next);
	/* Jobs ended and there is room under [pool] queue_limit: a source
	 * that stopped reading at the limit may read again.  NULL: the source
	 * checks the room itself before each read. */
	void (*room)(struct source *src);
	/* Takes in at once, past the queue limit, what submitters have already
	 * handed over (before `poolctl wait` takes its snapshot).  NULL: none. */
	void (*drain)(struct source *src);
	/* At exit: stops taking jobs and releases everything; src may be
	 * freed (jobs still queued keep a pointer nobody follows). */
	void (*close)(struct source *src);
};

struct source {
	const struct source_ops *ops;
	struct master *m;
	struct source *next; /* the master's list (source_add) */
	bool journaled;      /* its jobs are written to the journal */
	uint64_t live;       /* its jobs accepted and not yet ended */
};

/* A source's per-job data: embedded first in the source's own struct (one
 * allocation, freed with the job); the source gets it back with
 * container_of.  The core never looks inside. */
struct source_datum {
	struct source *owner;
};

/* ---- sources/registry.c: the sources besides the FIFO ---- */
/* Starts every configured source; 0, or -1 with a reason in err. */
int source_start_all(struct master *m, char *err, size_t errlen);

/* ---- source.c: the master's list of sources ---- */
void source_add(struct master *m, struct source *src);
/* Calls every source's room op (after jobs ended). */
void source_room_all(struct master *m);
void source_reload_all(struct master *m, struct config *next);
/* Closes every source (its close op), last added first. */
void source_close_all(struct master *m);
/* Jobs accepted and not yet ended, of the sources that journal. */
uint64_t source_live_journaled(const struct master *m);
/* Calls every source's drain op (before `poolctl wait` takes its snapshot). */
void source_drain_all(struct master *m);
/* Logs a refused input ("rejected WHAT \"excerpt\": why"), at most 10 a
 * second across all sources, the rest counted and summarised.  The caller
 * counts the rejection itself. */
void source_reject_log(struct master *m, const char *what, const char *line, size_t len,
                       const char *why);

/* ---- admit.c: the one way a job gets in ---- */
enum admit_result {
	ADMIT_OK,
	ADMIT_FULL,  /* [pool] queue_limit jobs are unfinished: not taken */
	ADMIT_NOMEM, /* out of memory: not taken */
	ADMIT_BAD,   /* source_admit_line: not a valid job line */
	ADMIT_DUP,   /* its key= is live (unique.c): counted, not taken */
};

/* What a source hands to queue_admit. */
struct admit_req {
	uint32_t code;
	uint16_t kind; /* index in the job table */
	const char *args;
	size_t len;
	uint8_t pri;                /* priority, 0..QUEUE_PRI_MAX (master.h) */
	uint64_t id;                /* 0: the next id; else a replayed job's own */
	bool past_limit;            /* taken even at the limit (FIFO drain, replay) */
	struct source_datum *datum; /* the source's per-job data, or NULL; the
	                             * job owns it once admitted */
	const struct jobopt *opt;   /* the job's options (jobopt.h), or NULL */
	const char *ref;            /* the source's own name for it (a stream
	                             * entry's ID), shown by `poolctl job`; or NULL */
	uint64_t *dup;              /* ADMIT_DUP: gets the key holder's id; or NULL */
};

/* How many more jobs [pool] queue_limit lets in now (0: full). */
uint64_t queue_room(const struct master *m);
/* Queued jobs below which a source that can wait should read (admit.c). */
#define QUEUE_INTAKE_MIN 1024
/* The room, bounded so that the queue holds a few batches at most. */
uint64_t queue_intake(const struct master *m);

/*
 * Admits one job of src: applies the queue limit (unless past_limit),
 * makes the job, gives it its id (replayed jobs keep theirs, and later
 * ids follow them), queues it (or, with in= or at=, holds it until its
 * due time: later.c; in= is kept as the absolute at=), counts it (accepted per kind, the source's
 * live jobs, replayed ones), journals it (with its options) if src
 * journals and it is not a replay, and records it for look-ups by id and
 * key (jobctl_admitted): the one place the results registry learns of a
 * job.  A job whose key is live under its `unique` mode is not made
 * (ADMIT_DUP: counted as deduplicated, the holder's id in *rq->dup).  New ids are reserved in the
 * journal first (journal_next_id), so no later run gives one again.  ADMIT_OK with the job in *out
 * (may be NULL), or why not; on failure the datum stays the caller's.
 */
enum admit_result queue_admit(struct master *m, struct source *src, const struct admit_req *rq,
                              struct job **out);

/* ---- sources/lines.c: a text line as a job ---- */
/*
 * Checks one job line (without its newline) as poolctl does and admits it
 * for src with rq's priority, id and past_limit (its code, kind, args and
 * options are filled in rq from the line: rq->opt points into the call's
 * own frame, gone after it).  ADMIT_OK, or why not with a reason in err
 * (ADMIT_BAD: the line's fault).
 */
enum admit_result source_admit_line(struct source *src, const char *line, size_t len,
                                    struct admit_req *rq, char *err, size_t errlen);

#endif
