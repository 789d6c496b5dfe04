/*
 * Test module: `mcrash` kills its worker (abort) when asked, else
 * succeeds; `mbadinit` has an init that fails in every worker.
 */
#include <poold/module.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int mcrash_run(poold_job *job, const struct poold_api *api)
{
	if (strcmp(api->arg(job, 1), "crash") == 0)
		abort();
	api->result(job, "survived attempt %u", api->attempt(job));
	return POOLD_OK;
}

static int mbadinit_init(void **state, char *err, size_t errlen)
{
	snprintf(err, errlen, "the license server is unreachable");
	return -1;
}

static int mbadinit_run(poold_job *job, const struct poold_api *api)
{
	return POOLD_OK;
}

POOLD_MODULE(POOLD_KIND("mcrash", "{1:word}", 0), POOLD_KIND("mbadinit", "", 0));
POOLD_MODULE_OPS({.run = mcrash_run}, {.run = mbadinit_run, .init = mbadinit_init});
