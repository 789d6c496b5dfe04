/*
 * `poolctl submit --redis`: adds jobs to the Redis stream that poold
 * instances read ([redis] url, stream, group of the configuration), as
 * entries with the fields `task` and `args`.  Each job is checked first
 * exactly as the daemon will check it (jobs_check_line); a relative
 * backup path is not made absolute here, since the job may run on
 * another machine.  Plain blocking hiredis: poolctl is a short-lived
 * client.  Lines from stdin are pipelined, REDIS_PIPELINE entries per
 * round trip.
 *
 * The consumer group is created at the stream's end before the first
 * XADD (BUSYGROUP, when it exists, is fine), so entries added before any
 * poold ever ran are still delivered.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "config.h"
#include "ctl.h"
#include "exitcodes.h"
#include "jobs.h"
#include "poolctl.h"

/* Entries sent before their replies are read. */
#define REDIS_PIPELINE 1000

/* Connects (5 s limit) and creates the group if need be; exits 69 or 78. */
static redisContext *redis_open(const struct config *cfg)
{
	struct timeval tv = {5, 0};
	redisContext *c;
	redisReply *rep;

	if (cfg->redis_host[0] == '\0' && cfg->redis_unix[0] == '\0')
		poolctl_die(POOLD_EXIT_CONFIG, "[redis] url is none in %s: no stream to submit to",
		            cfg->source[0] ? cfg->source : "the built-in defaults");
	c = cfg->redis_host[0] != '\0'
	        ? redisConnectWithTimeout(cfg->redis_host, (int)cfg->redis_port, tv)
	        : redisConnectUnixWithTimeout(cfg->redis_unix, tv);
	if (c == NULL || c->err)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "cannot connect to Redis: %s",
		            c != NULL ? c->errstr : "out of memory");
	redisSetTimeout(c, tv);
	rep =
	    redisCommand(c, "XGROUP CREATE %s %s $ MKSTREAM", cfg->redis_stream, cfg->redis_group);
	if (rep == NULL)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "Redis: %s", c->errstr);
	if (rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "BUSYGROUP", 9) != 0)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "Redis: XGROUP CREATE %s %s: %s",
		            cfg->redis_stream, cfg->redis_group, rep->str);
	freeReplyObject(rep);
	return c;
}

/* Checks one line and appends its XADD to the pipeline; -1 if rejected. */
static int redis_append(redisContext *c, const struct config *cfg, const char *line, size_t len,
                        char *err, size_t errlen)
{
	const char *argv[7] = {"XADD", cfg->redis_stream, "*", "task"};
	size_t lens[7] = {4, strlen(cfg->redis_stream), 1, 4};
	struct ctl_line cl;
	int argc = 5;

	if (jobs_check_line(line, len, &cl, err, errlen) == NULL)
		return -1;
	/* Job options travel in the task field, before the name, as on a line. */
	argv[4] = line + (size_t)(cl.opt.key != NULL ? 0 : cl.task - line);
	lens[4] = (size_t)(cl.task + cl.task_len - argv[4]);
	if (cl.args_len > 0) {
		argv[argc] = "args";
		lens[argc++] = 4;
		argv[argc] = cl.args;
		lens[argc++] = cl.args_len;
	}
	if (redisAppendCommandArgv(c, argc, argv, lens) != REDIS_OK)
		poolctl_die(POOLD_EXIT_OSERR, "out of memory");
	return 0;
}

/* Reads the replies of n pipelined XADDs; exits 69 on any error. */
static void redis_replies(redisContext *c, unsigned long n)
{
	redisReply *rep;

	for (; n > 0; n--) {
		if (redisGetReply(c, (void **)&rep) != REDIS_OK)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "Redis: %s", c->errstr);
		if (rep->type == REDIS_REPLY_ERROR)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "Redis: XADD: %s", rep->str);
		freeReplyObject(rep);
	}
}

int poolctl_submit_redis(const struct config *cfg, int argc, char **argv)
{
	char line[CTL_LINE_MAX + 1], err[512];
	size_t len;
	redisContext *c;

	len = poolctl_join(argc, argv, line);
	c = redis_open(cfg);
	if (redis_append(c, cfg, line, len, err, sizeof(err)) == -1) {
		redisFree(c);
		poolctl_die(POOLD_EXIT_DATAERR, "rejected: %s", err);
	}
	redis_replies(c, 1);
	redisFree(c);
	return POOLD_EXIT_OK;
}

/* Where `submit --redis -` stands: the connection and the pipeline. */
struct redis_stdin {
	redisContext *c;
	const struct config *cfg;
	unsigned long queued; /* XADDs sent, replies not yet read */
};

/* A poolctl_line_fn: checks the line and pipelines its XADD. */
static int redis_take(const char *line, size_t len, char *err, size_t errlen, void *arg)
{
	struct redis_stdin *rs = arg;

	if (redis_append(rs->c, rs->cfg, line, len, err, errlen) == -1)
		return -1;
	if (++rs->queued == REDIS_PIPELINE) {
		redis_replies(rs->c, rs->queued);
		rs->queued = 0;
	}
	return 0;
}

int poolctl_submit_redis_stdin(const struct config *cfg)
{
	struct redis_stdin rs = {.c = redis_open(cfg), .cfg = cfg};
	unsigned long lines, rejected;

	rejected = poolctl_stdin_lines(redis_take, &rs, &lines);
	redis_replies(rs.c, rs.queued);
	redisFree(rs.c);
	if (rejected == 0)
		return POOLD_EXIT_OK;
	poolctl_warn("stdin: %lu of %lu lines rejected, the others were added", rejected, lines);
	return POOLD_EXIT_DATAERR;
}
