/*
 * Exit codes of poold, its workers and poolctl: the one list, mirrored in
 * the README and the man pages.  Values come from <sysexits.h> so that
 * systemd's RestartPreventExitStatus= and shell scripts can tell them apart.
 */
#ifndef POOLD_EXITCODES_H
#define POOLD_EXITCODES_H

#include <sysexits.h>

enum {
	POOLD_EXIT_OK = 0,                       /* clean stop; poolctl: success */
	POOLD_EXIT_FAILED = 1,                   /* poolctl wait: a job failed */
	POOLD_EXIT_USAGE = EX_USAGE,             /* 64: bad command line */
	POOLD_EXIT_DATAERR = EX_DATAERR,         /* 65: poolctl: a job line was rejected */
	POOLD_EXIT_UNAVAILABLE = EX_UNAVAILABLE, /* 69: poolctl: daemon not running */
	POOLD_EXIT_SOFTWARE = EX_SOFTWARE,       /* 70: internal error (a bug) */
	POOLD_EXIT_OSERR = EX_OSERR,             /* 71: fork, pipe or similar failed at start */
	POOLD_EXIT_CANTCREAT = EX_CANTCREAT,     /* 73: FIFO, socket or journal not set up */
	POOLD_EXIT_TEMPFAIL = EX_TEMPFAIL,       /* 75: poolctl: poold busy, or --timeout; retry */
	POOLD_EXIT_CONFIG = EX_CONFIG,           /* 78: bad configuration; do not restart */
};

#endif
