/*
 * Test module: `span FILE` records its own run, so that a test can check
 * a concurrency cap from the jobs themselves rather than from poold's
 * counters.  The run reads CLOCK_MONOTONIC (one clock for every process
 * of the host), sleeps 200 us (a job that leaves the CPU, so that jobs
 * of other workers can overlap it even on one core), reads the clock
 * again and appends "ID START END" (ns) to FILE with one write(2) on an
 * O_APPEND descriptor, so lines of concurrent workers never interleave.
 * `span2`, `span3` and `span4` are the same run under other names, for
 * other queues (one without a cap; two that share a token).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <poold/module.h>

static unsigned long long span_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static int span_run(poold_job *job, const struct poold_api *api)
{
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 200000};
	unsigned long long start = span_ns(), end;
	char line[96];
	int fd, n;
	ssize_t w;

	while (nanosleep(&pause, &pause) == -1 && errno == EINTR)
		;
	end = span_ns();
	n = snprintf(line, sizeof(line), "%llu %llu %llu\n", (unsigned long long)api->id(job),
	             start, end);
	fd = open(api->arg(job, 1), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1) {
		api->result(job, "open: %s", strerror(errno));
		return POOLD_FAILED;
	}
	w = write(fd, line, (size_t)n);
	close(fd);
	if (w != n) {
		api->result(job, "write: %s", w == -1 ? strerror(errno) : "short");
		return POOLD_FAILED;
	}
	return POOLD_OK;
}

POOLD_MODULE(POOLD_KIND("span", "{1:text}", 0), POOLD_KIND("span2", "{1:text}", 0),
             POOLD_KIND("span3", "{1:text}", 0), POOLD_KIND("span4", "{1:text}", 0));
POOLD_MODULE_OPS({.run = span_run}, {.run = span_run}, {.run = span_run}, {.run = span_run});
