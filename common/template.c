/*
 * Argv templates: parsing [kind.NAME] exec = at load time, and filling
 * its placeholders from a job's arguments (template.h has the syntax).
 * The values' own rules are in template_value.c.  Nothing here runs a
 * program or a shell; the result is an argv array for execve.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pathrule.h"
#include "template.h"
#include "template_value.h"

#define BLANKS " \t"

static int tpl_fail(struct tpl *t, char *err, size_t errlen, const char *what)
{
	snprintf(err, errlen, "%s", what);
	tpl_free(t);
	return -1;
}

/* Copies the next element of *p into out (quotes removed); sets *quoted.
 * Returns 1 for an element, 0 at the end, -1 for an unclosed quote. */
static int tpl_next(const char **p, char *out, bool *quoted)
{
	const char *s = *p + strspn(*p, BLANKS), *end;
	size_t n;

	*quoted = *s == '\'' || *s == '"';
	if (*s == '\0')
		return 0;
	if (*quoted) {
		end = strchr(s + 1, *s);
		if (end == NULL)
			return -1;
		n = (size_t)(end - s - 1);
		memcpy(out, s + 1, n);
		*p = end + 1;
	} else {
		n = strcspn(s, BLANKS);
		memcpy(out, s, n);
		*p = s + n;
	}
	out[n] = '\0';
	return 1;
}

static const struct {
	const char *name;
	int type;
	bool spec; /* takes ":SPEC" */
} tpl_types[] = {
    {"int", TPL_INT, true},    {"enum", TPL_ENUM, true}, {"word", TPL_WORD, false},
    {"text", TPL_TEXT, false}, {"path", TPL_PATH, true},
};

/* Parses "{N:TYPE[:SPEC]}" in place (s is the element's text) into e. */
static int tpl_placeholder(char *s, struct tpl_elem *e, char *err, size_t errlen)
{
	size_t len = strlen(s), i;
	char *type, *spec, *end;
	unsigned long n;

	s[len - 1] = '\0';
	errno = 0;
	n = strtoul(s + 1, &end, 10);
	if (end == s + 1 || *end != ':' || n == 0 || n > TPL_MAX_ARGS || errno != 0) {
		snprintf(err, errlen, "placeholder '%s}' needs a number 1..%d then ':TYPE'", s,
		         TPL_MAX_ARGS);
		return -1;
	}
	type = end + 1;
	spec = strchr(type, ':');
	if (spec != NULL)
		*spec++ = '\0';
	for (i = 0; i < sizeof(tpl_types) / sizeof(tpl_types[0]); i++)
		if (strcmp(type, tpl_types[i].name) == 0)
			break;
	if (i == sizeof(tpl_types) / sizeof(tpl_types[0])) {
		snprintf(err, errlen, "placeholder %lu: unknown type '%s'", n, type);
		return -1;
	}
	if (tpl_types[i].spec != (spec != NULL)) {
		snprintf(err, errlen, "placeholder %lu: type %s %s", n, type,
		         spec != NULL ? "takes no ':SPEC'" : "needs a ':SPEC'");
		return -1;
	}
	e->type = tpl_types[i].type;
	e->arg = (unsigned)n;
	e->str = spec;
	return tplv_spec(e, err, errlen);
}

/* One element of the template, literal or placeholder, added to t. */
static int tpl_add(struct tpl *t, char *s, bool quoted, char *err, size_t errlen)
{
	struct tpl_elem *e = &t->el[t->n];
	size_t len = strlen(s);

	if (t->n == TPL_MAX_ELEMS) {
		snprintf(err, errlen, "more than %d arguments", TPL_MAX_ELEMS);
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->str = s;
	if (!quoted && len > 2 && s[0] == '{' && s[len - 1] == '}') {
		if (t->n == 0) {
			snprintf(err, errlen, "the program must be a literal absolute path");
			return -1;
		}
		if (tpl_placeholder(s, e, err, errlen) == -1)
			return -1;
		if (t->by_arg[e->arg] != 0) {
			snprintf(err, errlen, "placeholder %u used twice", e->arg);
			return -1;
		}
		t->by_arg[e->arg] = t->n;
		t->nargs++;
	} else if (!quoted && strchr(s, '{') != NULL && strchr(s, '}') != NULL) {
		snprintf(err, errlen,
		         "'%s': a placeholder must be a whole argument (quote a literal)", s);
		return -1;
	}
	t->n++;
	return 0;
}

int tpl_parse(struct tpl *t, const char *exec, char *err, size_t errlen)
{
	const char *p = exec;
	char *out;
	bool quoted;
	unsigned i;
	size_t n;
	int r;

	memset(t, 0, sizeof(*t));
	t->buf = malloc(strlen(exec) + 1);
	if (t->buf == NULL)
		return tpl_fail(t, err, errlen, strerror(errno));
	out = t->buf;
	while ((r = tpl_next(&p, out, &quoted)) == 1) {
		n = strlen(out); /* before tpl_add cuts a placeholder's text up */
		if (tpl_add(t, out, quoted, err, errlen) == -1) {
			tpl_free(t);
			return -1;
		}
		out += n + 1;
	}
	if (r == -1)
		return tpl_fail(t, err, errlen, "unclosed quote");
	if (t->n == 0 || t->el[0].str[0] != '/')
		return tpl_fail(t, err, errlen, "the program must be a literal absolute path");
	for (i = 1; i <= t->nargs; i++)
		if (t->by_arg[i] == 0)
			return tpl_fail(t, err, errlen,
			                "placeholders must be numbered 1, 2, ... with no gap");
	return 0;
}

int tpl_parse_schema(struct tpl *t, const char *schema, char *err, size_t errlen)
{
	char *exec = malloc(strlen(schema) + 3);
	unsigned i;
	int r;

	memset(t, 0, sizeof(*t));
	if (exec == NULL)
		return tpl_fail(t, err, errlen, strerror(errno));
	snprintf(exec, strlen(schema) + 3, "/ %s", schema); /* element 0: no program */
	r = tpl_parse(t, exec, err, errlen);
	free(exec);
	for (i = 1; r == 0 && i < t->n; i++) {
		if (t->el[i].type == TPL_LIT) {
			snprintf(err, errlen, "'%s' is not a placeholder {N:TYPE}", t->el[i].str);
			tpl_free(t);
			r = -1;
		}
	}
	return r;
}

void tpl_free(struct tpl *t)
{
	free(t->buf);
	memset(t, 0, sizeof(*t));
}

/* Splits args into the placeholders' fields: f[N] and fl[N] for N in
 * 1..nargs.  -1 with a reason if the count is wrong. */
static int tpl_fields(const struct tpl *t, const char *args, size_t len, const char **f, size_t *fl,
                      char *err, size_t errlen)
{
	const struct tpl_elem *last = t->nargs > 0 ? &t->el[t->by_arg[t->nargs]] : NULL;
	size_t i = 0, start;
	unsigned n = 0;

	for (;;) {
		while (i < len && (args[i] == ' ' || args[i] == '\t'))
			i++;
		if (i == len)
			break;
		if (n == t->nargs) {
			snprintf(err, errlen, "too many arguments: %u expected", t->nargs);
			return -1;
		}
		start = i;
		if (++n == t->nargs && last->type == TPL_TEXT)
			i = len;
		while (i < len && args[i] != ' ' && args[i] != '\t')
			i++;
		f[n] = args + start;
		fl[n] = i - start;
	}
	if (n != t->nargs) {
		snprintf(err, errlen, "%u argument%s expected, got %u", t->nargs,
		         t->nargs == 1 ? "" : "s", n);
		return -1;
	}
	return 0;
}

/* Fills out with the template, values checked (and on disk with fs). */
static int tpl_fill(const struct tpl *t, const char *args, size_t len, struct tpl_argv *out,
                    bool fs, char *err, size_t errlen)
{
	const char *f[TPL_MAX_ARGS + 1];
	size_t fl[TPL_MAX_ARGS + 1], off = 0, room;
	const struct tpl_elem *e;
	char why[200];
	unsigned i;

	if (tpl_fields(t, args, len, f, fl, err, errlen) == -1)
		return -1;
	for (i = 0; i < t->n; i++) {
		e = &t->el[i];
		room = sizeof(out->buf) - off;
		out->argv[i] = out->buf + off;
		if (e->type == TPL_LIT) {
			if (strlen(e->str) >= room)
				break;
			memcpy(out->buf + off, e->str, strlen(e->str) + 1);
		} else if (tplv_value(e, f[e->arg], fl[e->arg], fs, out->buf + off, room, why,
		                      sizeof(why)) == -1) {
			snprintf(err, errlen, "argument %u: %s", e->arg, why);
			return -1;
		}
		off += strlen(out->buf + off) + 1;
	}
	if (i < t->n) {
		snprintf(err, errlen, "arguments too long");
		return -1;
	}
	out->argv[t->n] = NULL;
	out->argc = t->n;
	return 0;
}

/* A template without placeholders (a module kind without arguments):
 * only blanks may follow the task, checked without filling 9 KiB of
 * output (its stack probes and copies cost a no-op job a fifth of its
 * time); its literals were checked once, when it was parsed. */
static int tpl_empty(const struct tpl *t, const char *args, size_t len, char *err, size_t errlen)
{
	const char *f[1];
	size_t fl[1];

	return tpl_fields(t, args, len, f, fl, err, errlen);
}

int tpl_check(const struct tpl *t, const char *args, size_t len, char *err, size_t errlen)
{
	struct tpl_argv out; /* 9 KiB of stack, no allocation per line */

	if (t->nargs == 0)
		return tpl_empty(t, args, len, err, errlen);
	return tpl_fill(t, args, len, &out, false, err, errlen);
}

int tpl_expand(const struct tpl *t, const char *args, size_t len, struct tpl_argv *out, char *err,
               size_t errlen)
{
	return tpl_fill(t, args, len, out, true, err, errlen);
}

/* Is the word w (n bytes) in the enum list ("a|b")? */
static bool tpl_enum_has(const char *list, const char *w, size_t n)
{
	size_t l;

	for (;;) {
		l = strcspn(list, "|");
		if (l == n && strncmp(list, w, n) == 0)
			return true;
		if (list[l] == '\0')
			return false;
		list += l + 1;
	}
}

/* Is every word of the enum list sub in the list of? */
static bool tpl_enum_subset(const char *sub, const char *of)
{
	size_t n;

	for (;;) {
		n = strcspn(sub, "|");
		if (!tpl_enum_has(of, sub, n))
			return false;
		if (sub[n] == '\0')
			return true;
		sub += n + 1;
	}
}

/* Why placeholder n of narrow accepts a value that w refuses, or NULL. */
static const char *tpl_wider(const struct tpl_elem *w, const struct tpl_elem *n)
{
	if (n->type != w->type)
		return "its type is not the module's";
	if (n->type == TPL_INT && (n->min < w->min || n->max > w->max))
		return "its range is not within the module's";
	if (n->type == TPL_ENUM && !tpl_enum_subset(n->str, w->str))
		return "its words are not a subset of the module's";
	if (n->type == TPL_PATH && pathrule_under(n->str, w->str) == NULL)
		return "its root is not under the module's";
	return NULL;
}

int tpl_narrower(const struct tpl *wide, const struct tpl *narrow, char *err, size_t errlen)
{
	const struct tpl_elem *w, *n;
	const char *why;
	unsigned i;

	if (narrow->nargs != wide->nargs) {
		snprintf(err, errlen, "%u placeholders, the module declares %u", narrow->nargs,
		         wide->nargs);
		return -1;
	}
	for (i = 1; i <= wide->nargs; i++) {
		w = &wide->el[wide->by_arg[i]];
		n = &narrow->el[narrow->by_arg[i]];
		why = tpl_wider(w, n);
		if (why != NULL) {
			snprintf(err, errlen, "placeholder %u: %s", i, why);
			return -1;
		}
	}
	return 0;
}

void tpl_describe(const struct tpl *t, char *out, size_t len)
{
	static const char *const names[] = {"lit", "int", "enum", "word", "text", "path"};
	size_t o = 0;
	unsigned i;

	out[0] = '\0';
	for (i = 1; i <= t->nargs && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%u:%s", i > 1 ? " " : "", i,
		                      names[t->el[t->by_arg[i]].type]);
}
