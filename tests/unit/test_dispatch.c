/* clang-format off */
/* test-sources: daemon/dispatch.c daemon/dispatch_done.c daemon/slot.c daemon/queue.c daemon/queue_limits.c daemon/sched.c daemon/refuse.c common/buf.c common/proto.c common/log.c common/doneline.c daemon/slab.c */
/* clang-format on */
/*
 * Dispatch with real pipes and a real libev loop: two READY slots whose
 * task and completion pipes are pipes of this process.  Checks the
 * least-loaded choice, that a slot's frames of one dispatch go out
 * together, that a full task pipe (EAGAIN) leaves the bytes for the
 * writable watcher, and that completions are decoded in order.  What
 * dispatch calls above it (outcome, pool, metrics, jobctl) is recorded by
 * the stubs below.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "doneline.h"
#include "master.h"

#define INFLIGHT 4

/* The completions outcome_record saw, in order. */
static uint64_t done_ids[64];
static unsigned ndone;

void outcome_record(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                    unsigned slot)
{
	assert_true(ndone < 64);
	done_ids[ndone++] = j->id;
	free(j);
}
/* No queue retries here: a completion is its outcome. */
void retry_record(struct master *m, struct job *j, uint32_t status, const char *msg, size_t len,
                  unsigned slot)
{
	outcome_record(m, j, status, msg, len, slot);
}
void pool_slot_hello(struct slot *s)
{
}
void pool_retire(struct slot *s)
{
}
void metrics_observe(struct master *m, unsigned kind, double queued, double ran)
{
}
void jobctl_started(struct master *m, struct job *j, unsigned worker, ev_tstamp now)
{
}
void jobctl_requeued(struct master *m, struct job *j)
{
}
void jobctl_output(struct master *m, struct job *j, const char *out, size_t len)
{
}
bool jobctl_cancel_asked(const struct job *j)
{
	return false;
}

const struct job_kind *jobs_at(size_t i)
{
	return NULL;
}

struct fixture {
	struct master m;
	struct slot s[2];
	int task_rd[2]; /* the workers' ends */
	int done_wr[2];
};

static void slot_open(struct fixture *f, unsigned i)
{
	struct slot *s = &f->s[i];
	int tp[2], dp[2];

	assert_int_equal(pipe2(tp, O_NONBLOCK | O_CLOEXEC), 0);
	assert_int_equal(pipe2(dp, O_NONBLOCK | O_CLOEXEC), 0);
	s->m = &f->m;
	s->index = i;
	s->state = SLOT_READY;
	s->task_fd = tp[1];
	s->done_fd = dp[0];
	f->task_rd[i] = tp[0];
	f->done_wr[i] = dp[1];
	s->ring = calloc(INFLIGHT, sizeof(*s->ring));
	s->ring_cap = INFLIGHT;
	assert_non_null(s->ring);
	ev_io_init(&s->task_w, dispatch_task_cb, s->task_fd, EV_WRITE);
	ev_io_init(&s->done_w, dispatch_done_cb, s->done_fd, EV_READ);
	ev_io_start(f->m.loop, &s->done_w);
	dispatch_slot_ready(s);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->m.loop = ev_loop_new(EVFLAG_AUTO);
	f->m.cfg.inflight = INFLIGHT;
	f->m.target = 2;
	assert_int_equal(dispatch_init(&f->m), 0);
	slot_open(f, 0);
	slot_open(f, 1);
	ndone = 0;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	unsigned i;

	for (i = 0; i < 2; i++) {
		ev_io_stop(f->m.loop, &f->s[i].task_w);
		ev_io_stop(f->m.loop, &f->s[i].done_w);
		close(f->s[i].task_fd);
		close(f->s[i].done_fd);
		close(f->task_rd[i]);
		close(f->done_wr[i]);
		while (f->s[i].ring_len > 0) {
			free(f->s[i].ring[f->s[i].ring_head]);
			f->s[i].ring_head = (f->s[i].ring_head + 1) % INFLIGHT;
			f->s[i].ring_len--;
		}
		free(f->s[i].ring);
		free(f->s[i].out);
		free(f->s[i].in);
	}
	dispatch_free(&f->m);
	ev_loop_destroy(f->m.loop);
	free(f);
	return 0;
}

/* Queues n jobs with ids from first on; live counts them as unfinished. */
static void queue_jobs(struct fixture *f, uint64_t first, unsigned n)
{
	struct job *j;
	unsigned i;

	for (i = 0; i < n; i++) {
		j = job_new(1, 0, "", 0);
		assert_non_null(j);
		j->id = first + i;
		jobq_push(&f->m.queue, j);
		f->m.live++;
	}
}

/* The job ids of the frames waiting in a task pipe, in order. */
static unsigned read_frames(int fd, uint64_t *ids, unsigned max)
{
	char buf[65536];
	struct proto_task t;
	ssize_t n = read(fd, buf, sizeof(buf));
	size_t off = 0;
	unsigned k = 0;

	if (n <= 0)
		return 0;
	while (off + sizeof(t) <= (size_t)n && k < max) {
		memcpy(&t, buf + off, sizeof(t));
		ids[k++] = t.id;
		off += sizeof(t) + t.len;
	}
	assert_int_equal(off, (size_t)n); /* whole frames only */
	return k;
}

/* Six jobs over two idle slots: an even share (3) each, in queue order,
 * every slot's frames written at once (nothing left buffered). */
static void test_share_and_batch(void **state)
{
	struct fixture *f = *state;
	uint64_t ids[8];

	queue_jobs(f, 1, 6);
	dispatch_run(&f->m);
	assert_int_equal(f->m.queue.len, 0);
	assert_int_equal(f->s[0].ring_len + f->s[1].ring_len, 6);
	assert_int_equal(f->s[0].ring_len, 3);
	assert_int_equal(f->s[0].out_len, 0);
	assert_int_equal(f->s[1].out_len, 0);
	assert_int_equal(read_frames(f->task_rd[0], ids, 8), 3);
	assert_int_equal(read_frames(f->task_rd[1], ids + 3, 5), 3);
	assert_false(ev_is_active(&f->s[0].task_w));
}

/* A slot holding two jobs is passed over while the other holds fewer. */
static void test_least_loaded(void **state)
{
	struct fixture *f = *state;
	uint64_t ids[8];

	f->m.target = 1; /* share = inflight */
	queue_jobs(f, 1, 1);
	dispatch_run(&f->m);
	queue_jobs(f, 2, 1);
	dispatch_run(&f->m);
	assert_int_equal(f->s[0].ring_len, 1);
	assert_int_equal(f->s[1].ring_len, 1);
	queue_jobs(f, 3, 3);
	dispatch_run(&f->m);
	/* 1+1 then the least-loaded each time: 2+2, then one of them 3. */
	assert_int_equal(f->s[0].ring_len + f->s[1].ring_len, 5);
	assert_true(f->s[0].ring_len >= 2 && f->s[1].ring_len >= 2);
	assert_true(read_frames(f->task_rd[0], ids, 8) >= 2);
}

/* A full task pipe: the frame stays buffered, the writable watcher
 * writes it once the worker reads. */
static void test_full_pipe(void **state)
{
	struct fixture *f = *state;
	char fill[4096], sink[65536];
	uint64_t ids[4];
	ssize_t n;

	memset(fill, 'x', sizeof(fill));
	while (write(f->s[0].task_fd, fill, sizeof(fill)) > 0)
		;
	assert_int_equal(errno, EAGAIN);
	while (write(f->s[0].task_fd, fill, 1) > 0)
		;
	f->m.target = 1;
	dispatch_slot_remove(&f->s[1]); /* slot 0 alone takes jobs */
	queue_jobs(f, 7, 1);
	dispatch_run(&f->m);
	assert_int_equal(f->s[0].ring_len, 1);
	assert_true(f->s[0].out_len > 0);
	assert_true(ev_is_active(&f->s[0].task_w));
	while ((n = read(f->task_rd[0], sink, sizeof(sink))) > 0)
		;
	ev_run(f->m.loop, EVRUN_NOWAIT);
	assert_int_equal(f->s[0].out_len, 0);
	assert_false(ev_is_active(&f->s[0].task_w));
	assert_int_equal(read_frames(f->task_rd[0], ids, 4), 1);
	assert_int_equal(ids[0], 7);
}

/* Completions for three jobs, written in one go and split across two
 * writes mid-record: decoded in order, the slot's load back to 0. */
static void test_completions_in_order(void **state)
{
	struct fixture *f = *state;
	char buf[3 * (sizeof(struct proto_done) + 8)];
	size_t len = 0;
	unsigned i;

	f->m.target = 1;
	dispatch_slot_remove(&f->s[1]);
	queue_jobs(f, 10, 3);
	dispatch_run(&f->m);
	assert_int_equal(f->s[0].ring_len, 3);
	for (i = 0; i < 3; i++)
		len += proto_done_encode(buf + len, sizeof(buf) - len, 10 + i, PROTO_OK, "ok", 2);
	assert_int_equal(write(f->done_wr[0], buf, len - 5), (ssize_t)(len - 5));
	ev_run(f->m.loop, EVRUN_NOWAIT);
	assert_int_equal(ndone, 2);
	assert_int_equal(write(f->done_wr[0], buf + len - 5, 5), 5);
	ev_run(f->m.loop, EVRUN_NOWAIT);
	assert_int_equal(ndone, 3);
	for (i = 0; i < 3; i++)
		assert_int_equal(done_ids[i], 10 + i);
	assert_int_equal(f->s[0].ring_len, 0);
	assert_int_equal(f->m.min_load, 0);
}

/* A worker gone after it finished three of the four jobs it held but sent
 * the record of the first alone: its done line (stored by a child, as a
 * worker does) ends the other two as done, in order, and only the fourth,
 * the one it was running, goes back to the queue. */
static void test_gone_done_line(void **state)
{
	struct fixture *f = *state;
	char buf[sizeof(struct proto_done) + 8];
	size_t len;
	pid_t pid;
	int st;

	assert_int_equal(doneline_setup(2), 0);
	f->m.target = 1;
	f->m.cfg.max_attempts = 3;
	dispatch_slot_remove(&f->s[1]);
	queue_jobs(f, 10, 4);
	dispatch_run(&f->m);
	assert_int_equal(f->s[0].ring_len, 4);
	assert_int_equal(doneline_reset(0), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		_Atomic uint64_t *line = doneline_map(0);

		if (line != NULL)
			doneline_store(line, 3);
		_exit(line != NULL ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_int_equal(st, 0);
	f->s[0].pid = pid; /* the count is trusted under its worker's pid only */
	len = proto_done_encode(buf, sizeof(buf), 10, PROTO_OK, "", 0);
	assert_int_equal(write(f->done_wr[0], buf, len), (ssize_t)len);
	dispatch_slot_gone(&f->s[0], "was killed");
	assert_int_equal(ndone, 3);
	assert_int_equal(done_ids[0], 10);
	assert_int_equal(done_ids[1], 11);
	assert_int_equal(done_ids[2], 12);
	assert_int_equal(f->m.queue.len, 1);
	assert_int_equal(jobq_first(&f->m.queue)->id, 13);
	free(jobq_pop(&f->m.queue));
	f->s[0].pid = 0;
}

/* Queues n jobs of kind index kind with ids from first on. */
static void queue_kind(struct fixture *f, uint64_t first, unsigned n, uint16_t kind)
{
	struct job *j;
	unsigned i;

	for (i = 0; i < n; i++) {
		j = job_new(1, kind, "", 0);
		assert_non_null(j);
		j->id = first + i;
		jobq_push(&f->m.queue, j);
		f->m.live++;
	}
}

/* A slot whose worker refuses kind 1 gets none of its jobs while the other
 * has room; once the other is full they wait, in order, and the rest of
 * the queue goes on; if every worker refuses, they go all the same. */
static void test_refused_kind(void **state)
{
	struct fixture *f = *state;
	struct slot *slots[2] = {&f->s[0], &f->s[1]};
	unsigned i;

	f->m.slots = slots;
	f->m.nslots = 2;
	f->m.target = 1; /* share = inflight */
	f->s[0].refused = 1u << 1;
	queue_kind(f, 1, 6, 1); /* 4 fit in slot 1, 2 wait */
	queue_kind(f, 7, 2, 0);
	dispatch_run(&f->m);
	assert_int_equal(f->s[1].ring_len, 4);
	for (i = 0; i < 4; i++)
		assert_int_equal(f->s[1].ring[i]->id, i + 1);
	assert_int_equal(f->s[0].ring_len, 2); /* kind 0 passed the held ones */
	assert_int_equal(f->s[0].ring[0]->id, 7);
	assert_int_equal(f->m.queue.len, 2);
	assert_int_equal(jobq_first(&f->m.queue)->id, 5);
	assert_int_equal(jobq_next(&f->m.queue, jobq_first(&f->m.queue))->id, 6);
	/* The held ones count neither as running nor as handed out. */
	assert_int_equal(f->m.queue.lane[0].running, 6);
	assert_int_equal(f->m.queue.lane[0].handed, 6);
	/* Nobody takes kind 1 any more: they go to the least-loaded slot. */
	f->s[1].refused = 1u << 1;
	dispatch_run(&f->m);
	assert_int_equal(f->m.queue.len, 0);
	assert_int_equal(f->s[0].ring_len, 4);
	f->m.slots = NULL;
	f->m.nslots = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_share_and_batch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_least_loaded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_full_pipe, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_completions_in_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused_kind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gone_done_line, setup, teardown),
	};

	log_init("test");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
