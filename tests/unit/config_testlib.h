/*
 * Helpers shared by the config unit tests (test_config.c and
 * test_config_reject.c): load INI text from a string, expecting success
 * or one exact error.
 */
#ifndef POOLD_CONFIG_TESTLIB_H
#define POOLD_CONFIG_TESTLIB_H

#include "config.h"

#define NAME "t.ini"
#define BASE "/base"

/* Loads text named NAME with relative paths under BASE; fails the test on
 * an error. */
void load_ok(struct config *cfg, const char *text);

/* Loads text and checks that it fails with exactly the message want. */
void expect_error(const char *text, const char *want);

#endif
