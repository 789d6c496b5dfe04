/*
 * The floor for starting a pool: forks N children that each tell the
 * parent they run (one byte into a shared pipe) and then block in read(2)
 * on another pipe, as an idle worker does; the clock runs from the first
 * fork until the parent has read N bytes.  Then the children see EOF and
 * exit, and are reaped.  poold's "1000 workers to READY" is compared with
 * this figure measured in the same run (bench/run.sh, section forks).
 *
 * usage: forks N
 * prints: forks n=N ms=MS
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void child(int up, int hold)
{
	char c = 1;

	if (write(up, &c, 1) != 1)
		_exit(1);
	while (read(hold, &c, 1) > 0)
		;
	_exit(0);
}

int main(int argc, char **argv)
{
	int up[2], hold[2], i, n = argc > 1 ? atoi(argv[1]) : 1000, got = 0;
	double t0, t1;
	char buf[4096];
	ssize_t r;

	if (n <= 0 || pipe(up) == -1 || pipe(hold) == -1) {
		fprintf(stderr, "usage: forks N\n");
		return 2;
	}
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == -1) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			close(up[0]);
			close(hold[1]);
			child(up[1], hold[0]);
		}
	}
	close(up[1]);
	close(hold[0]);
	while (got < n && (r = read(up[0], buf, sizeof(buf))) > 0)
		got += (int)r;
	t1 = now_ms();
	close(hold[1]);
	while (wait(NULL) > 0)
		;
	if (got != n) {
		fprintf(stderr, "forks: %d of %d children reported\n", got, n);
		return 1;
	}
	printf("forks n=%d ms=%.1f\n", n, t1 - t0);
	return 0;
}
