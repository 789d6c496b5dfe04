/*
 * The journal's disk syncs, off the event loop: fdatasync(2) of a busy
 * journal can take tens of milliseconds, during which the master would
 * neither dispatch nor read completions.  One thread does nothing but
 * that, in rounds:
 *
 *   1. it takes what was asked: the highest job id whose records the
 *      loop has written (`want`), and a compaction to commit, if any;
 *   2. commits the compaction (fdatasync of the new file, rename over the
 *      journal, fsync of the directory: fsutil_tmp_commit), then uses the
 *      new file;
 *   3. fdatasyncs a dup(2) of the journal's descriptor (taken under the
 *      lock, so a compaction that swaps and closes a file cannot hand it a
 *      stale number);
 *   4. publishes `durable` = the id of step 1 and wakes the loop
 *      (ev_async), whose callback takes the result (journal.c).
 *
 * Group commit: asks that come while a round runs are served together by
 * the next one, so many FIFO reads share one sync.  The loop writes every
 * record to the old file and to the new one while a compaction is being
 * committed (journal.c), so whatever file the name points to holds every
 * record written before an ask.  The thread blocks every signal, touches
 * no other master state, and is joined at exit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "master.h"

/* Step 2: commits t (a copy whose fd is a dup, closed here). */
static int journal_sync_commit(struct fsutil_tmp *t)
{
	int fd = t->fd;

	if (fsutil_tmp_commit(t, true) == -1)
		return -1; /* fsutil_tmp_abort closed the dup and removed the file */
	close(fd);
	return 0;
}

static void *journal_sync_main(void *arg)
{
	struct journal_sync *js = arg;
	struct fsutil_tmp *t;
	uint64_t want, ids;
	int fd, r = 0;

	pthread_mutex_lock(&js->lock);
	for (;;) {
		while (!js->asked && js->commit == NULL && !js->stop)
			pthread_cond_wait(&js->cond, &js->lock);
		if (js->stop)
			break;
		want = js->want;
		ids = js->ids_want;
		js->asked = false;
		t = js->commit;
		pthread_mutex_unlock(&js->lock);
		if (t != NULL)
			r = journal_sync_commit(t);
		pthread_mutex_lock(&js->lock);
		if (t != NULL) {
			js->commit = NULL;
			js->committed = r == 0 ? 1 : -1;
			if (r == 0)
				js->fd = js->commit_fd;
		}
		fd = js->fd >= 0 ? dup(js->fd) : -1;
		pthread_mutex_unlock(&js->lock);
		r = fd >= 0 ? fdatasync(fd) : -1;
		if (fd >= 0)
			close(fd);
		pthread_mutex_lock(&js->lock);
		if (r == 0 && want > js->durable)
			js->durable = want;
		if (r == 0 && ids > js->ids_durable)
			js->ids_durable = ids;
		r = 0;
		ev_async_send(js->loop, &js->done_w);
	}
	pthread_mutex_unlock(&js->lock);
	return NULL;
}

int journal_sync_start(struct journal_sync *js, struct ev_loop *loop, int fd,
                       void (*done)(struct ev_loop *, ev_async *, int))
{
	sigset_t all, old;
	int r;

	pthread_mutex_init(&js->lock, NULL);
	pthread_cond_init(&js->cond, NULL);
	js->loop = loop;
	js->fd = fd;
	js->asked = js->stop = false;
	js->want = js->durable = js->ids_want = js->ids_durable = 0;
	js->commit = NULL;
	js->committed = 0;
	ev_async_init(&js->done_w, done);
	ev_async_start(loop, &js->done_w);
	ev_unref(loop); /* the thread's wake-ups do not keep the loop running */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&js->tid, NULL, journal_sync_main, js);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	js->running = r == 0;
	if (r != 0)
		log_warnx("journal: no sync thread (%s); syncing in the loop", strerror(r));
	return r == 0 ? 0 : -1;
}

/*
 * Asks for a sync making the records of jobs up to `upto` durable (0: no
 * id, fsync = interval); false if there is no thread (the caller syncs
 * itself).
 */
bool journal_sync_ask(struct journal_sync *js, uint64_t upto)
{
	if (!js->running)
		return false;
	pthread_mutex_lock(&js->lock);
	if (upto > js->want)
		js->want = upto;
	js->asked = true;
	pthread_cond_signal(&js->cond);
	pthread_mutex_unlock(&js->lock);
	return true;
}

/* Asks for a sync making the IDS record reserving ids up to `reserved`
 * durable; false if there is no thread. */
bool journal_sync_ask_ids(struct journal_sync *js, uint64_t reserved)
{
	if (!js->running)
		return false;
	pthread_mutex_lock(&js->lock);
	if (reserved > js->ids_want)
		js->ids_want = reserved;
	js->asked = true;
	pthread_cond_signal(&js->cond);
	pthread_mutex_unlock(&js->lock);
	return true;
}

/*
 * Hands the thread a compaction to commit: t describes the temporary, and
 * the thread gets a copy with a dup of its descriptor; fd (the loop's
 * own, t->fd) becomes the journal's once committed.  false if there is no
 * thread or no descriptor to spare (the caller commits itself).
 */
bool journal_sync_commit_ask(struct journal_sync *js, const struct fsutil_tmp *t)
{
	if (!js->running)
		return false;
	js->commit_copy = *t;
	js->commit_copy.fd = dup(t->fd);
	if (js->commit_copy.fd == -1)
		return false;
	pthread_mutex_lock(&js->lock);
	js->commit = &js->commit_copy;
	js->commit_fd = t->fd;
	pthread_cond_signal(&js->cond);
	pthread_mutex_unlock(&js->lock);
	return true;
}

/* What the thread did since the last call: the durable job id, the
 * durable id reservation in *ids, and a compaction's outcome in
 * *committed (1 done, -1 failed, 0 none). */
uint64_t journal_sync_result(struct journal_sync *js, int *committed, uint64_t *ids)
{
	uint64_t durable;

	if (js->running)
		pthread_mutex_lock(&js->lock);
	durable = js->durable;
	*ids = js->ids_durable;
	*committed = js->committed;
	js->committed = 0;
	if (js->running)
		pthread_mutex_unlock(&js->lock);
	return durable;
}

/* The journal moved to another descriptor (a compaction in the loop). */
void journal_sync_fd(struct journal_sync *js, int fd)
{
	if (!js->running) {
		js->fd = fd;
		return;
	}
	pthread_mutex_lock(&js->lock);
	js->fd = fd;
	pthread_mutex_unlock(&js->lock);
}

/*
 * Ends the thread.  A compaction it had not started is aborted (its
 * temporary removed; the journal's own file holds every record) and
 * reported as failed by the next journal_sync_result.
 */
void journal_sync_stop(struct journal_sync *js)
{
	if (js->loop == NULL)
		return;
	if (js->running) {
		pthread_mutex_lock(&js->lock);
		js->stop = true;
		pthread_cond_signal(&js->cond);
		pthread_mutex_unlock(&js->lock);
		pthread_join(js->tid, NULL);
		js->running = false;
	}
	if (js->commit != NULL) {
		fsutil_tmp_abort(js->commit);
		js->commit = NULL;
		js->committed = -1;
	}
	ev_ref(js->loop);
	ev_async_stop(js->loop, &js->done_w);
	js->loop = NULL;
}
