/*
 * libFuzzer harness for the configuration loader: config_load_string on
 * the input (a NUL-terminated copy, so the text ends at the first NUL
 * byte) and config_free after a success, under ASan's leak check.
 *
 * Debian ships inih only built (libinih1, libinih-dev) and this machine
 * has no source package for it, so inih is linked, not compiled in: the
 * fuzzer sees the coverage of our reader and handler (common/config.c)
 * and of the value parsers (common/config_values.c, common/netrule.c),
 * not inih's own branches.  See fuzz/README.md.
 *
 * Checks what config.h promises: after a success every path is absolute
 * and free of "." and ".." components and the counts are in range; after
 * a failure the error names the source and the struct is untouched.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "fuzz.h"
#include "jobs.h"
#include "log.h"

#define FUZZ_NAME    "fuzz.ini"
#define FUZZ_BASEDIR "/srv/poold"

/* An absolute path with no empty, "." or ".." component and no trailing
 * slash, or "/" itself. */
static bool path_normal(const char *p)
{
	const char *c, *e;

	if (p[0] != '/')
		return false;
	if (strcmp(p, "/") == 0)
		return true;
	for (c = p + 1;; c = e + 1) {
		e = strchrnul(c, '/');
		if (e == c || (e - c == 1 && c[0] == '.') ||
		    (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		if (*e == '\0')
			return true;
	}
}

static void check_loaded(const struct config *c)
{
	const struct job_log_conf *lg = jobs_conf(c, jobs_by_name("log", 3));
	const struct job_backup_conf *bk = jobs_conf(c, jobs_by_name("backup", 6));
	const struct job_net_conf *nt = jobs_conf(c, jobs_by_name("net", 3));
	unsigned i;

	FUZZ_CHECK(c->source[0] == '\0');
	FUZZ_CHECK(path_normal(c->basedir));
	FUZZ_CHECK(path_normal(c->fifo) && path_normal(c->socket));
	FUZZ_CHECK(path_normal(lg->log_file) && path_normal(bk->backup_dir));
	FUZZ_CHECK(path_normal(c->journal_file));
	FUZZ_CHECK(strcmp(c->fifo, c->socket) != 0);
	FUZZ_CHECK(c->workers >= 1 && c->workers <= CONFIG_MAX_WORKERS);
	FUZZ_CHECK(c->inflight >= 1 && c->queue_limit >= 1 && c->max_attempts >= 1);
	FUZZ_CHECK(c->log_level >= LOG_LVL_ERR && c->log_level <= LOG_LVL_DEBUG);
	FUZZ_CHECK(c->journal_fsync >= CONFIG_FSYNC_ALWAYS &&
	           c->journal_fsync <= CONFIG_FSYNC_NEVER);
	FUZZ_CHECK(bk->n_backup_allow <= CONFIG_MAX_BACKUP_ALLOW);
	FUZZ_CHECK(nt->n_net_allow <= CONFIG_MAX_NET_ALLOW);
	for (i = 0; i < bk->n_backup_allow; i++)
		FUZZ_CHECK(bk->backup_allow[i] != NULL && path_normal(bk->backup_allow[i]));
	FUZZ_CHECK(!config_workers_differ(c, c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg, blank;
	char *text = malloc(size + 1);
	char err[1024];
	int rc;

	FUZZ_CHECK(text != NULL);
	config_kinds_register(&jobs_config_kinds);
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&cfg, 0xa5, sizeof(cfg));
	memset(&blank, 0xa5, sizeof(blank));
	err[0] = '\0';
	rc = config_load_string(&cfg, text, FUZZ_NAME, FUZZ_BASEDIR, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -1);
	if (rc == 0) {
		check_loaded(&cfg);
		config_free(&cfg);
	} else {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		FUZZ_CHECK(strncmp(err, FUZZ_NAME ":", strlen(FUZZ_NAME ":")) == 0);
		FUZZ_CHECK(memcmp(&cfg, &blank, sizeof(cfg)) == 0);
	}
	free(text);
	return 0;
}
