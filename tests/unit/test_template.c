/*
 * Unit tests of argv templates (common/template.c, template_value.c):
 * templates accepted and refused at load time, every placeholder type
 * with values accepted and refused, the injection attempts of issue 11
 * (shell syntax, newlines, NUL, a leading '-', '..', symlinks, FIFOs,
 * overlong values), and the rule that splits a job's arguments.
 */
/* test-sources: common/template.c common/template_value.c common/pathrule.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "template.h"

static char err[256];

static void parse_ok(struct tpl *t, const char *exec)
{
	if (tpl_parse(t, exec, err, sizeof(err)) != 0)
		fail_msg("'%s' refused: %s", exec, err);
}

static void test_parse_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "bin/x {1:word}",
	    "{1:word} x",
	    "/bin/x {1:int}",
	    "/bin/x {1:int:5..1}",
	    "/bin/x {1:int:a..b}",
	    "/bin/x {1:enum:a|-b}",
	    "/bin/x {1:enum:a||b}",
	    "/bin/x {1:word:x}",
	    "/bin/x {1:path}",
	    "/bin/x {1:path:rel}",
	    "/bin/x {1:path:/srv/../etc}",
	    "/bin/x {1:blob}",
	    "/bin/x {0:word}",
	    "/bin/x {17:word}",
	    "/bin/x {2:word}",
	    "/bin/x {1:word} {1:word}",
	    "/bin/x --size={1:int:1..2}",
	    "/bin/x 'unclosed",
	};
	struct tpl t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (tpl_parse(&t, bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(err[0] != '\0');
		tpl_free(&t);
	}
}

static void test_parse_split(void **state)
{
	struct tpl t;

	(void)state;
	parse_ok(&t,
	         "/usr/bin/mk  --size {1:int:16..4096} 'a b' \"{2:word}\" -- {2:path:/srv//m/}");
	assert_int_equal(t.n, 7);
	assert_int_equal(t.nargs, 2);
	assert_string_equal(t.el[3].str, "a b");
	assert_int_equal(t.el[4].type, TPL_LIT); /* quoted: literal */
	assert_string_equal(t.el[4].str, "{2:word}");
	assert_int_equal(t.el[6].type, TPL_PATH);
	assert_string_equal(t.el[6].str, "/srv/m"); /* root normalized */
	assert_int_equal(t.by_arg[1], 2);
	tpl_free(&t);
}

/* Expands args with exec and returns argv joined with '|' in out. */
static int expand(const char *exec, const char *args, size_t len, char *out, size_t outlen)
{
	struct tpl_argv *a = malloc(sizeof(*a));
	struct tpl t;
	unsigned i;
	int r;

	parse_ok(&t, exec);
	assert_non_null(a);
	r = tpl_expand(&t, args, len, a, err, sizeof(err));
	assert_int_equal(r, tpl_check(&t, args, len, err, sizeof(err)) == 0 || r == -1 ? r : 0);
	out[0] = '\0';
	for (i = 0; r == 0 && i < a->argc; i++)
		snprintf(out + strlen(out), outlen - strlen(out), "%s%s", i ? "|" : "", a->argv[i]);
	if (r == 0)
		assert_null(a->argv[a->argc]);
	free(a);
	tpl_free(&t);
	return r;
}

#define OK(exec, args, want)                                                                       \
	do {                                                                                       \
		char got_[1024];                                                                   \
		if (expand(exec, args, strlen(args), got_, sizeof(got_)) != 0)                     \
			fail_msg("'%s' refused: %s", args, err);                                   \
		assert_string_equal(got_, want);                                                   \
	} while (0)
#define NO(exec, args)                                                                             \
	do {                                                                                       \
		char got_[1024];                                                                   \
		if (expand(exec, args, strlen(args), got_, sizeof(got_)) != -1)                    \
			fail_msg("'%s' accepted as %s", args, got_);                               \
	} while (0)

static void test_int(void **state)
{
	(void)state;
	OK("/x {1:int:16..4096}", "640", "/x|640");
	OK("/x {1:int:16..4096}", "0016", "/x|16");
	OK("/x {1:int:-5..5}", "-5", "/x|-5");
	NO("/x {1:int:16..4096}", "15");
	NO("/x {1:int:16..4096}", "4097");
	NO("/x {1:int:16..4096}", "+20");
	NO("/x {1:int:16..4096}", "20x");
	NO("/x {1:int:16..4096}", "0x20");
	NO("/x {1:int:-5..5}", "-");
	NO("/x {1:int:0..5}", "99999999999999999999999");
	NO("/x {1:int:0..5}", "");
}

static void test_enum_word(void **state)
{
	(void)state;
	OK("/x {1:enum:small|large}", "large", "/x|large");
	/* A placeholder with a spec, then more elements: the spec's text
	 * was overwritten by the next element's. */
	OK("/x {1:enum:a|b} {2:int:1..9} -v {3:text}", "b 7 x y", "/x|b|7|-v|x y");
	NO("/x {1:enum:a|b} {2:int:1..9} -v {3:text}", "c 7 x");
	NO("/x {1:enum:small|large}", "larg");
	NO("/x {1:enum:small|large}", "small|large");
	OK("/x {1:word}", "v1.2_rc-3", "/x|v1.2_rc-3");
	NO("/x {1:word}", "-rf");
	NO("/x {1:word}", "..");
	NO("/x {1:word}", "a/b");
	NO("/x {1:word}", "a;b");
	NO("/x {1:word}", "$(id)");
	NO("/x {1:word}", "`id`");
	NO("/x {1:word}", "\xc3\xa9");
}

static void test_text_rest(void **state)
{
	(void)state;
	OK("/x {1:word} {2:text}", "a  hello  world ; rm -rf / ", "/x|a|hello  world ; rm -rf / ");
	OK("/x {1:text}", "caf\xc3\xa9 $(id) `id`", "/x|caf\xc3\xa9 $(id) `id`");
	NO("/x {1:text}", "-rf /");
	NO("/x {1:text}", "a\nb");
	NO("/x {1:text}", "a\rb");
	NO("/x {1:text}", "a\x1b[2Jb");
	NO("/x {1:text}", "\xc2\x85");     /* C1 NEL */
	NO("/x {1:text}", "\xc0\xaf");     /* overlong '/' */
	NO("/x {1:text}", "\xed\xa0\x80"); /* surrogate */
	NO("/x {1:text}", "\xff");
	NO("/x {1:text} {2:word}", "a b c"); /* text not last: one field */
	OK("/x {1:text} {2:word}", "a b", "/x|a|b");
}

static void test_counts_and_nul(void **state)
{
	char got[256];

	(void)state;
	NO("/x {1:word} {2:word}", "a");
	NO("/x {1:word}", "a b");
	NO("/x", "a");
	OK("/x", "   ", "/x");
	OK("/x {2:word} {1:word}", "a b", "/x|b|a");
	assert_int_equal(expand("/x {1:text}", "a\0b", 3, got, sizeof(got)), -1);
	assert_int_equal(expand("/x {1:word}", "a\0b", 3, got, sizeof(got)), -1);
}

static void test_overlong(void **state)
{
	char v[9000], want[300];

	(void)state;
	memset(v, 'a', sizeof(v) - 1);
	v[sizeof(v) - 1] = '\0';
	NO("/x {1:text}", v); /* over the expanded argv's room */
	v[256] = '\0';
	NO("/x {1:word}", v);
	v[255] = '\0';
	snprintf(want, sizeof(want), "/x|%.255s", v);
	OK("/x {1:word}", v, want);
}

/* A root with a file, a directory, a symlink out, a FIFO and a
 * directory symlink, for the path type. */
static void test_path(void **state)
{
	const char *tmp = getenv("POOLD_TEST_TMP");
	char root[PATH_MAX], p[PATH_MAX + 64], exec[PATH_MAX + 64], want[PATH_MAX + 64];
	FILE *f;

	(void)state;
	snprintf(root, sizeof(root), "%s/tpl-XXXXXX", tmp != NULL ? tmp : "/tmp");
	assert_non_null(mkdtemp(root));
	snprintf(p, sizeof(p), "%s/d", root);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof(p), "%s/d/a.jpg", root);
	assert_non_null(f = fopen(p, "w"));
	fclose(f);
	snprintf(p, sizeof(p), "%s/out", root);
	assert_int_equal(symlink("/etc/passwd", p), 0);
	snprintf(p, sizeof(p), "%s/dl", root);
	assert_int_equal(symlink("d", p), 0);
	snprintf(p, sizeof(p), "%s/d/fifo", root);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(exec, sizeof(exec), "/bin/mk -- {1:path:%s}", root);

	snprintf(p, sizeof(p), "%s//d/./a.jpg", root);
	snprintf(want, sizeof(want), "/bin/mk|--|%s/d/a.jpg", root);
	OK(exec, p, want);
	snprintf(p, sizeof(p), "%s/d/new.jpg", root); /* missing last entry: an output */
	snprintf(want, sizeof(want), "/bin/mk|--|%s/d/new.jpg", root);
	OK(exec, p, want);
	snprintf(p, sizeof(p), "%s/out", root);
	NO(exec, p);
	snprintf(p, sizeof(p), "%s/dl/a.jpg", root);
	NO(exec, p);
	snprintf(p, sizeof(p), "%s/d/fifo", root);
	NO(exec, p);
	snprintf(p, sizeof(p), "%s/d/../../etc/passwd", root);
	NO(exec, p);
	snprintf(p, sizeof(p), "%sX/d/a.jpg", root);
	NO(exec, p);
	NO(exec, "/etc/passwd");
	NO(exec, "d/a.jpg");
	NO("/bin/mk {1:path:/dev}", "/dev/null");
	snprintf(p, sizeof(p), "rm -rf '%s'", root);
	assert_int_equal(system(p), 0);
}

/* narrower(WIDE, NARROW): tpl_narrower's answer, its reason in err. */
static char narrow_err[256];

static int narrower(const char *wide, const char *narrow)
{
	struct tpl w, n;
	int r;

	assert_int_equal(tpl_parse_schema(&w, wide, narrow_err, sizeof(narrow_err)), 0);
	assert_int_equal(tpl_parse_schema(&n, narrow, narrow_err, sizeof(narrow_err)), 0);
	r = tpl_narrower(&w, &n, narrow_err, sizeof(narrow_err));
	tpl_free(&w);
	tpl_free(&n);
	return r;
}

static void test_narrower(void **state)
{
	const char *wide = "{1:enum:sha256|sha512} {2:path:/srv} {3:int:1..100} {4:word}";

	assert_int_equal(narrower(wide, wide), 0);
	assert_int_equal(
	    narrower(wide, "{1:enum:sha512} {2:path:/srv/data} {3:int:5..10} {4:word}"), 0);
	/* The order of the placeholders in the text does not matter, their numbers do. */
	assert_int_equal(narrower(wide, "{4:word} {3:int:1..100} {2:path:/srv} {1:enum:sha256}"),
	                 0);
	assert_int_equal(
	    narrower(wide, "{1:enum:sha256|md5} {2:path:/srv} {3:int:1..100} {4:word}"), -1);
	assert_string_equal(narrow_err,
	                    "placeholder 1: its words are not a subset of the module's");
	assert_int_equal(narrower(wide, "{1:enum:sha256} {2:path:/srvx} {3:int:1..100} {4:word}"),
	                 -1);
	assert_string_equal(narrow_err, "placeholder 2: its root is not under the module's");
	assert_int_equal(narrower(wide, "{1:enum:sha256} {2:path:/} {3:int:1..100} {4:word}"), -1);
	assert_int_equal(narrower(wide, "{1:enum:sha256} {2:path:/srv} {3:int:0..100} {4:word}"),
	                 -1);
	assert_string_equal(narrow_err, "placeholder 3: its range is not within the module's");
	assert_int_equal(narrower(wide, "{1:enum:sha256} {2:path:/srv} {3:int:1..101} {4:word}"),
	                 -1);
	assert_int_equal(narrower(wide, "{1:enum:sha256} {2:path:/srv} {3:int:1..100} {4:text}"),
	                 -1);
	assert_string_equal(narrow_err, "placeholder 4: its type is not the module's");
	assert_int_equal(narrower(wide, "{1:enum:sha256} {2:path:/srv} {3:int:1..100}"), -1);
	assert_string_equal(narrow_err, "3 placeholders, the module declares 4");
	assert_int_equal(narrower("{1:path:/}", "{1:path:/var/lib/poold}"), 0);
	assert_int_equal(narrower("", ""), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_refused), cmocka_unit_test(test_parse_split),
	    cmocka_unit_test(test_int),           cmocka_unit_test(test_enum_word),
	    cmocka_unit_test(test_text_rest),     cmocka_unit_test(test_counts_and_nul),
	    cmocka_unit_test(test_overlong),      cmocka_unit_test(test_path),
	    cmocka_unit_test(test_narrower),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
