/*
 * The master's list of job sources (source.h): each source adds itself
 * when it starts, and the core reaches all of them through it (reload,
 * "there is room again", status and metrics, shutdown) without knowing
 * which sources there are.
 */
#include <stdio.h>

#include "master.h"

/* Rejections logged per second; the rest are counted and summarised. */
#define SOURCE_REJECT_LOGS 10

void source_add(struct master *m, struct source *src)
{
	struct source **pp = &m->sources;

	while (*pp != NULL) /* in start order: status lists them so */
		pp = &(*pp)->next;
	src->m = m;
	src->next = NULL;
	*pp = src;
}

static void source_remove(struct master *m, struct source *src)
{
	struct source **pp;

	for (pp = &m->sources; *pp != NULL; pp = &(*pp)->next)
		if (*pp == src) {
			*pp = src->next;
			src->next = NULL;
			return;
		}
}

void source_room_all(struct master *m)
{
	struct source *s;

	for (s = m->sources; s != NULL; s = s->next)
		if (s->ops->room != NULL)
			s->ops->room(s);
}

void source_drain_all(struct master *m)
{
	struct source *s;

	for (s = m->sources; s != NULL; s = s->next)
		if (s->ops->drain != NULL)
			s->ops->drain(s);
}

void source_reload_all(struct master *m, struct config *next)
{
	struct source *s;

	for (s = m->sources; s != NULL; s = s->next)
		if (s->ops->reload != NULL)
			s->ops->reload(s, next);
}

/* Last added first: a source started after another may rely on it. */
void source_close_all(struct master *m)
{
	struct source *s, *last;

	while (m->sources != NULL) {
		for (last = m->sources; last->next != NULL; last = last->next)
			;
		s = last;
		source_remove(m, s);
		if (s->ops->close != NULL)
			s->ops->close(s);
	}
}

uint64_t source_live_journaled(const struct master *m)
{
	const struct source *s;
	uint64_t n = 0;

	for (s = m->sources; s != NULL; s = s->next)
		n += s->journaled ? s->live : 0;
	return n;
}

/* Copies up to 60 bytes of a line for a log, with unprintable bytes as \xHH. */
static void source_excerpt(const char *line, size_t len, char *out, size_t outlen)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 5 < outlen && i < 60; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, outlen - n, "\\x%02x", c);
	}
	if (i < len && n + 4 < outlen)
		n += (size_t)snprintf(out + n, outlen - n, "...");
	out[n] = '\0';
}

void source_reject_log(struct master *m, const char *what, const char *line, size_t len,
                       const char *why)
{
	char ex[320];

	if (!log_rate_ok(&m->reject_log, ev_now(m->loop), SOURCE_REJECT_LOGS, 1.0, "rejections"))
		return;
	source_excerpt(line, len, ex, sizeof(ex));
	log_warnx("rejected %s \"%s\": %s", what, ex, why);
}
