/*
 * Submit-to-done latency, from the writer's side: matches the pacer's
 * per-line write times (bench/pace.c -s FILE, CLOCK_REALTIME ns read just
 * before the write(2) that carried the line) with the daemon's job records
 * (`poolctl jobs --json`: "accepted" and "ended" are libev's loop time, on
 * the same realtime clock), line k with the k-th job by id: one writer into
 * the FIFO, and the master gives ids in the order it reads the lines.
 * What holds the match is that both lists are whole: a count that
 * differs, a gap in the ids or a job not done fails the run.  A job done
 * before its stamp fails it too, which also catches a shift of the jobs
 * onto later stamps (100 us apart at 10,000 lines/s, most jobs done
 * within that); a shift onto earlier ones would only add 100 us a line.
 *
 * Loop time is read when the master's poll returns: a line or completion
 * that arrives while an iteration runs (the master reads each descriptor
 * until EAGAIN) and is read in it carries the iteration's start, earlier
 * than its arrival.  Lines "accepted" before their write(2) show this, so
 * they are counted (early=, early_max_us=): the size of that error in this
 * run.  "ended" is the return of a poll that found the completion
 * record's pipe readable, so it is after the record's arrival (and before
 * the master handled it), except for a second record that arrived during
 * that iteration and was read in it.
 *
 * Every sample is kept and sorted, so the quantiles are exact order
 * statistics (nearest rank, as the daemon's histogram picks its bucket):
 * no bucket edge near the target.  Their resolution is that of the
 * daemon's times: doubles of seconds since 1970, 0.24 us apart.
 *
 * usage: writedone [-t TARGET_US] STAMPS JOBS_JSON
 * prints: writedone count=N p50_us=A p99_us=B p999_us=C max_us=D
 *         within_us=T within_pct=P intake_p50_us=.. intake_p99_us=..
 *         master_p50_us=.. master_p99_us=.. early=N early_max_us=E
 * (intake: write(2) to the loop time of the iteration that read the line;
 * master: that to the loop time of the one that read the completion.)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

/* Slack for "done before written": the daemon's times are doubles (0.24
 * us apart) and libev's realtime is its monotonic clock plus an offset it
 * measures every half second. */
#define WD_SLACK_S 2e-6

struct wd_job {
	long long id;
	double accepted, ended;
};

_Noreturn static void wd_die(const char *what)
{
	fprintf(stderr, "writedone: %s\n", what);
	exit(1);
}

static int wd_cmp_job(const void *a, const void *b)
{
	long long x = ((const struct wd_job *)a)->id, y = ((const struct wd_job *)b)->id;

	return x < y ? -1 : x > y;
}

static int wd_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The pacer's stamps, in seconds; sets *n. */
static double *wd_stamps(const char *path, size_t *n)
{
	FILE *f = fopen(path, "r");
	double *v = NULL, *nv;
	size_t cap = 0;
	long long ns;

	if (f == NULL)
		wd_die("cannot open the stamps file");
	*n = 0;
	while (fscanf(f, "%lld", &ns) == 1) {
		if (*n == cap) {
			cap = cap ? 2 * cap : 65536;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				wd_die("out of memory");
			v = nv;
		}
		v[(*n)++] = (double)ns / 1e9;
	}
	fclose(f);
	return v;
}

/* The jobs of the listing, sorted by id; every one done. */
static struct wd_job *wd_jobs(const char *path, size_t *n)
{
	json_error_t err;
	json_t *arr = json_load_file(path, 0, &err), *o;
	struct wd_job *v;
	const char *state;
	size_t i;

	if (arr == NULL || !json_is_array(arr))
		wd_die("the jobs file is not a JSON array");
	*n = json_array_size(arr);
	if ((v = calloc(*n + 1, sizeof(*v))) == NULL)
		wd_die("out of memory");
	json_array_foreach(arr, i, o)
	{
		state = json_string_value(json_object_get(o, "state"));
		if (state == NULL || strcmp(state, "done") != 0)
			wd_die("a job is not done");
		v[i].id = (long long)json_integer_value(json_object_get(o, "id"));
		v[i].accepted = json_number_value(json_object_get(o, "accepted"));
		v[i].ended = json_number_value(json_object_get(o, "ended"));
	}
	json_decref(arr);
	qsort(v, *n, sizeof(*v), wd_cmp_job);
	for (i = 1; i < *n; i++)
		if (v[i].id != v[0].id + (long long)i)
			wd_die("the job ids have a gap: not one run of one writer");
	return v;
}

/* Nearest rank: the smallest sample with at least q of them at or below. */
static double wd_q(const double *v, size_t n, double q)
{
	double exact = q * (double)n;
	size_t want = (size_t)exact;

	if ((double)want < exact || want == 0)
		want++;
	return v[want - 1] * 1e6;
}

int main(int argc, char **argv)
{
	double target = 100, *at, *total, *intake, *master;
	struct wd_job *jobs;
	size_t n, njobs, i, within = 0, early = 0;
	int ch;

	while ((ch = getopt(argc, argv, "t:")) != -1) {
		if (ch != 't')
			wd_die("usage: writedone [-t TARGET_US] STAMPS JOBS_JSON");
		target = strtod(optarg, NULL);
	}
	if (argc - optind != 2)
		wd_die("usage: writedone [-t TARGET_US] STAMPS JOBS_JSON");
	at = wd_stamps(argv[optind], &n);
	jobs = wd_jobs(argv[optind + 1], &njobs);
	if (n == 0 || n != njobs)
		wd_die("the stamps and the jobs listed differ in number");
	total = malloc(n * sizeof(*total));
	intake = malloc(n * sizeof(*intake));
	master = malloc(n * sizeof(*master));
	if (total == NULL || intake == NULL || master == NULL)
		wd_die("out of memory");
	for (i = 0; i < n; i++) {
		total[i] = jobs[i].ended - at[i];
		intake[i] = jobs[i].accepted - at[i];
		master[i] = jobs[i].ended - jobs[i].accepted;
		if (total[i] < -WD_SLACK_S)
			wd_die("a job done before it was written: stamps and jobs do not match");
		within += total[i] * 1e6 <= target;
		early += intake[i] < 0;
	}
	qsort(total, n, sizeof(*total), wd_cmp_double);
	qsort(intake, n, sizeof(*intake), wd_cmp_double);
	qsort(master, n, sizeof(*master), wd_cmp_double);
	printf("writedone count=%zu p50_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f within_us=%g "
	       "within_pct=%.2f intake_p50_us=%.1f intake_p99_us=%.1f master_p50_us=%.1f "
	       "master_p99_us=%.1f early=%zu early_max_us=%.1f\n",
	       n, wd_q(total, n, 0.5), wd_q(total, n, 0.99), wd_q(total, n, 0.999),
	       total[n - 1] * 1e6, target, 100.0 * (double)within / (double)n, wd_q(intake, n, 0.5),
	       wd_q(intake, n, 0.99), wd_q(master, n, 0.5), wd_q(master, n, 0.99), early,
	       early > 0 ? -intake[0] * 1e6 : 0.0);
	free(at);
	free(jobs);
	free(total);
	free(intake);
	free(master);
	return 0;
}
