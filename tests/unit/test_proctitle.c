/* test-sources: common/proctitle.c */
/*
 * Process titles over a fake exec area (argv strings, then environment
 * strings, contiguous as the kernel lays them out): after init, argv and
 * the environment still read the same from their heap copies; a title
 * fills the area with NULs after it and never writes past it; the name
 * is cut to 15 bytes.  The area is set up once per process, so the checks
 * run in one order, in one test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <cmocka.h>

#include "proctitle.h"

extern char **environ;

/* "prog -c f.ini" and "A=1 B=22": 14 + 9 bytes, then a guard byte. */
static const char exec_area[] = "prog\0-c\0f.ini\0A=1\0B=22\0Z";
#define AREA_LEN 23

static void test_titles(void **state)
{
	char area[sizeof(exec_area)], comm[32] = "";
	char *argv[] = {area, area + 5, area + 8, NULL};
	char *env[] = {area + 14, area + 18, NULL};
	char **real_env = environ;
	char *real_name = program_invocation_name;
	char *real_short = program_invocation_short_name;
	char long_title[64];

	memcpy(area, exec_area, sizeof(area));
	environ = env;
	assert_int_equal(proctitle_init(3, argv), 0);
	/* argv and the environment moved, unchanged, out of the area. */
	assert_true(argv[1] < area || argv[1] >= area + sizeof(area));
	assert_string_equal(argv[0], "prog");
	assert_string_equal(argv[1], "-c");
	assert_string_equal(argv[2], "f.ini");
	assert_string_equal(getenv("A"), "1");
	assert_string_equal(getenv("B"), "22");
	assert_string_equal(program_invocation_short_name, "prog");

	proctitle_set("poold: worker 3", "poold: worker 3");
	assert_string_equal(area, "poold: worker 3");
	for (size_t i = strlen("poold: worker 3"); i < AREA_LEN; i++)
		assert_int_equal(area[i], '\0');
	assert_int_equal(area[AREA_LEN], 'Z');
	assert_int_equal(prctl(PR_GET_NAME, comm), 0);
	assert_string_equal(comm, "poold: worker 3");

	/* Too long for the area: cut, NUL-terminated, the guard intact; the
	 * name is cut to 15 bytes. */
	memset(long_title, 'x', sizeof(long_title) - 1);
	long_title[sizeof(long_title) - 1] = '\0';
	proctitle_set("0123456789abcdefgh", long_title);
	assert_int_equal(strlen(area), AREA_LEN - 1);
	assert_int_equal(area[AREA_LEN], 'Z');
	assert_int_equal(prctl(PR_GET_NAME, comm), 0);
	assert_string_equal(comm, "0123456789abcde");

	/* The command line after the name, as ps shows it. */
	proctitle_set_argv("m", 3, argv);
	assert_string_equal(area, "m prog -c f.ini");
	assert_string_equal(getenv("A"), "1");

	/* unsetenv() drops a string from environ, as the daemon does with
	 * LISTEN_FDS: the copy must stay reachable (LeakSanitizer in the
	 * sanitizer build reported the dropped strings when each had its own
	 * allocation). */
	assert_int_equal(unsetenv("A"), 0);
	assert_null(getenv("A"));
	assert_string_equal(getenv("B"), "22");

	/* Give back the copy (the daemon keeps it for its lifetime): one block,
	 * starting with argv[0]. */
	environ = real_env;
	free(argv[0]);
	program_invocation_name = real_name;
	program_invocation_short_name = real_short;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_titles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
