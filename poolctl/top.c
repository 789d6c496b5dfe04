/*
 * `poolctl top`: a live view of the pool, refreshed every second.  It asks
 * the daemon once for the scoreboard (a shared memory descriptor, see
 * common/scoreboard.h), maps it read-only and from then on reads it
 * without bothering the master, so it keeps answering however busy the
 * master is.  Plain text with two ANSI sequences (home, clear) on a
 * terminal, so it works over ssh in any terminal; without a terminal each
 * refresh is printed after the last.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "exitcodes.h"
#include "poolctl.h"
#include "scoreboard.h"

static const char *const top_states[] = {
    [SB_FREE] = "-",    [SB_STARTING] = "starting", [SB_IDLE] = "idle",
    [SB_BUSY] = "busy", [SB_RETIRING] = "retiring", [SB_BACKOFF] = "backoff",
};

/* Asks for the scoreboard and maps it; exits 69 if the daemon gives none. */
static const volatile struct scoreboard *top_map(const struct config *cfg)
{
	char byte, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	void *p;
	int sock = poolctl_connect(cfg->socket), fd = -1;

	if (write(sock, "scoreboard\n", 11) != 11 || recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold sent no scoreboard");
	c = CMSG_FIRSTHDR(&msg);
	if (c != NULL && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	close(sock);
	if (fd == -1 && byte == 'e') /* "error busy: ..." instead of the byte */
		poolctl_die(POOLD_EXIT_TEMPFAIL,
		            "poold is busy (as many clients as it serves); try again");
	if (fd == -1)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold sent no scoreboard");
	p = mmap(NULL, sizeof(struct scoreboard), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		poolctl_die(POOLD_EXIT_OSERR, "mmap the scoreboard: %s", strerror(errno));
	return p;
}

/* The name of a slot's kind: job_kind is the kind's table index + 1,
 * the index task_names is filled by. */
static const char *top_task(const struct scoreboard *sb, uint32_t kind)
{
	return kind >= 1 && kind <= sb->ntasks && kind <= SCOREBOARD_KINDS
	           ? sb->task_names[kind - 1]
	           : "?";
}

/* The queues (waiting, running of the cap, paused, rate) and the tokens
 * (units in use of count), as status shows them. */
static void top_queues(FILE *f, const struct scoreboard *sb)
{
	char cap[16], lim[40];
	unsigned i;

	fprintf(f, "%-16s %-7s %8s %8s %6s %18s\n", "QUEUE", "STATE", "QUEUED", "RUNNING", "CAP",
	        "RATE");
	for (i = 0; i < sb->nqueues && i < SCOREBOARD_QUEUES; i++) {
		const struct scoreboard_queue *q = &sb->queue[i];

		snprintf(cap, sizeof(cap), q->cap > 0 ? "%u" : "-", q->cap);
		if (q->rate > 0)
			snprintf(lim, sizeof(lim), "%g/s burst %g", q->rate, q->burst);
		else
			snprintf(lim, sizeof(lim), "-");
		fprintf(f, "%-16s %-7s %8llu %8u %6s %18s\n", q->name,
		        q->paused ? "PAUSED" : "running", (unsigned long long)q->queued, q->running,
		        cap, lim);
	}
	if (sb->ntokens > 0)
		fprintf(f, "%-16s %8s %8s\n", "TOKEN", "IN USE", "COUNT");
	for (i = 0; i < sb->ntokens && i < SCOREBOARD_TOKENS; i++)
		fprintf(f, "%-16s %8u %8u\n", sb->token[i].name, sb->token[i].in_use,
		        sb->token[i].count);
	fputc('\n', f);
}

static void top_render(FILE *f, const struct scoreboard *sb, double rate, double now)
{
	char when[32];
	time_t t = (time_t)now;
	unsigned i;

	strftime(when, sizeof(when), "%H:%M:%S", localtime(&t));
	fprintf(f, "poold pid %d, up %.0f s, %u workers wanted%s  %s\n", sb->master_pid,
	        now - sb->started, sb->workers_wanted,
	        now - sb->updated > 2 ? " (master not updating!)" : "", when);
	fprintf(f,
	        "jobs: %llu accepted, %llu done, %llu failed, %llu timed out, %llu buried, "
	        "%llu rejected, %llu deduplicated\n"
	        "now:  %llu queued, %llu scheduled, %llu retrying, %llu in flight, %.0f done/s; "
	        "%llu retried, %llu restarts\n\n",
	        (unsigned long long)sb->accepted, (unsigned long long)sb->done,
	        (unsigned long long)sb->failed, (unsigned long long)sb->timed_out,
	        (unsigned long long)sb->buried, (unsigned long long)sb->rejected,
	        (unsigned long long)sb->deduplicated, (unsigned long long)sb->queued,
	        (unsigned long long)sb->scheduled, (unsigned long long)sb->retrying,
	        (unsigned long long)sb->in_flight, rate, (unsigned long long)sb->retried,
	        (unsigned long long)sb->restarts);
	top_queues(f, sb);
	fprintf(f, "%6s %8s %-9s %8s %10s %-7s %9s %10s\n", "WORKER", "PID", "STATE", "INFLIGHT",
	        "JOB", "TASK", "RUNNING", "DONE");
	for (i = 0; i < sb->nslots && i < SCOREBOARD_SLOTS; i++) {
		const struct scoreboard_slot *s = &sb->slot[i];

		if (s->state == SB_FREE)
			continue;
		if (s->job_id != 0)
			fprintf(f, "%6u %8d %-9s %8u %10llu %-7s %8.2fs %10llu\n", i, s->pid,
			        top_states[s->state], s->in_flight, (unsigned long long)s->job_id,
			        top_task(sb, s->job_kind), now - s->job_started,
			        (unsigned long long)s->jobs_done);
		else
			fprintf(f, "%6u %8d %-9s %8u %10s %-7s %9s %10llu\n", i, s->pid,
			        top_states[s->state < 6 ? s->state : 0], s->in_flight, "-", "-",
			        "-", (unsigned long long)s->jobs_done);
	}
}

static double top_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int poolctl_top(const struct config *cfg, unsigned iterations)
{
	const volatile struct scoreboard *live = top_map(cfg);
	struct scoreboard *sb = malloc(sizeof(*sb));
	bool tty = isatty(STDOUT_FILENO);
	uint64_t last_done = 0;
	double last = 0, now;
	unsigned n;

	if (sb == NULL)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	for (n = 0; iterations == 0 || n < iterations; n++) {
		if (n > 0)
			sleep(1);
		if (scoreboard_read(live, sb) == -1)
			continue;
		if (kill(sb->master_pid, 0) == -1 && errno == ESRCH)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold (pid %d) is gone",
			            sb->master_pid);
		now = top_now();
		fputs(tty ? "\033[H\033[2J" : (n > 0 ? "\n" : ""), stdout);
		top_render(stdout, sb, n > 0 ? (double)(sb->done - last_done) / (now - last) : 0,
		           now);
		fflush(stdout);
		last_done = sb->done;
		last = now;
	}
	free(sb);
	return POOLD_EXIT_OK;
}
