/*
 * Argv templates of operator-declared job kinds ([kind.NAME] exec =).
 * The template is split into argv elements once, when the configuration
 * is loaded; a job line only fills typed placeholders, each of which is
 * exactly one whole argv element, so nothing a submitter writes can pick
 * the program, add or split an argument, or reach a shell (none runs).
 *
 * Template syntax: elements separated by blanks; '...' or "..." quote an
 * element with blanks (no escapes, no expansion; a quoted element is
 * always literal).  The first element is the program, a literal absolute
 * path.  A placeholder is an unquoted element {N:TYPE}:
 *   {N:int:MIN..MAX}  a decimal integer in range, passed in canonical form
 *   {N:enum:a|b|c}    one of the listed words
 *   {N:word}          letters, digits and . _ -, not starting with -,
 *                     not . or .., at most 255 bytes
 *   {N:text}          UTF-8 without control characters, not starting
 *                     with -; as the last placeholder it takes the rest
 *                     of the line, blanks included
 *   {N:path:ROOT}     an absolute path below ROOT: the rules of `backup`
 *                     (no NUL, no .. component), normalized; in the worker
 *                     no symlink in any component below ROOT and no FIFO,
 *                     socket or device (a missing last entry is allowed)
 * N runs from 1 to the number of placeholders, each used once.
 *
 * Job arguments: fields separated by runs of blanks (space, tab), one per
 * placeholder in the order of N; the count must match, except that a
 * `text` placeholder numbered last takes the rest of the line.
 */
#ifndef POOLD_TEMPLATE_H
#define POOLD_TEMPLATE_H

#include <stddef.h>

#define TPL_MAX_ELEMS 64   /* argv elements of a template */
#define TPL_MAX_ARGS  16   /* placeholders of a template */
#define TPL_WORD_MAX  255  /* bytes of a word value */
#define TPL_OUT_MAX   8192 /* bytes of an expanded argv, NULs included */

enum tpl_type { TPL_LIT, TPL_INT, TPL_ENUM, TPL_WORD, TPL_TEXT, TPL_PATH };

struct tpl_elem {
	int type;           /* enum tpl_type */
	unsigned arg;       /* placeholder number N, 0 for a literal */
	long long min, max; /* TPL_INT */
	char *str;          /* literal, enum list "a|b|c", or path root (in tpl->buf) */
};

struct tpl {
	char *buf; /* owned: the elements' text */
	struct tpl_elem el[TPL_MAX_ELEMS];
	unsigned n;                        /* elements */
	unsigned nargs;                    /* placeholders */
	unsigned by_arg[TPL_MAX_ARGS + 1]; /* element index of placeholder N */
};

/* An expanded template: argv[0..argc-1] point into buf; argv[argc] NULL. */
struct tpl_argv {
	char *argv[TPL_MAX_ELEMS + 1];
	unsigned argc;
	char buf[TPL_OUT_MAX];
};

/* Parses exec into t.  Returns 0, or -1 with a reason in err (t is then
 * empty, tpl_free harmless). */
int tpl_parse(struct tpl *t, const char *exec, char *err, size_t errlen);

/* Parses a native module's argument schema (poold/module.h): the same
 * placeholders with no program and no literal; an expanded schema's
 * argv[0] is "/" and placeholder N is argv[by_arg[N]].  0, or -1 with a
 * reason in err. */
int tpl_parse_schema(struct tpl *t, const char *schema, char *err, size_t errlen);

void tpl_free(struct tpl *t);

/* Checks a job's arguments against the template, the master's check
 * before a line is accepted.  0, or -1 with a reason in err. */
int tpl_check(const struct tpl *t, const char *args, size_t len, char *err, size_t errlen);

/* Checks and expands a job's arguments into out (the worker's side; path
 * values are also checked on the filesystem).  0, or -1 with a reason. */
int tpl_expand(const struct tpl *t, const char *args, size_t len, struct tpl_argv *out, char *err,
               size_t errlen);

/*
 * Is narrow a narrowing of wide: the same placeholders with the same
 * types, each int range within wide's, each enum a subset of wide's,
 * each path root at or under wide's, so that every line narrow accepts
 * wide accepts too?  Returns 0, or -1 with the first difference in err.
 */
int tpl_narrower(const struct tpl *wide, const struct tpl *narrow, char *err, size_t errlen);

/* The template's placeholders in words ("1:int 2:path"), for log lines. */
void tpl_describe(const struct tpl *t, char *out, size_t len);

#endif
