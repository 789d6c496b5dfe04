/*
 * Socket activation (sd_listen_fds(3), spoken directly): a poold.socket
 * unit with ListenFIFO= creates the control FIFO before the daemon starts
 * and keeps it open while the service is stopped or restarting, so lines
 * written meanwhile wait in the FIFO instead of failing.  systemd passes it
 * as fd 3 and up with $LISTEN_PID and $LISTEN_FDS; this file finds the FIFO
 * among them.  It only looks at descriptors that protocol hands us.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "log.h"
#include "master.h"

#define ACTIVATION_FD_START 3

/* $LISTEN_FDS when $LISTEN_PID is us, else 0. */
static int activation_count(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long n;

	if (pid == NULL || fds == NULL || strtol(pid, &end, 10) != (long)getpid() || *end != '\0')
		return 0;
	n = strtol(fds, &end, 10);
	if (*end != '\0' || n < 0 || n > 64)
		return 0;
	return (int)n;
}

enum activation_result activation_fifo(const char *path, int *fdp, char *err, size_t errlen)
{
	int n = activation_count(), fd, found = -1, fifos = 0;
	struct stat want, st;
	bool have_path = stat(path, &want) == 0;

	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	for (fd = ACTIVATION_FD_START; fd < ACTIVATION_FD_START + n; fd++) {
		if (fstat(fd, &st) == -1 || !S_ISFIFO(st.st_mode))
			continue;
		fifos++;
		if (found == -1 ||
		    (have_path && st.st_dev == want.st_dev && st.st_ino == want.st_ino))
			found = fd;
	}
	if (found == -1)
		return ACTIVATION_NONE;
	if (fifos > 1 && !(have_path && fstat(found, &st) == 0 && st.st_ino == want.st_ino)) {
		snprintf(err, errlen, "systemd passed %d FIFOs and none is %s", fifos, path);
		return ACTIVATION_BAD;
	}
	if (fsutil_nonblock(found) == -1 || fcntl(found, F_SETFD, FD_CLOEXEC) == -1) {
		snprintf(err, errlen, "socket-activated FIFO: %s", strerror(errno));
		return ACTIVATION_BAD;
	}
	if (!have_path || st.st_ino != want.st_ino)
		log_notice("using the FIFO systemd passed (fd %d), not %s", found, path);
	*fdp = found;
	return ACTIVATION_FOUND;
}

bool activation_pending(void)
{
	int n = activation_count(), fd;
	struct stat st;

	for (fd = ACTIVATION_FD_START; fd < ACTIVATION_FD_START + n; fd++)
		if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode))
			return true;
	return false;
}
