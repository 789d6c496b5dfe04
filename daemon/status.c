/*
 * Status: the master's counters and the slot table, as a readable table or
 * as one JSON object (schema in the README).  Reads master state only;
 * builds the text with open_memstream so its size needs no guessing, and
 * the JSON with jansson (never by hand), from the same fields.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

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
 * Where status goes: text to f, or members of the JSON object js (when
 * not NULL).  A failed allocation in jansson is remembered in nomem.
 */
struct status_out {
	FILE *f;
	json_t *js;
	bool nomem;
};

/* Sets member key of obj to v (owned); notes a failure. */
static void status_set(struct status_out *o, json_t *obj, const char *key, json_t *v)
{
	if (obj == NULL || v == NULL || json_object_set_new(obj, key, v) == -1)
		o->nomem = true;
}

/*
 * A group of counters, as a text line ("jobs: 5 accepted, 3 done") or as
 * a JSON member ("jobs":{"accepted":5,"done":3}) of parent, from the same
 * fields so the two forms cannot drift apart.
 */
static void status_group(struct status_out *o, json_t *parent, const char *name,
                         const struct status_field *fl, size_t n)
{
	json_t *obj = o->js != NULL ? json_object() : NULL;
	size_t i;

	if (o->js == NULL)
		fprintf(o->f, "%s: ", name);
	for (i = 0; i < n; i++) {
		if (o->js != NULL)
			status_set(o, obj, fl[i].key, json_integer((json_int_t)fl[i].value));
		else
			fprintf(o->f, "%s%llu %s", i ? ", " : "", (unsigned long long)fl[i].value,
			        fl[i].label);
	}
	if (o->js != NULL)
		status_set(o, parent, name, obj);
	else
		fputc('\n', o->f);
}

static void status_counters(const struct master *m, const struct census *t, struct status_out *o)
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
	    {"scheduled", "scheduled", t->scheduled},
	    {"in_flight", "in flight", t->in_flight},
	    {"retried", "retried", m->count.retried},
	    {"retrying", "retrying", t->retrying},
	    {"retries", "retries", m->count.retry_held},
	    {"kicked", "kicked", m->count.kicked},
	    {"buried", "buried", t->buried},
	    {"cancelled", "cancelled", t->cancelled},
	    {"replayed", "replayed from the journal", m->count.replayed},
	    {"deduplicated", "deduplicated", m->count.deduplicated},
	    {"keys", "unique keys held", m->uniq.len},
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

	status_group(o, o->js, "workers", workers, STATUS_NFIELDS(workers));
	status_group(o, o->js, "jobs", jobs, STATUS_NFIELDS(jobs));
	status_group(o, o->js, "worker_exits", workers_ended, STATUS_NFIELDS(workers_ended));
	status_group(o, o->js, "clients", clients, STATUS_NFIELDS(clients));
}

/*
 * Each job source's counters (source.h), when it has some: in JSON an
 * object named after the source with every counter; in text a line
 * "NAME: STATE, GROUP: counters", the gauges shown by the state only.
 */
static void status_sources(const struct master *m, struct status_out *o)
{
	struct status_field fl[SOURCE_STATS_MAX];
	const struct source *src;
	struct source_stats st;
	size_t i, n;

	for (src = m->sources; src != NULL; src = src->next) {
		if (src->ops->stats == NULL || !src->ops->stats(src, &st))
			continue;
		for (i = n = 0; i < st.n; i++)
			if (o->js != NULL || !st.v[i].gauge)
				fl[n++] = (struct status_field){st.v[i].key, st.v[i].label,
				                                st.v[i].value};
		if (o->js != NULL) {
			status_group(o, o->js, src->ops->name, fl, n);
			continue;
		}
		fprintf(o->f, "%s: ", src->ops->name);
		if (st.state != NULL)
			fprintf(o->f, "%s, ", st.state);
		status_group(o, NULL, st.group, fl, n);
	}
}

/* Accepted-to-ended latency of every job, in microseconds. */
static void status_latency(const struct master *m, struct status_out *o)
{
	const struct latency *l = &m->latency;
	const struct status_field fl[] = {
	    {"count", "jobs", latency_count(l)},
	    {"p50_us", "us p50", (uint64_t)(latency_quantile(l, 0.5) * 1e6)},
	    {"p99_us", "us p99", (uint64_t)(latency_quantile(l, 0.99) * 1e6)},
	    {"p999_us", "us p99.9", (uint64_t)(latency_quantile(l, 0.999) * 1e6)},
	    {"max_us", "us max", (uint64_t)(l->max * 1e6)},
	};

	status_group(o, o->js, "latency", fl, STATUS_NFIELDS(fl));
}

#define STATUS_US(l, q) ((uint64_t)(latency_quantile((l), (q)) * 1e6))

/*
 * Per task kind: counts, and quantiles of the time queued (accepted to
 * sent) and the time run, in microseconds.  A table in text (its header
 * is the fields' keys), an object per kind in JSON.
 */
static void status_tasks(const struct master *m, struct status_out *o)
{
	json_t *tasks = o->js != NULL ? json_object() : NULL;
	FILE *f = o->f;
	size_t k, i;

	if (o->js == NULL)
		fputs("\nTASK    ", f);
	for (k = 0; k < jobs_count(); k++) {
		const struct kind_stats *ks = &m->kstats[k];
		const struct status_field fl[] = {
		    {"accepted", "", m->count.accepted[k]},
		    {"done", "", m->count.done[k]},
		    {"failed", "", m->count.failed[k]},
		    {"timed_out", "", m->count.timedout[k]},
		    {"buried", "", m->count.buried[k]},
		    {"cancelled", "", m->count.cancelled[k]},
		    {"wait_p50_us", "", STATUS_US(&ks->wait, 0.5)},
		    {"wait_p99_us", "", STATUS_US(&ks->wait, 0.99)},
		    {"run_p50_us", "", STATUS_US(&ks->run, 0.5)},
		    {"run_p99_us", "", STATUS_US(&ks->run, 0.99)},
		};

		if (o->js != NULL) {
			status_group(o, tasks, jobs_at(k)->name, fl, STATUS_NFIELDS(fl));
			continue;
		}
		for (i = 0; k == 0 && i < STATUS_NFIELDS(fl); i++)
			fprintf(f, "%12s", fl[i].key);
		fprintf(f, k == 0 ? "\n%-8s" : "%-8s", jobs_at(k)->name);
		for (i = 0; i < STATUS_NFIELDS(fl); i++)
			fprintf(f, "%12llu", (unsigned long long)fl[i].value);
		fputc('\n', f);
	}
	if (o->js != NULL)
		status_set(o, o->js, "tasks", tasks);
}

/* One slot as a JSON object (status_slots). */
static json_t *status_slot_json(const struct slot *s)
{
	return json_pack("{s:I,s:i,s:s,s:I,s:I,s:i}", "index", (json_int_t)s->index, "pid",
	                 (int)s->pid, "state", slot_state_names[s->state], "in_flight",
	                 (json_int_t)s->ring_len, "done", (json_int_t)s->jobs_done, "last_status",
	                 s->last_status);
}

static void status_slots(const struct master *m, struct status_out *o)
{
	json_t *arr = o->js != NULL ? json_array() : NULL;
	const struct slot *s;
	char last[32];
	unsigned i;

	if (o->js == NULL)
		fprintf(o->f, "\n%-6s %8s %-9s %9s %12s %s\n", "WORKER", "PID", "STATE", "INFLIGHT",
		        "DONE", "LAST EXIT");
	for (i = 0; i < m->nslots; i++) {
		if ((s = m->slots[i]) == NULL)
			continue;
		if (o->js != NULL) {
			if (arr == NULL || json_array_append_new(arr, status_slot_json(s)) == -1)
				o->nomem = true;
			continue;
		}
		status_last_exit(s, last, sizeof(last));
		fprintf(o->f, "%-6u %8d %-9s %9u %12llu %s\n", s->index, (int)s->pid,
		        slot_state_names[s->state], s->ring_len, (unsigned long long)s->jobs_done,
		        last);
	}
	if (o->js != NULL)
		status_set(o, o->js, "slots", arr);
}

/* The JSON head: version, pid, state, uptime in seconds (to the ms). */
static json_t *status_head_json(struct master *m, double up)
{
	return json_pack("{s:s,s:i,s:s,s:f}", "version", POOLD_VERSION, "pid", (int)getpid(),
	                 "state", status_state(m), "uptime_seconds",
	                 (double)(long long)(up * 1000 + 0.5) / 1000);
}

int status_render(struct master *m, bool json, char **text, size_t *len)
{
	struct census t;
	struct status_out o = {0};
	double up = ev_now(m->loop) - m->start_time;
	int rc;

	o.f = open_memstream(text, len);
	if (o.f == NULL)
		return -1;
	census_take(m, &t);
	if (json && (o.js = status_head_json(m, up)) == NULL)
		o.nomem = true;
	if (!json)
		fprintf(o.f, "poold %s, pid %d, %s, up %.0f s, config %s\n", POOLD_VERSION,
		        (int)getpid(), status_state(m), up,
		        m->config_path ? m->cfg.source : "built-in defaults");
	if (!o.nomem) {
		status_counters(m, &t, &o);
		status_sources(m, &o);
		if (o.js != NULL ? sched_status_json(m, o.js) == -1
		                 : (sched_status_text(m, o.f), false))
			o.nomem = true;
		status_latency(m, &o);
		status_tasks(m, &o);
		status_slots(m, &o);
	}
	/* Compact, in insertion order; uptime to the millisecond. */
	if (o.js != NULL && !o.nomem &&
	    json_dumpf(o.js, o.f, JSON_COMPACT | JSON_REAL_PRECISION(15)) == 0)
		fputc('\n', o.f);
	else if (json)
		o.nomem = true;
	json_decref(o.js);
	rc = fclose(o.f);
	if (rc == 0 && !o.nomem)
		return 0;
	free(*text);
	*text = NULL;
	return -1;
}
