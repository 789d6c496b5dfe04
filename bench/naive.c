/*
 * The textbook pre-forked pool, as a baseline for poold's figures: fork N
 * children with a pipe each, pick a random child per task, one blocking
 * 4-byte write(2) per task code, the child reads 4 bytes at a time and runs
 * the task through a function table (a noop here).  No completion tracking,
 * no batching, no backpressure beyond a full pipe.
 *
 * The clock starts once every child is running and stops when every child
 * has read its pipe to EOF: each child then writes its task count, once, to
 * a shared pipe, so the parent knows the run is over and that no code was
 * lost.  That one record per child is not per-task tracking.
 *
 * usage: naive WORKERS TASKS
 * prints: naive workers=N tasks=T seconds=S rate=R
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NAIVE_MAX_WORKERS 4096

static volatile uint32_t naive_sink; /* keeps the noop from being optimised out */

static void task_noop(void)
{
	naive_sink++;
}

static void (*const naive_tasks[])(void) = {task_noop, task_noop, task_noop, task_noop};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

_Noreturn static void die(const char *what)
{
	fprintf(stderr, "naive: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The child: one 4-byte read per task, until EOF; then its count. */
_Noreturn static void child_run(int in, int done)
{
	uint64_t count = 0;
	uint32_t code;
	ssize_t n;

	if (write_all(done, &count, sizeof(count)) == -1) /* "I am running" */
		_exit(1);
	for (;;) {
		n = read(in, &code, sizeof(code));
		if (n == -1 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(code))
			break;
		naive_tasks[code % 4]();
		count++;
	}
	_exit(write_all(done, &count, sizeof(count)) == -1 ? 1 : 0);
}

/* Reads n counts of 8 bytes from the shared pipe and returns their sum. */
static uint64_t read_counts(int fd, int n)
{
	uint64_t sum = 0, c;
	ssize_t r;
	int i;

	for (i = 0; i < n; i++) {
		r = read(fd, &c, sizeof(c));
		if (r == -1 && errno == EINTR) {
			i--;
			continue;
		}
		if (r != (ssize_t)sizeof(c)) {
			fprintf(stderr, "naive: a child went away without its count\n");
			exit(1);
		}
		sum += c;
	}
	return sum;
}

int main(int argc, char **argv)
{
	static int task_fd[NAIVE_MAX_WORKERS];
	int done[2], p[2], i, j, workers, status;
	unsigned long long tasks, t, got;
	uint32_t code = 1;
	double start, secs;

	if (argc != 3 || (workers = atoi(argv[1])) < 1 || workers > NAIVE_MAX_WORKERS ||
	    (tasks = strtoull(argv[2], NULL, 10)) == 0) {
		fprintf(stderr, "usage: naive WORKERS(1..%d) TASKS\n", NAIVE_MAX_WORKERS);
		return 64;
	}
	if (pipe(done) == -1)
		die("pipe");
	for (i = 0; i < workers; i++) {
		if (pipe(p) == -1)
			die("pipe");
		switch (fork()) {
		case -1:
			die("fork");
		case 0:
			for (j = 0; j < i; j++)
				close(task_fd[j]); /* or EOF never comes for earlier children */
			close(p[1]);
			close(done[0]);
			child_run(p[0], done[1]);
		}
		close(p[0]);
		task_fd[i] = p[1];
	}
	close(done[1]);
	(void)read_counts(done[0], workers); /* every child is up */

	srand(1);
	start = now_s();
	for (t = 0; t < tasks; t++) {
		if (write(task_fd[rand() % workers], &code, sizeof(code)) != (ssize_t)sizeof(code))
			die("write");
	}
	for (i = 0; i < workers; i++)
		close(task_fd[i]);
	got = read_counts(done[0], workers);
	secs = now_s() - start;

	while (wait(&status) > 0)
		;
	if (got != tasks) {
		fprintf(stderr, "naive: %llu of %llu task codes were run\n", got, tasks);
		return 1;
	}
	printf("naive workers=%d tasks=%llu seconds=%.6f rate=%.0f\n", workers, tasks, secs,
	       (double)tasks / secs);
	return 0;
}
