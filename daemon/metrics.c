/*
 * Metrics in the Prometheus text format (exposition format 0.0.4): from
 * `poolctl metrics`, and written atomically to [metrics] file every
 * [metrics] interval, the node_exporter textfile-collector convention
 * (temp file in the same directory, then rename; fsutil_tmp, since that
 * directory is often writable by others).  Names and units follow
 * Prometheus conventions: counters end in _total, durations are seconds.
 * Reads master state only; the per-job work is metrics_observe (a few
 * comparisons).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "jobs.h"
#include "log.h"
#include "master.h"

/* Upper bounds (le) of the poold_job_duration_seconds buckets. */
static const double metrics_le[METRICS_NBUCKETS] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
    0.25,   0.5,     1,      2.5,   5,      10,    30,   60,    300,
};

void metrics_observe(struct master *m, unsigned kind, double queued, double ran)
{
	struct kind_stats *k = &m->kstats[kind];
	unsigned i = 0;

	latency_add(&k->wait, queued);
	latency_add(&k->run, ran);
	/* The first bucket whose bound holds ran, from the shortest: most
	 * jobs are short, so this takes one or two comparisons. */
	while (i < METRICS_NBUCKETS && ran > metrics_le[i])
		i++;
	if (i < METRICS_NBUCKETS)
		k->run_le[i]++;
}

static void metrics_jobs(const struct master *m, FILE *f)
{
	static const char *const outcome[] = {"done", "failed", "timed_out", "buried", "cancelled"};
	const uint64_t *by[] = {m->count.done, m->count.failed, m->count.timedout, m->count.buried,
	                        m->count.cancelled};
	size_t k, o;

	fputs(
	    "# HELP poold_jobs_accepted_total Jobs accepted (from every source and the journal).\n"
	    "# TYPE poold_jobs_accepted_total counter\n",
	    f);
	for (k = 0; k < jobs_count(); k++)
		fprintf(f, "poold_jobs_accepted_total{task=\"%s\"} %llu\n", jobs_at(k)->name,
		        (unsigned long long)m->count.accepted[k]);
	fputs("# HELP poold_jobs_total Jobs that ended, by task and outcome.\n"
	      "# TYPE poold_jobs_total counter\n",
	      f);
	for (k = 0; k < jobs_count(); k++)
		for (o = 0; o < sizeof(outcome) / sizeof(outcome[0]); o++)
			fprintf(f, "poold_jobs_total{task=\"%s\",outcome=\"%s\"} %llu\n",
			        jobs_at(k)->name, outcome[o], (unsigned long long)by[o][k]);
	fprintf(
	    f,
	    "# HELP poold_fifo_lines_rejected_total FIFO lines rejected as malformed.\n"
	    "# TYPE poold_fifo_lines_rejected_total counter\n"
	    "poold_fifo_lines_rejected_total %llu\n"
	    "# HELP poold_jobs_retried_total Jobs given to another worker after a death.\n"
	    "# TYPE poold_jobs_retried_total counter\n"
	    "poold_jobs_retried_total %llu\n"
	    "# HELP poold_jobs_deduplicated_total Jobs not taken: their unique key was held.\n"
	    "# TYPE poold_jobs_deduplicated_total counter\n"
	    "poold_jobs_deduplicated_total %llu\n"
	    "# HELP poold_unique_keys Unique keys held (by live jobs, or failed until-done ones).\n"
	    "# TYPE poold_unique_keys gauge\n"
	    "poold_unique_keys %zu\n",
	    (unsigned long long)m->count.rejected, (unsigned long long)m->count.retried,
	    (unsigned long long)m->count.deduplicated, m->uniq.len);
}

static void metrics_durations(const struct master *m, FILE *f)
{
	size_t k, b;

	fputs("# HELP poold_job_duration_seconds Time a job ran on its worker.\n"
	      "# TYPE poold_job_duration_seconds histogram\n",
	      f);
	for (k = 0; k < jobs_count(); k++) {
		const struct kind_stats *ks = &m->kstats[k];
		uint64_t cum = 0;

		for (b = 0; b < METRICS_NBUCKETS; b++) {
			cum += ks->run_le[b];
			fprintf(f,
			        "poold_job_duration_seconds_bucket{task=\"%s\",le=\"%g\"} %llu\n",
			        jobs_at(k)->name, metrics_le[b], (unsigned long long)cum);
		}
		fprintf(f,
		        "poold_job_duration_seconds_bucket{task=\"%s\",le=\"+Inf\"} %llu\n"
		        "poold_job_duration_seconds_sum{task=\"%s\"} %.9f\n"
		        "poold_job_duration_seconds_count{task=\"%s\"} %llu\n",
		        jobs_at(k)->name, (unsigned long long)latency_count(&ks->run),
		        jobs_at(k)->name, ks->run.sum, jobs_at(k)->name,
		        (unsigned long long)latency_count(&ks->run));
	}
}

static void metrics_pool(const struct master *m, FILE *f)
{
	static const char *const state[] = {"busy", "idle", "starting", "retiring", "backoff"};
	struct census c;
	unsigned n[5], i;

	census_take(m, &c);
	n[0] = c.busy;
	n[1] = c.idle;
	n[2] = c.starting;
	n[3] = c.retiring;
	n[4] = c.backoff;
	fputs("# HELP poold_workers Worker processes by state.\n# TYPE poold_workers gauge\n", f);
	for (i = 0; i < 5; i++)
		fprintf(f, "poold_workers{state=\"%s\"} %u\n", state[i], n[i]);
	fprintf(f,
	        "# HELP poold_workers_wanted Workers the pool is sized for.\n"
	        "# TYPE poold_workers_wanted gauge\npoold_workers_wanted %u\n"
	        "# HELP poold_queue_depth Jobs accepted and waiting for a worker.\n"
	        "# TYPE poold_queue_depth gauge\npoold_queue_depth %zu\n"
	        "# HELP poold_jobs_scheduled Jobs accepted and held until their due time "
	        "(in=, at=).\n"
	        "# TYPE poold_jobs_scheduled gauge\npoold_jobs_scheduled %llu\n"
	        "# HELP poold_jobs_in_flight Jobs sent to workers and not yet ended.\n"
	        "# TYPE poold_jobs_in_flight gauge\npoold_jobs_in_flight %llu\n"
	        "# HELP poold_worker_restarts_total Workers that died and were replaced.\n"
	        "# TYPE poold_worker_restarts_total counter\npoold_worker_restarts_total %llu\n"
	        "# HELP poold_worker_recycles_total Workers replaced after max_jobs_per_worker.\n"
	        "# TYPE poold_worker_recycles_total counter\npoold_worker_recycles_total %llu\n"
	        "# HELP poold_start_time_seconds When the master started, in Unix time.\n"
	        "# TYPE poold_start_time_seconds gauge\npoold_start_time_seconds %.3f\n",
	        c.wanted, (size_t)c.queued, (unsigned long long)c.scheduled,
	        (unsigned long long)c.in_flight, (unsigned long long)m->count.restarts,
	        (unsigned long long)m->count.recycled, m->start_time);
	fprintf(f,
	        "# HELP poold_jobs_retrying Failed jobs waiting for their retry's back-off.\n"
	        "# TYPE poold_jobs_retrying gauge\npoold_jobs_retrying %llu\n"
	        "# HELP poold_job_retries_total Failed jobs held for a retry.\n"
	        "# TYPE poold_job_retries_total counter\npoold_job_retries_total %llu\n"
	        "# HELP poold_jobs_kicked_total Buried or failed jobs queued again (retry, kick).\n"
	        "# TYPE poold_jobs_kicked_total counter\npoold_jobs_kicked_total %llu\n",
	        (unsigned long long)c.retrying, (unsigned long long)m->count.retry_held,
	        (unsigned long long)m->count.kicked);
}

/* Each job source's counters (source.h): poold_SOURCE_KEY for a gauge,
 * poold_SOURCE_KEY_total for a counter. */
static void metrics_sources(const struct master *m, FILE *f)
{
	const struct source *src;
	struct source_stats st;
	char name[96];
	size_t i;

	for (src = m->sources; src != NULL; src = src->next) {
		if (src->ops->stats == NULL || !src->ops->stats(src, &st))
			continue;
		for (i = 0; i < st.n; i++) {
			const struct source_stat *v = &st.v[i];

			snprintf(name, sizeof(name), "poold_%s_%s%s", src->ops->name, v->key,
			         v->gauge ? "" : "_total");
			fprintf(f, "# HELP %s %s\n# TYPE %s %s\n%s %llu\n", name, v->help, name,
			        v->gauge ? "gauge" : "counter", name, (unsigned long long)v->value);
		}
	}
}

int metrics_render(struct master *m, char **text, size_t *len)
{
	FILE *f = open_memstream(text, len);

	if (f == NULL)
		return -1;
	metrics_jobs(m, f);
	metrics_durations(m, f);
	metrics_pool(m, f);
	metrics_sources(m, f);
	sched_metrics(m, f);
	return fclose(f) == 0 ? 0 : -1;
}

/*
 * Writes the metrics to [metrics] file: a temporary beside it, then a
 * rename (fsutil_tmp: the directory is often shared, so no fixed
 * temporary name and no symlink followed).  Mode 0644: the collector
 * reads it.
 */
static void metrics_write(struct master *m)
{
	struct fsutil_tmp t;
	char *text;
	size_t len;
	ssize_t n = -1;

	if (metrics_render(m, &text, &len) == -1)
		return;
	if (fsutil_tmp_open(&t, m->cfg.metrics_file, 0644) == 0) {
		do {
			n = write(t.fd, text, len);
		} while (n == -1 && errno == EINTR);
		if (n != (ssize_t)len)
			fsutil_tmp_abort(&t);
		else if (fsutil_tmp_commit(&t, false) == 0)
			close(t.fd);
		else
			n = -1;
	}
	if (n != (ssize_t)len) {
		if (!m->metrics_failing)
			log_warn("metrics: cannot write %s", m->cfg.metrics_file);
		m->metrics_failing = true;
	} else {
		m->metrics_failing = false;
	}
	free(text);
}

static void metrics_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	metrics_write(container_of(w, struct master, metrics_w));
}

/* Starts, stops or re-times the writer after start-up or a reload. */
void metrics_configure(struct master *m)
{
	ev_timer_stop(m->loop, &m->metrics_w);
	if (m->cfg.metrics_file[0] == '\0')
		return;
	fsutil_tmp_sweep(m->cfg.metrics_file);
	ev_timer_init(&m->metrics_w, metrics_cb, 0., m->cfg.metrics_interval_ms / 1000.0);
	ev_timer_again(m->loop, &m->metrics_w);
	metrics_write(m);
}
