/* test-sources: common/doneline.c */
/*
 * Done lines: before setup nothing is there; a child (as a worker is)
 * maps its own slot's page and stores counts the parent reads once it is
 * gone, under the child's pid only; a read resets the line; a slot past the
 * lines has none (ERANGE); the master maps none, and the child that maps
 * its slot's line maps nothing else of them.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "doneline.h"

/* Counts the lines of /proc/self/maps that name the lines' memfd. */
static int maps_of_lines(void)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int n = 0;

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		n += strstr(line, "poold-doneline") != NULL;
	fclose(f);
	return n;
}

/* In a child: maps slot's line, stores n; exits 0, or 1 + what failed. */
static void child_store(unsigned slot, uint64_t n)
{
	_Atomic uint64_t *line = doneline_map(slot);

	if (line == NULL)
		_exit(2);
	doneline_store(line, n);
	_exit(maps_of_lines() == 1 ? 0 : 3);
}

/* Runs child_store in a child; returns its pid once it is gone. */
static pid_t run_child(unsigned slot, uint64_t n)
{
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		child_store(slot, n);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	return pid;
}

static void test_lines(void **state)
{
	uint64_t c;
	pid_t a, b;

	/* Nothing before setup. */
	assert_false(doneline_take(0, getpid(), &c));
	assert_int_equal(c, 0);
	assert_int_equal(doneline_reset(0), -1);
	assert_int_equal(errno, ERANGE);
	assert_int_equal(doneline_setup(4), 0);
	assert_int_equal(doneline_setup(4), 0); /* a second call: nothing */
	assert_int_equal(maps_of_lines(), 0);   /* the master maps none */

	assert_int_equal(doneline_reset(1), 0);
	assert_int_equal(doneline_reset(2), 0);
	a = run_child(1, 12345);
	b = run_child(2, 7);
	assert_true(doneline_take(1, a, &c));
	assert_int_equal(c, 12345);
	assert_false(doneline_take(1, a, &c)); /* taken: reset, no worker's */
	assert_int_equal(c, 0);
	/* Another process's line (a worker that died before it mapped its
	 * own, after a reset that failed) is not trusted, and is reset. */
	assert_false(doneline_take(2, a, &c));
	assert_int_equal(c, 0);
	assert_false(doneline_take(2, b, &c));
	assert_int_equal(c, 0);

	/* Past the lines: none, and a worker there goes without. */
	assert_int_equal(doneline_reset(4), -1);
	assert_int_equal(errno, ERANGE);
	assert_false(doneline_take(4, getpid(), &c));
	assert_null(doneline_map(4));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
