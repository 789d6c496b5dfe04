/*
 * Status: the master's counters and the slot table, as a readable table or
 * as one JSON object (schema in the README).  Reads master state only;
 * builds the text with open_memstream so its size needs no guessing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs.h"
#include "master.h"

static const char *const slot_state_names[] = {
    [SLOT_STARTING] = "starting",
    [SLOT_READY] = "ready",
    [SLOT_RETIRING] = "retiring",
    [SLOT_BACKOFF] = "backoff",
};

static const char *status_state(const struct master *m)
{
	if (m->stopping)
		return "stopping";
	if (m->ready)
		return "running";
	return m->ready_since > m->start_time ? "reloading" : "starting";
}

static void status_last_exit(const struct slot *s, char *buf, size_t len)
{
	if (s->last_status == -1)
		snprintf(buf, len, "-");
	else if (WIFEXITED(s->last_status))
		snprintf(buf, len, "code %d", WEXITSTATUS(s->last_status));
	else
		snprintf(buf, len, "signal %d", WTERMSIG(s->last_status));
}

/* One counter: its JSON key, its words in the text form, its value. */
struct status_field {
	const char *key;
	const char *label;
	uint64_t value;
};

#define STATUS_NFIELDS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * A group of counters, as a text line ("jobs: 5 accepted, 3 done") or as
 * a JSON member ("jobs":{"accepted":5,"done":3}), from the same fields so
 * the two forms cannot drift apart.
 */
static void status_group(FILE *f, bool json, const char *name, const struct status_field *fl,
                         size_t n)
{
	size_t i;

	if (json)
		fprintf(f, "\"%s\":{", name);
	else
		fprintf(f, "%s: ", name);
	for (i = 0; i < n; i++) {
		if (json)
			fprintf(f, "%s\"%s\":%llu", i ? "," : "", fl[i].key,
			        (unsigned long long)fl[i].value);
		else
			fprintf(f, "%s%llu %s", i ? ", " : "", (unsigned long long)fl[i].value,
			        fl[i].label);
	}
	fputs(json ? "}" : "\n", f);
}

static void status_counters(const struct master *m, const struct census *t, FILE *f, bool json)
{
	const struct status_field workers[] = {
	    {"wanted", "wanted", m->target},
	    {"ready", "ready", t->ready},
	    {"starting", "starting", t->starting},
	    {"retiring", "retiring", t->retiring},
	    {"backoff", "in back-off", t->backoff},
	    {"busy", "busy", t->holding},
	    {"idle", "idle", t->ready - (t->holding > t->ready ? t->ready : t->holding)},
	};
	const struct status_field jobs[] = {
	    {"accepted", "accepted", t->accepted},
	    {"done", "done", t->done},
	    {"failed", "failed", t->failed},
	    {"timed_out", "timed out", t->timedout},
	    {"rejected", "rejected", m->count.rejected},
	    {"queued", "queued", t->queued},
	    {"in_flight", "in flight", t->in_flight},
	    {"retried", "retried", m->count.retried},
	    {"buried", "buried", t->buried},
	    {"replayed", "replayed from the journal", m->count.replayed},
	};
	const struct status_field workers_ended[] = {
	    {"restarts", "restarted", m->count.restarts},
	    {"killed", "killed for bad frames", m->count.killed},
	    {"recycled", "recycled", m->count.recycled},
	};
	const struct status_field clients[] = {
	    {"connected", "connected", m->nclients},
	    {"waiting", "waiting", t->waiting},
	    {"max", "at most", m->ctl_cap},
	};

	status_group(f, json, "workers", workers, STATUS_NFIELDS(workers));
	fputs(json ? "," : "", f);
	status_group(f, json, "jobs", jobs, STATUS_NFIELDS(jobs));
	fputs(json ? "," : "", f);
	status_group(f, json, "worker_exits", workers_ended, STATUS_NFIELDS(workers_ended));
	fputs(json ? "," : "", f);
	status_group(f, json, "clients", clients, STATUS_NFIELDS(clients));
}

/*
 * Each job source's counters (source.h), when it has some: in JSON an
 * object named after the source with every counter; in text a line
 * "NAME: STATE, GROUP: counters", the gauges shown by the state only.
 */
static void status_sources(const struct master *m, FILE *f, bool json)
{
	struct status_field fl[SOURCE_STATS_MAX];
	const struct source *src;
	struct source_stats st;
	size_t i, n;

	for (src = m->sources; src != NULL; src = src->next) {
		if (src->ops->stats == NULL || !src->ops->stats(src, &st))
			continue;
		for (i = n = 0; i < st.n; i++)
			if (json || !st.v[i].gauge)
				fl[n++] = (struct status_field){st.v[i].key, st.v[i].label,
				                                st.v[i].value};
		if (json) {
			fputc(',', f);
			status_group(f, true, src->ops->name, fl, n);
			continue;
		}
		fprintf(f, "%s: ", src->ops->name);
		if (st.state != NULL)
			fprintf(f, "%s, ", st.state);
		status_group(f, false, st.group, fl, n);
	}
}

/* Accepted-to-ended latency of every job, in microseconds. */
static void status_latency(const struct master *m, FILE *f, bool json)
{
	const struct latency *l = &m->latency;
	const struct status_field fl[] = {
	    {"count", "jobs", l->count},
	    {"p50_us", "us p50", (uint64_t)(latency_quantile(l, 0.5) * 1e6)},
	    {"p99_us", "us p99", (uint64_t)(latency_quantile(l, 0.99) * 1e6)},
	    {"p999_us", "us p99.9", (uint64_t)(latency_quantile(l, 0.999) * 1e6)},
	    {"max_us", "us max", (uint64_t)(l->max * 1e6)},
	};

	fputs(json ? "," : "", f);
	status_group(f, json, "latency", fl, STATUS_NFIELDS(fl));
}

#define STATUS_US(l, q) ((uint64_t)(latency_quantile((l), (q)) * 1e6))

/*
 * Per task kind: counts, and quantiles of the time queued (accepted to
 * sent) and the time run, in microseconds.  A table in text (its header
 * is the fields' keys), an object per kind in JSON.
 */
static void status_tasks(const struct master *m, FILE *f, bool json)
{
	size_t k, i;

	fputs(json ? ",\"tasks\":{" : "\nTASK    ", f);
	for (k = 0; k < jobs_count(); k++) {
		const struct kind_stats *ks = &m->kstats[k];
		const struct status_field fl[] = {
		    {"accepted", "", m->count.accepted[k]},
		    {"done", "", m->count.done[k]},
		    {"failed", "", m->count.failed[k]},
		    {"timed_out", "", m->count.timedout[k]},
		    {"buried", "", m->count.buried[k]},
		    {"wait_p50_us", "", STATUS_US(&ks->wait, 0.5)},
		    {"wait_p99_us", "", STATUS_US(&ks->wait, 0.99)},
		    {"run_p50_us", "", STATUS_US(&ks->run, 0.5)},
		    {"run_p99_us", "", STATUS_US(&ks->run, 0.99)},
		};

		if (json) {
			fputs(k ? "," : "", f);
			status_group(f, true, jobs_at(k)->name, fl, STATUS_NFIELDS(fl));
			continue;
		}
		for (i = 0; k == 0 && i < STATUS_NFIELDS(fl); i++)
			fprintf(f, "%12s", fl[i].key);
		fprintf(f, k == 0 ? "\n%-8s" : "%-8s", jobs_at(k)->name);
		for (i = 0; i < STATUS_NFIELDS(fl); i++)
			fprintf(f, "%12llu", (unsigned long long)fl[i].value);
		fputc('\n', f);
	}
	fputs(json ? "}" : "", f);
}

static void status_slots(const struct master *m, FILE *f, bool json)
{
	const struct slot *s;
	const char *sep = "";
	char last[32];
	unsigned i;

	if (json)
		fputs(",\"slots\":[", f);
	else
		fprintf(f, "\n%-6s %8s %-9s %9s %12s %s\n", "WORKER", "PID", "STATE", "INFLIGHT",
		        "DONE", "LAST EXIT");
	for (i = 0; i < m->nslots; i++) {
		if ((s = m->slots[i]) == NULL)
			continue;
		if (json) {
			fprintf(f,
			        "%s{\"index\":%u,\"pid\":%d,\"state\":\"%s\",\"in_flight\":%u,"
			        "\"done\":%llu,\"last_status\":%d}",
			        sep, s->index, (int)s->pid, slot_state_names[s->state], s->ring_len,
			        (unsigned long long)s->jobs_done, s->last_status);
			sep = ",";
			continue;
		}
		status_last_exit(s, last, sizeof(last));
		fprintf(f, "%-6u %8d %-9s %9u %12llu %s\n", s->index, (int)s->pid,
		        slot_state_names[s->state], s->ring_len, (unsigned long long)s->jobs_done,
		        last);
	}
	fputs(json ? "]" : "", f);
}

int status_render(struct master *m, bool json, char **text, size_t *len)
{
	struct census t;
	FILE *f = open_memstream(text, len);
	double up = ev_now(m->loop) - m->start_time;

	if (f == NULL)
		return -1;
	census_take(m, &t);
	if (json)
		fprintf(f,
		        "{\"version\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"uptime_seconds\":%.3f,",
		        POOLD_VERSION, (int)getpid(), status_state(m), up);
	else
		fprintf(f, "poold %s, pid %d, %s, up %.0f s, config %s\n", POOLD_VERSION,
		        (int)getpid(), status_state(m), up,
		        m->config_path ? m->cfg.source : "built-in defaults");
	status_counters(m, &t, f, json);
	status_sources(m, f, json);
	sched_status(m, f, json);
	status_latency(m, f, json);
	status_tasks(m, f, json);
	status_slots(m, f, json);
	fputs(json ? "}\n" : "", f);
	return fclose(f) == 0 ? 0 : -1;
}
