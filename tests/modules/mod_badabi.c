/*
 * Test module: a declaration with module ABI 99, as a module built for
 * another poold would carry; poold must refuse it.
 */
#include <poold/module.h>

static int x_run(poold_job *job, const struct poold_api *api)
{
	return POOLD_OK;
}

__attribute__((visibility("default"), used, section(".poold_module")))
const struct poold_module poold_module = {
    POOLD_MODULE_MAGIC, 99, sizeof(struct poold_module), 1, 0, {POOLD_KIND("x", "", 0)}};
POOLD_MODULE_OPS({.run = x_run});
