/*
 * [net] allow rules: which TCP targets a `net` job may probe.  A rule is
 * an address or a CIDR block, IPv4 or IPv6, with an optional port:
 *
 *   127.0.0.1   127.0.0.0/8   127.0.0.1:8080   10.0.0.0/8:443
 *   ::1         [::1]:22      [fd00::]/8:443    [::1]/128:*
 *
 * A missing port or "*" means any port.  Rules match resolved addresses,
 * never host names, so DNS cannot widen what is allowed.
 */
#ifndef POOLD_NETRULE_H
#define POOLD_NETRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct netrule {
	int family;       /* AF_INET or AF_INET6 */
	uint8_t addr[16]; /* network byte order; 4 bytes used for AF_INET */
	unsigned prefix;  /* 0..32 or 0..128 */
	uint16_t port;    /* host byte order; 0 = any port */
};

/*
 * Parses one rule (a single token, no spaces).  Returns 0, or -1 with a
 * reason in err ("bad address '...'", "prefix 33 out of range 0..32",
 * "bad port '...'").  Host bits below the prefix are cleared.
 */
int netrule_parse(const char *text, struct netrule *rule, char *err, size_t errlen);

/* True if any of the n rules allows the address and port in sa. */
bool netrule_match(const struct netrule *rules, size_t n, const struct sockaddr *sa);

/* Writes the rule in the syntax above into buf (for logs and status). */
void netrule_format(const struct netrule *rule, char *buf, size_t buflen);

#endif
