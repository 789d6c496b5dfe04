/*
 * Unit tests of worker/runner.c with real programs: sh scripts written
 * here, run the way a per-job operator kind runs them.  Exit 0, 1, 75
 * and a signal; output kept bounded; stdin /dev/null; a clean
 * environment; no signal left ignored; a time limit that stops a script
 * and the sleep it forked (checked by pid), also when the script ignores
 * TERM; leftovers of a script that ended; the memory_max rlimit.
 */
/* test-sources: worker/runner.c worker/oplimits.c worker/oplimits_cg.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "runner.h"

static char dir[256];
static char ring[64];

static int run(const char *script, unsigned timeout_ms, struct oplimits *lim,
               struct runner_result *r, char *msg, size_t len)
{
	char *argv[] = {"/bin/sh", "-c", (char *)script, NULL};
	char pidf[300];
	char *envp[] = {"PATH=/usr/bin:/bin", "POOLD_JOB_ID=7", pidf, NULL};
	struct runner_spec spec = {argv, envp, timeout_ms, 300, lim};

	snprintf(pidf, sizeof(pidf), "D=%s", dir);
	memset(r, 0, sizeof(*r));
	r->out = ring;
	r->out_max = sizeof(ring);
	assert_int_equal(runner_run(&spec, r), 0);
	return runner_outcome(r, lim, msg, len);
}

static void test_exits(void **state)
{
	struct runner_result r;
	char msg[256], out[128];

	(void)state;
	assert_int_equal(run("echo hello; echo oops >&2", 0, NULL, &r, msg, sizeof(msg)), JOB_OK);
	runner_output(&r, out, sizeof(out));
	assert_string_equal(out, "hello\noops\n");
	assert_int_equal(
	    run("echo first >&2; echo boom >&2; exit 1", 0, NULL, &r, msg, sizeof(msg)),
	    JOB_FAILED);
	assert_string_equal(msg, "exit 1: boom");
	assert_int_equal(run("printf 'try later' >&2; exit 75", 0, NULL, &r, msg, sizeof(msg)),
	                 JOB_TEMPFAIL);
	assert_string_equal(msg, "temporary failure: exit 75: try later");
	assert_int_equal(run("kill -9 $$", 0, NULL, &r, msg, sizeof(msg)), JOB_FAILED);
	assert_string_equal(msg, "killed by signal 9");
	assert_int_equal(run("read x", 0, NULL, &r, msg, sizeof(msg)), JOB_FAILED); /* stdin EOF */
	setenv("POOLD_TEST_LEAK", "1", 1); /* the worker's environment stays out */
	assert_int_equal(run("exec /usr/bin/env", 0, NULL, &r, msg, sizeof(msg)), JOB_OK);
	runner_output(&r, out, sizeof(out));
	assert_non_null(strstr(out, "POOLD_JOB_ID=7\n"));
	assert_null(strstr(out, "POOLD_TEST_LEAK"));
}

static void test_output_bounded(void **state)
{
	struct runner_result r;
	char msg[256], out[128];

	(void)state;
	assert_int_equal(run("i=0; while [ $i -lt 20000 ]; do echo line$i; i=$((i+1)); done; "
	                     "printf END",
	                     0, NULL, &r, msg, sizeof(msg)),
	                 JOB_OK);
	assert_true(r.out_total > 100000);
	assert_int_equal(runner_output(&r, out, sizeof(out)), sizeof(ring));
	assert_string_equal(out + sizeof(ring) - 12, "\nline19999\nEND" + 2);
}

static void test_signals_default(void **state)
{
	struct runner_result r;
	char msg[256];

	(void)state;
	signal(SIGINT, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	assert_int_equal(run("grep -q '^SigIgn:\t0*$' /proc/self/status && "
	                     "grep -q '^SigBlk:\t0*$' /proc/self/status",
	                     0, NULL, &r, msg, sizeof(msg)),
	                 JOB_OK);
	signal(SIGINT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
}

/* Whether pid is gone or a zombie, waited for up to 10 s. */
static int gone(pid_t pid)
{
	char path[64], buf[512], *p;
	struct timespec ts = {0, 10 * 1000 * 1000};
	FILE *f;
	int i;

	for (i = 0; i < 1000; i++) {
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		f = fopen(path, "r");
		if (f == NULL)
			return 1;
		p = fgets(buf, sizeof(buf), f) != NULL ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p != NULL && p[2] == 'Z')
			return 1;
		nanosleep(&ts, NULL);
	}
	return 0;
}

static pid_t read_pid(void)
{
	char path[300];
	FILE *f;
	int pid = 0;

	snprintf(path, sizeof(path), "%s/pid", dir);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_int_equal(fscanf(f, "%d", &pid), 1);
	fclose(f);
	unlink(path);
	return (pid_t)pid;
}

static void test_timeout_tree(void **state)
{
	struct runner_result r;
	char msg[256];

	(void)state;
	assert_int_equal(
	    run("sleep 1000 & echo $! > $D/pid; wait", 300, NULL, &r, msg, sizeof(msg)),
	    JOB_TIMEDOUT);
	assert_true(gone(read_pid()));
	/* TERM ignored by the script and its child: KILL after kill_timeout */
	assert_int_equal(run("trap '' TERM; sh -c 'trap \"\" TERM; sleep 1000' & echo $! > $D/pid; "
	                     "while :; do sleep 1; done",
	                     300, NULL, &r, msg, sizeof(msg)),
	                 JOB_TIMEDOUT);
	assert_true(gone(read_pid()));
	/* a script that ended leaves nothing behind in its group */
	assert_int_equal(
	    run("sleep 1000 & echo $! > $D/pid; exit 0", 0, NULL, &r, msg, sizeof(msg)), JOB_OK);
	assert_true(gone(read_pid()));
}

static void test_memory_rlimit(void **state)
{
	struct oplimits lim = {.memory_max = 256ULL << 20, .cgroup_fd = -1};
	struct runner_result r;
	char msg[256];

	(void)state;
	assert_int_equal(
	    run("exec python3 -c 'b = bytearray(1 << 30)'", 0, &lim, &r, msg, sizeof(msg)),
	    JOB_FAILED);
	assert_string_equal(msg, "exit 1: MemoryError");
	assert_int_equal(
	    run("exec python3 -c 'b = bytearray(1 << 20)'", 0, &lim, &r, msg, sizeof(msg)), JOB_OK);
	assert_int_equal(run("ulimit -c", 0, &lim, &r, msg, sizeof(msg)), JOB_OK);
	runner_output(&r, msg, sizeof(msg));
	assert_string_equal(msg, "0\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exits),           cmocka_unit_test(test_output_bounded),
	    cmocka_unit_test(test_signals_default), cmocka_unit_test(test_timeout_tree),
	    cmocka_unit_test(test_memory_rlimit),
	};
	const char *tmp = getenv("POOLD_TEST_TMP");
	int ret;

	snprintf(dir, sizeof(dir), "%s/runner-XXXXXX", tmp != NULL ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	rmdir(dir);
	return ret;
}
