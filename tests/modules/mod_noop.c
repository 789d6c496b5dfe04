/*
 * Test module: `mnoop`, a noop through the module interface (batched, no
 * arguments), for the bench and t_module; `margs` echoes its arguments
 * with the job's id and attempt; `mretry N` is a temporary failure
 * (POOLD_RETRY) before attempt N, then a success.
 */
#include <poold/module.h>

static int mnoop_run(poold_job *job, const struct poold_api *api)
{
	return POOLD_OK;
}

static int margs_run(poold_job *job, const struct poold_api *api)
{
	api->result(job, "id %llu attempt %u args %u: %s %s deadline %s",
	            (unsigned long long)api->id(job), api->attempt(job), api->nargs(job),
	            api->arg(job, 1), api->arg(job, 2),
	            api->deadline_ns(job) != 0 ? "set" : "none");
	return POOLD_OK;
}

static int mretry_run(poold_job *job, const struct poold_api *api)
{
	unsigned want = (unsigned)(api->arg(job, 1)[0] - '0');

	if (api->attempt(job) < want) {
		api->result(job, "not before attempt %u", want);
		return POOLD_RETRY;
	}
	api->result(job, "ok at attempt %u", api->attempt(job));
	return POOLD_OK;
}

POOLD_MODULE(POOLD_KIND("mnoop", "", POOLD_KIND_BATCH),
             POOLD_KIND("margs", "{1:int:1..9} {2:text}", 0),
             POOLD_KIND("mretry", "{1:int:1..9}", 0));
POOLD_MODULE_OPS({.run = mnoop_run}, {.run = margs_run}, {.run = mretry_run});
