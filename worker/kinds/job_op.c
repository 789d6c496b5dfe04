/*
 * The operator kinds' row ([kind.NAME], opkind.h): one struct job_kind
 * shared by every such kind, whose check and run take the kind's struct
 * opkind as their data (jobs.c makes the rows).  The master checks a
 * job's arguments against the kind's argv template; the worker fills the
 * template and runs the program (per-job: runner.h, one fork and execve
 * per job) or hands the job to the kind's resident handler (op_resident.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "log.h"
#include "op_resident.h"
#include "opkind.h"
#include "runner.h"

struct job_op_state {
	bool ready;
	char *ring; /* the kind's `output` bytes of output, per-job mode */
	struct oplimits lim;
	struct op_resident res;
	struct tpl_argv av;
	char kept[PROTO_OUT_MAX + 1]; /* the output sent back, oldest byte first */
};

static int job_op_check(const void *data, const char *args, size_t len, char *err, size_t errlen)
{
	const struct opkind *k = data;

	return tpl_check(&k->tpl, args, len, err, errlen);
}

/* The kind's limits, once per worker (the rlimit fallbacks: oplimits.h). */
static int job_op_ready(struct job_op_state *st, const struct opkind *k, struct job_ctx *ctx)
{
	if (st->ready)
		return 0;
	st->lim = (struct oplimits){.memory_max = k->memory_max,
	                            .tasks_max = k->tasks_max,
	                            .cpu_quota = k->cpu_quota,
	                            .timeout_ms = k->timeout_ms != 0 ? k->timeout_ms
	                                                             : ctx->cfg->job_timeout_ms,
	                            .cgroup_fd = -1};
	st->res.pid = 0;
	if (oplimits_cgroup_open(&st->lim, k->name) == -1 && errno != ENOTSUP)
		log_warn("kind %s: cannot set up its cgroup; rlimits instead", k->name);
	if (!k->resident && (st->ring = malloc(k->output > 0 ? k->output : 1)) == NULL)
		return -1;
	st->ready = true;
	return 0;
}

/* The last bytes of the kept output at debug level, one log line (a
 * newline shown as \n, other control bytes as '?'). */
static void job_op_log_output(const struct job_ctx *ctx, const struct opkind *k,
                              const struct runner_result *r)
{
	char out[240], shown[480];
	size_t i, n = runner_output(r, out, sizeof(out)), j = 0;

	for (i = 0; i < n && j + 3 < sizeof(shown); i++) {
		if (out[i] == '\n') {
			shown[j++] = '\\';
			shown[j++] = 'n';
		} else {
			shown[j++] = (out[i] >= 0x20 && out[i] != 0x7f) ? out[i] : '?';
		}
	}
	shown[j] = '\0';
	log_debug("job %llu %s: %llu bytes of output, last: %s", (unsigned long long)ctx->id,
	          k->name, r->out_total, shown);
}

/* The kind's env, then POOLD_JOB_ID. */
static void job_op_env(const struct opkind *k, uint64_t id, char **envp, char *idvar, size_t len)
{
	unsigned n;

	for (n = 0; k->env[n] != NULL; n++)
		envp[n] = k->env[n];
	snprintf(idvar, len, "POOLD_JOB_ID=%llu", (unsigned long long)id);
	envp[n++] = idvar;
	envp[n] = NULL;
}

static int job_op_once(struct job_ctx *ctx, const struct opkind *k, struct job_op_state *st)
{
	char *envp[OPKIND_ENV_MAX + 3], idvar[48];
	struct runner_result r = {.out = st->ring, .out_max = k->output};
	struct runner_spec spec = {.argv = st->av.argv,
	                           .envp = envp,
	                           .kill_timeout_ms = ctx->cfg->kill_timeout_ms / 2,
	                           .lim = &st->lim};
	int result;

	job_op_env(k, ctx->id, envp, idvar, sizeof(idvar));
	if (runner_run(&spec, &r) == -1)
		return job_result(ctx, JOB_FAILED, "cannot start %s: %s", st->av.argv[0],
		                  strerror(errno));
	if (r.termed) /* the master's time limit, or a stop: the tree is gone */
		raise(SIGTERM);
	result = runner_outcome(&r, &st->lim, ctx->msg, sizeof(ctx->msg));
	if (r.out_total > 0) {
		job_op_log_output(ctx, k, &r);
		ctx->out = st->kept;
		ctx->out_len = runner_output(&r, st->kept, sizeof(st->kept));
	}
	return result;
}

int job_op_run(struct job_ctx *ctx, const char *args, size_t len)
{
	const struct opkind *k = ctx->conf;
	struct job_op_state *st = ctx->state;
	char why[PROTO_MSG_MAX - 16];

	if (k == NULL)
		return job_result(ctx, JOB_FAILED, "kind removed by a reload");
	if (job_op_ready(st, k, ctx) == -1)
		return job_result(ctx, JOB_FAILED, "out of memory");
	if (tpl_expand(&k->tpl, args, len, &st->av, why, sizeof(why)) == -1)
		return job_result(ctx, JOB_FAILED, "refused: %s", why);
	if (k->resident)
		return op_resident_run(&st->res, k, &st->lim, &st->av, ctx);
	return job_op_once(ctx, k, st);
}

static void job_op_fini(void *state)
{
	struct job_op_state *st = state;

	if (st->ready)
		op_resident_stop(&st->res, false);
	free(st->ring);
}

const struct job_kind job_kind_op = {
    .name = "op",
    .run = job_op_run,
    .check_data = job_op_check,
    .batch_done = false,
    .may_be_long = true,
    .state_size = sizeof(struct job_op_state),
    .fini = job_op_fini,
};
