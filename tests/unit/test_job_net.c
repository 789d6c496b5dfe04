/*
 * Unit tests of worker/kinds/job_net.c against real sockets on loopback only
 * (127.0.0.1 and ::1, never any other address): the HOST:PORT syntax and
 * its rejections, a connect that succeeds, one that is refused, targets
 * the [net] allow rules forbid (refused before any connect), IPv6 and
 * IPv4-mapped targets, and a timeout against a listener whose accept
 * queue is full.
 */
/* test-sources: @kinds */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "job.h"
#include "jobs.h"
#include "netrule.h"

#define FILLERS 8

/* A zeroed config allowing the given rules, with a 2 s timeout. */
static void config_allow(struct job_net_conf *cfg, const char *const *rules, size_t n)
{
	char err[256];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < n; i++) {
		if (netrule_parse(rules[i], &cfg->net_allow[i], err, sizeof(err)) != 0)
			fail_msg("rule '%s': %s", rules[i], err);
	}
	cfg->n_net_allow = (unsigned)n;
	cfg->net_timeout_ms = 2000;
}

/* Runs a net job on the printf-formatted target. */
static int run_net(struct job_net_conf *cfg, struct job_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int run_net(struct job_net_conf *cfg, struct job_ctx *ctx, const char *fmt, ...)
{
	char args[128];
	va_list ap;

	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = cfg;
	ctx->id = 1;
	strcpy(ctx->msg, "(untouched)");
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	return job_net_run(ctx, args, strlen(args));
}

/* A socket bound to addr on a free port, listening with backlog unless
 * backlog < 0; -1 if the address family is not available here. */
static int bound_socket(const char *addr, int backlog, unsigned *port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	int fd;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		len = sizeof(*sin);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		len = sizeof(*sin6);
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 ||
	    (backlog >= 0 && listen(fd, backlog) < 0)) {
		close(fd);
		return -1;
	}
	assert_int_equal(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	*port = ntohs(ss.ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	return fd;
}

/* A listener on ::1 at the given port, or -1 if there is none to have. */
static int bound_socket_port(const char *addr6, unsigned port)
{
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port)};
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (inet_pton(AF_INET6, addr6, &sin6.sin6_addr) != 1 ||
	    bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) < 0 || listen(fd, 16) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Accepts and closes whatever connections are queued; returns how many. */
static int drain_accepts(int lfd)
{
	int n = 0, cfd;

	while ((cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0) {
		close(cfd);
		n++;
	}
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	return n;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d) != NULL)
		n++;
	closedir(d);
	return n;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ctx->msg is "<target> connected in N.NNN ms". */
static void assert_connected_msg(const char *msg, const char *target)
{
	size_t tl = strlen(target);
	double ms;
	char tail[8];

	if (strncmp(msg, target, tl) != 0)
		fail_msg("'%s' does not start with '%s'", msg, target);
	assert_int_equal(sscanf(msg + tl, " connected in %lf %7s", &ms, tail), 2);
	assert_string_equal(tail, "ms");
	assert_true(ms >= 0 && ms < 2000);
	assert_non_null(strchr(msg + tl, '.'));
}

static void test_check_accepts(void **state)
{
	static const char *const ok[] = {
	    "localhost:80", "127.0.0.1:1",     "[::1]:65535",    "example.com:443",
	    "a_b-c.d:8080", "[fe80::1]:00022", "localhost.:443",
	};
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (job_net_check(ok[i], strlen(ok[i]), err, sizeof(err)) != 0)
			fail_msg("'%s' rejected: %s", ok[i], err);
	}
}

static void test_check_rejects(void **state)
{
	static const struct {
		const char *args;
		const char *reason;
	} cases[] = {
	    {"", "empty target (want HOST:PORT)"},
	    {"127.0.0.1", "missing port in '127.0.0.1' (want HOST:PORT)"},
	    {"localhost", "missing port in 'localhost'"},
	    {"127.0.0.1:", "bad port '' (want 1..65535)"},
	    {"127.0.0.1:0", "bad port '0' (want 1..65535)"},
	    {"127.0.0.1:70000", "bad port '70000'"},
	    {"127.0.0.1:123456", "bad port '123456'"},
	    {"127.0.0.1:8o", "bad port '8o'"},
	    {"127.0.0.1:-1", "bad port '-1'"},
	    {"127.0.0.1:+80", "bad port '+80'"},
	    {":80", "empty host in ':80'"},
	    {"[::1", "missing ']' in '[::1'"},
	    {"[::1]", "missing port after ']' in '[::1]' (want [ADDR]:PORT)"},
	    {"[::1]80", "missing port after ']'"},
	    {"[::1]:0", "bad port '0'"},
	    {"[]:80", "bad IPv6 address ''"},
	    {"[127.0.0.1]:80", "bad IPv6 address '127.0.0.1'"},
	    {"[host]:80", "bad IPv6 address 'host'"},
	    {"::1:80", "an IPv6 address needs brackets, as in [::1]:22"},
	    {"bad host:80", "bad host 'bad host'"},
	    {"a/b:80", "bad host 'a/b'"},
	    {"a\nb:80", "bad host 'a\nb'"},
	};
	char err[256], big[400];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(err, "(untouched)");
		if (job_net_check(cases[i].args, strlen(cases[i].args), err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", cases[i].args);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("'%s': got \"%s\", want \"%s\"", cases[i].args, err,
			         cases[i].reason);
	}
	assert_int_equal(job_net_check("a\0b:80", 6, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad host 'a"));
	memset(big, 'a', sizeof(big));
	memcpy(big + sizeof(big) - 3, ":80", 3);
	assert_int_equal(job_net_check(big, sizeof(big), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "bad host 'aaaa"));
	assert_true(strlen(err) < 100);
}

/* A bad argument that reached a worker anyway fails with the reason. */
static void test_run_rejects_bad_args(void **state)
{
	struct job_net_conf cfg;
	struct job_ctx ctx;

	config_allow(&cfg, NULL, 0);
	assert_int_equal(run_net(&cfg, &ctx, "nonsense"), JOB_FAILED);
	assert_string_equal(ctx.msg, "missing port in 'nonsense' (want HOST:PORT)");
}

static void test_connect_ok_ipv4(void **state)
{
	static const char *const rules[] = {"10.0.0.0/8", "127.0.0.0/8"};
	struct job_net_conf cfg;
	struct job_ctx ctx;
	char target[64], args[64];
	unsigned port;
	int lfd = bound_socket("127.0.0.1", 16, &port);

	assert_true(lfd >= 0);
	config_allow(&cfg, rules, 2);
	assert_int_equal(run_net(&cfg, &ctx, "127.0.0.1:%u", port), JOB_OK);
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	assert_connected_msg(ctx.msg, target);
	assert_int_equal(drain_accepts(lfd), 1);

	/* args is not NUL-terminated: bytes after len are not read. */
	snprintf(args, sizeof(args), "127.0.0.1:%u99999", port);
	assert_int_equal(job_net_run(&ctx, args, strlen(target)), JOB_OK);
	assert_connected_msg(ctx.msg, target);
	assert_int_equal(drain_accepts(lfd), 1);
	close(lfd);
}

/* A bound socket that does not listen answers a SYN with a reset. */
static void test_refused(void **state)
{
	static const char *const rules[] = {"127.0.0.1"};
	struct job_net_conf cfg;
	struct job_ctx ctx;
	char want[64];
	unsigned port;
	int fd = bound_socket("127.0.0.1", -1, &port), fds;

	assert_true(fd >= 0);
	config_allow(&cfg, rules, 1);
	fds = count_fds();
	/* A temporary failure: a queue's retry retries it. */
	assert_int_equal(run_net(&cfg, &ctx, "127.0.0.1:%u", port), JOB_TEMPFAIL);
	snprintf(want, sizeof(want), "127.0.0.1:%u: Connection refused", port);
	assert_string_equal(ctx.msg, want);
	assert_int_equal(count_fds(), fds);
	close(fd);
}

/* Targets outside the rules fail before any connect: the listener never
 * sees a connection. */
static void test_not_allowed(void **state)
{
	static const char *const other_host[] = {"127.0.0.2", "[::1]", "10.0.0.0/8"};
	struct job_net_conf cfg;
	struct job_ctx ctx;
	char want[80], other_port[32];
	const char *rule = other_port;
	unsigned port;
	int lfd = bound_socket("127.0.0.1", 16, &port);

	assert_true(lfd >= 0);
	snprintf(want, sizeof(want), "127.0.0.1:%u not allowed by [net] allow", port);

	config_allow(&cfg, other_host, 3);
	assert_int_equal(run_net(&cfg, &ctx, "127.0.0.1:%u", port), JOB_FAILED);
	assert_string_equal(ctx.msg, want);

	snprintf(other_port, sizeof(other_port), "127.0.0.1:%u", port == 65535 ? 1 : port + 1);
	config_allow(&cfg, &rule, 1);
	assert_int_equal(run_net(&cfg, &ctx, "127.0.0.1:%u", port), JOB_FAILED);
	assert_string_equal(ctx.msg, want);

	config_allow(&cfg, NULL, 0);
	assert_int_equal(run_net(&cfg, &ctx, "127.0.0.1:%u", port), JOB_FAILED);
	assert_string_equal(ctx.msg, want);

	assert_int_equal(drain_accepts(lfd), 0);
	close(lfd);
}

static void test_connect_ok_ipv6(void **state)
{
	static const char *const rules[] = {"[::1]:*"};
	static const char *const v4_only[] = {"127.0.0.0/8"};
	struct job_net_conf cfg;
	struct job_ctx ctx;
	char target[64];
	unsigned port;
	int lfd = bound_socket("::1", 16, &port);

	if (lfd < 0)
		skip(); /* no IPv6 loopback here */
	config_allow(&cfg, rules, 1);
	assert_int_equal(run_net(&cfg, &ctx, "[::1]:%u", port), JOB_OK);
	snprintf(target, sizeof(target), "[::1]:%u", port);
	assert_connected_msg(ctx.msg, target);
	assert_int_equal(drain_accepts(lfd), 1);

	config_allow(&cfg, v4_only, 1);
	assert_int_equal(run_net(&cfg, &ctx, "[::1]:%u", port), JOB_FAILED);
	snprintf(target, sizeof(target), "[::1]:%u not allowed by [net] allow", port);
	assert_string_equal(ctx.msg, target);
	assert_int_equal(drain_accepts(lfd), 0);
	close(lfd);
}

/* [::ffff:127.0.0.1] is 127.0.0.1 to the rules: an IPv4 rule allows it,
 * "::/0" does not. */
static void test_mapped_target(void **state)
{
	static const char *const v4[] = {"127.0.0.1"};
	static const char *const v6_all[] = {"::/0"};
	struct job_net_conf cfg;
	struct job_ctx ctx;
	char target[64];
	unsigned port;
	int lfd = bound_socket("127.0.0.1", 16, &port), probe;

	assert_true(lfd >= 0);
	probe = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe < 0) {
		close(lfd);
		skip();
	}
	close(probe);
	config_allow(&cfg, v4, 1);
	assert_int_equal(run_net(&cfg, &ctx, "[::ffff:127.0.0.1]:%u", port), JOB_OK);
	snprintf(target, sizeof(target), "[::ffff:127.0.0.1]:%u", port);
	assert_connected_msg(ctx.msg, target);
	assert_int_equal(drain_accepts(lfd), 1);

	config_allow(&cfg, v6_all, 1);
	assert_int_equal(run_net(&cfg, &ctx, "[::ffff:127.0.0.1]:%u", port), JOB_FAILED);
	assert_non_null(strstr(ctx.msg, "not allowed by [net] allow"));
	assert_int_equal(drain_accepts(lfd), 0);
	close(lfd);
}

/* A name is resolved and only its allowed addresses are tried: where
 * localhost also names ::1, a listener there must see nothing.  Skipped
 * unless "localhost" resolves (from /etc/hosts) to loopback only. */
static void test_name_filters_addresses(void **state)
{
	static const char *const rules[] = {"127.0.0.1"};
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	struct job_net_conf cfg;
	struct job_ctx ctx;
	char target[64];
	unsigned port;
	int lfd, v6fd;
	bool loopback = true;

	if (getaddrinfo("localhost", "80", &hints, &res) != 0)
		skip();
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ai->ai_addr;
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ai->ai_addr;

		if (ai->ai_family == AF_INET)
			loopback &= (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
		else
			loopback &= IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr);
	}
	freeaddrinfo(res);
	if (!loopback)
		skip();
	lfd = bound_socket("127.0.0.1", 16, &port);
	assert_true(lfd >= 0);
	v6fd = bound_socket_port("::1", port); /* would see a forbidden try */
	config_allow(&cfg, rules, 1);
	assert_int_equal(run_net(&cfg, &ctx, "localhost:%u", port), JOB_OK);
	snprintf(target, sizeof(target), "127.0.0.1:%u", port);
	assert_connected_msg(ctx.msg, target);
	assert_int_equal(drain_accepts(lfd), 1);
	if (v6fd >= 0) {
		assert_int_equal(drain_accepts(v6fd), 0);
		close(v6fd);
	}
	close(lfd);
}

/*
 * Fills the accept queue of a backlog-0 listener with connects nobody
 * accepts.  Once it is full, Linux drops further SYNs, so a connect stays
 * pending: returns true then, false if every filler got through.
 */
static bool fill_accept_queue(unsigned port, int *fillers)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	struct pollfd pfd = {.events = POLLOUT};
	int i;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < FILLERS; i++) {
		fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		assert_true(fillers[i] >= 0);
		if (connect(fillers[i], (struct sockaddr *)&sin, sizeof(sin)) == 0)
			continue;
		assert_int_equal(errno, EINPROGRESS);
		pfd.fd = fillers[i];
		if (poll(&pfd, 1, 200) == 0)
			return true;
	}
	return false;
}

static void test_timeout(void **state)
{
	static const char *const rules[] = {"127.0.0.1"};
	struct job_net_conf cfg;
	struct job_ctx ctx;
	int fillers[FILLERS], i, fds, result = -1;
	char want[80];
	unsigned port;
	double t0, elapsed;
	int lfd = bound_socket("127.0.0.1", 0, &port);
	bool full;

	assert_true(lfd >= 0);
	for (i = 0; i < FILLERS; i++)
		fillers[i] = -1;
	full = fill_accept_queue(port, fillers);
	config_allow(&cfg, rules, 1);
	cfg.net_timeout_ms = 200;
	fds = count_fds();
	t0 = now_ms();
	if (full)
		result = run_net(&cfg, &ctx, "127.0.0.1:%u", port);
	elapsed = now_ms() - t0;
	fds -= count_fds();
	for (i = 0; i < FILLERS; i++) {
		if (fillers[i] >= 0)
			close(fillers[i]);
	}
	close(lfd);
	if (!full)
		skip(); /* this kernel does not drop SYNs on a full queue */
	assert_int_equal(result, JOB_TIMEDOUT);
	snprintf(want, sizeof(want), "127.0.0.1:%u timed out after 200 ms", port);
	assert_string_equal(ctx.msg, want);
	assert_true(elapsed >= 195 && elapsed < 1500);
	assert_int_equal(fds, 0); /* the probe's socket was closed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_accepts),
	    cmocka_unit_test(test_check_rejects),
	    cmocka_unit_test(test_run_rejects_bad_args),
	    cmocka_unit_test(test_connect_ok_ipv4),
	    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_not_allowed),
	    cmocka_unit_test(test_connect_ok_ipv6),
	    cmocka_unit_test(test_mapped_target),
	    cmocka_unit_test(test_name_filters_addresses),
	    cmocka_unit_test(test_timeout),
	};

	config_kinds_register(&jobs_config_kinds);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
