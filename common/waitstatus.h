/*
 * How a child process ended, in words for a log line: "exited with code
 * 3", "killed by signal 9 (SIGKILL)", with ", core dumped" when it was.
 * The master says so of its workers and the spawner (daemon/pool.c,
 * daemon/spawner.c).
 */
#ifndef POOLD_WAITSTATUS_H
#define POOLD_WAITSTATUS_H

#include <stddef.h>

/* status as waitpid() gave it; the words go in buf (len bytes). */
void waitstatus_describe(int status, char *buf, size_t len);

#endif
