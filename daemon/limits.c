/*
 * Resource limits the pool needs, checked before it is started or made
 * larger (at start, reload and scale), so that a pool the process cannot
 * hold is refused with one line instead of failing fork by fork.
 *
 * Descriptors: the master keeps two per worker (its ends of the task and
 * completion pipes), LIMITS_FIXED for itself (standard streams, FIFO and
 * its keep-alive writer, socket, journal, epoll, libev's signal pipe,
 * notify socket, scoreboard, job sources, a file being written, spare) and one
 * per status-socket client.  The soft RLIMIT_NOFILE is raised, up to the
 * hard limit, to cover CTLSOCK_MAX clients; a pool that does not fit with
 * at least LIMITS_MIN_CLIENTS clients is refused.  The client cap is what
 * is left (ctlsock_accept.c).  Processes: RLIMIT_NPROC counts every process of
 * the user, so the pool plus the master and its spawner is only a lower bound; the soft
 * limit is raised to the hard one when it is below that bound.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "master.h"

#define LIMITS_FIXED       32
#define LIMITS_MIN_CLIENTS 64

/* Raises the soft limit of res towards want (at most to the hard limit);
 * returns the soft limit now in force. */
static rlim_t limits_raise(int res, rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(res, &rl) == -1)
		return RLIM_INFINITY; /* cannot tell: let fork and pipe say */
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
		return rl.rlim_cur;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(res, &rl) == -1 || getrlimit(res, &rl) == -1)
		return 0;
	return rl.rlim_cur;
}

static int limits_nproc(unsigned procs, char *err, size_t errlen)
{
	rlim_t have = limits_raise(RLIMIT_NPROC, procs);
	struct rlimit rl;

	if (have == RLIM_INFINITY || have >= procs)
		return 0;
	getrlimit(RLIMIT_NPROC, &rl);
	snprintf(err, errlen,
	         "%u workers need at least %u processes of this user, and the process limit is "
	         "%llu (hard %llu): raise LimitNPROC= or ulimit -u, or use fewer workers",
	         procs - 2, procs, (unsigned long long)have, (unsigned long long)rl.rlim_max);
	return -1;
}

int limits_fit(struct master *m, unsigned workers, unsigned held, char *err, size_t errlen)
{
	unsigned long long pipes = 2ULL * (workers + held);
	rlim_t need = LIMITS_FIXED + pipes + LIMITS_MIN_CLIENTS, have;
	struct rlimit rl;

	have = limits_raise(RLIMIT_NOFILE, LIMITS_FIXED + pipes + CTLSOCK_MAX);
	if (have != RLIM_INFINITY && have < need) {
		if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
			rl.rlim_max = have;
		snprintf(err, errlen,
		         "%u workers need %llu file descriptors (2 per worker, %d for the master, "
		         "%d for clients), and the limit is %llu (hard %llu): raise LimitNOFILE= "
		         "or ulimit -n, or use fewer workers",
		         workers + held, (unsigned long long)need, LIMITS_FIXED, LIMITS_MIN_CLIENTS,
		         (unsigned long long)have, (unsigned long long)rl.rlim_max);
		errno = EMFILE;
		return -1;
	}
	if (limits_nproc(workers + held + 2, err, errlen) == -1) { /* + master, spawner */
		errno = EAGAIN;
		return -1;
	}
	m->ctl_cap = have == RLIM_INFINITY || have - LIMITS_FIXED - pipes >= CTLSOCK_MAX
	                 ? CTLSOCK_MAX
	                 : (unsigned)(have - LIMITS_FIXED - pipes);
	return 0;
}
