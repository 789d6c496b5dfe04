/*
 * The [redis] values: names of streams, groups and consumers, and the
 * url.  Part of the config module (see config_values.h); no I/O, no
 * Redis: the daemon's redis*.c files do the talking.
 */
#include <stdio.h>
#include <string.h>

#include "config_values.h"

/*
 * A Redis name (stream, group, consumer): 1 to CONFIG_REDIS_NAME_MAX
 * printable ASCII characters without spaces, so it reads the same in the
 * INI file, in logs and in redis-cli.  For the keys whose table row has
 * min 1, "auto" leaves the field "" (the daemon picks the name).
 */
int config_parse_name(struct config *cfg, const struct config_key *k, const char *value,
                      char *reason, size_t rlen)
{
	size_t i, n = strlen(value);

	if (k->min == 1 && strcmp(value, "auto") == 0) {
		*(char *)config_field(cfg, k) = '\0';
		return 0;
	}
	if (n > CONFIG_REDIS_NAME_MAX) {
		snprintf(reason, rlen, "name longer than %d characters", CONFIG_REDIS_NAME_MAX);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if (value[i] <= ' ' || value[i] > '~') {
			snprintf(reason, rlen, "'%s': only printable ASCII without spaces", value);
			return -1;
		}
	}
	memcpy(config_field(cfg, k), value, n + 1);
	return 0;
}

/* The host and optional port of redis://HOST[:PORT] ([ADDR] for IPv6). */
static int config_redis_host(struct config *cfg, const char *h, char *reason, size_t rlen)
{
	const char *end = h + strcspn(h, ":"), *port = NULL;
	unsigned long p = 6379;

	if (*h == '[') {
		end = strchr(h, ']');
		if (end == NULL || (end[1] != '\0' && end[1] != ':')) {
			snprintf(reason, rlen, "unclosed '[' in the host");
			return -1;
		}
		port = end[1] == ':' ? end + 2 : NULL;
		h++;
	} else if (*end == ':') {
		port = end + 1;
	}
	if (end == h || (size_t)(end - h) >= sizeof(cfg->redis_host)) {
		snprintf(reason, rlen, "%s host name", end == h ? "no" : "too long a");
		return -1;
	}
	if (port != NULL && config_number(port, 1, 65535, &p, reason, rlen) < 0)
		return -1;
	memcpy(cfg->redis_host, h, (size_t)(end - h));
	cfg->redis_host[end - h] = '\0';
	cfg->redis_port = (unsigned)p;
	return 0;
}

/* [redis] url: redis://HOST[:PORT], unix:PATH, or none. */
int config_parse_redis_url(struct config *cfg, const struct config_key *k, const char *value,
                           char *reason, size_t rlen)
{
	cfg->redis_host[0] = cfg->redis_unix[0] = '\0';
	cfg->redis_port = 0;
	if (strcmp(value, "none") == 0)
		return 0;
	if (strncmp(value, "unix:", 5) == 0 && value[5] != '\0') {
		if (config_resolve(cfg->basedir, value + 5, cfg->redis_unix, PATH_MAX) < 0) {
			snprintf(reason, rlen, "path too long (more than %d characters)",
			         PATH_MAX - 1);
			return -1;
		}
		return 0;
	}
	if (strncmp(value, "redis://", 8) != 0) {
		snprintf(reason, rlen, "'%s' is not redis://HOST[:PORT], unix:PATH or none", value);
		return -1;
	}
	if (strpbrk(value + 8, "@/?") != NULL) {
		snprintf(reason, rlen,
		         "'%s': user, password, database and options are not supported", value);
		return -1;
	}
	return config_redis_host(cfg, value + 8, reason, rlen);
}
