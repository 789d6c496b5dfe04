/*
 * The worker process: what runs in a child after the master forks it.
 * It owns its two pipe ends and nothing else; it reads task frames with
 * plain blocking reads, runs each through the job table, and sends one
 * completion record per job back.  No libev here.
 */
#ifndef POOLD_WORKER_H
#define POOLD_WORKER_H

#include "config.h"

/*
 * Turns the freshly forked child into worker number `slot`: the signal
 * dispositions of worker.c's table (the default for the rest, signals the
 * master alone acts on ignored), an empty mask, every descriptor other
 * than stdin/stdout/stderr, task_fd and done_fd closed; then runs the loop
 * until EOF on task_fd.  Returns the exit code for _exit(): 0 after EOF,
 * POOLD_EXIT_SOFTWARE after a malformed frame from the master,
 * POOLD_EXIT_OSERR when the pipes fail.
 */
int worker_run(unsigned slot, const struct config *cfg, int task_fd, int done_fd);

/*
 * Set in a process whose every signal disposition is SIG_DFL already (the
 * spawner, daemon/spawner.c): worker_run() then sets only those of
 * worker.c's table, not each of the 64 signals again.
 */
extern bool worker_signals_clean;

/* Every signal's handler back to the default (the spawner, and a worker
 * forked by the master). */
void worker_signals_default(void);

#endif
