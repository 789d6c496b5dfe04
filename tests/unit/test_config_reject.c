/*
 * Unit tests for the configuration loader's rejections: each rule with its
 * exact "NAME:LINE: reason", the first error winning, and a failed load
 * leaving the running configuration untouched.
 */
/* clang-format off */
/* test-sources: tests/unit/config_testlib.c @kinds */
/* clang-format on */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "config_testlib.h"
#include "jobs.h"
#include "opkind.h"

static void test_reject_syntax(void **state)
{
	expect_error("[pool]\nworkers 4\n", NAME ":2: syntax error");
	expect_error("[pool\nworkers = 4\n", NAME ":1: syntax error");
}

static void test_reject_line_too_long(void **state)
{
	char text[512];
	struct config cfg;

	/* 199 characters fit inih's line buffer; 200 do not. */
	snprintf(text, sizeof(text), "[pool]\n;%.198d\nworkers = 2\n", 0);
	load_ok(&cfg, text);
	config_free(&cfg);
	snprintf(text, sizeof(text), "[pool]\n;%.199d\nworkers = 2\n", 0);
	expect_error(text, NAME ":2: line too long (more than 199 characters)");
}

static void test_reject_unknown_section(void **state)
{
	expect_error("[pool]\nworkers = 2\n\n[pools]\n", NAME ":4: unknown section [pools]");
	expect_error("[]\n", NAME ":1: unknown section []");
}

static void test_reject_unknown_key(void **state)
{
	expect_error("[pool]\nwokers = 2\n", NAME ":2: unknown key 'wokers' in [pool]");
	expect_error("[net]\nworkers = 2\n", NAME ":2: unknown key 'workers' in [net]");
}

static void test_reject_key_outside_section(void **state)
{
	expect_error("workers = 2\n[pool]\n", NAME ":1: key 'workers' outside any section");
}

static void test_reject_duplicate(void **state)
{
	expect_error("[pool]\n\nworkers = 2\n; c\nworkers = 3\n",
	             NAME ":5: duplicate key 'workers' in [pool] (first at line 3)");
	expect_error("[pool]\nworkers = 2\n[log]\nlevel = info\n[pool]\nworkers = 3\n",
	             NAME ":6: duplicate key 'workers' in [pool] (first at line 2)");
	expect_error("[net]\nallow = ::1\nallow = 10.0.0.1\n",
	             NAME ":3: duplicate key 'allow' in [net] (first at line 2)");
}

static void test_reject_empty_value(void **state)
{
	expect_error("[log]\nfile =\n", NAME ":2: empty value for 'file' in [log]");
	expect_error("[net]\nallow = ; nothing\n", NAME ":2: empty value for 'allow' in [net]");
}

static void test_reject_bad_number(void **state)
{
	expect_error("[pool]\ninflight = many\n",
	             NAME ":2: [pool] inflight: 'many' is not a number");
	expect_error("[pool]\nqueue_limit = +5\n",
	             NAME ":2: [pool] queue_limit: '+5' is not a number");
	expect_error("[pool]\nworkers = many\n",
	             NAME ":2: [pool] workers: 'many' is neither a number nor 'auto'");
}

static void test_reject_out_of_range(void **state)
{
	expect_error("[pool]\nworkers = 0\n", NAME ":2: [pool] workers: 0 out of range 1..4096");
	expect_error("[pool]\nworkers = 4097\n",
	             NAME ":2: [pool] workers: 4097 out of range 1..4096");
	expect_error("[pool]\ninflight = 0\n", NAME ":2: [pool] inflight: 0 out of range 1..65536");
	expect_error("[pool]\ninflight = 65537\n",
	             NAME ":2: [pool] inflight: 65537 out of range 1..65536");
	expect_error("[pool]\nqueue_limit = 100000001\n",
	             NAME ":2: [pool] queue_limit: 100000001 out of range 1..100000000");
	expect_error("[pool]\nqueue_limit = 99999999999999999999999\n",
	             NAME ":2: [pool] queue_limit: 99999999999999999999999 out of range "
	                  "1..100000000");
}

static void test_reject_trailing_garbage(void **state)
{
	expect_error("[pool]\nworkers = 12x\n",
	             NAME ":2: [pool] workers: trailing garbage in '12x'");
	expect_error("[pool]\ninflight = 0x10\n",
	             NAME ":2: [pool] inflight: trailing garbage in '0x10'");
}

static void test_reject_negative(void **state)
{
	expect_error("[pool]\nworkers = -2\n", NAME ":2: [pool] workers: negative value '-2'");
	expect_error("[pool]\nqueue_limit = -1\n",
	             NAME ":2: [pool] queue_limit: negative value '-1'");
	expect_error("[pool]\nkill_timeout = -1s\n",
	             NAME ":2: [pool] kill_timeout: negative duration '-1s'");
}

static void test_reject_bad_duration(void **state)
{
	expect_error("[pool]\nshutdown_timeout = 10x\n",
	             NAME ":2: [pool] shutdown_timeout: bad duration '10x' "
	                  "(e.g. 250ms, 3s, 1.5s, 2m, 1h; at most 24h)");
	expect_error("[pool]\nkill_timeout = 25h\n",
	             NAME ":2: [pool] kill_timeout: bad duration '25h' "
	                  "(e.g. 250ms, 3s, 1.5s, 2m, 1h; at most 24h)");
	expect_error("[net]\ntimeout = 0ms\n",
	             NAME ":2: [net] timeout: 0ms is too short (at least 1ms)");
}

static void test_reject_bad_mode(void **state)
{
	expect_error("[control]\nmode = 0680\n",
	             NAME ":2: [control] mode: bad mode '0680' (octal, e.g. 0620)");
	expect_error("[control]\nmode = u+rw\n",
	             NAME ":2: [control] mode: bad mode 'u+rw' (octal, e.g. 0620)");
	expect_error("[control]\nmode = 01620\n",
	             NAME ":2: [control] mode: mode 01620 has bits outside 0777");
	expect_error("[control]\nmode = 0420\n",
	             NAME ":2: [control] mode: mode 0420: the owner needs read and write (0600)");
	expect_error("[control]\nmode = 0622\n",
	             NAME ":2: [control] mode: mode 0622 is world-writable (o+w)");
}

static void test_reject_bad_mqueue(void **state)
{
	expect_error("[control]\nmqueue = poold\n",
	             NAME ":2: [control] mqueue: 'poold': a queue name is '/' and 1 to 254 "
	                  "characters (e.g. /poold)");
	expect_error("[control]\nmqueue = /\n",
	             NAME ":2: [control] mqueue: '/': a queue name is '/' and 1 to 254 "
	                  "characters (e.g. /poold)");
	expect_error("[control]\nmqueue = /a/b\n",
	             NAME ":2: [control] mqueue: '/a/b': after the first '/', only printable "
	                  "ASCII without '/' or spaces");
	expect_error("[control]\nmqueue_depth = 0\n",
	             NAME ":2: [control] mqueue_depth: 0 out of range 1..65536");
}

/* Reading the FIFO consumes it: no read bit for group or others. */
static void test_reject_readable_mode(void **state)
{
	static const char *modes[] = {"0644", "0604", "0624", "0640", "0660", "0664"};
	char text[64], want[256];
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		snprintf(text, sizeof(text), "[control]\nmode = %s\n", modes[i]);
		snprintf(want, sizeof(want),
		         NAME ":2: [control] mode: mode %s lets others read the FIFO, which takes "
		              "jobs from it (submitters need write only, e.g. 0620)",
		         modes[i]);
		expect_error(text, want);
	}
}

static void test_reject_bad_level(void **state)
{
	expect_error("[log]\nlevel = verbose\n", NAME ":2: [log] level: unknown level 'verbose' "
	                                              "(error, warning, notice, info, debug)");
}

static void test_reject_bad_backup_choice(void **state)
{
	expect_error("[backup]\nhardlinks = yes\n",
	             NAME ":2: [backup] hardlinks: unknown value 'yes' (refuse, allow)");
	expect_error("[backup]\npartial = allow\n",
	             NAME ":2: [backup] partial: unknown value 'allow' (no, yes)");
	expect_error("[backup]\nkeep = 0\n", NAME ":2: [backup] keep: 0 out of range 1..10000");
}

static void test_reject_bad_net_rule(void **state)
{
	struct netrule rule;
	char why[256], want[512];

	/* The reason is netrule's own; this test checks that it is passed on. */
	assert_int_equal(netrule_parse("10.0.0.0/33", &rule, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), NAME ":3: [net] allow: bad rule '10.0.0.0/33': %s", why);
	expect_error("[net]\nallow = 127.0.0.1\n  ::1 10.0.0.0/33\n", want);
	assert_int_equal(netrule_parse("localhost", &rule, why, sizeof(why)), -1);
	snprintf(want, sizeof(want), NAME ":2: [net] allow: bad rule 'localhost': %s", why);
	expect_error("[net]\nallow = localhost\n", want);
}

/* Builds "[SECTION]\nallow =" and n entries PREFIX0, PREFIX1, ..., ten
 * to a line, the later lines indented. */
static void build_list(char *text, size_t len, const char *section, const char *prefix, int n)
{
	size_t used = (size_t)snprintf(text, len, "[%s]\nallow =", section);
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0 && i % 10 == 0)
			used += (size_t)snprintf(text + used, len - used, "\n ");
		used += (size_t)snprintf(text + used, len - used, " ");
		used += (size_t)snprintf(text + used, len - used, "%s%d", prefix, i);
	}
	snprintf(text + used, len - used, "\n");
}

static void test_reject_too_many_allow(void **state)
{
	char text[4096];
	struct config cfg;

	build_list(text, sizeof(text), "backup", "/p", CONFIG_MAX_BACKUP_ALLOW);
	load_ok(&cfg, text);
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, CONFIG_MAX_BACKUP_ALLOW);
	config_free(&cfg);
	build_list(text, sizeof(text), "backup", "/p", CONFIG_MAX_BACKUP_ALLOW + 1);
	expect_error(text, NAME ":5: [backup] allow: more than 32 paths");

	build_list(text, sizeof(text), "net", "10.0.0.", CONFIG_MAX_NET_ALLOW);
	load_ok(&cfg, text);
	assert_int_equal(NET_OF(&cfg)->n_net_allow, CONFIG_MAX_NET_ALLOW);
	config_free(&cfg);
	build_list(text, sizeof(text), "net", "10.0.0.", CONFIG_MAX_NET_ALLOW + 1);
	expect_error(text, NAME ":8: [net] allow: more than 64 rules");
}

static void test_reject_continued_scalar(void **state)
{
	expect_error("[pool]\nworkers = 2\n  inflight = 3\n",
	             NAME ":3: [pool] workers: an indented line continues this value; "
	                  "only allow lists may span lines");
}

static void test_reject_path_too_long(void **state)
{
	char base[PATH_MAX], text[256], err[PATH_MAX + 256];
	struct config cfg;

	/* Long enough that the defaults still fit and 40 more characters do not. */
	memset(base, 'a', PATH_MAX - 30);
	base[0] = '/';
	base[PATH_MAX - 30] = '\0';
	snprintf(text, sizeof(text), "[log]\nfile = %040d\n", 0);
	assert_int_equal(config_load_string(&cfg, text, NAME, base, err, sizeof(err)), -1);
	assert_string_equal(err, NAME ":2: [log] file: path too long (more than 4095 characters)");
	memset(base, 'a', PATH_MAX - 10);
	base[0] = '/';
	base[PATH_MAX - 10] = '\0';
	assert_int_equal(config_load_string(&cfg, "", NAME, base, err, sizeof(err)), -1);
	assert_string_equal(err, NAME
	                    ": default [control] fifo: path too long (more than 4095 characters)");
}

static void test_reject_same_control_paths(void **state)
{
	expect_error("[control]\nfifo = x\nsocket = ./x\n",
	             NAME ": [control] fifo and socket are the same path '" BASE "/x'");
	expect_error("[log]\nfile = poold.d/control\n",
	             NAME ": [log] file is also a [control] path '" BASE "/poold.d/control'");
}

/* [log], [metrics] and [journal] file (and the journal's lock) must be
 * distinct files; symlinks and hard links are in test_fsutil.c. */
static void test_reject_same_files(void **state)
{
	expect_error("[log]\nfile = j\n[journal]\nfile = j\n",
	             NAME ":4: [log] file '" BASE "/j' and [journal] file '" BASE
	                  "/j' are the same file");
	expect_error("[journal]\nfile = m\n[metrics]\nfile = x/../m\n",
	             NAME ":4: [metrics] file '" BASE "/m' and [journal] file '" BASE
	                  "/m' are the same file");
	expect_error("[log]\nfile = j.lock\n[journal]\nfile = ./j\n",
	             NAME ":4: [log] file '" BASE "/j.lock' and the lock of [journal] file '" BASE
	                  "/j.lock' are the same file");
	expect_error("\n[journal]\nfile = poold.d/jobs.log\n",
	             NAME ":3: [log] file '" BASE "/poold.d/jobs.log' and [journal] file '" BASE
	                  "/poold.d/jobs.log' are the same file");
}

static void test_first_error_wins(void **state)
{
	expect_error("[pool]\nbogus\nwokers = 1\n", NAME ":2: syntax error");
	expect_error("[pool]\nwokers = 1\nbogus\n", NAME ":2: unknown key 'wokers' in [pool]");
	expect_error("[pool]\nworkers = 0\n[nope]\n",
	             NAME ":2: [pool] workers: 0 out of range 1..4096");
}

static void test_failed_load_keeps_cfg(void **state)
{
	struct config cfg, copy;
	char err[256];

	load_ok(&cfg, "[pool]\nworkers = 3\n[backup]\nallow = /x /y\n");
	memcpy(&copy, &cfg, sizeof(cfg));
	/* The failed load allocates allow entries of its own; the leak checker
	 * sees them if they are not freed. */
	assert_int_equal(config_load_string(&cfg, "[backup]\nallow = /a /b\n[pool]\nworkers = 0\n",
	                                    NAME, BASE, err, sizeof(err)),
	                 -1);
	assert_memory_equal(&cfg, &copy, sizeof(cfg));
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[1], "/y");
	config_free(&cfg);
	config_free(&cfg);
	assert_null(cfg.kind_conf); /* the kinds' values, [backup] allow with them, are gone */
}

static void test_reject_bad_redis(void **state)
{
	expect_error("[redis]\nurl = http://x\n", NAME
	             ":2: [redis] url: 'http://x' is not redis://HOST[:PORT], unix:PATH or none");
	expect_error("[redis]\nurl = redis://:pw@h\n",
	             NAME ":2: [redis] url: 'redis://:pw@h': user, password, database and options "
	                  "are not supported");
	expect_error("[redis]\nurl = redis://h/0\n",
	             NAME ":2: [redis] url: 'redis://h/0': user, password, database and options "
	                  "are not supported");
	expect_error("[redis]\nurl = redis://h:0\n",
	             NAME ":2: [redis] url: 0 out of range 1..65535");
	expect_error("[redis]\nurl = redis://h:x\n", NAME ":2: [redis] url: 'x' is not a number");
	expect_error("[redis]\nurl = redis://\n", NAME ":2: [redis] url: no host name");
	expect_error("[redis]\nurl = redis://:6379\n", NAME ":2: [redis] url: no host name");
	expect_error("[redis]\nurl = redis://[::1\n",
	             NAME ":2: [redis] url: unclosed '[' in the host");
	expect_error("[redis]\nurl = unix:\n",
	             NAME ":2: [redis] url: 'unix:' is not redis://HOST[:PORT], unix:PATH or none");
	expect_error("[redis]\nstream = a b\n",
	             NAME ":2: [redis] stream: 'a b': only printable ASCII without spaces");
	expect_error("[redis]\ngroup = caf\xc3\xa9\n",
	             NAME ":2: [redis] group: 'caf\xc3\xa9': only printable ASCII without spaces");
	expect_error("[redis]\nbatch = 0\n", NAME ":2: [redis] batch: 0 out of range 1..10000");
	expect_error("[redis]\nmax_attempts = 101\n",
	             NAME ":2: [redis] max_attempts: 101 out of range 1..100");
	expect_error("[redis]\nclaim_idle = 50ms\n",
	             NAME ":2: [redis] claim_idle: 50ms is too short (at least 100ms)");
	expect_error("[redis]\ndead_letter = poold\n",
	             NAME ": [redis] dead_letter is the stream itself 'poold'");
}

/* unique = ... in [queue.NAME] and [kind.NAME]: the four words only. */
static void test_unique(void **state)
{
	const char *kind = "[kind.k]\ncode = 3001\nexec = /bin/true {1:word}\n";
	char text[256];
	struct config cfg;

	expect_error(
	    "[queue.long]\nunique = sometimes\n", NAME
	    ":2: [queue.long] unique: 'sometimes' is none of none, queued, active, until-done");
	snprintf(text, sizeof(text), "%sunique = done\n", kind);
	expect_error(text, NAME ":4: 'done' is none of none, queued, active, until-done");
	snprintf(text, sizeof(text), "%sunique = until-done\n[queue.long]\nunique = queued\n",
	         kind);
	load_ok(&cfg, text);
	assert_int_equal(cfg.queues[1].unique, CONFIG_UNIQUE_QUEUED);
	assert_int_equal(cfg.queues[0].unique, CONFIG_UNIQUE_NONE);
	assert_int_equal(opkind_find(&cfg, "k")->unique, CONFIG_UNIQUE_DONE);
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_reject_syntax),
	    cmocka_unit_test(test_reject_line_too_long),
	    cmocka_unit_test(test_reject_unknown_section),
	    cmocka_unit_test(test_reject_unknown_key),
	    cmocka_unit_test(test_reject_key_outside_section),
	    cmocka_unit_test(test_reject_duplicate),
	    cmocka_unit_test(test_reject_empty_value),
	    cmocka_unit_test(test_reject_bad_number),
	    cmocka_unit_test(test_reject_out_of_range),
	    cmocka_unit_test(test_reject_trailing_garbage),
	    cmocka_unit_test(test_reject_negative),
	    cmocka_unit_test(test_reject_bad_duration),
	    cmocka_unit_test(test_reject_bad_mode),
	    cmocka_unit_test(test_reject_bad_mqueue),
	    cmocka_unit_test(test_reject_readable_mode),
	    cmocka_unit_test(test_reject_bad_level),
	    cmocka_unit_test(test_reject_bad_backup_choice),
	    cmocka_unit_test(test_reject_bad_net_rule),
	    cmocka_unit_test(test_reject_too_many_allow),
	    cmocka_unit_test(test_reject_continued_scalar),
	    cmocka_unit_test(test_reject_path_too_long),
	    cmocka_unit_test(test_reject_same_control_paths),
	    cmocka_unit_test(test_reject_same_files),
	    cmocka_unit_test(test_first_error_wins),
	    cmocka_unit_test(test_failed_load_keeps_cfg),
	    cmocka_unit_test(test_reject_bad_redis),
	    cmocka_unit_test(test_unique),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
