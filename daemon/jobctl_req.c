/*
 * The control socket's job requests: a job's record (`poolctl job`), a
 * listing (`poolctl jobs`), cancels, and the states of a list of ids
 * (what `poolctl wait ID...` polls).  Text for people, JSON through
 * jansson for programs (job fields carry arbitrary text).  Reads the
 * registry and calls jobctl_cancel; owns nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "jobs.h"
#include "master.h"
#include "textesc.h"

/* Jobs listed by `jobs` unless limit= says otherwise, and at most. */
#define JOBCTL_LIST_DEFAULT 50
#define JOBCTL_LIST_MAX     100000

/* "2024-05-01T12:00:00.123Z", or "-" for 0. */
static void jobctl_time(double t, char *out, size_t len)
{
	time_t s = (time_t)t;
	struct tm tm;

	if (t <= 0 || gmtime_r(&s, &tm) == NULL) {
		snprintf(out, len, "-");
		return;
	}
	snprintf(out, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)((t - (double)s) * 1000));
}

/* Queue wait (from its due time, if it was held: later.c) and run time so
 * far (or in all, once ended); -1 if none. */
static void jobctl_spans(const struct result *r, double now, double *wait, double *run)
{
	double end = r->ended > 0 ? r->ended : now;
	double from = r->due > r->accepted ? r->due : r->accepted;

	*wait = r->started > 0 ? r->started - from : end - from;
	if (*wait < 0)
		*wait = 0;
	*run = r->started > 0 ? end - r->started : -1;
}

/* A JSON string of len bytes of text, invalid UTF-8 replaced by U+FFFD
 * (jansson takes only valid UTF-8); NULL text is null. */
static json_t *jobctl_json_text(const char *text, size_t len)
{
	char *fixed;
	json_t *v;

	if (text == NULL || (fixed = malloc(3 * len + 1)) == NULL)
		return json_null();
	v = json_stringn(fixed, textesc_utf8(fixed, text, len));
	free(fixed);
	return v != NULL ? v : json_null();
}

/* "failed_attempts", "failures" (the kept ones: at, reason) and
 * "queued_again_as" of a job that failed and was retried, or kicked. */
static void jobctl_json_tries(json_t *o, const struct result *r)
{
	const struct result_try *t;
	json_t *arr = json_array(), *e;
	unsigned i;

	for (i = 0; (t = results_try_at(r, i)) != NULL; i++) {
		e = json_object();
		json_object_set_new(e, "at", json_real(t->at));
		json_object_set_new(e, "reason", jobctl_json_text(t->reason, strlen(t->reason)));
		json_array_append_new(arr, e);
	}
	json_object_set_new(o, "failed_attempts", json_integer(r->ntries));
	json_object_set_new(o, "failures", arr);
	json_object_set_new(o, "queued_again_as",
	                    r->again != 0 ? json_integer((json_int_t)r->again) : json_null());
}

static json_t *jobctl_json(const struct result *r, double now)
{
	json_t *o = json_object();
	double wait, run;

	jobctl_spans(r, now, &wait, &run);
	json_object_set_new(o, "id", json_integer((json_int_t)r->id));
	json_object_set_new(o, "kind", json_string(jobs_at(r->kind)->name));
	json_object_set_new(o, "args", jobctl_json_text(r->text, r->args_len));
	json_object_set_new(o, "args_truncated", json_boolean(r->args_cut));
	json_object_set_new(o, "key", r->key ? json_string(r->key) : json_null());
	json_object_set_new(o, "state", json_string(results_state_name(r->state)));
	json_object_set_new(o, "worker", r->started > 0 ? json_integer(r->worker) : json_null());
	json_object_set_new(o, "attempt", json_integer(r->attempt));
	json_object_set_new(o, "accepted", json_real(r->accepted));
	json_object_set_new(o, "due", r->due > 0 ? json_real(r->due) : json_null());
	json_object_set_new(o, "started", r->started > 0 ? json_real(r->started) : json_null());
	json_object_set_new(o, "ended", r->ended > 0 ? json_real(r->ended) : json_null());
	json_object_set_new(o, "queue_wait_seconds", json_real(wait));
	json_object_set_new(o, "run_seconds", run >= 0 ? json_real(run) : json_null());
	json_object_set_new(o, "reason",
	                    jobctl_json_text(r->reason, r->reason ? strlen(r->reason) : 0));
	json_object_set_new(o, "redis_id", r->ref ? json_string(r->ref) : json_null());
	json_object_set_new(o, "cancel_asked", json_boolean(r->cancel));
	jobctl_json_tries(o, r);
	return o;
}

/* Each failed attempt kept, with its time, and the copy `retry`/`kick` made. */
static void jobctl_text_tries(FILE *f, const struct result *r)
{
	const struct result_try *t;
	unsigned i, first = r->ntries > RESULTS_TRIES_MAX ? r->ntries - RESULTS_TRIES_MAX : 0;
	char at[80];

	if (r->ntries > 0)
		fprintf(f, "failed attempts: %u%s\n", (unsigned)r->ntries,
		        first > 0 ? " (the first ones not kept)" : "");
	for (i = 0; (t = results_try_at(r, i)) != NULL; i++) {
		jobctl_time(t->at, at, sizeof(at));
		fprintf(f, "  attempt %u at %s: %s\n", first + i + 1, at, t->reason);
	}
	if (r->again != 0)
		fprintf(f, "queued again as: job %llu\n", (unsigned long long)r->again);
}

static void jobctl_text(FILE *f, const struct result *r, double now)
{
	char ta[80], ts[80], te[80], td[80];
	double wait, run;

	jobctl_spans(r, now, &wait, &run);
	jobctl_time(r->accepted, ta, sizeof(ta));
	jobctl_time(r->started, ts, sizeof(ts));
	jobctl_time(r->ended, te, sizeof(te));
	fprintf(f, "job %llu\nkind: %s\narguments: %.*s%s\nkey: %s\n", (unsigned long long)r->id,
	        jobs_at(r->kind)->name, (int)r->args_len, r->text, r->args_cut ? "..." : "",
	        r->key ? r->key : "-");
	jobctl_time(r->due, td, sizeof(td));
	if (r->state == RESULT_RUNNING)
		fprintf(f, "state: running on worker %u, attempt %u%s\n", r->worker, r->attempt,
		        r->cancel ? " (cancel asked)" : "");
	else if (r->state == RESULT_SCHEDULED)
		fprintf(f, "state: scheduled, due %s (in %.3f s)\n", td, r->due - now);
	else
		fprintf(f, "state: %s\n", results_state_name(r->state));
	if (r->due > 0 && r->state != RESULT_SCHEDULED)
		fprintf(f, "due: %s\n", td);
	fprintf(f, "accepted: %s\nstarted: %s\nended: %s\nqueue wait: %.3f s\n", ta, ts, te, wait);
	if (run >= 0)
		fprintf(f, "run time: %.3f s\n", run);
	if (r->reason != NULL)
		fprintf(f, "reason: %s\n", r->reason);
	if (r->ref != NULL)
		fprintf(f, "redis entry: %s\n", r->ref);
	jobctl_text_tries(f, r);
}

/* The kept output, each line escaped (textesc.h) after two blanks. */
static void jobctl_text_output(FILE *f, const struct result *r)
{
	const char *p = r->output, *end = p + r->output_len, *nl;
	char *line = malloc(4 * (size_t)r->output_len + 1);

	if (r->output_dropped)
		fprintf(f, "output: dropped (over [results] output_kib)\n");
	if (r->output == NULL || line == NULL) {
		free(line);
		return;
	}
	fprintf(f, "output (last %u bytes):\n", (unsigned)r->output_len);
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		line[textesc_escape(line, p, (size_t)(nl - p))] = '\0';
		fprintf(f, "  %s\n", line);
	}
	free(line);
}

static int jobctl_parse_id(const char *s, uint64_t *id)
{
	char *end;

	errno = 0;
	*id = strtoull(s, &end, 10);
	return s[0] >= '0' && s[0] <= '9' && *end == '\0' && errno == 0 && *id > 0 ? 0 : -1;
}

/* "job ID [json]", "job key=KEY [json]". */
static void jobctl_req_job(struct master *m, char *arg, FILE *f)
{
	char *sp = strchr(arg, ' ');
	bool json = sp != NULL && strcmp(sp, " json") == 0;
	const struct result *r = NULL;
	uint64_t id;
	json_t *o;
	char *s;

	if (sp != NULL)
		*sp = '\0';
	if (strncmp(arg, "key=", 4) == 0)
		r = results_find_key(&m->results, arg + 4, strlen(arg + 4));
	else if (jobctl_parse_id(arg, &id) == 0)
		r = results_find(&m->results, id);
	else {
		fprintf(f, "error bad request: job wants an id or key=KEY\n");
		return;
	}
	if (r == NULL) {
		fprintf(f, "error unknown job %s (never accepted, or no longer kept)\n", arg);
		return;
	}
	if (!json) {
		jobctl_text(f, r, ev_now(m->loop));
		jobctl_text_output(f, r);
		return;
	}
	o = jobctl_json(r, ev_now(m->loop));
	json_object_set_new(o, "output", jobctl_json_text(r->output, r->output_len));
	json_object_set_new(o, "output_dropped", json_boolean(r->output_dropped));
	s = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	fprintf(f, "%s\n", s != NULL ? s : "null");
	free(s);
}

struct jobctl_filter {
	int state; /* -1 any */
	int kind;  /* -1 any */
	unsigned long limit;
	bool json;
};

/* Parses "state=S kind=K limit=N json" words; -1 with the reason in f. */
static int jobctl_filter_parse(char *arg, struct jobctl_filter *fl, FILE *f)
{
	const struct job_kind *k;
	char *w, *save = NULL;

	*fl = (struct jobctl_filter){-1, -1, JOBCTL_LIST_DEFAULT, false};
	for (w = strtok_r(arg, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (strcmp(w, "json") == 0) {
			fl->json = true;
		} else if (strncmp(w, "state=", 6) == 0) {
			fl->state = results_state_by_name(w + 6);
			if (fl->state == -1)
				break;
		} else if (strncmp(w, "kind=", 5) == 0) {
			k = jobs_by_name(w + 5, strlen(w + 5));
			if (k == NULL)
				break;
			fl->kind = (int)jobs_index(k);
		} else if (strncmp(w, "limit=", 6) == 0) {
			fl->limit = strtoul(w + 6, NULL, 10);
			if (fl->limit == 0 || fl->limit > JOBCTL_LIST_MAX)
				break;
		} else {
			break;
		}
	}
	if (w == NULL)
		return 0;
	fprintf(f, "error bad request: '%s' (state=S kind=K limit=1..%d json)\n", w,
	        JOBCTL_LIST_MAX);
	return -1;
}

static bool jobctl_match(const struct result *r, const struct jobctl_filter *fl)
{
	return (fl->state == -1 || r->state == fl->state) &&
	       (fl->kind == -1 || r->kind == fl->kind);
}

/* One listed job: a table row, or the n-th element of a JSON array, each
 * written as it is made (a long listing never holds every job's object). */
static void jobctl_list_one(FILE *f, bool json, unsigned long n, const struct result *r, double now)
{
	char ta[80];
	json_t *o;

	if (json) {
		o = jobctl_json(r, now);
		fputs(n > 0 ? "," : "", f);
		if (o == NULL || json_dumpf(o, f, JSON_COMPACT) == -1)
			fputs("null", f);
		json_decref(o);
		return;
	}
	jobctl_time(r->accepted, ta, sizeof(ta));
	fprintf(f, "%-10llu %-8s %-10s %-24s %-16s %.*s%s\n", (unsigned long long)r->id,
	        jobs_at(r->kind)->name, results_state_name(r->state), ta, r->key ? r->key : "-",
	        (int)(r->args_len > 40 ? 40 : r->args_len), r->text, r->args_len > 40 ? "..." : "");
}

/* "jobs [state=S] [kind=K] [limit=N] [json]": live jobs, newest first,
 * then ended ones, most recently ended first. */
static void jobctl_req_jobs(struct master *m, char *arg, FILE *f)
{
	const struct results *rs = &m->results;
	const struct result *r, *lists[2] = {rs->live_last, rs->ended_last};
	struct jobctl_filter fl;
	unsigned long n = 0;
	int i;

	if (jobctl_filter_parse(arg, &fl, f) == -1)
		return;
	if (fl.json)
		fputc('[', f);
	else
		fprintf(f, "%-10s %-8s %-10s %-24s %-16s %s\n", "ID", "KIND", "STATE", "ACCEPTED",
		        "KEY", "ARGUMENTS");
	for (i = 0; i < 2; i++)
		for (r = lists[i]; r != NULL && n < fl.limit; r = r->prev)
			if (jobctl_match(r, &fl)) {
				jobctl_list_one(f, fl.json, n, r, ev_now(m->loop));
				n++;
			}
	if (fl.json)
		fputs("]\n", f);
}

/* "cancel ID...", "retry ID...": one line per id, "ok ..." or "error ...". */
static void jobctl_req_each(struct master *m, char *arg, FILE *f,
                            int (*act)(struct master *, uint64_t, char *, size_t))
{
	char *w, *save = NULL, msg[160];
	uint64_t id;

	for (w = strtok_r(arg, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (jobctl_parse_id(w, &id) == -1) {
			fprintf(f, "error %s: not a job id\n", w);
			continue;
		}
		if (act(m, id, msg, sizeof(msg)) == 0)
			fprintf(f, "ok %s\n", msg);
		else
			fprintf(f, "error %s\n", msg);
	}
}

static void jobctl_req_cancel(struct master *m, char *arg, FILE *f)
{
	jobctl_req_each(m, arg, f, jobctl_cancel);
}

static void jobctl_req_retry(struct master *m, char *arg, FILE *f)
{
	jobctl_req_each(m, arg, f, retry_again);
}

/* "kick [N]": up to N kept buried jobs (all without N), oldest first. */
static void jobctl_req_kick(struct master *m, char *arg, FILE *f)
{
	char *end;
	unsigned long n = strtoul(arg, &end, 10);

	if (*end != '\0' || (arg[0] != '\0' && (n == 0 || arg[0] < '0' || arg[0] > '9'))) {
		fprintf(f, "error bad request: kick wants nothing or a count, not '%s'\n", arg);
		return;
	}
	retry_kick(m, n, f);
}

/* "states ID...": "ID STATE [reason]" per id; STATE "unknown" if none. */
static void jobctl_req_states(struct master *m, char *arg, FILE *f)
{
	char *w, *save = NULL;
	const struct result *r;
	uint64_t id;

	for (w = strtok_r(arg, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		r = jobctl_parse_id(w, &id) == 0 ? results_find(&m->results, id) : NULL;
		if (r == NULL)
			fprintf(f, "%s unknown\n", w);
		else
			fprintf(f, "%s %s%s%s\n", w,
			        r->state == RESULT_TIMEDOUT ? "timed_out"
			                                    : results_state_name(r->state),
			        r->reason ? " " : "", r->reason ? r->reason : "");
	}
}

char *jobctl_request(struct master *m, const char *req, size_t *len)
{
	static const struct {
		const char *name;
		void (*fn)(struct master *m, char *arg, FILE *f);
	} reqs[] = {
	    {"job ", jobctl_req_job},       {"jobs", jobctl_req_jobs},
	    {"cancel ", jobctl_req_cancel}, {"states ", jobctl_req_states},
	    {"retry ", jobctl_req_retry},   {"kick", jobctl_req_kick},
	};
	char *text = NULL, *arg;
	size_t i, n;
	FILE *f;

	*len = 0;
	for (i = 0; i < sizeof(reqs) / sizeof(reqs[0]); i++) {
		n = strlen(reqs[i].name);
		if (strncmp(req, reqs[i].name, n) != 0 ||
		    (req[n] != '\0' && req[n] != ' ' && reqs[i].name[n - 1] != ' '))
			continue;
		arg = strdup(req + n);
		f = arg != NULL ? open_memstream(&text, len) : NULL;
		if (f != NULL) {
			reqs[i].fn(m, arg + strspn(arg, " "), f);
			if (fclose(f) != 0) {
				free(text);
				text = NULL;
			}
		}
		free(arg);
		if (text == NULL)
			*len = 1;
		return text;
	}
	return NULL;
}
