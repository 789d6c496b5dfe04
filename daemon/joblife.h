/*
 * A job's life after its admission, the master's side (included by
 * master.h, after the structs it uses): holds until a due time (later.c),
 * unique keys (unique.c), outcomes (outcome.c), retries and kicks
 * (retry.c, buried.c), and jobs by id (jobctl.c, jobctl_req.c).
 */
#ifndef POOLD_JOBLIFE_H
#define POOLD_JOBLIFE_H

/* ---- later.c: jobs held until a due time (in=, at=, retries' back-off) ---- */
/* The longest the timer sleeps before it looks at the wall clock again. */
#define LATER_RECHECK 1.0
/* Sets up the timer; before the journal's replay (which may hold jobs). */
void later_start(struct master *m);
/*
 * Holds job j, admitted (it has its id, is counted live and, for a
 * journaled source, its ACCEPT is written by the caller), until `due`
 * (wall-clock Unix seconds, as ev_now): it is in no queue, its record
 * says RESULT_SCHEDULED with the due time, and when due it is pushed to
 * its queue (jobq_push; record back to queued).  j may be new (never
 * queued) or one that already ran (a retry: j->attempts > 0, taken out
 * of its slot by the caller, its limits released).  A due time already
 * past queues it at once.  Nothing is released while the master stops:
 * held jobs stay in the journal for the next start.  0, or -1 (ENOMEM:
 * nothing done, the job is still the caller's), never after later_room.
 */
int later_hold(struct master *m, struct job *j, double due);
/* Makes room for one more held job, so that the next later_hold cannot
 * fail (for a caller that cannot undo what it did first); 0, or -1 (ENOMEM). */
int later_room(struct master *m);
/* Takes held job id out (a cancel); NULL if it is not held here. */
struct job *later_remove(struct master *m, uint64_t id);
/* Jobs held now (inline: the census reads it without later.c). */
static inline size_t later_count(const struct master *m)
{
	return m->later.heap.len;
}
/* The i-th held job (0 <= i < later_count), in no useful order: for the
 * journal's compaction. */
struct job *later_at(const struct master *m, size_t i);
/* At exit: stops the timer and frees the held jobs (the journal keeps them). */
void later_free(struct master *m);

/* ---- unique.c: unique keys (`unique = ...` for the job option key=) ---- */
/* Before a job is made: 0 (its key holds nothing off), the mode its key
 * is to be claimed with, or -1 (a live key: the job is a duplicate,
 * counted and logged; the holder's id in *rq->dup). */
int unique_check(struct master *m, struct source *src, const struct admit_req *rq);
/* The admitted job j claims o's key with mode (unique_check's > 0). */
void unique_claim(struct master *m, struct job *j, const struct jobopt *o, int mode);
/* j was started by a worker / ended with status: its key's life by its mode. */
void unique_started(struct master *m, struct job *j);
void unique_ended(struct master *m, struct job *j, uint32_t status);
/* `poolctl cancel ID` of an ended job still holding its key (until-done
 * after a failure): releases it; 0 with msg, or -1 if it holds none. */
int unique_cancel_ended(struct master *m, uint64_t id, char *msg, size_t msglen);
/* `poolctl retry ID` or `kick` queues a copy of ended job old: the key
 * old still holds (until-done after a failure) passes to the copy.
 * unique_pass releases it (journaled) and copies it to key (size bytes):
 * true if there was one; unique_pass_undo gives it back to old if the
 * copy was not admitted. */
bool unique_pass(struct master *m, uint64_t old, char *key, size_t size);
void unique_pass_undo(struct master *m, uint64_t old, const char *key);
/* The journal's replay: ended job id keeps (keep) or released key. */
void unique_replay(struct master *m, bool keep, uint64_t id, const char *key, size_t len);

/* ---- outcome.c: what happens when a job ends ---- */
void outcome_record(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                    unsigned slot);
int outcome_failures_since(struct master *m, uint64_t upto, char **text, size_t *len,
                           uint64_t *nfailed);
void outcome_free(struct master *m);
/* "ok", "failed", "timed out" or "buried", for logs and dead letters. */
const char *outcome_name(uint32_t status);

/* ---- retry.c: retries of failed jobs, kick ---- */
/* A worker reported j's end: retried after its back-off (its queue's
 * retry), buried after the last attempt, else outcome_record as is. */
void retry_record(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                  unsigned slot);
/* `retry ID`: a buried or failed job queued again as a new job.  0, or
 * -1; msg says what happened either way. */
int retry_again(struct master *m, uint64_t id, char *msg, size_t msglen);
/* `kick [N]`: up to n (0: all) kept buried jobs, oldest first, queued
 * again; one "ok ..." or "error ..." line each on f. */
void retry_kick(struct master *m, unsigned long n, FILE *f);

/* ---- buried.c: buried jobs kept whole for kick and retry ---- */
/* Keeps a buried job (outcome_record; the oldest past the bound is
 * freed).  The list owns j. */
void buried_keep(struct master *m, struct job *j);
/* Takes kept job id (0: the oldest) out of the list; NULL if not kept. */
struct job *buried_take(struct master *m, uint64_t id);
/* Puts a taken job back, oldest again. */
void buried_put_back(struct master *m, struct job *j);
void buried_free(struct master *m);

/* ---- jobctl.c, jobctl_req.c: jobs by id (submit, job, jobs, cancel) ---- */
void jobctl_start(struct master *m);
/* Applies [results] after a reload. */
void jobctl_configure(struct master *m);
/* A job was admitted (its id set): records it for look-ups.  opt may be
 * NULL; ref is the source's name for it (a Redis entry id) or NULL. */
void jobctl_admitted(struct master *m, struct job *j, const struct jobopt *opt, const char *ref);
/* The job was given to worker `worker` at loop time now; it was put back
 * in the queue. */
void jobctl_started(struct master *m, struct job *j, unsigned worker, ev_tstamp now);
void jobctl_requeued(struct master *m, struct job *j);
/* Records the outcome at loop time now; the record may be forgotten at
 * once (keep = 0). */
void jobctl_ended(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                  ev_tstamp now);
/* A cancel was asked for this job, which a worker holds. */
/* A worker sent the job's kept output (before its outcome_record). */
void jobctl_output(struct master *m, struct job *j, const char *out, size_t len);
bool jobctl_cancel_asked(const struct job *j);
/* Cancels job id (queued: ended now; running: its worker is stopped).
 * 0, or -1 when it is unknown or ended; msg says which either way. */
int jobctl_cancel(struct master *m, uint64_t id, char *msg, size_t msglen);
/* Admits one control line sent over the socket; *id gets its id.  0, or
 * -1 with the reason in err.  The caller checks jobctl_full() first. */
int jobctl_submit(struct master *m, const char *line, size_t len, uint64_t *id, char *err,
                  size_t errlen);
/* [pool] queue_limit jobs are unfinished: admit no more for now. */
bool jobctl_full(const struct master *m);
/*
 * The socket's job requests (jobctl_req.c): "job ID|key=KEY [json]",
 * "jobs [state=S] [kind=K] [limit=N] [json]", "cancel ID...",
 * "states ID...".  Returns the reply, malloc'd, or NULL if req is none of
 * these (or out of memory: *len is then 1).
 */
char *jobctl_request(struct master *m, const char *req, size_t *len);
void jobctl_free(struct master *m);

#endif
