/*
 * The queues' side of dispatch: what dispatch.c asks before it hands a job
 * to a worker and tells when a job leaves one, kept here so dispatch.c
 * only calls in (queue_limits.c holds the rules themselves).  Nothing here
 * dispatches: the settle step does, each loop turn (settle.c).  Also the
 * rate timer, `poolctl pause` / `resume`, and the queues in status and
 * metrics.
 *
 * `inflight` works on both sides: a lane's job goes only to a worker that
 * holds fewer than that many jobs, and a worker that holds such a job
 * takes no more than that many in all until it is gone.  So with the
 * built-in queue "long" (inflight 1) a long job only ever goes to an idle
 * worker and nothing is queued behind it in that worker: no job waits in
 * a busy worker's pipe while another worker is idle (conf/poold.ini).
 */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "master.h"

/* A rate lets a held job go now: this turn's settle step dispatches it
 * (the timer only ends the loop's wait). */
static void sched_rate_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
}

/* A kind goes to the queue whose `kinds` names it, else to "long" (1)
 * if it may run long, else to "default" (0). */
void sched_map_kinds(struct master *m)
{
	const struct config *c = &m->cfg;
	const struct job_kind *k;
	unsigned i, qi, ki, lane;

	for (i = 0; i < jobs_count() && i < JOBS_MAX; i++) {
		k = jobs_at(i);
		lane = k->may_be_long ? 1 : 0;
		for (qi = 0; qi < c->nqueues && qi < QUEUE_LANES; qi++)
			for (ki = 0; ki < c->queues[qi].nkinds; ki++)
				if (strcmp(c->queues[qi].kinds[ki], k->name) == 0)
					lane = qi;
		m->queue.kind_lane[i] = (unsigned char)lane;
	}
}

void sched_init(struct master *m)
{
	jobq_configure(&m->queue, &m->cfg);
	sched_map_kinds(m);
	ev_init(&m->sched_w, sched_rate_cb);
}

struct job *sched_pick(struct master *m)
{
	ev_tstamp now = ev_now(m->loop);
	double wake = 0;
	struct job *j = jobq_pick(&m->queue, m->min_load, now, &wake);

	if (j == NULL && wake > 0 && !ev_is_active(&m->sched_w)) {
		ev_timer_set(&m->sched_w, wake - now, 0.);
		ev_timer_start(m->loop, &m->sched_w);
	}
	return j;
}

void sched_assigned(struct slot *s, const struct job *j)
{
	unsigned k = jobq_inflight(&s->m->queue, j);

	if (k > 0 && (s->lim == 0 || k < s->lim))
		s->lim = k;
}

bool sched_slot_open(const struct slot *s)
{
	return s->lim == 0 || s->ring_len < s->lim;
}

void sched_left(struct slot *s, const struct job *j)
{
	unsigned i, k;

	jobq_release(&s->m->queue, j);
	if (jobq_inflight(&s->m->queue, j) == 0)
		return;
	s->lim = 0; /* a limiting job left: the others' limit */
	for (i = 0; i < s->ring_len; i++) {
		k = jobq_inflight(&s->m->queue, s->ring[(s->ring_head + i) % s->ring_cap]);
		if (k > 0 && (s->lim == 0 || k < s->lim))
			s->lim = k;
	}
}

int sched_pause(struct master *m, const char *name, bool pause, char *reply, size_t len)
{
	struct joblane *ln = jobq_lane(&m->queue, name);

	if (ln == NULL) {
		snprintf(reply, len, "error no queue '%.40s'\n", name);
		return -1;
	}
	if (ln->paused != pause)
		log_info("queue %s %s (%zu queued, %u running)", ln->name,
		         pause ? "paused" : "resumed", ln->len, ln->running);
	ln->paused = pause;
	snprintf(reply, len, "queue %s %s\n", ln->name, pause ? "paused" : "running");
	return 0; /* resumed: the settle step dispatches its jobs */
}

/* Text: one line, the lanes then the tokens; JSON: "queues":{"NAME":
 * {...},...},"tokens":{"NAME":{"free","count"},...}. */
void sched_status(const struct master *m, FILE *f, bool json)
{
	const struct jobq *q = &m->queue;
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;
	const struct joblane *ln;

	fputs(json ? ",\"queues\":{" : "queues:", f);
	for (i = 0; i < n; i++) {
		ln = &q->lane[i];
		if (json)
			fprintf(f,
			        "%s\"%s\":{\"state\":\"%s\",\"queued\":%zu,\"running\":%u,"
			        "\"concurrency\":%u,\"running_max\":%u,\"handed\":%llu}",
			        i ? "," : "", ln->name, ln->paused ? "paused" : "running", ln->len,
			        ln->running, ln->cap, ln->running_max,
			        (unsigned long long)ln->handed);
		else
			fprintf(f, "%s %s%s %zu queued, %u running (cap %u)", i ? ";" : "",
			        ln->name, ln->paused ? " PAUSED," : ":", ln->len, ln->running,
			        ln->cap);
	}
	fputs(json ? "},\"tokens\":{" : "", f);
	for (i = 0; i < q->ntokens; i++)
		fprintf(f,
		        json ? "%s\"%s\":{\"free\":%u,\"count\":%u}" : "%s token %s: %u of %u free",
		        json ? (i ? "," : "") : ";", m->cfg.tokens[i].name, q->token_free[i],
		        q->token_count[i]);
	fputs(json ? "}" : "\n", f);
}

void sched_metrics(const struct master *m, FILE *f)
{
	const struct jobq *q = &m->queue;
	unsigned i, n = q->nlanes > 0 ? q->nlanes : 1;
	const struct joblane *ln;

	fputs("# HELP poold_queue_queued Jobs waiting in a [queue.NAME].\n"
	      "# TYPE poold_queue_queued gauge\n"
	      "# HELP poold_queue_running Jobs of a [queue.NAME] handed to workers.\n"
	      "# TYPE poold_queue_running gauge\n"
	      "# HELP poold_queue_paused Whether a [queue.NAME] is paused (1) or not (0).\n"
	      "# TYPE poold_queue_paused gauge\n",
	      f);
	for (i = 0; i < n; i++) {
		ln = &q->lane[i];
		fprintf(f,
		        "poold_queue_queued{queue=\"%s\"} %zu\npoold_queue_running{queue=\"%s\"} "
		        "%u\npoold_queue_paused{queue=\"%s\"} %d\n",
		        ln->name, ln->len, ln->name, ln->running, ln->name, ln->paused ? 1 : 0);
	}
	fputs("# HELP poold_token_free Units of a [token.NAME] not held by a job.\n"
	      "# TYPE poold_token_free gauge\n",
	      f);
	for (i = 0; i < q->ntokens; i++)
		fprintf(f, "poold_token_free{token=\"%s\"} %u\n", m->cfg.tokens[i].name,
		        q->token_free[i]);
}
