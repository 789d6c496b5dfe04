/*
 * The master's list of job sources (source.h): each source adds itself
 * when it starts, and the core reaches all of them through it (reload,
 * "there is room again", status and metrics, shutdown) without knowing
 * which sources there are.
 */
#include "master.h"

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
