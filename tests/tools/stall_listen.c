/*
 * stall_listen: a TCP listener on 127.0.0.1 whose accept queue is full and
 * never drained, so that every further connect(2) to it hangs until the
 * client gives up: Linux drops a SYN sent to a listener whose accept queue
 * is full, and the client only retransmits it.  Integration tests use it
 * to make `net` jobs that last exactly [net] timeout, on loopback, with no
 * firewall rule.
 *
 * It listens with a backlog of 0 (one pending connection fills the queue),
 * makes that one connection itself, prints the port on standard output
 * and waits until a signal (TERM, INT) ends it; it exits 71 when a system
 * call fails.  It never accepts.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (l < 0 || c < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 0) < 0 ||
	    getsockname(l, (struct sockaddr *)&a, &len) < 0 ||
	    connect(c, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("stall_listen");
		return 71;
	}
	printf("%u\n", (unsigned)ntohs(a.sin_port));
	fflush(stdout);
	for (;;)
		pause();
}
