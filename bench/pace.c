/*
 * A pacer: writes one job line into poold's control FIFO at a fixed rate,
 * so latency is measured under a known, steady load rather than a burst.
 *
 * Every tick (BATCH_US microseconds, on an absolute schedule) it writes
 * the lines that are due by then: at 10,000 lines/s with -b 100 that is
 * one write(2) of one line every 100 us; at millions per second, batches
 * of whole lines of at most PIPE_BUF bytes, so every write stays atomic.
 * The FIFO is blocking: when poold pushes back, the pacer falls behind and
 * says so (behind_ms) instead of dropping lines.
 *
 * With -s FILE it also writes, after the run, one line per job line sent:
 * the CLOCK_REALTIME (the clock of libev's loop time, which the daemon's
 * job records carry) in nanoseconds, read just before the write(2) that
 * carried it; bench/writedone.c matches them with the daemon's records.
 * Measuring costs one vDSO clock read per write(2) and 8 bytes per line.
 *
 * usage: pace [-r RATE] [-d SECONDS] [-b BATCH_US] [-l LINE] [-s FILE] FIFO
 * prints: pace lines=N seconds=S rate=R writes=W behind_ms=B
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

struct pace {
	double rate;        /* lines per second */
	double seconds;     /* how long */
	long batch_us;      /* tick */
	const char *job;    /* the line, without its newline */
	const char *stamps; /* -s FILE, or NULL */
	int64_t *at;        /* per line sent: realtime ns of its write(2) */
};

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void sleep_until(int64_t ns)
{
	struct timespec ts = {.tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

_Noreturn static void usage(void)
{
	fputs("usage: pace [-r RATE] [-d SECONDS] [-b BATCH_US] [-l LINE] [-s FILE] FIFO\n",
	      stderr);
	exit(64);
}

static void parse(int argc, char **argv, struct pace *p, const char **fifo)
{
	int ch;

	p->rate = 10000;
	p->seconds = 5;
	p->batch_us = 1000;
	p->job = "noop";
	p->stamps = NULL;
	p->at = NULL;
	while ((ch = getopt(argc, argv, "r:d:b:l:s:")) != -1) {
		switch (ch) {
		case 'r':
			p->rate = strtod(optarg, NULL);
			break;
		case 'd':
			p->seconds = strtod(optarg, NULL);
			break;
		case 'b':
			p->batch_us = strtol(optarg, NULL, 10);
			break;
		case 'l':
			p->job = optarg;
			break;
		case 's':
			p->stamps = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind != argc - 1 || p->rate <= 0 || p->seconds <= 0 || p->batch_us <= 0 ||
	    strlen(p->job) + 1 > PIPE_BUF / 2)
		usage();
	*fifo = argv[optind];
}

static int64_t real_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Writes n whole lines from buf (which holds per_buf of them) in writes of
 * at most PIPE_BUF bytes; returns the number of writes.  With at, each
 * line's write time goes into at[0..n-1]. */
static long write_lines(int fd, const char *buf, size_t line_len, uint64_t n, uint64_t per_buf,
                        int64_t *at)
{
	uint64_t k, i;
	long writes = 0;
	int64_t t;
	ssize_t w;

	while (n > 0) {
		k = n < per_buf ? n : per_buf;
		if (at != NULL)
			for (i = 0, t = real_ns(); i < k; i++)
				at[i] = t;
		w = write(fd, buf, (size_t)k * line_len);
		if (w == -1 && errno == EINTR)
			continue;
		if (w != (ssize_t)(k * line_len)) {
			fprintf(stderr, "pace: write: %s\n", w == -1 ? strerror(errno) : "short");
			exit(1);
		}
		n -= k;
		if (at != NULL)
			at += k;
		writes++;
	}
	return writes;
}

/* The -s file: one decimal line per job line sent. */
static void save_stamps(const struct pace *p, uint64_t n)
{
	FILE *f = fopen(p->stamps, "w");
	uint64_t i;

	if (f == NULL) {
		fprintf(stderr, "pace: %s: %s\n", p->stamps, strerror(errno));
		exit(1);
	}
	for (i = 0; i < n; i++)
		fprintf(f, "%lld\n", (long long)p->at[i]);
	if (fclose(f) != 0) {
		fprintf(stderr, "pace: %s: %s\n", p->stamps, strerror(errno));
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static char buf[PIPE_BUF];
	struct pace p;
	const char *fifo;
	size_t line_len;
	uint64_t per_buf, total, sent = 0, due, i;
	int64_t start, tick, next, late, behind = 0;
	long writes = 0;
	double secs;
	int fd;

	parse(argc, argv, &p, &fifo);
	line_len = strlen(p.job) + 1;
	per_buf = sizeof(buf) / line_len;
	for (i = 0; i < per_buf; i++) {
		memcpy(buf + i * line_len, p.job, line_len - 1);
		buf[i * line_len + line_len - 1] = '\n';
	}
	total = (uint64_t)(p.rate * p.seconds + 0.5);
	if (p.stamps != NULL && (p.at = malloc((size_t)(total + 1) * sizeof(*p.at))) == NULL) {
		fputs("pace: out of memory for the stamps\n", stderr);
		return 1;
	}
	(void)prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time, not 50 us late */
	fd = open(fifo, O_WRONLY | O_CLOEXEC);
	if (fd == -1) {
		fprintf(stderr, "pace: open %s: %s\n", fifo, strerror(errno));
		return 1;
	}
	tick = p.batch_us * 1000;
	start = now_ns();
	for (next = start + tick; sent < total; next += tick) {
		sleep_until(next);
		late = now_ns() - next;
		if (late > behind)
			behind = late;
		due = (uint64_t)((double)(next - start) * p.rate / 1e9);
		if (due > total)
			due = total;
		if (due > sent) {
			writes += write_lines(fd, buf, line_len, due - sent, per_buf,
			                      p.at != NULL ? p.at + sent : NULL);
			sent = due;
		}
	}
	secs = (double)(now_ns() - start) / 1e9;
	close(fd);
	if (p.stamps != NULL)
		save_stamps(&p, sent);
	printf("pace lines=%llu seconds=%.3f rate=%.0f writes=%ld behind_ms=%.1f\n",
	       (unsigned long long)sent, secs, (double)sent / secs, writes, (double)behind / 1e6);
	return 0;
}
