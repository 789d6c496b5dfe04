/*
 * Process titles, the way nginx and PHP-FPM show their processes: the
 * command line that ps prints (/proc/PID/cmdline) and the 15-byte name
 * that top and the journal's _COMM show (/proc/PID/comm).
 */
#ifndef POOLD_PROCTITLE_H
#define POOLD_PROCTITLE_H

/* The longest name /proc/PID/comm holds, without its NUL. */
#define PROCTITLE_COMM_MAX 15

/*
 * Makes room for titles, once, first thing in main(), before any thread
 * or child exists and before anything keeps a pointer into argv: moves
 * every argv string and the environment strings that follow them in
 * memory to the heap (argv[i] and environ then point to the copies, and so
 * do program_invocation_name and program_invocation_short_name), so that
 * the whole original area can hold a title.  Returns 0, or -1 with errno
 * set (ENOMEM) with nothing changed.
 */
int proctitle_init(int argc, char **argv);

/*
 * Sets this process's title: title (cut to the area's size) is what ps
 * shows; comm (cut to PROCTITLE_COMM_MAX bytes) is the name of the calling
 * thread.  Without a successful proctitle_init(), only the name is set.
 * A forked child inherits the area and may set its own title.
 */
void proctitle_set(const char *comm, const char *title);

/*
 * proctitle_set() with the title "COMM ARGV..." (the command line after
 * the name, as nginx shows "nginx: master process /usr/sbin/nginx ..."),
 * so that what matched the command line before still does.
 */
void proctitle_set_argv(const char *comm, int argc, char **argv);

#endif
