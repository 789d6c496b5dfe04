/*
 * Test module: a schema with an unknown placeholder type; poold must
 * refuse it, saying which kind and why.
 */
#include <poold/module.h>

static int bad_run(poold_job *job, const struct poold_api *api)
{
	return POOLD_OK;
}

POOLD_MODULE(POOLD_KIND("bad", "{1:word} {2:float}", 0));
POOLD_MODULE_OPS({.run = bad_run});
