/*
 * Helpers of the config unit tests (see config_testlib.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "config_testlib.h"
#include "jobs.h"

/* Loads text named NAME with relative paths under BASE; fails the test on
 * an error. */
void load_ok(struct config *cfg, const char *text)
{
	char err[1024] = "";

	if (config_load_string(cfg, text, NAME, BASE, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

/* Loads text and checks that it fails with exactly the message want. */
void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[1024] = "";

	if (config_load_string(&cfg, text, NAME, BASE, err, sizeof(err)) == 0) {
		config_free(&cfg);
		fail_msg("accepted: %s", text);
	}
	assert_string_equal(err, want);
}

void *kind_conf(const struct config *cfg, const char *kind)
{
	const void *conf = jobs_conf(cfg, jobs_by_name(kind, strlen(kind)));

	assert_non_null(conf);
	return (void *)conf;
}
