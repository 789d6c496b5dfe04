/*
 * A loopback TCP listener for the `net` job benchmark: binds 127.0.0.1 on
 * NPORTS ports the kernel picks (1 by default), prints them on stdout one a
 * line, then accepts and closes connections as fast as they come.  On TERM
 * or INT it prints how many it accepted to stderr and exits 0.
 *
 * Several ports because every probe leaves a TIME_WAIT socket for 60 s,
 * and connect() slows down sharply once the TIME_WAITs to one destination
 * fill the ephemeral port range: spreading probes over several destination
 * ports keeps the kernel's port search, not poold, out of the figure.
 *
 * usage: listener [NPORTS]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define LISTENER_MAX_PORTS 64

static volatile sig_atomic_t listener_stop; /* set by TERM/INT, read by the accept loop */

static void on_signal(int sig)
{
	(void)sig;
	listener_stop = 1;
}

/* A non-blocking listening socket on 127.0.0.1 and a kernel-chosen port. */
static int listen_one(unsigned *port)
{
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 || listen(fd, 4096) == -1 ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen) == -1) {
		close(fd);
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Accepts and closes what is waiting on fd; returns how many. */
static unsigned long long accept_all(int fd)
{
	unsigned long long n = 0;
	int c;

	while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) != -1) {
		close(c);
		n++;
	}
	if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
		perror("listener: accept");
	return n;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[LISTENER_MAX_PORTS];
	struct sigaction act;
	unsigned long long accepted = 0;
	unsigned port;
	int i, n = argc > 1 ? atoi(argv[1]) : 1;

	if (argc > 2 || n < 1 || n > LISTENER_MAX_PORTS) {
		fprintf(stderr, "usage: listener [NPORTS (1..%d)]\n", LISTENER_MAX_PORTS);
		return 64;
	}
	memset(&act, 0, sizeof(act));
	act.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&act.sa_mask);
	sigaction(SIGTERM, &act, NULL);
	sigaction(SIGINT, &act, NULL);

	for (i = 0; i < n; i++) {
		pfd[i].fd = listen_one(&port);
		if (pfd[i].fd == -1) {
			perror("listener: socket/bind/listen");
			return 1;
		}
		pfd[i].events = POLLIN;
		printf("%u\n", port);
	}
	fflush(stdout);
	while (!listener_stop) {
		if (poll(pfd, (nfds_t)n, -1) == -1) {
			if (errno != EINTR)
				perror("listener: poll");
			continue;
		}
		for (i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				accepted += accept_all(pfd[i].fd);
	}
	fprintf(stderr, "listener: accepted %llu\n", accepted);
	return 0;
}
