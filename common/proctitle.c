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
	char **env;  /* the heap environment made here; kept, since setenv() may
	              * later swap environ for an array of its own */
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

/* A heap copy of the NULL-terminated array v of n strings; NULL on ENOMEM. */
static char **proctitle_copy(char **v, size_t n)
{
	char **c = calloc(n + 1, sizeof(*c));
	size_t i;

	for (i = 0; c != NULL && i < n; i++) {
		c[i] = strdup(v[i]);
		if (c[i] == NULL) {
			while (i-- > 0)
				free(c[i]);
			free(c);
			return NULL;
		}
	}
	return c;
}

/* Frees a proctitle_copy() result. */
static void proctitle_free(char **c)
{
	size_t i;

	for (i = 0; c != NULL && c[i] != NULL; i++)
		free(c[i]);
	free(c);
}

int proctitle_init(int argc, char **argv)
{
	size_t nenv = 0;
	char **args, **env, *start, *end, *slash;
	int i;

	if (argc < 1 || argv[0] == NULL || proctitle_area.start != NULL)
		return 0;
	while (environ != NULL && environ[nenv] != NULL)
		nenv++;
	start = argv[0];
	end = proctitle_end(argc, argv);
	args = proctitle_copy(argv, (size_t)argc);
	env = proctitle_copy(environ, nenv);
	if (args == NULL || env == NULL) {
		proctitle_free(args);
		proctitle_free(env);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < argc; i++)
		argv[i] = args[i];
	free(args); /* the array only: argv[] holds its strings now */
	environ = proctitle_area.env = env;
	program_invocation_name = argv[0];
	slash = strrchr(argv[0], '/');
	program_invocation_short_name = slash != NULL ? slash + 1 : argv[0];
	proctitle_area.start = start;
	proctitle_area.len = (size_t)(end - start);
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
