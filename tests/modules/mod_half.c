/*
 * Test module: `mhalf`, whose init fails in the first worker that runs it
 * and succeeds in the others: the first init to create the file named by
 * $POOLD_TEST_REFUSE_FILE (O_EXCL) fails, as a module whose licence or
 * device is missing in one worker only would.  A job says which worker
 * process ran it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poold/module.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int mhalf_init(void **state, char *err, size_t errlen)
{
	const char *path = getenv("POOLD_TEST_REFUSE_FILE");
	int fd;

	if (path == NULL)
		return 0;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd == -1)
		return errno == EEXIST ? 0 : -1;
	dprintf(fd, "%ld\n", (long)getpid());
	close(fd);
	snprintf(err, errlen, "the device of worker pid %ld is missing", (long)getpid());
	return -1;
}

static int mhalf_run(poold_job *job, const struct poold_api *api)
{
	api->result(job, "ran in pid %ld", (long)getpid());
	return POOLD_OK;
}

POOLD_MODULE(POOLD_KIND("mhalf", "{1:int:0..1000000}", 0));
POOLD_MODULE_OPS({.run = mhalf_run, .init = mhalf_init});
