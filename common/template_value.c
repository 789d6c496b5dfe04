/*
 * Placeholder types of argv templates: what each accepts.  The master
 * runs these checks before it accepts a job line and the worker runs
 * them again (with the filesystem checks of a path) just before exec, so
 * a value reaches a program only as one checked argv element.  No value
 * may start with '-' (except a negative int inside its range), so none
 * can pass for an option; none may hold a control character or NUL.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pathrule.h"
#include "template_value.h"
#include "utf8.h"

static int tplv_why(char *why, size_t whylen, const char *reason)
{
	snprintf(why, whylen, "%s", reason);
	return -1;
}

static int tplv_word(const char *v, size_t len, char *why, size_t whylen)
{
	size_t i;

	if (len == 0 || len > TPL_WORD_MAX)
		return tplv_why(why, whylen, "a word has 1 to 255 bytes");
	if (v[0] == '-')
		return tplv_why(why, whylen, "a word may not start with '-'");
	if ((len == 1 && v[0] == '.') || (len == 2 && v[0] == '.' && v[1] == '.'))
		return tplv_why(why, whylen, "a word may not be '.' or '..'");
	for (i = 0; i < len; i++)
		if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
		      (v[i] >= '0' && v[i] <= '9') || v[i] == '.' || v[i] == '_' || v[i] == '-'))
			return tplv_why(why, whylen, "a word has only letters, digits and . _ -");
	return 0;
}

static int tplv_text(const char *v, size_t len, char *why, size_t whylen)
{
	size_t i = 0, n;
	uint32_t cp;

	if (len > 0 && v[0] == '-')
		return tplv_why(why, whylen, "text may not start with '-'");
	while (i < len) {
		n = utf8_seq((const unsigned char *)v + i, len - i, &cp);
		if (n == 0)
			return tplv_why(why, whylen, "text is not valid UTF-8");
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0))
			return tplv_why(why, whylen, "text has a control character");
		i += n;
	}
	return 0;
}

static int tplv_int(const struct tpl_elem *e, const char *v, size_t len, long long *out, char *why,
                    size_t whylen)
{
	char num[24], *end;

	if (len == 0 || len >= sizeof(num) || (v[0] != '-' && (v[0] < '0' || v[0] > '9')))
		return tplv_why(why, whylen, "not a decimal integer");
	memcpy(num, v, len);
	num[len] = '\0';
	errno = 0;
	*out = strtoll(num, &end, 10);
	if (*end != '\0' || end == num || errno != 0 || (num[0] == '-' && len == 1))
		return tplv_why(why, whylen, "not a decimal integer");
	if (*out < e->min || *out > e->max) {
		snprintf(why, whylen, "%lld is out of range %lld..%lld", *out, e->min, e->max);
		return -1;
	}
	return 0;
}

static int tplv_enum(const struct tpl_elem *e, const char *v, size_t len, char *why, size_t whylen)
{
	const char *p = e->str;
	size_t n;

	for (;;) {
		n = strcspn(p, "|");
		if (n == len && memcmp(p, v, len) == 0)
			return 0;
		if (p[n] == '\0')
			break;
		p += n + 1;
	}
	snprintf(why, whylen, "not one of %s", e->str);
	return -1;
}

/* The filesystem half of a path's rules: from the root to the entry with
 * no symlink, and the entry (if it exists) no FIFO, socket or device. */
static int tplv_path_fs(const char *root, const char *rel, char *why, size_t whylen)
{
	const char *slash = strrchr(rel, '/');
	char dir[PATH_MAX];
	size_t dl = slash != NULL ? (size_t)(slash - rel) : 0;
	struct stat st;
	int rootfd, dfd, r = 0;

	if (*rel == '\0')
		return 0;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return tplv_why(why, whylen, "its root cannot be opened");
	memcpy(dir, rel, dl);
	dir[dl] = '\0';
	dfd = pathrule_beneath(rootfd, dir);
	close(rootfd);
	if (dfd < 0)
		return tplv_why(why, whylen,
		                errno == ELOOP ? "a symlink in the path"
		                               : "its directory is missing");
	if (fstatat(dfd, slash != NULL ? slash + 1 : rel, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    pathrule_refused(st.st_mode) != NULL) {
		snprintf(why, whylen, "refusing %s", pathrule_refused(st.st_mode));
		r = -1;
	}
	close(dfd);
	return r;
}

static int tplv_path(const struct tpl_elem *e, const char *v, size_t len, bool fs, char *out,
                     size_t room, char *why, size_t whylen)
{
	const char *rel;

	if (pathrule_check(v, len, why, whylen) == -1)
		return -1;
	if (len + 2 > room)
		return tplv_why(why, whylen, "too long");
	pathrule_normalize(v, len, out);
	rel = pathrule_under(out, e->str);
	if (rel == NULL) {
		snprintf(why, whylen, "not under %s", e->str);
		return -1;
	}
	if (tplv_text(out, strlen(out), why, whylen) == -1)
		return -1;
	return fs ? tplv_path_fs(e->str, rel, why, whylen) : 0;
}

int tplv_value(const struct tpl_elem *e, const char *v, size_t len, bool fs, char *out, size_t room,
               char *why, size_t whylen)
{
	long long n;

	if (memchr(v, '\0', len) != NULL)
		return tplv_why(why, whylen, "a NUL byte");
	if (e->type == TPL_PATH)
		return tplv_path(e, v, len, fs, out, room, why, whylen);
	if (e->type == TPL_INT) {
		if (tplv_int(e, v, len, &n, why, whylen) == -1)
			return -1;
		snprintf(out, room, "%lld", n);
		return 0;
	}
	if ((e->type == TPL_WORD && tplv_word(v, len, why, whylen) == -1) ||
	    (e->type == TPL_TEXT && tplv_text(v, len, why, whylen) == -1) ||
	    (e->type == TPL_ENUM && tplv_enum(e, v, len, why, whylen) == -1))
		return -1;
	if (len >= room)
		return tplv_why(why, whylen, "too long");
	memcpy(out, v, len);
	out[len] = '\0';
	return 0;
}

static int tplv_spec_int(struct tpl_elem *e, char *err, size_t errlen)
{
	char *end;

	errno = 0;
	e->min = strtoll(e->str, &end, 10);
	if (end != e->str && strncmp(end, "..", 2) == 0) {
		const char *hi = end + 2;

		e->max = strtoll(hi, &end, 10);
		if (end != hi && *end == '\0' && errno == 0 && e->min <= e->max)
			return 0;
	}
	snprintf(err, errlen, "placeholder %u: int needs MIN..MAX, got '%s'", e->arg, e->str);
	return -1;
}

int tplv_spec(struct tpl_elem *e, char *err, size_t errlen)
{
	char why[128], *p, *bar;

	if (e->type == TPL_INT)
		return tplv_spec_int(e, err, errlen);
	if (e->type == TPL_ENUM) {
		for (p = e->str;; p = bar + 1) {
			bar = strchr(p, '|');
			if (tplv_word(p, bar != NULL ? (size_t)(bar - p) : strlen(p), why,
			              sizeof(why)) == -1) {
				snprintf(err, errlen, "placeholder %u: enum value: %s", e->arg,
				         why);
				return -1;
			}
			if (bar == NULL)
				return 0;
		}
	}
	if (e->type == TPL_PATH) {
		if (pathrule_check(e->str, strlen(e->str), why, sizeof(why)) == -1) {
			snprintf(err, errlen, "placeholder %u: root: %s", e->arg, why);
			return -1;
		}
		pathrule_normalize(e->str, strlen(e->str), e->str); /* only shrinks */
	}
	return 0;
}
