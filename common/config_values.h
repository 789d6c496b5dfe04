/*
 * Private to the config module: the key table seen from the INI reader.
 * config_values.c owns the table (section, key, default, parser) and
 * what each value means; config.c owns reading the file and the errors
 * with their line numbers.  Nothing outside common/config*.c includes
 * this header.  Keys are named by their index in the table.
 */
#ifndef POOLD_CONFIG_VALUES_H
#define POOLD_CONFIG_VALUES_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* Rows in the key table (checked where the table is defined). */
#define CONFIG_N_KEYS 38

/* The index of [section] key, or -1 if there is no such key. */
int config_key_find(const char *section, const char *key);

/* True if some key lives in [section]. */
bool config_section_known(const char *section);

/* True if the key is a list: its first line replaces the default and
 * indented continuation lines add to it. */
bool config_key_is_list(int key);

/* Drops a list's entries (its default) before the first line sets it. */
void config_key_clear(struct config *cfg, int key);

/* Reads one value (not empty) of the key into cfg.  Returns 0, or -1
 * with a reason ("0 out of range 1..4096") in reason. */
int config_key_parse(struct config *cfg, int key, const char *value, char *reason, size_t rlen);

/* Fills cfg with the defaults, relative paths resolved against basedir
 * (itself relative to the working directory if not absolute).  Returns 0,
 * or -1 with a reason and nothing left allocated. */
int config_defaults_at(struct config *cfg, const char *basedir, char *reason, size_t rlen);

/* Makes path absolute against the working directory and normalizes it
 * lexically into out (PATH_MAX bytes).  Returns 0, or -1 with a reason. */
int config_absolute(const char *path, char *out, char *reason, size_t rlen);

#endif
