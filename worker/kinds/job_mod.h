/*
 * Loading a native module (poold/module.h) into the process: dlopen, the
 * two symbols, their ABI and their agreement with the declaration the
 * master read from the file.  Workers load modules after fork (job_mod.c:
 * the module kinds' row); `poold --check-module` loads one in its own
 * process to report on it.  The master never calls this.
 */
#ifndef POOLD_JOB_MOD_H
#define POOLD_JOB_MOD_H

#include <stddef.h>

#include "poold/module.h"

struct job_mod_lib {
	void *dl;
	const struct poold_module *decl; /* in the loaded object */
	const struct poold_module_ops *ops;
};

/*
 * Loads the module at path and checks it: poold_module and
 * poold_module_ops present, same ABI, one run function per kind; with
 * want non-NULL, the loaded declaration must be the same bytes (the file
 * did not change since it was read).  0, or -1 with a reason (the library
 * is closed again).
 */
int job_mod_open(const char *path, const struct poold_module *want, struct job_mod_lib *lib,
                 char *err, size_t errlen);

void job_mod_close(struct job_mod_lib *lib);

#endif
