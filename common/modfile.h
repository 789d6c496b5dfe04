/*
 * A native module's declaration read from its file without loading it
 * (poold/module.h): the ELF section ".poold_module" holds a struct
 * poold_module, plain data, which this reads with read(2) and checks
 * (magic, ABI, size, names, schemas).  The master and poolctl learn a
 * module's kinds this way and never run its code; only workers dlopen it.
 */
#ifndef POOLD_MODFILE_H
#define POOLD_MODFILE_H

#include <stddef.h>

#include "poold/module.h"

/* Reads and checks the declaration of the module at path into *decl.
 * 0, or -1 with a reason (not ELF, built for another machine, no
 * poold_module section, ABI mismatch, bad name or schema). */
int modfile_read(const char *path, struct poold_module *decl, char *err, size_t errlen);

/* Checks a declaration (also the one a worker finds in memory): 0, or -1
 * with a reason. */
int modfile_check(const struct poold_module *decl, char *err, size_t errlen);

#endif
