/*
 * The native module kinds' row ([module.NAME], modkind.h): one struct
 * job_kind shared by every module kind, whose data is the kind's struct
 * modkind.  The master checks a job's arguments against the kind's
 * schema (the declaration it read from the file, never the module's
 * code).  A worker loads the module in the kind's init hook, after fork,
 * and calls the module's init; if either fails, the worker logs it once,
 * refuses the kind in its hello (the master gives its jobs to other
 * workers) and fails at once, with the reason, any job of the kind it
 * gets all the same, serving the other kinds as before.  Each job is checked again (paths on the
 * filesystem) and handed to the module's run through struct poold_api.
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "job.h"
#include "job_mod.h"
#include "jobs.h"
#include "log.h"
#include "modkind.h"

struct job_mod_state {
	struct job_mod_lib lib;
	const struct poold_kind_ops *ops; /* NULL: not ready, why says why */
	void *mstate;                     /* the module's own, from its init */
	char why[PROTO_MSG_MAX];
	struct tpl_argv av;
};

/* What poold_job points to during one run. */
struct poold_job {
	struct job_ctx *ctx;
	const struct modkind *k;
	struct job_mod_state *st;
};

int job_mod_open(const char *path, const struct poold_module *want, struct job_mod_lib *lib,
                 char *err, size_t errlen)
{
	const char *e;
	unsigned i;

	memset(lib, 0, sizeof(*lib));
	lib->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (lib->dl == NULL) {
		e = dlerror();
		snprintf(err, errlen, "cannot load: %s", e != NULL ? e : "dlopen failed");
		return -1;
	}
	lib->decl = dlsym(lib->dl, "poold_module");
	lib->ops = dlsym(lib->dl, "poold_module_ops");
	if (lib->decl == NULL || lib->ops == NULL)
		snprintf(err, errlen, "missing symbol %s (POOLD_MODULE%s in the module)",
		         lib->decl == NULL ? "poold_module" : "poold_module_ops",
		         lib->decl == NULL ? "" : "_OPS");
	else if (want != NULL && memcmp(lib->decl, want, sizeof(*want)) != 0)
		snprintf(err, errlen, "the file changed since poold read it: reload poold");
	else if (lib->ops->abi != POOLD_MODULE_ABI || lib->ops->nkinds != lib->decl->nkinds)
		snprintf(err, errlen,
		         "poold_module_ops: ABI %u with %u kinds, poold_module declares ABI %u "
		         "with %u kinds",
		         lib->ops->abi, lib->ops->nkinds, lib->decl->abi, lib->decl->nkinds);
	else
		err[0] = '\0';
	for (i = 0; err[0] == '\0' && i < lib->decl->nkinds; i++)
		if (lib->ops->kinds[i].run == NULL)
			snprintf(err, errlen, "kind %s has no run function",
			         lib->decl->kinds[i].name);
	if (err[0] == '\0')
		return 0;
	job_mod_close(lib);
	return -1;
}

void job_mod_close(struct job_mod_lib *lib)
{
	if (lib->dl != NULL)
		dlclose(lib->dl);
	memset(lib, 0, sizeof(*lib));
}

static int job_mod_check(const void *data, const char *args, size_t len, char *err, size_t errlen)
{
	const struct modkind *k = data;

	return tpl_check(&k->tpl, args, len, err, errlen);
}

/* Loads the kind's module in this worker and runs its init; never fails
 * the worker: a kind that cannot start is refused in the hello (the
 * master sends its jobs to other workers) and keeps its reason for the
 * jobs it gets all the same (no worker of the pool can run them). */
static int job_mod_init(void *state, const void *conf)
{
	struct job_mod_state *st = state;
	const struct modkind *k = conf;
	const struct poold_kind_ops *ops;
	char err[160];

	if (k == NULL)
		return 0;
	if (job_mod_open(k->mod->file, &k->mod->decl, &st->lib, err, sizeof(err)) == -1) {
		snprintf(st->why, sizeof(st->why), "module %.32s: %.150s", k->mod->name, err);
	} else {
		ops = &st->lib.ops->kinds[k->index];
		err[0] = '\0';
		if (ops->init == NULL || ops->init(&st->mstate, err, sizeof(err)) == 0) {
			st->ops = ops;
			return 0;
		}
		snprintf(st->why, sizeof(st->why), "module %.32s: init of %.32s failed: %.150s",
		         k->mod->name, k->name, err[0] != '\0' ? err : "no reason given");
	}
	log_warnx("%s; this worker takes no %s jobs", st->why, k->name);
	return JOB_INIT_REFUSED;
}

static void job_mod_fini(void *state)
{
	struct job_mod_state *st = state;

	if (st->ops != NULL && st->ops->fini != NULL)
		st->ops->fini(st->mstate);
	st->ops = NULL;
	job_mod_close(&st->lib);
}

/* ---- struct poold_api: what a module sees of its job ---- */

static const char *job_mod_arg(poold_job *job, unsigned n)
{
	if (n == 0 || n > job->k->tpl.nargs)
		return NULL;
	return job->st->av.argv[job->k->tpl.by_arg[n]];
}

static unsigned job_mod_nargs(poold_job *job)
{
	return job->k->tpl.nargs;
}

static uint64_t job_mod_id(poold_job *job)
{
	return job->ctx->id;
}

static unsigned job_mod_attempt(poold_job *job)
{
	return job->ctx->attempt;
}

static void job_mod_result(poold_job *job, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void job_mod_result(poold_job *job, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(job->ctx->msg, sizeof(job->ctx->msg), fmt, ap);
	va_end(ap);
}

/* Read only when a module asks: most never do, and a clock read per job
 * is a tenth of a no-op job.  Counted from the start of the worker's run
 * of jobs this one came in, so never later than the master's own. */
static uint64_t job_mod_deadline(poold_job *job)
{
	const struct timespec *t = job->ctx->batch_start;
	unsigned ms = job->k->mod->timeout_ms;

	if (ms == 0)
		ms = job->ctx->cfg->job_timeout_ms;
	if (ms == 0 || t == NULL)
		return 0;
	return (uint64_t)t->tv_sec * 1000000000u + (uint64_t)t->tv_nsec + (uint64_t)ms * 1000000u;
}

static void *job_mod_mstate(poold_job *job)
{
	return job->st->mstate;
}

static const struct poold_api job_mod_api = {
    .abi = POOLD_MODULE_ABI,
    .size = sizeof(struct poold_api),
    .arg = job_mod_arg,
    .nargs = job_mod_nargs,
    .id = job_mod_id,
    .attempt = job_mod_attempt,
    .result = job_mod_result,
    .deadline_ns = job_mod_deadline,
    .state = job_mod_mstate,
};

static int job_mod_run(struct job_ctx *ctx, const char *args, size_t len)
{
	const struct modkind *k = ctx->conf;
	struct job_mod_state *st = ctx->state;
	struct poold_job job = {.ctx = ctx, .k = k, .st = st};
	char why[PROTO_MSG_MAX - 16];
	int r;

	if (k == NULL)
		return job_result(ctx, JOB_FAILED, "kind removed by a reload");
	if (st->ops == NULL)
		return job_result(ctx, JOB_FAILED, "%s", st->why);
	/* Without placeholders there is nothing to split or check again (the
	 * master refused any argument); arg() gives NULL. */
	if (k->tpl.nargs > 0 && tpl_expand(&k->tpl, args, len, &st->av, why, sizeof(why)) == -1)
		return job_result(ctx, JOB_FAILED, "refused: %s", why);
	r = st->ops->run(&job, &job_mod_api);
	if (r == POOLD_RETRY)
		return JOB_TEMPFAIL;
	if (r != POOLD_OK && r != POOLD_FAILED && r != POOLD_TIMEDOUT)
		return job_result(ctx, JOB_FAILED, "module %s: %s returned %d, not a result",
		                  k->mod->name, k->name, r);
	return r;
}

const struct job_kind job_kind_mod = {
    .name = "module",
    .run = job_mod_run,
    .check_data = job_mod_check,
    .batch_done = false,
    .may_be_long = true,
    .state_size = sizeof(struct job_mod_state),
    .init = job_mod_init,
    .fini = job_mod_fini,
};
