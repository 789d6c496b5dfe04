/*
 * poold --check-module FILE: what an operator runs before naming a module
 * in [module.NAME].  Reads the declaration from the file as the master
 * does (modfile.h, no code run), then loads the module in this process as
 * a worker would (job_mod.h: symbols, ABI; its init is not called), and
 * prints the ABI, the kinds and their schemas, or why it cannot be used.
 */
#include <stdio.h>

#include "exitcodes.h"
#include "job_mod.h"
#include "master.h"
#include "modfile.h"
#include "template.h"

int modcheck_run(const char *path)
{
	struct poold_module decl;
	struct job_mod_lib lib;
	char err[PATH_MAX + 256], args[256];
	struct tpl t;
	unsigned i;

	if (modfile_read(path, &decl, err, sizeof(err)) == -1 ||
	    job_mod_open(path, &decl, &lib, err, sizeof(err)) == -1) {
		fprintf(stderr, "poold: module %s cannot be loaded: %s\n", path, err);
		return POOLD_EXIT_CONFIG;
	}
	printf("module %s: ABI %u, %u kind%s\n", path, decl.abi, decl.nkinds,
	       decl.nkinds == 1 ? "" : "s");
	for (i = 0; i < decl.nkinds; i++) {
		args[0] = '\0';
		if (tpl_parse_schema(&t, decl.kinds[i].schema, err, sizeof(err)) == 0) {
			tpl_describe(&t, args, sizeof(args));
			tpl_free(&t);
		}
		printf("kind %s (code +%u): schema \"%s\" (%s)%s%s%s\n", decl.kinds[i].name, i,
		       decl.kinds[i].schema, args[0] != '\0' ? args : "no arguments",
		       (decl.kinds[i].flags & POOLD_KIND_BATCH) ? ", batched" : "",
		       lib.ops->kinds[i].init != NULL ? ", init" : "",
		       lib.ops->kinds[i].fini != NULL ? ", fini" : "");
	}
	job_mod_close(&lib);
	return POOLD_EXIT_OK;
}
