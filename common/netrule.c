/*
 * [net] allow rules: parsing one rule from its text, matching a resolved
 * socket address against a list of rules, and writing a rule back as
 * text.  This file owns the rule syntax described in netrule.h.  It must
 * not resolve names, log, allocate or exit: it is pure data in, data out,
 * used by the config loader in the master and by the `net` job in workers.
 *
 * Matching works on canonical addresses: an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d), in a rule or in a socket address, stands for the IPv4
 * address a.b.c.d.  So "127.0.0.1" allows a probe of ::ffff:127.0.0.1,
 * and "::/0" does not silently allow every IPv4 target.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "netrule.h"

/* Longest address text we accept between the separators (an IPv6 address
 * with an embedded IPv4 part is at most 45 characters). */
#define NETRULE_ADDR_MAX 64

/* How much of a bad token is quoted back in a message. */
#define NETRULE_QUOTE_MAX 64

/* The first 12 bytes of an IPv4-mapped IPv6 address. */
static const uint8_t netrule_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/* An address reduced to the form matching compares. */
struct netrule_canon {
	int family;
	uint8_t addr[16];
	unsigned prefix;
};

static unsigned netrule_max_prefix(int family)
{
	return family == AF_INET ? 32 : 128;
}

/* Clears every bit of addr below the prefix, so a rule compares equal to
 * the network it names whatever host part was written. */
static void netrule_clear_host_bits(uint8_t *addr, unsigned nbytes, unsigned prefix)
{
	unsigned i;

	for (i = 0; i < nbytes; i++) {
		if (prefix >= 8 * (i + 1))
			continue;
		if (prefix <= 8 * i)
			addr[i] = 0;
		else
			addr[i] &= (uint8_t)(0xff << (8 - (prefix - 8 * i)));
	}
}

/* Parses the address part (len bytes at s, not NUL-terminated) as the
 * given family, or as either family when family is AF_UNSPEC. */
static int netrule_parse_addr(const char *s, size_t len, int family, struct netrule *rule,
                              char *err, size_t errlen)
{
	char buf[NETRULE_ADDR_MAX];

	if (len > 0 && len < sizeof(buf)) {
		memcpy(buf, s, len);
		buf[len] = '\0';
		if (family != AF_INET6 && inet_pton(AF_INET, buf, rule->addr) == 1) {
			rule->family = AF_INET;
			return 0;
		}
		if (family != AF_INET && inet_pton(AF_INET6, buf, rule->addr) == 1) {
			rule->family = AF_INET6;
			return 0;
		}
	}
	snprintf(err, errlen, "bad address '%.*s'",
	         (int)(len < NETRULE_QUOTE_MAX ? len : NETRULE_QUOTE_MAX), s);
	return -1;
}

/* Parses a run of decimal digits into *value; -1 if there are none, or
 * anything else, or the value exceeds max. */
static int netrule_parse_uint(const char *s, size_t len, unsigned max, unsigned *value)
{
	unsigned v = 0;
	size_t i;

	if (len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return -1;
	}
	*value = v;
	return 0;
}

static int netrule_parse_prefix(const char *s, size_t len, struct netrule *rule, char *err,
                                size_t errlen)
{
	unsigned max = netrule_max_prefix(rule->family);
	int qlen = (int)(len < NETRULE_QUOTE_MAX ? len : NETRULE_QUOTE_MAX);
	unsigned i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			break;
	}
	if (len == 0 || i < len) {
		snprintf(err, errlen, "bad prefix '%.*s'", qlen, s);
		return -1;
	}
	if (netrule_parse_uint(s, len, max, &rule->prefix) < 0) {
		snprintf(err, errlen, "prefix %.*s out of range 0..%u", qlen, s, max);
		return -1;
	}
	return 0;
}

static int netrule_parse_port(const char *s, size_t len, struct netrule *rule, char *err,
                              size_t errlen)
{
	unsigned port = 0;

	if (len == 1 && s[0] == '*') {
		rule->port = 0;
		return 0;
	}
	if (netrule_parse_uint(s, len, 65535, &port) < 0 || port == 0) {
		snprintf(err, errlen, "bad port '%.*s' (want 1..65535 or *)",
		         (int)(len < NETRULE_QUOTE_MAX ? len : NETRULE_QUOTE_MAX), s);
		return -1;
	}
	rule->port = (uint16_t)port;
	return 0;
}

/*
 * Parses what follows the address: an optional "/PREFIX", then an
 * optional ":PORT" when port_ok (IPv4, or IPv6 in brackets).  Clears the
 * host bits once the prefix is known.
 */
static int netrule_parse_tail(const char *rest, bool port_ok, struct netrule *rule, char *err,
                              size_t errlen)
{
	const char *port = NULL;
	size_t plen;

	rule->prefix = netrule_max_prefix(rule->family);
	if (!port_ok && strchr(rest, ':') != NULL) {
		snprintf(err, errlen,
		         "an IPv6 rule with a port needs brackets, as in [::1]/128:22");
		return -1;
	}
	if (*rest == '/') {
		rest++;
		port = port_ok ? strchr(rest, ':') : NULL;
		plen = port != NULL ? (size_t)(port - rest) : strlen(rest);
		if (netrule_parse_prefix(rest, plen, rule, err, errlen) < 0)
			return -1;
		rest += plen;
	}
	if (*rest == ':' && port_ok) {
		rest++;
		if (netrule_parse_port(rest, strlen(rest), rule, err, errlen) < 0)
			return -1;
	} else if (*rest != '\0') {
		snprintf(err, errlen, "unexpected '%.*s' after the address", NETRULE_QUOTE_MAX,
		         rest);
		return -1;
	}
	netrule_clear_host_bits(rule->addr, rule->family == AF_INET ? 4 : 16, rule->prefix);
	return 0;
}

/*
 * Splits the text into address, prefix and port.  Brackets are how an
 * IPv6 rule carries a port; without them a text with two or more colons
 * is an IPv6 address (and prefix) only, because "::1:22" is itself a
 * valid address and guessing a port there would widen or narrow a rule
 * behind the operator's back.
 */
int netrule_parse(const char *text, struct netrule *rule, char *err, size_t errlen)
{
	const char *addr = text, *rest, *colon, *slash;
	size_t addr_len, n = strlen(text);
	int family = AF_UNSPEC;

	memset(rule, 0, sizeof(*rule));
	if (n == 0) {
		snprintf(err, errlen, "empty rule");
		return -1;
	}
	if (text[0] == '[') {
		rest = memchr(text, ']', n);
		if (rest == NULL) {
			snprintf(err, errlen, "missing ']' in '%.*s'", NETRULE_QUOTE_MAX, text);
			return -1;
		}
		addr = text + 1;
		addr_len = (size_t)(rest - addr);
		rest++;
		family = AF_INET6;
		if (*rest != '\0' && *rest != '/' && *rest != ':') {
			snprintf(err, errlen, "unexpected '%.*s' after ']'", NETRULE_QUOTE_MAX,
			         rest);
			return -1;
		}
	} else {
		colon = strchr(text, ':');
		if (colon != NULL && strchr(colon + 1, ':') != NULL)
			colon = NULL; /* unbracketed IPv6: no port */
		slash = strchr(text, '/');
		rest = text + n;
		if (colon != NULL)
			rest = colon;
		if (slash != NULL && slash < rest)
			rest = slash;
		addr_len = (size_t)(rest - addr);
	}
	if (netrule_parse_addr(addr, addr_len, family, rule, err, errlen) < 0)
		return -1;
	return netrule_parse_tail(rest, family == AF_INET6 || rule->family == AF_INET, rule, err,
	                          errlen);
}

/* Reduces an IPv4-mapped IPv6 network to the IPv4 network it stands for;
 * anything else is copied as it is. */
static void netrule_canon(int family, const uint8_t *addr, unsigned prefix, struct netrule_canon *c)
{
	c->family = family;
	c->prefix = prefix;
	memcpy(c->addr, addr, family == AF_INET ? 4 : 16);
	if (family == AF_INET6 && prefix >= 96 &&
	    memcmp(addr, netrule_mapped_prefix, sizeof(netrule_mapped_prefix)) == 0) {
		c->family = AF_INET;
		c->prefix = prefix - 96;
		memcpy(c->addr, addr + 12, 4);
	}
}

/* True if the first prefix bits of a and b agree. */
static bool netrule_prefix_equal(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned whole = prefix / 8, bits = prefix % 8;
	uint8_t mask;

	if (memcmp(a, b, whole) != 0)
		return false;
	if (bits == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - bits));
	return (a[whole] & mask) == (b[whole] & mask);
}

/* Reads family, address and port out of a socket address; -1 for any
 * family other than AF_INET and AF_INET6. */
static int netrule_sockaddr(const struct sockaddr *sa, struct netrule_canon *c, uint16_t *port)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		netrule_canon(AF_INET, (const uint8_t *)&sin->sin_addr, 32, c);
		*port = ntohs(sin->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		netrule_canon(AF_INET6, sin6->sin6_addr.s6_addr, 128, c);
		*port = ntohs(sin6->sin6_port);
		return 0;
	}
	return -1;
}

bool netrule_match(const struct netrule *rules, size_t n, const struct sockaddr *sa)
{
	struct netrule_canon target, rule;
	uint16_t port;
	size_t i;

	if (netrule_sockaddr(sa, &target, &port) < 0)
		return false;
	for (i = 0; i < n; i++) {
		netrule_canon(rules[i].family, rules[i].addr, rules[i].prefix, &rule);
		if (rule.family != target.family || rule.prefix > netrule_max_prefix(rule.family))
			continue;
		if (rules[i].port != 0 && rules[i].port != port)
			continue;
		if (netrule_prefix_equal(rule.addr, target.addr, rule.prefix))
			return true;
	}
	return false;
}

/*
 * Writes the shortest text that netrule_parse reads back as the same
 * rule: no prefix when it covers one host, no port when any port goes,
 * brackets only around an IPv6 address followed by a port.
 */
void netrule_format(const struct netrule *rule, char *buf, size_t buflen)
{
	char addr[INET6_ADDRSTRLEN], prefix[16] = "", port[8] = "";
	bool v6 = rule->family == AF_INET6;

	if (buflen == 0)
		return;
	if ((rule->family != AF_INET && !v6) ||
	    inet_ntop(rule->family, rule->addr, addr, sizeof(addr)) == NULL) {
		snprintf(buf, buflen, "?");
		return;
	}
	if (rule->prefix != netrule_max_prefix(rule->family))
		snprintf(prefix, sizeof(prefix), "/%u", rule->prefix);
	if (rule->port != 0)
		snprintf(port, sizeof(port), ":%u", (unsigned)rule->port);
	if (v6 && rule->port != 0)
		snprintf(buf, buflen, "[%s]%s%s", addr, prefix, port);
	else
		snprintf(buf, buflen, "%s%s%s", addr, prefix, port);
}
