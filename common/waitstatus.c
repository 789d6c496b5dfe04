/* waitstatus.h: a wait status in words. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "waitstatus.h"

void waitstatus_describe(int status, char *buf, size_t len)
{
	const char *name;

	if (WIFEXITED(status)) {
		snprintf(buf, len, "exited with code %d", WEXITSTATUS(status));
	} else if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		snprintf(buf, len, "killed by signal %d (SIG%s)%s", WTERMSIG(status),
		         name != NULL ? name : "?", WCOREDUMP(status) ? ", core dumped" : "");
	} else {
		snprintf(buf, len, "ended with status 0x%x", (unsigned)status);
	}
}
