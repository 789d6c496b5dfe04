/*
 * fsync = interval without stalling the loop: fdatasync(2) of a busy
 * journal can take tens of milliseconds, during which the master would
 * neither dispatch nor read completions.  One thread does nothing but
 * that: the loop's timer asks, the thread syncs a dup(2) of the current
 * journal descriptor (taken under the lock, so a compaction that swaps
 * and closes the file cannot hand it a stale number).  The thread blocks
 * every signal, touches no other master state, and is joined at exit.
 * fsync = always stays synchronous in the loop: that is its promise.
 */
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "master.h"

static void *journal_sync_main(void *arg)
{
	struct journal_sync *js = arg;
	int fd;

	pthread_mutex_lock(&js->lock);
	for (;;) {
		while (!js->want && !js->stop)
			pthread_cond_wait(&js->cond, &js->lock);
		if (js->stop)
			break;
		js->want = false;
		fd = js->fd >= 0 ? dup(js->fd) : -1;
		pthread_mutex_unlock(&js->lock);
		if (fd >= 0) {
			(void)fdatasync(fd);
			close(fd);
		}
		pthread_mutex_lock(&js->lock);
	}
	pthread_mutex_unlock(&js->lock);
	return NULL;
}

int journal_sync_start(struct journal_sync *js, int fd)
{
	sigset_t all, old;
	int r;

	pthread_mutex_init(&js->lock, NULL);
	pthread_cond_init(&js->cond, NULL);
	js->fd = fd;
	js->want = js->stop = false;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&js->tid, NULL, journal_sync_main, js);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	js->running = r == 0;
	if (r != 0)
		log_warnx("journal: no sync thread (%s); syncing in the loop", strerror(r));
	return r == 0 ? 0 : -1;
}

/* Asks for a sync; false if there is no thread (the caller syncs itself). */
bool journal_sync_ask(struct journal_sync *js)
{
	if (!js->running)
		return false;
	pthread_mutex_lock(&js->lock);
	js->want = true;
	pthread_cond_signal(&js->cond);
	pthread_mutex_unlock(&js->lock);
	return true;
}

/* The journal moved to another descriptor (compaction). */
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

void journal_sync_stop(struct journal_sync *js)
{
	if (!js->running)
		return;
	pthread_mutex_lock(&js->lock);
	js->stop = true;
	pthread_cond_signal(&js->cond);
	pthread_mutex_unlock(&js->lock);
	pthread_join(js->tid, NULL);
	js->running = false;
}
