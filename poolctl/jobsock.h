/*
 * poolctl's job requests over the daemon's socket (jobsock.c): answers
 * are handed, one line at a time without its newline, to a callback.
 */
#ifndef POOLCTL_JOBSOCK_H
#define POOLCTL_JOBSOCK_H

#include <stdbool.h>
#include <stddef.h>

typedef void (*jobsock_answer_fn)(const char *line, void *arg);

struct jobsock {
	int fd;
	jobsock_answer_fn fn;
	void *arg;
	unsigned long sent, answered;
	char in[8192];
	size_t in_len;
};

/* Connects (exits 69 if it cannot; submit: the refusal names who may
 * submit jobs). */
void jobsock_open(struct jobsock *js, const char *path, bool submit, jobsock_answer_fn fn,
                  void *arg);
/* Sends "submit LINE"; its answer comes to the callback in turn. */
void jobsock_submit(struct jobsock *js, const char *line, size_t len);
/* Sends a request line (with its newline). */
void jobsock_request(struct jobsock *js, const char *req);
/* Says we are done and reads the remaining answers to the end. */
void jobsock_finish(struct jobsock *js);

#endif
