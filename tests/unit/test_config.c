/*
 * Unit tests for the configuration loader: defaults, every key, every
 * rejection with its exact "NAME:LINE: reason", path resolution, the
 * duration syntax, reload comparison, and real files (one in a temp dir,
 * and conf/poold.ini from the source tree).
 */
/* test-sources: common/config.c common/config_values.c common/config_redis.c common/netrule.c */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "log.h"

#define NAME "t.ini"
#define BASE "/base"

/* Loads text named NAME with relative paths under BASE; fails the test on
 * an error. */
static void load_ok(struct config *cfg, const char *text)
{
	char err[1024] = "";

	if (config_load_string(cfg, text, NAME, BASE, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
}

/* Loads text and checks that it fails with exactly the message want. */
static void expect_error(const char *text, const char *want)
{
	struct config cfg;
	char err[1024] = "";

	if (config_load_string(&cfg, text, NAME, BASE, err, sizeof(err)) == 0) {
		config_free(&cfg);
		fail_msg("accepted: %s", text);
	}
	assert_string_equal(err, want);
}

/* Checks that got is dir/rel, with dir possibly "/". */
static void expect_path(const char *got, const char *dir, const char *rel)
{
	char want[PATH_MAX * 2];

	snprintf(want, sizeof(want), "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, rel);
	assert_string_equal(got, want);
}

static void test_defaults_sane(void **state)
{
	struct config cfg;
	char err[256] = "", cwd[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(config_defaults(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.source, "");
	assert_string_equal(cfg.basedir, cwd);
	assert_true(cfg.workers_auto);
	assert_in_range(cfg.workers, 1, CONFIG_MAX_WORKERS);
	assert_int_equal(cfg.inflight, 128);
	assert_int_equal(cfg.queue_limit, 65536);
	assert_int_equal(cfg.shutdown_timeout_ms, 30000);
	assert_int_equal(cfg.kill_timeout_ms, 5000);
	expect_path(cfg.fifo, cwd, "poold.d/control");
	expect_path(cfg.socket, cwd, "poold.d/control.sock");
	assert_int_equal(cfg.mode, 0620);
	expect_path(cfg.log_file, cwd, "poold.d/jobs.log");
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
	expect_path(cfg.backup_dir, cwd, "poold.d/backups");
	assert_int_equal(cfg.n_backup_allow, 1);
	assert_string_equal(cfg.backup_allow[0], cwd);
	assert_int_equal(cfg.n_net_allow, 2);
	assert_int_equal(cfg.net_allow[0].family, AF_INET);
	assert_int_equal(cfg.net_allow[0].prefix, 8);
	assert_int_equal(cfg.net_allow[0].addr[0], 127);
	assert_int_equal(cfg.net_allow[1].family, AF_INET6);
	assert_int_equal(cfg.net_allow[1].prefix, 128);
	assert_int_equal(cfg.net_allow[1].addr[15], 1);
	assert_int_equal(cfg.net_timeout_ms, 3000);
	config_free(&cfg);
}

static void test_empty_text_is_defaults(void **state)
{
	struct config cfg;

	load_ok(&cfg, "; nothing but a comment\n\n# and another\n");
	assert_string_equal(cfg.source, "");
	assert_string_equal(cfg.basedir, BASE);
	assert_string_equal(cfg.fifo, BASE "/poold.d/control");
	assert_string_equal(cfg.backup_allow[0], BASE);
	assert_int_equal(cfg.mode, 0620);
	config_free(&cfg);
}

static void test_every_key_accepted(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[pool]\n"
	              "workers = 7\n"
	              "inflight = 16\n"
	              "queue_limit = 1000\n"
	              "shutdown_timeout = 1.5s\n"
	              "kill_timeout = 250ms\n"
	              "[control]\n"
	              "fifo = /run/poold/control\n"
	              "socket = run/ctl.sock\n"
	              "mode = 0660\n"
	              "[log]\n"
	              "file = logs/jobs.log\n"
	              "level = debug\n"
	              "[backup]\n"
	              "dir = /var/backups/poold\n"
	              "allow = /etc /srv/data rel\n"
	              "[net]\n"
	              "allow = 10.0.0.0/8:443 [::1]:22 192.168.1.7\n"
	              "timeout = 2m\n");
	assert_int_equal(cfg.workers, 7);
	assert_false(cfg.workers_auto);
	assert_int_equal(cfg.inflight, 16);
	assert_int_equal(cfg.queue_limit, 1000);
	assert_int_equal(cfg.shutdown_timeout_ms, 1500);
	assert_int_equal(cfg.kill_timeout_ms, 250);
	assert_string_equal(cfg.fifo, "/run/poold/control");
	assert_string_equal(cfg.socket, BASE "/run/ctl.sock");
	assert_int_equal(cfg.mode, 0660);
	assert_string_equal(cfg.log_file, BASE "/logs/jobs.log");
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_string_equal(cfg.backup_dir, "/var/backups/poold");
	assert_int_equal(cfg.n_backup_allow, 3);
	assert_string_equal(cfg.backup_allow[0], "/etc");
	assert_string_equal(cfg.backup_allow[1], "/srv/data");
	assert_string_equal(cfg.backup_allow[2], BASE "/rel");
	assert_int_equal(cfg.n_net_allow, 3);
	assert_int_equal(cfg.net_allow[0].family, AF_INET);
	assert_int_equal(cfg.net_allow[0].prefix, 8);
	assert_int_equal(cfg.net_allow[0].port, 443);
	assert_int_equal(cfg.net_allow[1].family, AF_INET6);
	assert_int_equal(cfg.net_allow[1].port, 22);
	assert_int_equal(cfg.net_allow[2].prefix, 32);
	assert_int_equal(cfg.net_allow[2].port, 0);
	assert_int_equal(cfg.net_timeout_ms, 120000);
	config_free(&cfg);
}

static void test_levels_and_modes(void **state)
{
	static const struct {
		const char *text;
		int level;
	} levels[] = {
	    {"[log]\nlevel = error", LOG_LVL_ERR},     {"[log]\nlevel = warning", LOG_LVL_WARNING},
	    {"[log]\nlevel = notice", LOG_LVL_NOTICE}, {"[log]\nlevel = info", LOG_LVL_INFO},
	    {"[log]\nlevel = debug", LOG_LVL_DEBUG},
	};
	struct config cfg;
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		load_ok(&cfg, levels[i].text);
		assert_int_equal(cfg.log_level, levels[i].level);
		config_free(&cfg);
	}
	load_ok(&cfg, "[control]\nmode = 600\n");
	assert_int_equal(cfg.mode, 0600);
	config_free(&cfg);
	load_ok(&cfg, "[control]\nmode = 0664\n");
	assert_int_equal(cfg.mode, 0664);
	config_free(&cfg);
}

static void test_workers_auto(void **state)
{
	struct config cfg;
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	if (n > CONFIG_MAX_WORKERS)
		n = CONFIG_MAX_WORKERS;
	load_ok(&cfg, "[pool]\nworkers = auto\n");
	assert_true(cfg.workers_auto);
	assert_int_equal(cfg.workers, n);
	config_free(&cfg);
	load_ok(&cfg, "[pool]\nworkers = 4096\n");
	assert_false(cfg.workers_auto);
	assert_int_equal(cfg.workers, 4096);
	config_free(&cfg);
}

static void test_comments_bom_crlf(void **state)
{
	struct config cfg;

	load_ok(&cfg, "\xEF\xBB\xBF[pool]\r\n"
	              "workers = 3 ; three\r\n"
	              "inflight: 9\r\n"
	              "  # an indented comment is still a comment\r\n");
	assert_int_equal(cfg.workers, 3);
	assert_int_equal(cfg.inflight, 9);
	config_free(&cfg);
	expect_error("[pool]\nworkers = 3 # three\n",
	             NAME ":2: [pool] workers: trailing garbage in '3 # three'");
}

static void test_continuation_lines(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[backup]\n"
	              "allow = /a /b\n"
	              "\t/c\n"
	              "    d ; relative\n"
	              "[net]\n"
	              "  timeout = 1s\n");
	assert_int_equal(cfg.n_backup_allow, 4);
	assert_string_equal(cfg.backup_allow[2], "/c");
	assert_string_equal(cfg.backup_allow[3], BASE "/d");
	assert_int_equal(cfg.net_timeout_ms, 1000);
	config_free(&cfg);
}

static void test_list_replaces_default(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[net]\nallow = 10.0.0.0/8\n[backup]\nallow = /srv\n");
	assert_int_equal(cfg.n_net_allow, 1);
	assert_int_equal(cfg.net_allow[0].addr[0], 10);
	assert_int_equal(cfg.n_backup_allow, 1);
	assert_string_equal(cfg.backup_allow[0], "/srv");
	config_free(&cfg);
}

static void test_relative_paths_normalized(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[log]\nfile = a/./b/../c\n"
	              "[control]\nfifo = //x//y/./\nsocket = ../../../up\n"
	              "[backup]\ndir = /abs/../abs2/.\nallow = . .. a/.. /\n");
	assert_string_equal(cfg.log_file, BASE "/a/c");
	assert_string_equal(cfg.fifo, "/x/y");
	assert_string_equal(cfg.socket, "/up");
	assert_string_equal(cfg.backup_dir, "/abs2");
	assert_int_equal(cfg.n_backup_allow, 4);
	assert_string_equal(cfg.backup_allow[0], BASE);
	assert_string_equal(cfg.backup_allow[1], "/");
	assert_string_equal(cfg.backup_allow[2], BASE);
	assert_string_equal(cfg.backup_allow[3], "/");
	config_free(&cfg);
}

static void test_relative_basedir_uses_cwd(void **state)
{
	struct config cfg;
	char err[256] = "", cwd[PATH_MAX];

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(config_load_string(&cfg, "[log]\nfile = x.log\n", NAME, "sub/./dir/..",
	                                    err, sizeof(err)),
	                 0);
	expect_path(cfg.basedir, cwd, "sub");
	expect_path(cfg.log_file, cwd, "sub/x.log");
	config_free(&cfg);
	assert_int_equal(config_load_string(&cfg, "", NAME, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.basedir, cwd);
	config_free(&cfg);
}

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

static void test_reject_bad_level(void **state)
{
	expect_error("[log]\nlevel = verbose\n", NAME ":2: [log] level: unknown level 'verbose' "
	                                              "(error, warning, notice, info, debug)");
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
	assert_int_equal(cfg.n_backup_allow, CONFIG_MAX_BACKUP_ALLOW);
	config_free(&cfg);
	build_list(text, sizeof(text), "backup", "/p", CONFIG_MAX_BACKUP_ALLOW + 1);
	expect_error(text, NAME ":5: [backup] allow: more than 32 paths");

	build_list(text, sizeof(text), "net", "10.0.0.", CONFIG_MAX_NET_ALLOW);
	load_ok(&cfg, text);
	assert_int_equal(cfg.n_net_allow, CONFIG_MAX_NET_ALLOW);
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
	assert_string_equal(cfg.backup_allow[1], "/y");
	config_free(&cfg);
	config_free(&cfg);
	assert_int_equal(cfg.n_backup_allow, 0);
}

static void test_durations(void **state)
{
	static const struct {
		const char *text;
		unsigned ms;
	} good[] = {
	    {"250ms", 250},
	    {"3s", 3000},
	    {"1.5s", 1500},
	    {"2m", 120000},
	    {"1h", 3600000},
	    {"7", 7000},
	    {"0", 0},
	    {"0ms", 0},
	    {"0.25s", 250},
	    {"1.0005s", 1000},
	    {"1.25m", 75000},
	    {"24h", 86400000},
	    {"86400s", 86400000},
	    {"1440m", 86400000},
	    {"86400000ms", 86400000},
	    {"0.5ms", 0},
	    {"007s", 7000},
	};
	static const char *const bad[] = {
	    "",       "-1s", "1x",     "1.",      ".5s",
	    "1.5.2s", "25h", "86401s", "24.001h", "99999999999999999999999s",
	    "1 s",    " 1s", "1s ",    "1S",      "s",
	    "1ms5",   "1sm", "+1s",    "1e3",     "inf",
	    "0x10s",
	};
	unsigned ms;
	size_t i;

	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ms = 12345;
		if (config_parse_duration(good[i].text, &ms) != 0)
			fail_msg("rejected '%s'", good[i].text);
		assert_int_equal(ms, good[i].ms);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ms = 12345;
		if (config_parse_duration(bad[i], &ms) != -1)
			fail_msg("accepted '%s'", bad[i]);
		assert_int_equal(ms, 12345);
	}
}

static void test_workers_differ(void **state)
{
	static const char *const differ[] = {
	    "[log]\nfile = other.log\n",
	    "[backup]\ndir = bk\n",
	    "[backup]\nallow = /elsewhere\n",
	    "[backup]\nallow = . /more\n",
	    "[net]\nallow = 127.0.0.0/8 ::2\n",
	    "[net]\nallow = 127.0.0.0/8\n",
	    "[net]\nallow = 127.0.0.0/8:80 ::1\n",
	    "[net]\nallow = 127.0.0.0/16 ::1\n",
	    "[net]\ntimeout = 4s\n",
	};
	struct config a, b;
	size_t i;

	load_ok(&a, "");
	load_ok(&b, "[pool]\nworkers = 2\ninflight = 1\n[control]\nfifo = f\nmode = 0600\n"
	            "[log]\nlevel = debug\n[net]\nallow = 127.1.2.3/8 ::1\n");
	assert_false(config_workers_differ(&a, &b));
	assert_false(config_workers_differ(&a, &a));
	config_free(&b);
	for (i = 0; i < sizeof(differ) / sizeof(differ[0]); i++) {
		load_ok(&b, differ[i]);
		if (!config_workers_differ(&a, &b) || !config_workers_differ(&b, &a))
			fail_msg("no difference seen for %s", differ[i]);
		config_free(&b);
	}
	config_free(&a);
}

/* Writes text to path, failing the test if it cannot. */
static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Makes a fresh directory under $POOLD_TEST_TMP or /tmp and returns its
 * real path in dir. */
static void make_tmpdir(char *dir, size_t len)
{
	const char *tmp = getenv("POOLD_TEST_TMP");
	char templ[PATH_MAX];

	snprintf(templ, sizeof(templ), "%s/test_config.XXXXXX", tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(templ));
	assert_non_null(realpath(templ, dir));
}

static void test_file_relative_to_its_dir(void **state)
{
	char dir[PATH_MAX], sub[PATH_MAX + 8], file[PATH_MAX + 32], arg[PATH_MAX + 32];
	char want[2 * PATH_MAX], err[2 * PATH_MAX] = "";
	struct config cfg;

	make_tmpdir(dir, sizeof(dir));
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(file, sizeof(file), "%s/poold.ini", sub);
	write_file(file, "[log]\nfile = logs/../jobs.log\n"
	                 "[backup]\nallow = . ../other /abs//x/\n"
	                 "[pool]\nworkers = 2\n");
	snprintf(arg, sizeof(arg), "%s/./sub/poold.ini", dir);
	if (config_load(&cfg, arg, err, sizeof(err)) != 0)
		fail_msg("unexpected error: %s", err);
	assert_string_equal(cfg.source, file);
	assert_string_equal(cfg.basedir, sub);
	expect_path(cfg.log_file, sub, "jobs.log");
	expect_path(cfg.fifo, sub, "poold.d/control");
	expect_path(cfg.backup_dir, sub, "poold.d/backups");
	assert_int_equal(cfg.n_backup_allow, 3);
	assert_string_equal(cfg.backup_allow[0], sub);
	expect_path(cfg.backup_allow[1], dir, "other");
	assert_string_equal(cfg.backup_allow[2], "/abs/x");
	assert_int_equal(cfg.workers, 2);
	config_free(&cfg);

	/* Errors in a file carry its name as given. */
	write_file(file, "[pool]\n\nworkers = 2\nworkers = 3\n");
	assert_int_equal(config_load(&cfg, arg, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: duplicate key 'workers' in [pool] (first at line 3)",
	         arg);
	assert_string_equal(err, want);

	/* A directory opens but cannot be read. */
	assert_int_equal(config_load(&cfg, sub, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot read: %s", sub, strerror(EISDIR));
	assert_string_equal(err, want);

	assert_int_equal(unlink(file), 0);
	assert_int_equal(config_load(&cfg, file, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s: cannot open: %s", file, strerror(ENOENT));
	assert_string_equal(err, want);
	assert_int_equal(rmdir(sub), 0);
	assert_int_equal(rmdir(dir), 0);
}

/* Compares everything but source and basedir. */
static void assert_same_config(const struct config *a, const struct config *b)
{
	assert_int_equal(a->workers, b->workers);
	assert_int_equal(a->workers_auto, b->workers_auto);
	assert_int_equal(a->inflight, b->inflight);
	assert_int_equal(a->queue_limit, b->queue_limit);
	assert_int_equal(a->shutdown_timeout_ms, b->shutdown_timeout_ms);
	assert_int_equal(a->kill_timeout_ms, b->kill_timeout_ms);
	assert_string_equal(a->fifo, b->fifo);
	assert_string_equal(a->socket, b->socket);
	assert_int_equal(a->mode, b->mode);
	assert_string_equal(a->log_file, b->log_file);
	assert_int_equal(a->log_level, b->log_level);
	assert_string_equal(a->redis_host, b->redis_host);
	assert_string_equal(a->redis_unix, b->redis_unix);
	assert_string_equal(a->redis_stream, b->redis_stream);
	assert_string_equal(a->redis_group, b->redis_group);
	assert_string_equal(a->redis_consumer, b->redis_consumer);
	assert_string_equal(a->redis_dead_letter, b->redis_dead_letter);
	assert_int_equal(a->redis_batch, b->redis_batch);
	assert_int_equal(a->redis_claim_idle_ms, b->redis_claim_idle_ms);
	assert_int_equal(a->redis_max_attempts, b->redis_max_attempts);
	assert_false(config_workers_differ(a, b));
}

/* conf/poold.ini documents every key with its default: it must load, and
 * load to exactly the built-in defaults. */
static void test_example_ini(void **state)
{
	static const char tail[] = "tests/unit/test_config.c";
	const char *me = __FILE__;
	size_t n = strlen(me), t = strlen(tail);
	char path[PATH_MAX], dir[PATH_MAX], err[PATH_MAX + 256] = "";
	struct config file, defaults;

	if (n < t || strcmp(me + n - t, tail) != 0)
		skip();
	snprintf(path, sizeof(path), "%.*sconf/poold.ini", (int)(n - t), me);
	if (access(path, R_OK) != 0)
		skip();
	if (config_load(&file, path, err, sizeof(err)) != 0)
		fail_msg("conf/poold.ini: %s", err);
	snprintf(dir, sizeof(dir), "%s", file.source);
	*strrchr(dir, '/') = '\0';
	assert_string_equal(file.basedir, dir);
	assert_int_equal(config_load_string(&defaults, "", "defaults", dir, err, sizeof(err)), 0);
	assert_same_config(&file, &defaults);
	config_free(&defaults);
	config_free(&file);
}

/* [redis]: off by default; "auto" names; the dead-letter stream follows
 * the stream unless set. */
static void test_redis_defaults(void **state)
{
	struct config cfg;
	char err[256] = "";

	assert_int_equal(config_defaults(&cfg, err, sizeof(err)), 0);
	assert_string_equal(cfg.redis_host, "");
	assert_string_equal(cfg.redis_unix, "");
	assert_string_equal(cfg.redis_stream, "poold");
	assert_string_equal(cfg.redis_group, "poold");
	assert_string_equal(cfg.redis_consumer, "");
	assert_string_equal(cfg.redis_dead_letter, "poold:dead");
	assert_int_equal(cfg.redis_batch, 128);
	assert_int_equal(cfg.redis_claim_idle_ms, 30000);
	assert_int_equal(cfg.redis_max_attempts, 3);
	config_free(&cfg);
	load_ok(&cfg, "[redis]\nstream = jobs\n");
	assert_string_equal(cfg.redis_dead_letter, "jobs:dead");
	config_free(&cfg);
}

static void test_redis_keys(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[redis]\nurl = redis://10.0.0.5:6380\nstream = s:1\ngroup = g\n"
	              "consumer = host-a\nbatch = 10000\nclaim_idle = 100ms\nmax_attempts = 1\n"
	              "dead_letter = dl\n");
	assert_string_equal(cfg.redis_host, "10.0.0.5");
	assert_int_equal(cfg.redis_port, 6380);
	assert_string_equal(cfg.redis_stream, "s:1");
	assert_string_equal(cfg.redis_group, "g");
	assert_string_equal(cfg.redis_consumer, "host-a");
	assert_int_equal(cfg.redis_batch, 10000);
	assert_int_equal(cfg.redis_claim_idle_ms, 100);
	assert_int_equal(cfg.redis_max_attempts, 1);
	assert_string_equal(cfg.redis_dead_letter, "dl");
	config_free(&cfg);
	load_ok(&cfg, "[redis]\nurl = redis://[::1]\n");
	assert_string_equal(cfg.redis_host, "::1");
	assert_int_equal(cfg.redis_port, 6379);
	config_free(&cfg);
	load_ok(&cfg, "[redis]\nurl = unix:run/redis.sock\n");
	assert_string_equal(cfg.redis_host, "");
	assert_string_equal(cfg.redis_unix, BASE "/run/redis.sock");
	config_free(&cfg);
	load_ok(&cfg, "[redis]\nurl = none\n");
	assert_string_equal(cfg.redis_host, "");
	assert_string_equal(cfg.redis_unix, "");
	config_free(&cfg);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_sane),
	    cmocka_unit_test(test_empty_text_is_defaults),
	    cmocka_unit_test(test_every_key_accepted),
	    cmocka_unit_test(test_levels_and_modes),
	    cmocka_unit_test(test_workers_auto),
	    cmocka_unit_test(test_comments_bom_crlf),
	    cmocka_unit_test(test_continuation_lines),
	    cmocka_unit_test(test_list_replaces_default),
	    cmocka_unit_test(test_relative_paths_normalized),
	    cmocka_unit_test(test_relative_basedir_uses_cwd),
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
	    cmocka_unit_test(test_reject_bad_level),
	    cmocka_unit_test(test_reject_bad_net_rule),
	    cmocka_unit_test(test_reject_too_many_allow),
	    cmocka_unit_test(test_reject_continued_scalar),
	    cmocka_unit_test(test_reject_path_too_long),
	    cmocka_unit_test(test_reject_same_control_paths),
	    cmocka_unit_test(test_first_error_wins),
	    cmocka_unit_test(test_failed_load_keeps_cfg),
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_workers_differ),
	    cmocka_unit_test(test_file_relative_to_its_dir),
	    cmocka_unit_test(test_redis_defaults),
	    cmocka_unit_test(test_redis_keys),
	    cmocka_unit_test(test_reject_bad_redis),
	    cmocka_unit_test(test_example_ini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
