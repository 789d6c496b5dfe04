/*
 * Reading the configuration: inih walks the INI text or file, and this
 * file turns what it finds into a struct config through the key table
 * of config_values.c, with errors as "NAME:LINE: reason".  Only the
 * first error is reported.  A load builds a new struct config and hands
 * it over only when every check has passed, so a failed reload leaves
 * the running configuration as it was.  Also here, being part of the
 * public interface in config.h: durations, and whether two
 * configurations differ in what workers hold.  No logging, no exit().
 *
 * inih (Debian's build) gives its handler no line number and reads lines
 * into a 200-byte buffer, so the reader here counts lines itself and
 * refuses longer ones rather than letting inih split them.
 */
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_values.h"
#include "fsutil.h"
#include "modkind.h"
#include "opkind.h"

/* What one load keeps while inih walks the text. */
struct config_load {
	struct config cfg; /* built here, copied out only on success */
	const char *name;  /* the file or string name, for messages */
	char *err;
	size_t errlen;
	unsigned line;     /* the line inih is on */
	unsigned err_line; /* the line of our first error, 0 while none */
	bool cont;         /* this line continues the previous key's value */
	bool have_prev;    /* a key line came since the last section line */
	unsigned first_line[CONFIG_MAX_KEYS];
	const char *text; /* the source: text in memory, or else fp */
	FILE *fp;
	char *buf; /* getline's buffer for fp */
	size_t bufcap;
	int read_errno;
};

static int config_fail(struct config_load *ld, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Records "NAME:LINE: reason" for the current line unless an error came
 * first; returns 0, which is what tells inih a key was bad. */
static int config_fail(struct config_load *ld, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	if (ld->err_line != 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->name, ld->line, reason);
	ld->err_line = ld->line;
	return 0;
}

/* Fetches the next line, without its newline, from the text or the file. */
static int config_next_line(struct config_load *ld, const char **line, size_t *len)
{
	ssize_t n;

	if (ld->fp == NULL) {
		if (*ld->text == '\0')
			return -1;
		*line = ld->text;
		*len = strcspn(ld->text, "\n");
		ld->text += *len + (ld->text[*len] == '\n');
		return 0;
	}
	errno = 0;
	n = getline(&ld->buf, &ld->bufcap, ld->fp);
	if (n < 0) {
		if (ferror(ld->fp))
			ld->read_errno = errno != 0 ? errno : EIO;
		return -1;
	}
	if (n > 0 && ld->buf[n - 1] == '\n')
		n--;
	*line = ld->buf;
	*len = (size_t)n;
	return 0;
}

/* Cuts a " ; comment" off a continuation line: inih 55 strips inline
 * comments from key lines only, and a list would take them for entries. */
static void config_cut_comment(char *p)
{
	for (; *p != '\0'; p++) {
		if (*p == ';' && isspace((unsigned char)p[-1])) {
			*p = '\0';
			return;
		}
	}
}

/*
 * Reads the line the way inih will: an indented line right after a key
 * line continues that key's value (Python configparser's rule, which
 * inih follows), and a "[section]" line ends that.  Section names are
 * checked here, where they are written, rather than at their first key.
 */
static void config_classify(struct config_load *ld, char *line)
{
	char *p = line, *end;
	char section[64];

	if (ld->line == 1 && strncmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	while (isspace((unsigned char)*p))
		p++;
	ld->cont = false;
	if (*p == '\0' || *p == ';' || *p == '#')
		return;
	if (p > line && ld->have_prev) {
		ld->cont = true;
		config_cut_comment(p);
		return;
	}
	end = strchr(p, ']');
	if (*p != '[' || end == NULL)
		return;
	ld->have_prev = false;
	snprintf(section, sizeof(section), "%.*s", (int)(end - p - 1), p + 1);
	if (!config_section_known(section) && !opkind_section(section) &&
	    !modkind_section(section) && !config_queue_section(section))
		config_fail(ld, "unknown section [%s]", section);
}

/* The inih reader: hands over one line, or stops at our first error or at
 * a line longer than inih's buffer (which it would otherwise split). */
static char *config_read(char *str, int num, void *stream)
{
	struct config_load *ld = stream;
	const char *line;
	size_t len;

	if (ld->err_line != 0 || config_next_line(ld, &line, &len) < 0)
		return NULL;
	ld->line++;
	if (len >= (size_t)num) {
		config_fail(ld, "line too long (more than %d characters)", num - 1);
		return NULL;
	}
	memcpy(str, line, len);
	str[len] = '\0';
	config_classify(ld, str);
	return ld->err_line != 0 ? NULL : str;
}

/* The inih handler: one call per key line and per continuation line. */
static int config_handle(void *user, const char *section, const char *name, const char *value)
{
	struct config_load *ld = user;
	char reason[384];
	int k;

	if (section[0] == '\0')
		return config_fail(ld, "key '%s' outside any section", name);
	if (opkind_section(section)) { /* [kind.NAME]: opkind.h */
		ld->have_prev = true;
		if (ld->cont || value[0] == '\0')
			return config_fail(ld, "[%s] %s: one line, not empty", section, name);
		if (opkind_set(&ld->cfg, section, name, value, reason, sizeof(reason)) < 0)
			return config_fail(ld, "%s", reason);
		return 1;
	}
	if (modkind_section(section)) { /* [module.NAME]: modkind.h */
		ld->have_prev = true;
		if (ld->cont || value[0] == '\0')
			return config_fail(ld, "[%s] %s: one line, not empty", section, name);
		if (modkind_set(&ld->cfg, section, name, value, reason, sizeof(reason)) < 0)
			return config_fail(ld, "%s", reason);
		return 1;
	}
	if (config_queue_section(section) && value[0] != '\0' && !ld->cont) {
		ld->have_prev = true;
		if (config_queue_key(&ld->cfg, section, name, value, reason, sizeof(reason)) < 0)
			return config_fail(ld, "[%s] %s: %s", section, name, reason);
		return 1;
	}
	k = config_key_find(section, name);
	if (k < 0)
		return config_fail(ld, "unknown key '%s' in [%s]", name, section);
	if (ld->cont && !config_key_is_list(k))
		return config_fail(ld,
		                   "[%s] %s: an indented line continues this value; "
		                   "only allow lists may span lines",
		                   section, name);
	if (!ld->cont && ld->first_line[k] != 0)
		return config_fail(ld, "duplicate key '%s' in [%s] (first at line %u)", name,
		                   section, ld->first_line[k]);
	if (!ld->cont) {
		ld->first_line[k] = ld->line;
		ld->have_prev = true;
		config_key_clear(&ld->cfg, k);
	}
	if (value[0] == '\0')
		return config_fail(ld, "empty value for '%s' in [%s]", name, section);
	if (config_key_parse(&ld->cfg, k, value, reason, sizeof(reason)) < 0)
		return config_fail(ld, "[%s] %s: %s", section, name, reason);
	return 1;
}

/* [redis] dead_letter: "auto" is STREAM:dead; never the stream itself. */
static int config_check_redis(struct config_load *ld)
{
	struct config *c = &ld->cfg;

	if (c->redis_dead_letter[0] == '\0')
		snprintf(c->redis_dead_letter, sizeof(c->redis_dead_letter), "%s:dead",
		         c->redis_stream);
	if (strcmp(c->redis_dead_letter, c->redis_stream) == 0) {
		snprintf(ld->err, ld->errlen, "%s: [redis] dead_letter is the stream itself '%s'",
		         ld->name, c->redis_stream);
		return -1;
	}
	return 0;
}

/* The files poold writes, which must be distinct files (a log line in
 * the journal would be read back as damage): the kinds' keys marked
 * `written` ([log] file), then [metrics] file, [journal] file and the
 * journal's lock.  Each with the index of the key that names it. */
#define CONFIG_MAX_FILES 16
struct config_files {
	int n;
	int key[CONFIG_MAX_FILES];
	bool lock[CONFIG_MAX_FILES]; /* the journal's lock: path + ".lock" */
	const char *path[CONFIG_MAX_FILES];
};

static void config_files_add(struct config_files *f, struct config *c, int key, bool lock)
{
	if (f->n == CONFIG_MAX_FILES)
		return;
	f->key[f->n] = key;
	f->lock[f->n] = lock;
	f->path[f->n++] = config_field(c, config_key_at(key));
}

static void config_files_list(const struct config *c, struct config_files *f)
{
	struct config *cfg = (struct config *)c; /* only read: config_field is not const */
	int i, n = config_key_count();

	f->n = 0;
	for (i = CONFIG_N_KEYS; i < n; i++)
		if (config_key_at(i)->written)
			config_files_add(f, cfg, i, false);
	config_files_add(f, cfg, config_key_find("metrics", "file"), false);
	config_files_add(f, cfg, config_key_find("journal", "file"), false);
	config_files_add(f, cfg, config_key_find("journal", "file"), true);
}

/*
 * Finds two of c's files that are one file once resolved (symlinks, hard
 * links, "dir/../x", a symlinked directory): true with their indexes in
 * *a < *b, or false.
 */
static bool config_files_overlap(const struct config_files *f, int *a, int *b)
{
	char pi[PATH_MAX + 8], pj[PATH_MAX + 8];
	int i, j;

	for (i = 0; i < f->n; i++) {
		for (j = i + 1; j < f->n; j++) {
			if (f->path[i][0] == '\0' || f->path[j][0] == '\0' ||
			    f->key[i] == f->key[j])
				continue;
			snprintf(pi, sizeof(pi), "%s%s", f->path[i], f->lock[i] ? ".lock" : "");
			snprintf(pj, sizeof(pj), "%s%s", f->path[j], f->lock[j] ? ".lock" : "");
			if (fsutil_same_file(pi, pj)) {
				*a = i;
				*b = j;
				return true;
			}
		}
	}
	return false;
}

/* "[log] file", or "the lock of [journal] file". */
static void config_file_what(const struct config_files *f, int i, char *out, size_t len)
{
	const struct config_key *k = config_key_at(f->key[i]);

	snprintf(out, len, "%s[%s] %s", f->lock[i] ? "the lock of " : "", k->section, k->key);
}

int config_check_files(const struct config *c, char *err, size_t errlen)
{
	struct config_files f;
	char wa[128], wb[128];
	int a, b;

	config_files_list(c, &f);
	if (!config_files_overlap(&f, &a, &b))
		return 0;
	config_file_what(&f, a, wa, sizeof(wa));
	config_file_what(&f, b, wb, sizeof(wb));
	snprintf(err, errlen, "%s '%s' and %s '%s%s' are the same file", wa, f.path[a], wb,
	         f.path[b], f.lock[b] ? ".lock" : "");
	return -1;
}

/* config_check_files at load: the error names the later of the two keys' lines. */
static int config_check_files_at(struct config_load *ld)
{
	char reason[PATH_MAX + 128];
	struct config_files f;
	unsigned line = 0, l;
	int a, b, i;

	if (config_check_files(&ld->cfg, reason, sizeof(reason)) == 0)
		return 0;
	config_files_list(&ld->cfg, &f);
	config_files_overlap(&f, &a, &b);
	for (i = 0; i < 2; i++) {
		l = ld->first_line[f.key[i == 0 ? a : b]];
		line = l > line ? l : line;
	}
	if (line > 0)
		snprintf(ld->err, ld->errlen, "%s:%u: %s", ld->name, line, reason);
	else
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, reason);
	return -1;
}

/* Each kind's check of its own section. */
static int config_check_kinds(struct config_load *ld)
{
	const struct config_section *s;
	char reason[PATH_MAX + 128];
	size_t i, n = 1;

	if (opkind_check_all(&ld->cfg, reason, sizeof(reason)) < 0 ||
	    modkind_check_all(&ld->cfg, reason, sizeof(reason)) < 0) {
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, reason);
		return -1;
	}
	for (i = 0; i < n; i++) {
		s = config_kind_section(i, &n);
		if (s == NULL || s->check == NULL ||
		    s->check(&ld->cfg, ld->cfg.kind_conf[i], reason, sizeof(reason)) == 0)
			continue;
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, reason);
		return -1;
	}
	return 0;
}

/* Checks that need more than one key.  Returns 0, or -1 with err set. */
static int config_check(struct config_load *ld)
{
	const struct config *c = &ld->cfg;
	char reason[256];

	if (config_check_redis(ld) < 0)
		return -1;

	if (strcmp(c->fifo, c->socket) == 0) {
		snprintf(ld->err, ld->errlen,
		         "%s: [control] fifo and socket are the same path '%s'", ld->name, c->fifo);
		return -1;
	}
	if (c->min_workers > c->max_workers) {
		snprintf(ld->err, ld->errlen, "%s: [pool] min_workers %u is above max_workers %u",
		         ld->name, c->min_workers, c->max_workers);
		return -1;
	}
	if (config_check_kinds(ld) < 0)
		return -1;
	if (config_queues_finish(&ld->cfg, reason, sizeof(reason)) < 0) {
		snprintf(ld->err, ld->errlen, "%s: %s", ld->name, reason);
		return -1;
	}
	return config_check_files_at(ld);
}

/* Runs inih over ld's source and hands the result to cfg if all is well;
 * otherwise frees what was built and leaves cfg alone. */
static int config_run(struct config_load *ld, struct config *cfg)
{
	int r = ini_parse_stream(config_read, ld, config_handle, ld);

	if (r > 0 && (ld->err_line == 0 || (unsigned)r < ld->err_line))
		snprintf(ld->err, ld->errlen, "%s:%d: syntax error", ld->name, r);
	else if (ld->err_line == 0 && ld->read_errno != 0)
		snprintf(ld->err, ld->errlen, "%s: cannot read: %s", ld->name,
		         strerror(ld->read_errno));
	else if (ld->err_line == 0 && r < 0)
		snprintf(ld->err, ld->errlen, "%s: out of memory", ld->name);
	else if (ld->err_line == 0 && config_check(ld) == 0) {
		*cfg = ld->cfg;
		return 0;
	}
	config_free(&ld->cfg);
	return -1;
}

/* The directory part of an absolute, normalized file name, into dir. */
static const char *config_dirname(const char *file, char *dir)
{
	size_t n = (size_t)(strrchr(file, '/') - file);

	n = n > 0 ? n : 1;
	memcpy(dir, file, n);
	dir[n] = '\0';
	return dir;
}

/*
 * Paths the file does not set take their defaults relative to the file's
 * directory too, so poold and poolctl given the same file agree on the
 * FIFO whatever their working directories, and [backup] allow defaults
 * to the file's directory rather than to wherever poold was started
 * (which is "/" under systemd).
 */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct config_load ld = {.name = path, .err = err, .errlen = errlen};
	char file[PATH_MAX], dir[PATH_MAX], reason[384];
	int rc;

	ld.fp = fopen(path, "re");
	if (ld.fp == NULL) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	if (config_absolute(path, file, reason, sizeof(reason)) < 0 ||
	    config_defaults_at(&ld.cfg, config_dirname(file, dir), reason, sizeof(reason)) < 0) {
		snprintf(err, errlen, "%s: %s", path, reason);
		fclose(ld.fp);
		return -1;
	}
	memcpy(ld.cfg.source, file, sizeof(file));
	rc = config_run(&ld, cfg);
	free(ld.buf);
	fclose(ld.fp);
	return rc;
}

int config_load_string(struct config *cfg, const char *text, const char *name, const char *basedir,
                       char *err, size_t errlen)
{
	struct config_load ld = {.name = name, .err = err, .errlen = errlen, .text = text};
	char reason[384];

	if (config_defaults_at(&ld.cfg, basedir != NULL ? basedir : ".", reason, sizeof(reason)) <
	    0) {
		snprintf(err, errlen, "%s: %s", name, reason);
		return -1;
	}
	return config_run(&ld, cfg);
}

/* Duration units in milliseconds; the empty unit (a bare number) is seconds. */
static const struct {
	const char *name;
	uint64_t ms;
} config_units[] = {
    {"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000},
};

/*
 * Whole decimal digits, an optional fraction and a unit.  The whole part
 * is capped while it is read, so no input can overflow; fraction digits
 * beyond the sixth, and anything below a millisecond, are dropped.
 */
int config_parse_duration(const char *text, unsigned *ms)
{
	uint64_t whole = 0, frac = 0, scale = 1, total;
	const char *p = text;
	size_t i, n = sizeof(config_units) / sizeof(config_units[0]);

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > CONFIG_DAY_MS)
			return -1;
	}
	if (*p == '.' && !isdigit((unsigned char)*++p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (scale < 1000000) {
			frac = frac * 10 + (uint64_t)(*p - '0');
			scale *= 10;
		}
	}
	for (i = 0; i < n && strcmp(p, config_units[i].name) != 0; i++)
		;
	if (i == n)
		return -1;
	total = whole * config_units[i].ms + frac * config_units[i].ms / scale;
	if (total > CONFIG_DAY_MS)
		return -1;
	*ms = (unsigned)total;
	return 0;
}

bool config_workers_differ(const struct config *a, const struct config *b)
{
	const struct config_key *k;
	int i, n = config_key_count();

	if (!opkind_same_all(a, b) || !modkind_same_all(a, b))
		return true;
	for (i = CONFIG_N_KEYS; i < n; i++) {
		k = config_key_at(i);
		if (k->reload == CONFIG_RELOAD_WORKERS &&
		    !k->same(k, config_blob((struct config *)a, k),
		             config_blob((struct config *)b, k)))
			return true;
	}
	return false;
}
