/*
 * The table of job kinds: the one place where they meet.  Adding a kind is
 * its file worker/kinds/job_<kind>.c and one row here.  A kind's index in
 * this table numbers its counters (master, scoreboard, metrics) and its
 * section's values in struct config; its code (in its own file) is part
 * of the interface and never changes.
 */
#include <endian.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "jobs.h"
#include "modkind.h"
#include "opkind.h"

extern const struct job_kind job_kind_noop, job_kind_log, job_kind_backup, job_kind_net,
    job_kind_op, job_kind_mod;

/* The built-in kinds, then the operator kinds' rows (jobs_install). */
static const struct job_kind *jobs_table[JOBS_MAX] = {
    &job_kind_noop,   /* code 1 */
    &job_kind_log,    /* code 2 */
    &job_kind_backup, /* code 3 */
    &job_kind_net,    /* code 4 */
};

#define JOBS_BUILTIN 4

_Static_assert(JOBS_BUILTIN + CONFIG_MAX_OPKINDS <= JOBS_MAX,
               "more job kinds than JOBS_MAX in jobs.h");

static size_t jobs_n = JOBS_BUILTIN; /* rows in use */
static struct job_kind jobs_op_rows[JOBS_MAX];
static char jobs_op_names[JOBS_MAX][OPKIND_NAME_MAX + 1];

/* A row no look-up finds: an operator kind a reload removed. */
static bool jobs_gone(const struct job_kind *kind)
{
	return kind->check_data != NULL && kind->data == NULL;
}

static size_t jobs_op_index(const char *name)
{
	size_t i;

	for (i = JOBS_BUILTIN; i < jobs_n && strcmp(jobs_table[i]->name, name) != 0; i++)
		;
	return i;
}

/* The name of operator kind i of cfg, then of its module kinds. */
static const char *jobs_extra_name(const struct config *cfg, size_t i)
{
	return i < cfg->n_opkinds ? cfg->opkinds[i]->name : cfg->modkinds[i - cfg->n_opkinds]->name;
}

/* Row i made from the operator or module kind of cfg with its name (the
 * row's data is NULL if there is none any more). */
static void jobs_extra_row(const struct config *cfg, size_t i)
{
	const struct opkind *k = opkind_find(cfg, jobs_op_names[i]);
	const struct modkind *mk = modkind_find(cfg, jobs_op_names[i]);

	if (k != NULL || mk != NULL)
		jobs_op_rows[i] = k != NULL ? job_kind_op : job_kind_mod;
	jobs_op_rows[i].name = jobs_op_names[i];
	jobs_op_rows[i].data = k != NULL ? (const void *)k : (const void *)mk;
	jobs_op_rows[i].code = k != NULL ? k->code : mk != NULL ? mk->code : 0;
	if (mk != NULL)
		jobs_op_rows[i].batch_done = mk->batch;
}

int jobs_install(const struct config *cfg, char *err, size_t errlen)
{
	size_t i, n = jobs_n, extra = cfg->n_opkinds + cfg->n_modkinds;
	const char *name;

	for (i = 0; i < extra; i++)
		n += jobs_op_index(jobs_extra_name(cfg, i)) == jobs_n;
	if (n > JOBS_MAX) {
		snprintf(err, errlen,
		         "%zu job kinds made since start, over %d (removed kinds keep their "
		         "rows): restart poold",
		         n, JOBS_MAX);
		return -1;
	}
	for (i = 0; i < extra; i++) {
		name = jobs_extra_name(cfg, i);
		if (jobs_op_index(name) < jobs_n)
			continue;
		jobs_op_rows[jobs_n] = job_kind_op;
		snprintf(jobs_op_names[jobs_n], sizeof(jobs_op_names[0]), "%s", name);
		jobs_op_rows[jobs_n].name = jobs_op_names[jobs_n];
		jobs_table[jobs_n] = &jobs_op_rows[jobs_n];
		jobs_n++;
	}
	for (i = JOBS_BUILTIN; i < jobs_n; i++)
		jobs_extra_row(cfg, i);
	return 0;
}

/* The built-in kind with this name or code, for the loader's check of
 * the kinds the operator declares (struct config_kinds). */
static bool jobs_builtin(const char *name, uint32_t code, const char **bname, uint32_t *bcode)
{
	size_t i;

	for (i = 0; i < JOBS_BUILTIN; i++) {
		if (strcmp(jobs_table[i]->name, name) == 0 || jobs_table[i]->code == code) {
			*bname = jobs_table[i]->name;
			*bcode = jobs_table[i]->code;
			return true;
		}
	}
	return false;
}

size_t jobs_count(void)
{
	return jobs_n;
}

const struct job_kind *jobs_at(size_t i)
{
	return i < jobs_n ? jobs_table[i] : NULL;
}

size_t jobs_index(const struct job_kind *kind)
{
	uintptr_t p = (uintptr_t)kind, rows = (uintptr_t)jobs_op_rows;
	size_t i;

	/* An operator or module kind's row: its place, without a scan. */
	if (p >= rows && p < rows + sizeof(jobs_op_rows))
		return (p - rows) / sizeof(jobs_op_rows[0]);

	for (i = 0; i < jobs_n && jobs_table[i] != kind; i++)
		;
	return i;
}

/* The section of the built-in kind at index i (struct config_kinds). */
static const struct config_section *jobs_config_section(size_t i, size_t *n)
{
	*n = JOBS_BUILTIN;
	return i < JOBS_BUILTIN ? jobs_table[i]->section : NULL;
}

const struct config_kinds jobs_config_kinds = {
    .section = jobs_config_section,
    .builtin = jobs_builtin,
};

const void *jobs_conf(const struct config *cfg, const struct job_kind *kind)
{
	size_t i = jobs_index(kind);

	if (kind->check_data != NULL)
		return kind->data;
	return i < cfg->n_kind_conf ? cfg->kind_conf[i] : NULL;
}

/* True if the NUL-terminated kind name is name[0..len): byte by byte, no
 * call (kind names are short). */
static bool jobs_name_is(const char *kind, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (kind[i] != name[i]) /* a shorter kind stops at its NUL */
			return false;
	return kind[len] == '\0';
}

/* Each row's name as one word (its first 8 bytes over spaces, ctl_load;
 * le64toh: the first lowest, as ctl_parse reads a task)
 * and its length: a name of 1 to 8 bytes (every built-in one) is found by
 * two compares a row, exact (equal lengths under 9, equal words: the same
 * bytes).  Rows are only ever added and their names never change: the
 * words of rows from jobs_nwords on are made at the first look-up that
 * needs them. */
static uint64_t jobs_words[JOBS_MAX];
static size_t jobs_lens[JOBS_MAX];
static size_t jobs_nwords;

__attribute__((noinline)) static void jobs_words_update(void)
{
	size_t n;

	for (; jobs_nwords < jobs_n; jobs_nwords++) {
		n = strlen(jobs_table[jobs_nwords]->name);
		jobs_lens[jobs_nwords] = n;
		jobs_words[jobs_nwords] = le64toh(
		    ctl_load((const unsigned char *)jobs_table[jobs_nwords]->name, n < 8 ? n : 8));
	}
}

/* Names over 8 bytes, byte by byte. */
__attribute__((noinline)) static const struct job_kind *jobs_by_long_name(const char *name,
                                                                          size_t len)
{
	size_t i;

	for (i = 0; i < jobs_n && len > 0; i++)
		if (jobs_name_is(jobs_table[i]->name, name, len) && !jobs_gone(jobs_table[i]))
			return jobs_table[i];
	return NULL;
}

/* The kind whose name of len (1 to 8) bytes is w (le64toh of ctl_load). */
static const struct job_kind *jobs_by_word(uint64_t w, size_t len)
{
	size_t i;

	if (jobs_nwords < jobs_n)
		jobs_words_update();
	for (i = 0; i < jobs_n; i++)
		if (jobs_words[i] == w && jobs_lens[i] == len && !jobs_gone(jobs_table[i]))
			return jobs_table[i];
	return NULL;
}

const struct job_kind *jobs_by_name(const char *name, size_t len)
{
	if (len == 0 || len > 8)
		return jobs_by_long_name(name, len);
	return jobs_by_word(le64toh(ctl_load((const unsigned char *)name, len)), len);
}

const char *jobs_describe(const struct config *cfg, bool reopening, char *out, size_t len)
{
	const struct job_kind *kind;
	size_t i, n = 0;

	out[0] = '\0';
	for (i = 0; i < jobs_n && n + 2 < len; i++) {
		kind = jobs_table[i];
		if (kind->describe == NULL || (reopening && kind->reopen == NULL))
			continue;
		if (n > 0) {
			memcpy(out + n, ", ", 3);
			n += 2;
		}
		kind->describe(jobs_conf(cfg, kind), out + n, len - n);
		n += strlen(out + n);
	}
	return out;
}

unsigned jobs_timeout_ms(const struct job_kind *kind, const struct config *cfg)
{
	unsigned ms = 0;
	const char *conf = jobs_conf(cfg, kind);

	if (kind->run == job_op_run && kind->data != NULL)
		ms = ((const struct opkind *)kind->data)->timeout_ms;
	else if (kind->check_data != NULL && kind->data != NULL) /* a module kind */
		ms = ((const struct modkind *)kind->data)->mod->timeout_ms;
	else if (kind->timeout_at != 0 && conf != NULL)
		memcpy(&ms, conf + kind->timeout_at, sizeof(ms));
	return ms != 0 ? ms : cfg->job_timeout_ms;
}

const struct job_kind *jobs_by_code(uint32_t code)
{
	size_t i;

	for (i = 0; i < jobs_n; i++)
		if (!jobs_gone(jobs_table[i]) && jobs_table[i]->code == code)
			return jobs_table[i];
	return NULL;
}

_Static_assert(JOBS_MAX <= 32, "a hello's refused mask has a bit per kind index");

_Static_assert(PROTO_ARGS_MAX == CTL_LINE_MAX - 3,
               "a frame carries the arguments of the longest control line");

const struct job_kind *jobs_check_line(const char *line, size_t len, struct ctl_line *cl, char *err,
                                       size_t errlen)
{
	const struct job_kind *kind;
	uint32_t code;

	if (ctl_parse(line, len, cl, err, errlen) == -1)
		return NULL;
	/* The task's word as ctl_parse read it, if it did (most lines). */
	kind = cl->task_word != 0 ? jobs_by_word(cl->task_word, cl->task_len)
	                          : jobs_by_name(cl->task, cl->task_len);
	if (kind == NULL && ctl_parse_code(cl->task, cl->task_len, &code) == 0)
		kind = jobs_by_code(code);
	if (kind == NULL) {
		snprintf(err, errlen, "unknown task '%.*s'",
		         (int)(cl->task_len > 40 ? 40 : cl->task_len), cl->task);
		return NULL;
	}
	if (cl->args_len > PROTO_ARGS_MAX) {
		snprintf(err, errlen, "arguments of %zu bytes, over the limit of %zu", cl->args_len,
		         (size_t)PROTO_ARGS_MAX);
		return NULL;
	}
	if (kind->check != NULL && kind->check(cl->args, cl->args_len, err, errlen) == -1)
		return NULL;
	if (kind->check_data != NULL &&
	    kind->check_data(kind->data, cl->args, cl->args_len, err, errlen) == -1)
		return NULL;
	return kind;
}
