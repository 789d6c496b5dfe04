/*
 * Unit tests of the job kinds' library (worker/kinds): the table (codes
 * and names unique, look-ups agreeing with indexes, the kinds' sections
 * well formed), a kind's own INI section read through the generic loader
 * (values, errors, reload policies, time limits), and the per-worker
 * state hooks of the `log` kind.
 */
/* test-sources: tests/unit/config_testlib.c @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "config_testlib.h"
#include "jobs.h"

static const struct job_kind *by_name(const char *name)
{
	return jobs_by_name(name, strlen(name));
}

static void test_table(void **state)
{
	const struct job_kind *a, *b;
	size_t i, j;

	assert_true(jobs_count() >= 4 && jobs_count() <= JOBS_MAX);
	for (i = 0; i < jobs_count(); i++) {
		a = jobs_at(i);
		assert_non_null(a->run);
		assert_int_equal(jobs_index(a), i);
		assert_ptr_equal(jobs_by_code(a->code), a);
		assert_ptr_equal(jobs_by_name(a->name, strlen(a->name)), a);
		for (j = i + 1; j < jobs_count(); j++) {
			b = jobs_at(j);
			assert_int_not_equal(a->code, b->code);
			assert_string_not_equal(a->name, b->name);
		}
	}
	assert_null(jobs_at(jobs_count()));
	assert_null(jobs_by_code(0));
	assert_null(by_name("nosuch"));
	/* A prefix or an extension of a name is not the name. */
	assert_null(by_name("noo"));
	assert_null(by_name("noopx"));
	assert_null(jobs_by_name("noop", 0));
	assert_non_null(jobs_by_name("noop x", 4));
	/* A name is compared as one word over spaces with its length: the
	 * padding or a NUL in the first 8 bytes does not make it a kind. */
	assert_null(jobs_by_name("noop    ", 8));
	assert_null(jobs_by_name("noop\0\0\0", 7));
	assert_null(jobs_by_name("\0\0\0\0\0\0\0\0", 8));
	assert_null(jobs_by_name("backup  x", 9));
	assert_null(jobs_by_name("backupbackup", 12));
	assert_ptr_equal(by_name("backup"), jobs_at(2));
	assert_int_equal(jobs_index(NULL), jobs_count());
}

/* Every key of a kind: in a section named once per kind, with a reload
 * policy, a `same` where workers are replaced, and the time limit inside
 * the kind's struct. */
static void test_sections_well_formed(void **state)
{
	const struct config_section *s;
	const struct config_key *k;
	size_t i, j, n;

	for (i = 0; i < jobs_count(); i++) {
		s = jobs_config_kinds.section(i, &n);
		assert_int_equal(n, jobs_count());
		if (s == NULL) {
			assert_int_equal(jobs_at(i)->timeout_at, 0);
			continue;
		}
		assert_true(s->nkeys > 0 && s->size > 0);
		assert_true(jobs_at(i)->timeout_at + sizeof(unsigned) <= s->size);
		for (j = 0; j < s->nkeys; j++) {
			k = &s->keys[j];
			assert_string_equal(k->section, s->keys[0].section);
			assert_true(k->reload >= CONFIG_RELOAD_LIVE &&
			            k->reload <= CONFIG_RELOAD_RESTART);
			if (k->reload == CONFIG_RELOAD_WORKERS)
				assert_non_null(k->same);
		}
	}
}

/* A kind's section read by the generic loader lands in the kind's own
 * struct; a live key does not replace workers, a workers key does. */
static void test_kind_section_values(void **state)
{
	struct config a, b;
	char what[2 * 4096];

	load_ok(&a, "");
	load_ok(&b, "[net]\ntimeout = 4s\njob_timeout = 2500ms\n[log]\njob_timeout = 7s\n"
	            "file = j.log\n");
	assert_int_equal(NET_OF(&a)->net_timeout_ms, 3000);
	assert_int_equal(NET_OF(&b)->net_timeout_ms, 4000);
	assert_int_equal(jobs_timeout_ms(by_name("net"), &b), 2500);
	assert_int_equal(jobs_timeout_ms(by_name("log"), &b), 7000);
	assert_int_equal(jobs_timeout_ms(by_name("noop"), &b), b.job_timeout_ms);
	assert_int_equal(jobs_timeout_ms(by_name("backup"), &b), b.job_timeout_ms);
	assert_string_equal(LOG_OF(&b)->log_file, BASE "/j.log");
	assert_true(config_workers_differ(&a, &b));
	config_free(&b);

	load_ok(&b,
	        "[net]\njob_timeout = 1s\n[log]\njob_timeout = 1s\n[backup]\njob_timeout = 1s\n");
	assert_false(config_workers_differ(&a, &b)); /* job_timeout: applied live */
	assert_string_equal(jobs_describe(&b, false, what, sizeof(what)),
	                    "job log " BASE "/poold.d/jobs.log, backups in " BASE
	                    "/poold.d/backups");
	assert_string_equal(jobs_describe(&b, true, what, sizeof(what)),
	                    "job log " BASE "/poold.d/jobs.log");
	config_free(&b);
	config_free(&a);
}

/* The loader's messages for a kind's keys are those of the core keys. */
static void test_kind_section_errors(void **state)
{
	expect_error("[net]\nnope = 1\n", NAME ":2: unknown key 'nope' in [net]");
	expect_error("[net]\ntimeout = 1s\ntimeout = 2s\n",
	             NAME ":3: duplicate key 'timeout' in [net] (first at line 2)");
	expect_error("[net]\ntimeout = 0\n",
	             NAME ":2: [net] timeout: 0 is too short (at least 1ms)");
	expect_error("[log]\njob_timeout = x\n",
	             NAME ":2: [log] job_timeout: bad duration 'x' (e.g. 250ms, 3s, 1.5s, 2m, 1h; "
	                  "at most 24h)");
	expect_error("[log]\nfile = c\n[control]\nfifo = c\n",
	             NAME ": [log] file is also a [control] path '" BASE "/c'");
	expect_error("[backup]\ndir = x\n  y\n",
	             NAME ":3: [backup] dir: an indented line continues this value; "
	                  "only allow lists may span lines");
}

/* The log kind's per-worker state: init closes nothing and marks it
 * closed; reopen and fini close the descriptor the first job opened. */
static void test_log_state_hooks(void **state)
{
	const struct job_kind *log = by_name("log");
	int fd = 12345, probe;

	assert_int_equal(log->state_size, sizeof(int));
	assert_int_equal(log->init(&fd, NULL), 0);
	assert_int_equal(fd, -1);
	fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	probe = fd;
	log->reopen(&fd);
	assert_int_equal(fd, -1);
	assert_int_equal(fcntl(probe, F_GETFD), -1); /* closed */
	log->fini(&fd);
	assert_int_equal(fd, -1);
	assert_null(by_name("noop")->reopen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_sections_well_formed),
	    cmocka_unit_test(test_kind_section_values),
	    cmocka_unit_test(test_kind_section_errors),
	    cmocka_unit_test(test_log_state_hooks),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
