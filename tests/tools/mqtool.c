/*
 * What the integration tests do to a POSIX message queue besides
 * `poolctl submit --mq`: send raw bytes (a hostile sender), send without
 * blocking (to see a full queue refuse), look at the queue's mode, owner
 * and sizes, and remove it.
 *
 *   mqtool send NAME PRIO [nb]   one message: stdin's bytes exactly
 *                                (nb: O_NONBLOCK; exit 11 on EAGAIN)
 *   mqtool stat NAME             "mode=0620 uid=0 maxmsg=10 msgsize=4096 curmsgs=0"
 *   mqtool unlink NAME
 * Exit 0, or 1 with the error on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int mqtool_send(const char *name, unsigned prio, bool nb)
{
	static char buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), stdin);
	mqd_t mq = mq_open(name, O_WRONLY | (nb ? O_NONBLOCK : 0));

	if (mq == (mqd_t)-1) {
		fprintf(stderr, "mq_open %s: %s\n", name, strerror(errno));
		return errno == EACCES ? 13 : 1;
	}
	if (mq_send(mq, buf, len, prio) == -1) {
		fprintf(stderr, "mq_send: %s\n", strerror(errno));
		return errno == EAGAIN ? 11 : errno == EMSGSIZE ? 90 : 1;
	}
	mq_close(mq);
	return 0;
}

static int mqtool_stat(const char *name)
{
	mqd_t mq = mq_open(name, O_RDONLY | O_NONBLOCK);
	struct mq_attr a;
	struct stat st;

	if (mq == (mqd_t)-1 || fstat(mq, &st) == -1 || mq_getattr(mq, &a) == -1) {
		fprintf(stderr, "%s: %s\n", name, strerror(errno));
		return 1;
	}
	printf("mode=%04o uid=%u maxmsg=%ld msgsize=%ld curmsgs=%ld\n",
	       (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (long)a.mq_maxmsg,
	       (long)a.mq_msgsize, (long)a.mq_curmsgs);
	mq_close(mq);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "stat") == 0)
		return mqtool_stat(argv[2]);
	if (argc == 3 && strcmp(argv[1], "unlink") == 0) {
		if (mq_unlink(argv[2]) == 0 || errno == ENOENT)
			return 0;
		fprintf(stderr, "mq_unlink %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if ((argc == 4 || argc == 5) && strcmp(argv[1], "send") == 0)
		return mqtool_send(argv[2], (unsigned)atoi(argv[3]), argc == 5);
	fprintf(stderr, "usage: mqtool send NAME PRIO [nb] | stat NAME | unlink NAME\n");
	return 1;
}
