/*
 * The `net HOST:PORT` job: a TCP connect probe.  It resolves HOST, keeps
 * only the addresses that [net] allow permits (rules match addresses,
 * never names, so DNS cannot widen them), and tries them in order with a
 * non-blocking connect under one total timeout, [net] timeout.  The
 * result says which address answered and how fast, or why none did.
 *
 * This file owns the HOST:PORT syntax (also checked in the master before
 * a job is accepted).  It must never send a byte to an address the rules
 * do not allow, never leave a socket open, and never exit or crash: every
 * failure is a result with a reason.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "netrule.h"

/* The longest DNS name. */
#define JOB_NET_HOST_MAX 253

/* How much of a bad argument is quoted back in a message. */
#define JOB_NET_QUOTE_MAX 64

/* "[" address "]:" port, NUL. */
#define JOB_NET_ADDR_MAX (INET6_ADDRSTRLEN + 9)

/* What job_net_wait returns when the deadline passed (errno values are
 * positive). */
#define JOB_NET_EXPIRED (-1)

struct job_net_target {
	char host[JOB_NET_HOST_MAX + 1]; /* without the brackets */
	char port[6];
	bool bracketed; /* an IPv6 address was given in brackets */
};

static int job_net_quote_len(size_t len)
{
	return (int)(len < JOB_NET_QUOTE_MAX ? len : JOB_NET_QUOTE_MAX);
}

/* True if every byte is one a host name or an IPv4 address may hold. */
static bool job_net_host_chars(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '.' || s[i] == '_'))
			return false;
	}
	return true;
}

/* Copies the decimal port 1..65535 at s (len bytes) into t->port. */
static int job_net_parse_port(const char *s, size_t len, struct job_net_target *t, char *err,
                              size_t errlen)
{
	unsigned v = 0;
	size_t i;

	for (i = 0; i < len && len <= 5; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (len == 0 || len > 5 || i < len || v == 0 || v > 65535) {
		snprintf(err, errlen, "bad port '%.*s' (want 1..65535)", job_net_quote_len(len), s);
		return -1;
	}
	memcpy(t->port, s, len);
	t->port[len] = '\0';
	return 0;
}

/* Takes "[ADDR]:PORT" apart; ADDR must be an IPv6 address. */
static int job_net_parse_bracketed(const char *args, size_t len, struct job_net_target *t,
                                   char *err, size_t errlen)
{
	const char *rbracket = memchr(args, ']', len);
	const char *end = args + len;
	size_t hlen;
	struct in6_addr a6;

	if (rbracket == NULL) {
		snprintf(err, errlen, "missing ']' in '%.*s'", job_net_quote_len(len), args);
		return -1;
	}
	hlen = (size_t)(rbracket - args - 1);
	if (hlen == 0 || hlen >= INET6_ADDRSTRLEN) {
		snprintf(err, errlen, "bad IPv6 address '%.*s'", job_net_quote_len(hlen), args + 1);
		return -1;
	}
	memcpy(t->host, args + 1, hlen);
	t->host[hlen] = '\0';
	if (inet_pton(AF_INET6, t->host, &a6) != 1) {
		snprintf(err, errlen, "bad IPv6 address '%s'", t->host);
		return -1;
	}
	if (rbracket + 1 == end || rbracket[1] != ':') {
		snprintf(err, errlen, "missing port after ']' in '%.*s' (want [ADDR]:PORT)",
		         job_net_quote_len(len), args);
		return -1;
	}
	t->bracketed = true;
	return job_net_parse_port(rbracket + 2, (size_t)(end - rbracket - 2), t, err, errlen);
}

/*
 * Takes HOST:PORT apart into t, or fails with a reason.  The one parser
 * for both the master's check and the worker's run, so a job accepted at
 * the FIFO never fails later on syntax.
 */
static int job_net_parse(const char *args, size_t len, struct job_net_target *t, char *err,
                         size_t errlen)
{
	const char *colon;
	size_t hlen;

	memset(t, 0, sizeof(*t));
	if (len == 0) {
		snprintf(err, errlen, "empty target (want HOST:PORT)");
		return -1;
	}
	if (args[0] == '[')
		return job_net_parse_bracketed(args, len, t, err, errlen);
	colon = memrchr(args, ':', len);
	if (colon == NULL) {
		snprintf(err, errlen, "missing port in '%.*s' (want HOST:PORT)",
		         job_net_quote_len(len), args);
		return -1;
	}
	hlen = (size_t)(colon - args);
	if (memchr(args, ':', hlen) != NULL) {
		snprintf(err, errlen, "an IPv6 address needs brackets, as in [::1]:22");
		return -1;
	}
	if (hlen == 0) {
		snprintf(err, errlen, "empty host in '%.*s'", job_net_quote_len(len), args);
		return -1;
	}
	if (hlen > JOB_NET_HOST_MAX || !job_net_host_chars(args, hlen)) {
		snprintf(err, errlen, "bad host '%.*s'", job_net_quote_len(hlen), args);
		return -1;
	}
	memcpy(t->host, args, hlen);
	t->host[hlen] = '\0';
	return job_net_parse_port(colon + 1, len - hlen - 1, t, err, errlen);
}

int job_net_check(const char *args, size_t len, char *err, size_t errlen)
{
	struct job_net_target t;

	return job_net_parse(args, len, &t, err, errlen);
}

/* Monotonic time in nanoseconds, for the deadline and the latency. */
static uint64_t job_net_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Writes "1.2.3.4:80" or "[::1]:80" for a resolved address. */
static void job_net_format_addr(const struct sockaddr *sa, char *buf, size_t buflen)
{
	char host[INET6_ADDRSTRLEN] = "?";
	const struct sockaddr_in *sin = (const struct sockaddr_in *)(const void *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)(const void *)sa;

	if (sa->sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(buf, buflen, "[%s]:%u", host, (unsigned)ntohs(sin6->sin6_port));
		return;
	}
	inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
	snprintf(buf, buflen, "%s:%u", host, (unsigned)ntohs(sin->sin_port));
}

/*
 * Waits until a non-blocking connect on fd has ended or the deadline has
 * passed.  Returns 0 if it connected, the errno of the failure, or
 * JOB_NET_EXPIRED.  poll is restarted after a signal with the time left,
 * so a signal neither shortens nor stretches the timeout.
 */
static int job_net_wait(int fd, uint64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	socklen_t slen = sizeof(int);
	uint64_t now, ms;
	int rc, soerr = 0;

	for (;;) {
		now = job_net_now();
		if (now >= deadline)
			return JOB_NET_EXPIRED;
		ms = (deadline - now + 999999) / 1000000;
		rc = poll(&pfd, 1, ms > INT_MAX ? INT_MAX : (int)ms);
		if (rc > 0)
			break;
		if (rc < 0 && errno != EINTR)
			return errno;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &slen) < 0)
		return errno;
	return soerr;
}

/*
 * Connect errors that may pass (nobody listening yet, a route or peer
 * down): temporary failures, which a queue's `retry` retries.
 */
static bool job_net_transient(int err)
{
	return err == ECONNREFUSED || err == ECONNRESET || err == EHOSTUNREACH ||
	       err == ENETUNREACH || err == ECONNABORTED;
}

/* Tries one address before the deadline; the result and its message go
 * into ctx. */
static int job_net_connect(struct job_ctx *ctx, const struct addrinfo *ai, uint64_t deadline)
{
	char addr[JOB_NET_ADDR_MAX];
	uint64_t start;
	int fd, rc;

	job_net_format_addr(ai->ai_addr, addr, sizeof(addr));
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return job_result(ctx, JOB_FAILED, "%s: socket: %s", addr, strerror(errno));
	start = job_net_now();
	rc = connect(fd, ai->ai_addr, ai->ai_addrlen);
	if (rc < 0 && (errno == EINPROGRESS || errno == EINTR))
		rc = job_net_wait(fd, deadline);
	else if (rc < 0)
		rc = errno;
	close(fd);
	if (rc == 0)
		return job_result(ctx, JOB_OK, "%s connected in %.3f ms", addr,
		                  (double)(job_net_now() - start) / 1e6);
	if (rc == JOB_NET_EXPIRED)
		return job_result(ctx, JOB_TIMEDOUT, "%s timed out after %u ms", addr,
		                  ((const struct job_net_conf *)ctx->conf)->net_timeout_ms);
	return job_result(ctx, job_net_transient(rc) ? JOB_TEMPFAIL : JOB_FAILED, "%s: %s", addr,
	                  strerror(rc));
}

/*
 * Tries the allowed addresses in the resolver's order until one connects
 * or the time is up; a failure reports the last address tried.  An
 * address the rules do not allow is skipped before any socket exists.
 */
static int job_net_try_all(struct job_ctx *ctx, const struct job_net_target *t,
                           const struct addrinfo *res)
{
	const struct job_net_conf *cfg = ctx->conf;
	uint64_t deadline = job_net_now() + (uint64_t)cfg->net_timeout_ms * 1000000u;
	const struct addrinfo *ai;
	int result = -1;

	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (!netrule_match(cfg->net_allow, cfg->n_net_allow, ai->ai_addr))
			continue;
		result = job_net_connect(ctx, ai, deadline);
		if (result == JOB_OK || result == JOB_TIMEDOUT)
			return result;
	}
	if (result < 0)
		return job_result(ctx, JOB_FAILED, "%s%s%s:%s not allowed by [net] allow",
		                  t->bracketed ? "[" : "", t->host, t->bracketed ? "]" : "",
		                  t->port);
	return result;
}

int job_net_run(struct job_ctx *ctx, const char *args, size_t len)
{
	struct job_net_target t;
	struct addrinfo hints, *res = NULL;
	char err[PROTO_MSG_MAX];
	int rc, result;

	ctx->msg[0] = '\0';
	if (job_net_parse(args, len, &t, err, sizeof(err)) < 0)
		return job_result(ctx, JOB_FAILED, "%s", err);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (t.bracketed ? AI_NUMERICHOST : 0);
	rc = getaddrinfo(t.host, t.port, &hints, &res);
	if (rc != 0)
		return job_result(ctx, JOB_FAILED, "resolve %s: %s", t.host,
		                  rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	result = job_net_try_all(ctx, &t, res);
	freeaddrinfo(res);
	return result;
}

static void job_net_clear_allow(struct config *cfg, const struct config_key *k)
{
	((struct job_net_conf *)config_blob(cfg, k))->n_net_allow = 0;
}

/* Adds each space-separated rule of value to [net] allow. */
static int job_net_parse_allow(struct config *cfg, const struct config_key *k, const char *value,
                               char *reason, size_t rlen)
{
	struct job_net_conf *c = config_blob(cfg, k);
	char words[INI_MAX_LINE + 64], why[256];
	char *save, *w;

	snprintf(words, sizeof(words), "%s", value);
	for (w = strtok_r(words, " \t", &save); w != NULL; w = strtok_r(NULL, " \t", &save)) {
		if (c->n_net_allow == CONFIG_MAX_NET_ALLOW) {
			snprintf(reason, rlen, "more than %d rules", CONFIG_MAX_NET_ALLOW);
			return -1;
		}
		if (netrule_parse(w, &c->net_allow[c->n_net_allow], why, sizeof(why)) < 0) {
			snprintf(reason, rlen, "bad rule '%s': %s", w, why);
			return -1;
		}
		c->n_net_allow++;
	}
	return 0;
}

static bool job_net_rule_equal(const struct netrule *a, const struct netrule *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;

	return a->family == b->family && a->prefix == b->prefix && a->port == b->port &&
	       memcmp(a->addr, b->addr, n) == 0;
}

static bool job_net_same_allow(const struct config_key *k, const void *a, const void *b)
{
	const struct job_net_conf *x = a, *y = b;
	unsigned i;

	if (x->n_net_allow != y->n_net_allow)
		return false;
	for (i = 0; i < x->n_net_allow; i++)
		if (!job_net_rule_equal(&x->net_allow[i], &y->net_allow[i]))
			return false;
	return true;
}

#define JOB_NET_AT(field) offsetof(struct job_net_conf, field)

static const struct config_key job_net_keys[] = {
    {"net", "allow", "127.0.0.0/8 ::1", job_net_parse_allow, job_net_clear_allow,
     JOB_NET_AT(net_allow), 0, 0, CONFIG_RELOAD_WORKERS, job_net_same_allow, false},
    {"net", "timeout", "3s", config_parse_time, NULL, JOB_NET_AT(net_timeout_ms), 1, 86400000,
     CONFIG_RELOAD_WORKERS, config_same_uint, false},
    {"net", "job_timeout", "0", config_parse_time, NULL, JOB_NET_AT(net_job_timeout_ms), 0,
     86400000, CONFIG_RELOAD_LIVE, NULL, false},
};

static const struct config_section job_net_section = {
    .keys = job_net_keys,
    .nkeys = sizeof(job_net_keys) / sizeof(job_net_keys[0]),
    .size = sizeof(struct job_net_conf),
};

const struct job_kind job_kind_net = {
    .code = 4,
    .name = "net",
    .run = job_net_run,
    .check = job_net_check,
    .section = &job_net_section,
    .may_be_long = true,
    .timeout_at = JOB_NET_AT(net_job_timeout_ms),
};
