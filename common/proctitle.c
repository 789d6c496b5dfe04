/*
 * Process titles: the classic setproctitle technique of nginx and
 * PHP-FPM.  The kernel shows as a process's command line the memory where
 * its argv strings were placed at exec, and the environment strings lie
 * right after them; proctitle_init() moves both to the heap and takes the
 * whole area for titles.  Linux reads a title that outgrows the argv part
 * on into the environment part, up to its first NUL.
 *
 * The area's bounds live in the one static struct below: the argument
 * area belongs to the process (a forked child has its own copy of it),
 * not to the master's or a worker's context.  No libev, no exit().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "proctitle.h"

extern char **environ;

static struct {
	char *start; /* argv[0] as exec placed it; NULL before proctitle_init() */
	size_t len;  /* bytes of argv and environment strings, NULs included */
	char *copy;  /* the heap copy of the area's strings, never freed */
} proctitle_area;

/* The end of the contiguous strings from argv[0]: each must start where
 * the previous one's NUL ends. */
static char *proctitle_end(int argc, char **argv)
{
	char *end = argv[0] + strlen(argv[0]) + 1;
	int i;

	for (i = 1; i < argc && argv[i] == end; i++)
		end += strlen(argv[i]) + 1;
	for (i = 0; environ != NULL && environ[i] != NULL && environ[i] == end; i++)
		end += strlen(environ[i]) + 1;
	return end;
}

/* Points every string of the NULL-terminated array v (or its first n when
 * n is not 0) that lies in [start, end) at the same place in copy. */
static void proctitle_move(char **v, size_t n, const char *start, const char *end, char *copy)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL && (n == 0 || i < n); i++)
		if (v[i] >= start && v[i] < end)
			v[i] = copy + (v[i] - start);
}

int proctitle_init(int argc, char **argv)
{
	char *start, *end, *copy, *slash;

	if (argc < 1 || argv[0] == NULL || proctitle_area.start != NULL)
		return 0;
	start = argv[0];
	end = proctitle_end(argc, argv);
	/* One heap block for the whole area, kept for the life of the process:
	 * argv[] and environ[] keep their arrays and point into it, so nothing
	 * is lost when setenv() or unsetenv() later rearranges environ. */
	copy = malloc((size_t)(end - start));
	if (copy == NULL) {
		errno = ENOMEM;
		return -1;
	}
	memcpy(copy, start, (size_t)(end - start));
	proctitle_move(argv, (size_t)argc, start, end, copy);
	proctitle_move(environ, 0, start, end, copy);
	program_invocation_name = argv[0];
	slash = strrchr(argv[0], '/');
	program_invocation_short_name = slash != NULL ? slash + 1 : argv[0];
	proctitle_area.start = start;
	proctitle_area.len = (size_t)(end - start);
	proctitle_area.copy = copy;
	return 0;
}

void proctitle_set(const char *comm, const char *title)
{
	char name[PROCTITLE_COMM_MAX + 1];
	size_t n;

	snprintf(name, sizeof(name), "%s", comm);
	(void)prctl(PR_SET_NAME, name);
	if (proctitle_area.start == NULL)
		return;
	n = strlen(title);
	if (n > proctitle_area.len - 1)
		n = proctitle_area.len - 1;
	memcpy(proctitle_area.start, title, n);
	/* NULs to the end: ps shows nothing of the old command line. */
	memset(proctitle_area.start + n, 0, proctitle_area.len - n);
}

void proctitle_set_argv(const char *comm, int argc, char **argv)
{
	char title[1024];
	size_t len;
	int i;

	len = (size_t)snprintf(title, sizeof(title), "%s", comm);
	for (i = 0; i < argc && len < sizeof(title) - 1; i++)
		len += (size_t)snprintf(title + len, sizeof(title) - len, " %s", argv[i]);
	proctitle_set(comm, title);
}
