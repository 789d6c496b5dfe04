/*
 * Helpers shared by the config unit tests (test_config.c and
 * test_config_reject.c): load INI text from a string, expecting success
 * or one exact error.
 */
#ifndef POOLD_CONFIG_TESTLIB_H
#define POOLD_CONFIG_TESTLIB_H

#include "config.h"
#include "job.h"

#define NAME "t.ini"
#define BASE "/base"

/* Loads text named NAME with relative paths under BASE; fails the test on
 * an error. */
void load_ok(struct config *cfg, const char *text);

/* Loads text and checks that it fails with exactly the message want. */
void expect_error(const char *text, const char *want);

/* The values of the named kind's section in cfg; fails the test if none. */
void *kind_conf(const struct config *cfg, const char *kind);
#define LOG_OF(cfg)    ((struct job_log_conf *)kind_conf((cfg), "log"))
#define BACKUP_OF(cfg) ((struct job_backup_conf *)kind_conf((cfg), "backup"))
#define NET_OF(cfg)    ((struct job_net_conf *)kind_conf((cfg), "net"))

#endif
