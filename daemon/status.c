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

struct status_sums {
	unsigned ready, starting, retiring, backoff, busy;
	uint64_t in_flight;
	uint64_t accepted, done, failed, timedout;
};

static const char *const slot_state_names[] = {
    [SLOT_STARTING] = "starting",
    [SLOT_READY] = "ready",
    [SLOT_RETIRING] = "retiring",
    [SLOT_BACKOFF] = "backoff",
};

static void status_sum(const struct master *m, struct status_sums *t)
{
	const struct slot *s;
	size_t k;
	unsigned i;

	for (i = 0; i < m->nslots; i++) {
		if ((s = m->slots[i]) == NULL)
			continue;
		t->ready += s->state == SLOT_READY;
		t->starting += s->state == SLOT_STARTING;
		t->retiring += s->state == SLOT_RETIRING;
		t->backoff += s->state == SLOT_BACKOFF;
		t->busy += s->ring_len > 0;
		t->in_flight += s->ring_len;
	}
	for (k = 0; k < jobs_count(); k++) {
		t->accepted += m->count.accepted[k];
		t->done += m->count.done[k];
		t->failed += m->count.failed[k];
		t->timedout += m->count.timedout[k];
	}
}

static const char *status_state(const struct master *m)
{
	if (m->stopping)
		return "stopping";
	return m->ready ? "running" : "starting";
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

static void status_text(const struct master *m, const struct status_sums *t, FILE *f)
{
	const struct slot *s;
	char last[32];
	unsigned i;
	size_t k;

	fprintf(f, "poold %s, pid %d, %s, up %.0f s, config %s\n", POOLD_VERSION, (int)getpid(),
	        status_state(m), ev_now(m->loop) - m->start_time,
	        m->config_path ? m->cfg.source : "built-in defaults");
	fprintf(f,
	        "workers: %u wanted, %u ready, %u starting, %u retiring, %u in back-off; "
	        "%u busy\n",
	        m->target, t->ready, t->starting, t->retiring, t->backoff, t->busy);
	fprintf(f,
	        "jobs: %llu accepted, %llu done, %llu failed, %llu timed out, %llu rejected, "
	        "%zu queued, %llu in flight, %llu retried\n",
	        (unsigned long long)t->accepted, (unsigned long long)t->done,
	        (unsigned long long)t->failed, (unsigned long long)t->timedout,
	        (unsigned long long)m->count.rejected, m->queue.len,
	        (unsigned long long)t->in_flight, (unsigned long long)m->count.retried);
	fprintf(f, "restarts: %llu, killed for bad frames: %llu\n\n",
	        (unsigned long long)m->count.restarts, (unsigned long long)m->count.killed);
	fprintf(f, "%-8s %12s %12s %12s %12s\n", "TASK", "ACCEPTED", "DONE", "FAILED", "TIMEDOUT");
	for (k = 0; k < jobs_count(); k++)
		fprintf(f, "%-8s %12llu %12llu %12llu %12llu\n", jobs_at(k)->name,
		        (unsigned long long)m->count.accepted[k],
		        (unsigned long long)m->count.done[k],
		        (unsigned long long)m->count.failed[k],
		        (unsigned long long)m->count.timedout[k]);
	fprintf(f, "\n%-6s %8s %-9s %9s %12s %s\n", "WORKER", "PID", "STATE", "INFLIGHT", "DONE",
	        "LAST EXIT");
	for (i = 0; i < m->nslots; i++) {
		if ((s = m->slots[i]) == NULL)
			continue;
		status_last_exit(s, last, sizeof(last));
		fprintf(f, "%-6u %8d %-9s %9u %12llu %s\n", s->index, (int)s->pid,
		        slot_state_names[s->state], s->ring_len, (unsigned long long)s->jobs_done,
		        last);
	}
}

static void status_json(const struct master *m, const struct status_sums *t, FILE *f)
{
	const struct slot *s;
	const char *sep = "";
	unsigned i;
	size_t k;

	fprintf(f, "{\"version\":\"%s\",\"pid\":%d,\"state\":\"%s\",\"uptime_seconds\":%.3f,",
	        POOLD_VERSION, (int)getpid(), status_state(m), ev_now(m->loop) - m->start_time);
	fprintf(f,
	        "\"workers\":{\"wanted\":%u,\"ready\":%u,\"starting\":%u,\"retiring\":%u,"
	        "\"backoff\":%u,\"busy\":%u,\"idle\":%u},",
	        m->target, t->ready, t->starting, t->retiring, t->backoff, t->busy,
	        t->ready - (t->busy > t->ready ? t->ready : t->busy));
	fprintf(f,
	        "\"jobs\":{\"accepted\":%llu,\"done\":%llu,\"failed\":%llu,\"timed_out\":%llu,"
	        "\"rejected\":%llu,\"queued\":%zu,\"in_flight\":%llu,\"retried\":%llu},",
	        (unsigned long long)t->accepted, (unsigned long long)t->done,
	        (unsigned long long)t->failed, (unsigned long long)t->timedout,
	        (unsigned long long)m->count.rejected, m->queue.len,
	        (unsigned long long)t->in_flight, (unsigned long long)m->count.retried);
	fprintf(f, "\"restarts\":%llu,\"killed\":%llu,\"tasks\":{",
	        (unsigned long long)m->count.restarts, (unsigned long long)m->count.killed);
	for (k = 0; k < jobs_count(); k++, sep = ",")
		fprintf(f,
		        "%s\"%s\":{\"accepted\":%llu,\"done\":%llu,\"failed\":%llu,"
		        "\"timed_out\":%llu}",
		        sep, jobs_at(k)->name, (unsigned long long)m->count.accepted[k],
		        (unsigned long long)m->count.done[k],
		        (unsigned long long)m->count.failed[k],
		        (unsigned long long)m->count.timedout[k]);
	fprintf(f, "},\"slots\":[");
	for (i = 0, sep = ""; i < m->nslots; i++) {
		if ((s = m->slots[i]) == NULL)
			continue;
		fprintf(f,
		        "%s{\"index\":%u,\"pid\":%d,\"state\":\"%s\",\"in_flight\":%u,"
		        "\"done\":%llu,\"last_status\":%d}",
		        sep, s->index, (int)s->pid, slot_state_names[s->state], s->ring_len,
		        (unsigned long long)s->jobs_done, s->last_status);
		sep = ",";
	}
	fprintf(f, "]}\n");
}

int status_render(struct master *m, bool json, char **text, size_t *len)
{
	struct status_sums t = {0};
	FILE *f = open_memstream(text, len);

	if (f == NULL)
		return -1;
	status_sum(m, &t);
	if (json)
		status_json(m, &t, f);
	else
		status_text(m, &t, f);
	return fclose(f) == 0 ? 0 : -1;
}
