/*
 * The rules of each placeholder type of an argv template (template.h):
 * its spec at load time and a job's value at run time.  Private to
 * template.c and its tests.
 */
#ifndef POOLD_TEMPLATE_VALUE_H
#define POOLD_TEMPLATE_VALUE_H

#include <stdbool.h>
#include <stddef.h>

#include "template.h"

/* Checks and normalizes e->str, the spec of a placeholder (int range,
 * enum words, path root).  0, or -1 with a reason. */
int tplv_spec(struct tpl_elem *e, char *err, size_t errlen);

/* Checks the value v (len bytes) for e and writes its argv form, NUL
 * ended, into out (room bytes).  With fs, a path is also checked on the
 * filesystem.  0, or -1 with a reason in why. */
int tplv_value(const struct tpl_elem *e, const char *v, size_t len, bool fs, char *out, size_t room,
               char *why, size_t whylen);

#endif
