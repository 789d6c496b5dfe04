/*
 * The latency floor of this machine for poold's design: one byte sent to a
 * second process over a pipe and one byte back, at a steady rate (10,000
 * round trips per second by default, on the pacer's absolute schedule).
 * poold's accepted-to-done latency contains one such round trip (master to
 * worker, worker to master) plus its own work, so its quantiles cannot be
 * lower than these on the same machine at the same time.
 *
 * usage: pingpong [-r RATE] [-n COUNT]
 * prints: pingpong count=N p50_us=A p99_us=B p999_us=C max_us=D
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

/* The echo process: every byte back, until EOF. */
_Noreturn static void echo_run(int in, int out)
{
	char c;

	while (read(in, &c, 1) == 1)
		if (write(out, &c, 1) != 1)
			break;
	_exit(0);
}

static double quantile_us(const int64_t *v, long n, double q)
{
	long i = (long)(q * (double)n);

	if (i >= n)
		i = n - 1;
	return (double)v[i] / 1e3;
}

int main(int argc, char **argv)
{
	int to[2], from[2], ch, status;
	double rate = 10000;
	long n = 50000, i;
	int64_t *lat, start, t0, period;
	struct timespec ts;
	char c = 'x';

	while ((ch = getopt(argc, argv, "r:n:")) != -1) {
		if (ch == 'r')
			rate = strtod(optarg, NULL);
		else if (ch == 'n')
			n = strtol(optarg, NULL, 10);
		else
			return 64;
	}
	if (rate <= 0 || n <= 0 || (lat = malloc((size_t)n * sizeof(*lat))) == NULL) {
		fputs("usage: pingpong [-r RATE] [-n COUNT]\n", stderr);
		return 64;
	}
	if (pipe(to) == -1 || pipe(from) == -1) {
		perror("pingpong: pipe");
		return 1;
	}
	switch (fork()) {
	case -1:
		perror("pingpong: fork");
		return 1;
	case 0:
		close(to[1]);
		close(from[0]);
		echo_run(to[0], from[1]);
	}
	close(to[0]);
	close(from[1]);
	(void)prctl(PR_SET_TIMERSLACK, 1UL);
	period = (int64_t)(1e9 / rate);
	start = now_ns();
	for (i = 0; i < n; i++) {
		t0 = start + (i + 1) * period;
		ts.tv_sec = t0 / 1000000000;
		ts.tv_nsec = t0 % 1000000000;
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
			;
		t0 = now_ns();
		if (write(to[1], &c, 1) != 1 || read(from[0], &c, 1) != 1) {
			perror("pingpong: pipe round trip");
			return 1;
		}
		lat[i] = now_ns() - t0;
	}
	close(to[1]);
	wait(&status);
	qsort(lat, (size_t)n, sizeof(*lat), cmp_i64);
	printf("pingpong count=%ld p50_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f\n", n,
	       quantile_us(lat, n, 0.5), quantile_us(lat, n, 0.99), quantile_us(lat, n, 0.999),
	       (double)lat[n - 1] / 1e3);
	free(lat);
	return 0;
}
