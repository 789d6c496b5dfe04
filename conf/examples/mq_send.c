/*
 * Submitting a job to poold through its POSIX message queue, from C.
 * poold reads [control] mqueue (here /poold); one message is one job line
 * (a trailing newline is optional), and the message priority (0..9,
 * higher first; more counts as 9) is the job's priority.  mq_send blocks
 * while the queue is full, which is how poold slows submitters down when
 * it holds [pool] queue_limit unfinished jobs.
 *
 *   cc -o mq_send mq_send.c          (glibc >= 2.34; older ones: -lrt)
 *   ./mq_send /poold 5 'log hello'
 */
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	mqd_t mq;

	if (argc != 4) {
		fprintf(stderr, "usage: %s /QUEUE PRIORITY 'TASK ARGS'\n", argv[0]);
		return 64;
	}
	mq = mq_open(argv[1], O_WRONLY); /* poold creates it; we only write */
	if (mq == (mqd_t)-1) {
		perror(argv[1]);
		return 69;
	}
	if (mq_send(mq, argv[3], strlen(argv[3]), (unsigned)atoi(argv[2])) == -1) {
		perror("mq_send"); /* EMSGSIZE: a line is at most 4095 bytes */
		return 69;
	}
	mq_close(mq);
	return 0;
}
