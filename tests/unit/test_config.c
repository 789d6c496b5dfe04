/*
 * Unit tests for the configuration loader: defaults, every key, path
 * resolution, the duration syntax, reload comparison, and real files (one
 * in a temp dir, and conf/poold.ini from the source tree).  Rejections
 * are in test_config_reject.c.
 */
/* clang-format off */
/* test-sources: tests/unit/config_testlib.c @kinds */
/* clang-format on */
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
#include "jobs.h"
#include "log.h"

#include "config_testlib.h"

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
	expect_path(LOG_OF(&cfg)->log_file, cwd, "poold.d/jobs.log");
	assert_int_equal(cfg.log_level, LOG_LVL_INFO);
	expect_path(BACKUP_OF(&cfg)->backup_dir, cwd, "poold.d/backups");
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, 1);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[0], cwd);
	assert_false(BACKUP_OF(&cfg)->backup_hardlinks);
	assert_false(BACKUP_OF(&cfg)->backup_partial);
	assert_int_equal(BACKUP_OF(&cfg)->backup_keep, 7);
	assert_int_equal(NET_OF(&cfg)->n_net_allow, 2);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].family, AF_INET);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].prefix, 8);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].addr[0], 127);
	assert_int_equal(NET_OF(&cfg)->net_allow[1].family, AF_INET6);
	assert_int_equal(NET_OF(&cfg)->net_allow[1].prefix, 128);
	assert_int_equal(NET_OF(&cfg)->net_allow[1].addr[15], 1);
	assert_int_equal(NET_OF(&cfg)->net_timeout_ms, 3000);
	config_free(&cfg);
}

static void test_empty_text_is_defaults(void **state)
{
	struct config cfg;

	load_ok(&cfg, "; nothing but a comment\n\n# and another\n");
	assert_string_equal(cfg.source, "");
	assert_string_equal(cfg.basedir, BASE);
	assert_string_equal(cfg.fifo, BASE "/poold.d/control");
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[0], BASE);
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
	              "mode = 0620\n"
	              "[log]\n"
	              "file = logs/jobs.log\n"
	              "level = debug\n"
	              "[backup]\n"
	              "dir = /var/backups/poold\n"
	              "allow = /etc /srv/data rel\n"
	              "hardlinks = allow\n"
	              "partial = yes\n"
	              "keep = 30\n"
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
	assert_int_equal(cfg.mode, 0620);
	assert_string_equal(LOG_OF(&cfg)->log_file, BASE "/logs/jobs.log");
	assert_int_equal(cfg.log_level, LOG_LVL_DEBUG);
	assert_string_equal(BACKUP_OF(&cfg)->backup_dir, "/var/backups/poold");
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, 3);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[0], "/etc");
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[1], "/srv/data");
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[2], BASE "/rel");
	assert_true(BACKUP_OF(&cfg)->backup_hardlinks);
	assert_true(BACKUP_OF(&cfg)->backup_partial);
	assert_int_equal(BACKUP_OF(&cfg)->backup_keep, 30);
	assert_int_equal(NET_OF(&cfg)->n_net_allow, 3);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].family, AF_INET);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].prefix, 8);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].port, 443);
	assert_int_equal(NET_OF(&cfg)->net_allow[1].family, AF_INET6);
	assert_int_equal(NET_OF(&cfg)->net_allow[1].port, 22);
	assert_int_equal(NET_OF(&cfg)->net_allow[2].prefix, 32);
	assert_int_equal(NET_OF(&cfg)->net_allow[2].port, 0);
	assert_int_equal(NET_OF(&cfg)->net_timeout_ms, 120000);
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
	load_ok(&cfg, "[control]\nmode = 0630\n");
	assert_int_equal(cfg.mode, 0630);
	assert_string_equal(cfg.mqueue, ""); /* default: none */
	assert_int_equal(cfg.mqueue_depth, 10);
	config_free(&cfg);
	load_ok(&cfg, "[control]\nmqueue = /poold.jobs\nmqueue_depth = 64\n");
	assert_string_equal(cfg.mqueue, "/poold.jobs");
	assert_int_equal(cfg.mqueue_depth, 64);
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
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, 4);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[2], "/c");
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[3], BASE "/d");
	assert_int_equal(NET_OF(&cfg)->net_timeout_ms, 1000);
	config_free(&cfg);
}

static void test_list_replaces_default(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[net]\nallow = 10.0.0.0/8\n[backup]\nallow = /srv\n");
	assert_int_equal(NET_OF(&cfg)->n_net_allow, 1);
	assert_int_equal(NET_OF(&cfg)->net_allow[0].addr[0], 10);
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, 1);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[0], "/srv");
	config_free(&cfg);
}

static void test_relative_paths_normalized(void **state)
{
	struct config cfg;

	load_ok(&cfg, "[log]\nfile = a/./b/../c\n"
	              "[control]\nfifo = //x//y/./\nsocket = ../../../up\n"
	              "[backup]\ndir = /abs/../abs2/.\nallow = . .. a/.. /\n");
	assert_string_equal(LOG_OF(&cfg)->log_file, BASE "/a/c");
	assert_string_equal(cfg.fifo, "/x/y");
	assert_string_equal(cfg.socket, "/up");
	assert_string_equal(BACKUP_OF(&cfg)->backup_dir, "/abs2");
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, 4);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[0], BASE);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[1], "/");
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[2], BASE);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[3], "/");
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
	expect_path(LOG_OF(&cfg)->log_file, cwd, "sub/x.log");
	config_free(&cfg);
	assert_int_equal(config_load_string(&cfg, "", NAME, NULL, err, sizeof(err)), 0);
	assert_string_equal(cfg.basedir, cwd);
	config_free(&cfg);
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
	expect_path(LOG_OF(&cfg)->log_file, sub, "jobs.log");
	expect_path(cfg.fifo, sub, "poold.d/control");
	expect_path(BACKUP_OF(&cfg)->backup_dir, sub, "poold.d/backups");
	assert_int_equal(BACKUP_OF(&cfg)->n_backup_allow, 3);
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[0], sub);
	expect_path(BACKUP_OF(&cfg)->backup_allow[1], dir, "other");
	assert_string_equal(BACKUP_OF(&cfg)->backup_allow[2], "/abs/x");
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
	assert_string_equal(LOG_OF(a)->log_file, LOG_OF(b)->log_file);
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
	    cmocka_unit_test(test_durations),
	    cmocka_unit_test(test_workers_differ),
	    cmocka_unit_test(test_file_relative_to_its_dir),
	    cmocka_unit_test(test_redis_defaults),
	    cmocka_unit_test(test_redis_keys),
	    cmocka_unit_test(test_example_ini),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
