/*
 * Unit tests of common/netrule.c: the [net] allow rule syntax, every
 * rejection with its message, matching of IPv4, IPv6, CIDR blocks, ports
 * and IPv4-mapped addresses, and format as the inverse of parse.
 */
/* test-sources: common/netrule.c */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/un.h>

#include "netrule.h"

static struct netrule parse_ok(const char *text)
{
	struct netrule rule;
	char err[256] = "";

	if (netrule_parse(text, &rule, err, sizeof(err)) != 0)
		fail_msg("'%s' rejected: %s", text, err);
	return rule;
}

static struct sockaddr_storage sa_of(const char *addr, uint16_t port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	} else {
		assert_int_equal(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
	}
	return ss;
}

/* True if the single rule text allows addr:port. */
static bool allows(const char *rule_text, const char *addr, uint16_t port)
{
	struct netrule rule = parse_ok(rule_text);
	struct sockaddr_storage ss = sa_of(addr, port);

	return netrule_match(&rule, 1, (const struct sockaddr *)&ss);
}

static void test_parse_ipv4(void **state)
{
	struct netrule r;
	const uint8_t lo[4] = {127, 0, 0, 1};
	const uint8_t ten[4] = {10, 0, 0, 0};

	r = parse_ok("127.0.0.1");
	assert_int_equal(r.family, AF_INET);
	assert_memory_equal(r.addr, lo, 4);
	assert_int_equal(r.prefix, 32);
	assert_int_equal(r.port, 0);

	r = parse_ok("127.0.0.1:8080");
	assert_int_equal(r.port, 8080);
	assert_int_equal(r.prefix, 32);

	r = parse_ok("10.1.2.3/8:443");
	assert_memory_equal(r.addr, ten, 4); /* host bits cleared */
	assert_int_equal(r.prefix, 8);
	assert_int_equal(r.port, 443);

	r = parse_ok("127.0.0.0/8:*");
	assert_int_equal(r.port, 0);
	r = parse_ok("0.0.0.0/0");
	assert_int_equal(r.prefix, 0);
	r = parse_ok("10.0.0.7/31");
	assert_int_equal(r.addr[3], 6);
}

static void test_parse_ipv6(void **state)
{
	struct netrule r;
	uint8_t want[16] = {0};

	r = parse_ok("::1");
	want[15] = 1;
	assert_int_equal(r.family, AF_INET6);
	assert_memory_equal(r.addr, want, 16);
	assert_int_equal(r.prefix, 128);
	assert_int_equal(r.port, 0);

	r = parse_ok("[::1]:22");
	assert_memory_equal(r.addr, want, 16);
	assert_int_equal(r.port, 22);

	r = parse_ok("[fd12:3456::1]/8:443");
	memset(want, 0, sizeof(want));
	want[0] = 0xfd;
	assert_memory_equal(r.addr, want, 16);
	assert_int_equal(r.prefix, 8);
	assert_int_equal(r.port, 443);

	r = parse_ok("[::1]/128:*");
	assert_int_equal(r.prefix, 128);
	assert_int_equal(r.port, 0);
	r = parse_ok("fe80::1/10");
	assert_int_equal(r.addr[0], 0xfe);
	assert_int_equal(r.addr[1], 0x80);
	assert_int_equal(r.addr[15], 0);
	r = parse_ok("[::1]");
	assert_int_equal(r.port, 0);
	r = parse_ok("::ffff:127.0.0.1");
	assert_int_equal(r.family, AF_INET6);
}

static void test_parse_rejects(void **state)
{
	static const struct {
		const char *text;
		const char *reason;
	} cases[] = {
	    {"", "empty rule"},
	    {"localhost", "bad address 'localhost'"},
	    {"127.0.0.256", "bad address '127.0.0.256'"},
	    {"127.1", "bad address '127.1'"},
	    {"127.0.0.1 ", "bad address '127.0.0.1 '"},
	    {"*", "bad address '*'"},
	    {"/8", "bad address ''"},
	    {"127.0.0.1/33", "prefix 33 out of range 0..32"},
	    {"::1/129", "prefix 129 out of range 0..128"},
	    {"10.0.0.0/99999999999", "prefix 99999999999 out of range 0..32"},
	    {"10.0.0.0/", "bad prefix ''"},
	    {"10.0.0.0/8x", "bad prefix '8x'"},
	    {"10.0.0.0/-1", "bad prefix '-1'"},
	    {"127.0.0.1:0", "bad port '0' (want 1..65535 or *)"},
	    {"127.0.0.1:65536", "bad port '65536'"},
	    {"127.0.0.1:", "bad port ''"},
	    {"127.0.0.1:http", "bad port 'http'"},
	    {"127.0.0.1:**", "bad port '**'"},
	    {"[::1]:+22", "bad port '+22'"},
	    {"[::1", "missing ']' in '[::1'"},
	    {"[::1]x", "unexpected 'x' after ']'"},
	    {"[127.0.0.1]:80", "bad address '127.0.0.1'"},
	    {"[]:80", "bad address ''"},
	    {"fd00::/8:443", "an IPv6 rule with a port needs brackets"},
	    {"::1]:22", "bad address '::1]:22'"},
	    {"1.2.3.4:5:6", "bad address '1.2.3.4:5:6'"},
	};
	struct netrule rule;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strcpy(err, "(untouched)");
		if (netrule_parse(cases[i].text, &rule, err, sizeof(err)) != -1)
			fail_msg("'%s' accepted", cases[i].text);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("'%s': got \"%s\", want \"%s\"", cases[i].text, err,
			         cases[i].reason);
	}
}

/* A long garbage token is quoted back truncated, and errlen is kept. */
static void test_parse_long_garbage(void **state)
{
	char text[1000], err[32];
	struct netrule rule;

	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	assert_int_equal(netrule_parse(text, &rule, err, sizeof(err)), -1);
	assert_true(strlen(err) < sizeof(err));
	assert_non_null(strstr(err, "bad address 'xxx"));
}

static void test_match_ipv4(void **state)
{
	assert_true(allows("127.0.0.1", "127.0.0.1", 80));
	assert_false(allows("127.0.0.1", "127.0.0.2", 80));
	assert_true(allows("127.0.0.0/8", "127.255.0.9", 1));
	assert_false(allows("127.0.0.0/8", "128.0.0.1", 1));
	assert_true(allows("10.0.0.0/9", "10.127.255.255", 1));
	assert_false(allows("10.0.0.0/9", "10.128.0.0", 1));
	assert_true(allows("0.0.0.0/0", "192.0.2.1", 1));
	assert_false(allows("0.0.0.0/0", "::1", 1));
	assert_false(allows("127.0.0.1", "::1", 1));
}

static void test_match_ipv6(void **state)
{
	assert_true(allows("::1", "::1", 22));
	assert_false(allows("::1", "::2", 22));
	assert_true(allows("fd00::/8", "fdff:1::5", 22));
	assert_false(allows("fd00::/8", "fe00::1", 22));
	assert_true(allows("2001:db8::/33", "2001:db8:7fff::1", 22));
	assert_false(allows("2001:db8::/33", "2001:db8:8000::1", 22));
	assert_false(allows("::/0", "127.0.0.1", 22));
	assert_true(allows("::/0", "2001:db8::1", 22));
}

static void test_match_ports(void **state)
{
	assert_true(allows("127.0.0.1:8080", "127.0.0.1", 8080));
	assert_false(allows("127.0.0.1:8080", "127.0.0.1", 8081));
	assert_true(allows("127.0.0.1:*", "127.0.0.1", 65535));
	assert_true(allows("[::1]:22", "::1", 22));
	assert_false(allows("[::1]:22", "::1", 23));
	assert_true(allows("[fd00::]/8:443", "fd00::1", 443));
	assert_false(allows("[fd00::]/8:443", "fd00::1", 80));
}

/* ::ffff:a.b.c.d is the IPv4 address a.b.c.d, in a target or in a rule. */
static void test_match_mapped(void **state)
{
	assert_true(allows("127.0.0.1", "::ffff:127.0.0.1", 80));
	assert_true(allows("127.0.0.0/8:80", "::ffff:127.9.9.9", 80));
	assert_false(allows("127.0.0.0/8:80", "::ffff:127.9.9.9", 81));
	assert_false(allows("127.0.0.1", "::ffff:127.0.0.2", 80));
	assert_true(allows("::ffff:127.0.0.1", "127.0.0.1", 80));
	assert_true(allows("[::ffff:127.0.0.0]/104:80", "127.1.2.3", 80));
	assert_false(allows("::/0", "::ffff:127.0.0.1", 80));
	assert_false(allows("127.0.0.1", "::127.0.0.1", 80)); /* IPv4-compatible: no */
}

static void test_match_many_and_none(void **state)
{
	struct netrule rules[3];
	struct sockaddr_storage ss = sa_of("192.0.2.7", 53);
	struct sockaddr_un unix_sa = {.sun_family = AF_UNIX, .sun_path = "x"};
	char err[128];

	assert_int_equal(netrule_parse("10.0.0.0/8", &rules[0], err, sizeof(err)), 0);
	assert_int_equal(netrule_parse("::1", &rules[1], err, sizeof(err)), 0);
	assert_int_equal(netrule_parse("192.0.2.0/24:53", &rules[2], err, sizeof(err)), 0);
	assert_true(netrule_match(rules, 3, (struct sockaddr *)&ss));
	assert_false(netrule_match(rules, 2, (struct sockaddr *)&ss));
	assert_false(netrule_match(rules, 0, (struct sockaddr *)&ss));
	assert_false(netrule_match(NULL, 0, (struct sockaddr *)&ss));
	assert_false(netrule_match(rules, 3, (struct sockaddr *)&unix_sa));
	assert_false(netrule_match(rules, 3, NULL));
}

static void test_format_roundtrip(void **state)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"127.0.0.1", "127.0.0.1"},
	    {"127.0.0.1:*", "127.0.0.1"},
	    {"127.0.0.1/32:8080", "127.0.0.1:8080"},
	    {"10.9.8.7/8:443", "10.0.0.0/8:443"},
	    {"::1", "::1"},
	    {"[::1]", "::1"},
	    {"[::1]/128:22", "[::1]:22"},
	    {"fd12::1/8", "fd00::/8"},
	    {"[fd12::1]/8:443", "[fd00::]/8:443"},
	    {"0.0.0.0/0", "0.0.0.0/0"},
	};
	struct netrule r, again;
	char buf[128], small[6];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		r = parse_ok(cases[i].in);
		netrule_format(&r, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].out);
		again = parse_ok(buf);
		assert_int_equal(again.family, r.family);
		assert_memory_equal(again.addr, r.addr, sizeof(r.addr));
		assert_int_equal(again.prefix, r.prefix);
		assert_int_equal(again.port, r.port);
	}
	r = parse_ok("[fd12::1]/8:443");
	netrule_format(&r, small, sizeof(small));
	assert_string_equal(small, "[fd00");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ipv4),          cmocka_unit_test(test_parse_ipv6),
	    cmocka_unit_test(test_parse_rejects),       cmocka_unit_test(test_parse_long_garbage),
	    cmocka_unit_test(test_match_ipv4),          cmocka_unit_test(test_match_ipv6),
	    cmocka_unit_test(test_match_ports),         cmocka_unit_test(test_match_mapped),
	    cmocka_unit_test(test_match_many_and_none), cmocka_unit_test(test_format_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
