/*
 * notify_listen: the systemd side of sd_notify(3), for tests.  Binds an
 * AF_UNIX datagram socket at the name given (a path, or an abstract name
 * when it starts with '@', bound with exactly the length sd_notify
 * senders use: no trailing NUL) and prints every datagram it receives as
 * one line on standard output:
 *
 *     MS PID TEXT
 *
 * MS is CLOCK_MONOTONIC milliseconds since the listener started, PID the
 * sender's pid from SCM_CREDENTIALS (0 when the kernel gave none), and
 * TEXT the datagram with trailing newlines dropped, every other newline
 * replaced by '|' and any other control byte by '?'.  Each line is one
 * write(2), so lines interleave whole with other writers of an O_APPEND
 * file.  "listening on NAME (CLOCK_MONOTONIC MS ms)" goes to standard
 * error once the socket is bound, so a test knows when to start the
 * daemon and can turn MONOTONIC_USEC= values into the listener's time.
 *
 * It exits 0 after SECONDS (1..3600) or on SIGTERM or SIGINT, unlinking a
 * path socket; 64 on a bad command line, 71 when a system call fails.  It
 * never answers the sender and never reads anything but its socket.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#define LISTEN_MAX_SECONDS 3600
#define LISTEN_DGRAM_MAX   8192

static volatile sig_atomic_t listen_stop; /* set by the SIGTERM/SIGINT handler */

static void listen_stop_handler(int sig)
{
	listen_stop = 1;
}

static long long listen_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Fills sa from NAME; returns the address length, or 0 if NAME is unusable. */
static socklen_t listen_address(const char *name, struct sockaddr_un *sa)
{
	size_t len = strlen(name);

	if ((name[0] != '/' && name[0] != '@') || len < 2 || len >= sizeof(sa->sun_path))
		return 0;
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, name, len);
	if (name[0] == '@') {
		sa->sun_path[0] = '\0';
		return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	}
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
}

static int listen_bind(const char *name)
{
	struct sockaddr_un sa;
	socklen_t salen = listen_address(name, &sa);
	int fd, on = 1;

	if (salen == 0) {
		fprintf(stderr,
		        "notify_listen: '%s' is neither an absolute path nor '@name' "
		        "of at most 107 bytes\n",
		        name);
		exit(EX_USAGE);
	}
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd == -1 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&sa, salen) == -1) {
		fprintf(stderr, "notify_listen: %s: %s\n", name, strerror(errno));
		exit(EX_OSERR);
	}
	return fd;
}

/* Writes all of buf to standard output; exits if it cannot. */
static void listen_write(const char *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = write(STDOUT_FILENO, buf, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			fprintf(stderr, "notify_listen: stdout: %s\n", strerror(errno));
			exit(EX_OSERR);
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Receives one datagram and prints it as one line. */
static void listen_one(int fd, long long start)
{
	char data[LISTEN_DGRAM_MAX], line[LISTEN_DGRAM_MAX + 64];
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = {data, sizeof(data)};
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
	struct cmsghdr *c;
	struct ucred cred = {0, 0, 0};
	ssize_t n;
	size_t i, len;
	int off;

	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	if (n == -1) {
		if (errno == EINTR || errno == EAGAIN)
			return;
		fprintf(stderr, "notify_listen: recvmsg: %s\n", strerror(errno));
		exit(EX_OSERR);
	}
	for (c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
		    c->cmsg_len == CMSG_LEN(sizeof(cred)))
			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
	len = (size_t)n;
	while (len > 0 && data[len - 1] == '\n')
		len--;
	off = snprintf(line, sizeof(line), "%lld %d ", listen_now_ms() - start, (int)cred.pid);
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)data[i];

		line[off++] = ch == '\n' ? '|' : ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
	}
	if (msg.msg_flags & MSG_TRUNC)
		off += snprintf(line + off, sizeof(line) - (size_t)off, "[truncated]");
	line[off++] = '\n';
	listen_write(line, (size_t)off);
}

static long listen_seconds(const char *arg)
{
	char *end;
	long s;

	errno = 0;
	s = strtol(arg, &end, 10);
	if (errno != 0 || end == arg || *end != '\0' || s < 1 || s > LISTEN_MAX_SECONDS) {
		fprintf(stderr, "notify_listen: SECONDS must be 1..%d, not '%s'\n",
		        LISTEN_MAX_SECONDS, arg);
		exit(EX_USAGE);
	}
	return s;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	sigset_t block, orig;
	long long start = listen_now_ms(), deadline;
	struct timespec left;
	struct pollfd pfd;
	long long ms;

	if (argc != 3) {
		fprintf(stderr, "usage: notify_listen PATH|@NAME SECONDS\n");
		return EX_USAGE;
	}
	deadline = start + listen_seconds(argv[2]) * 1000;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = listen_stop_handler;
	sigemptyset(&sa.sa_mask);
	/* Blocked except inside ppoll, so a stop can never be missed. */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (sigprocmask(SIG_BLOCK, &block, &orig) == -1 || sigaction(SIGTERM, &sa, NULL) == -1 ||
	    sigaction(SIGINT, &sa, NULL) == -1) {
		fprintf(stderr, "notify_listen: signals: %s\n", strerror(errno));
		return EX_OSERR;
	}
	sigdelset(&orig, SIGTERM);
	sigdelset(&orig, SIGINT);
	pfd.fd = listen_bind(argv[1]);
	pfd.events = POLLIN;
	fprintf(stderr, "notify_listen: listening on %s (CLOCK_MONOTONIC %lld ms)\n", argv[1],
	        start);
	while (!listen_stop && (ms = deadline - listen_now_ms()) > 0) {
		left.tv_sec = (time_t)(ms / 1000);
		left.tv_nsec = (long)(ms % 1000) * 1000000;
		pfd.revents = 0;
		if (ppoll(&pfd, 1, &left, &orig) == -1 && errno != EINTR) {
			fprintf(stderr, "notify_listen: ppoll: %s\n", strerror(errno));
			return EX_OSERR;
		}
		if (pfd.revents & POLLIN)
			listen_one(pfd.fd, start);
	}
	close(pfd.fd);
	if (argv[1][0] == '/')
		unlink(argv[1]);
	return 0;
}
