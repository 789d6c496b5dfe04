/*
 * `poolctl status` and `poolctl wait`: one request line on the daemon's
 * Unix socket, then the reply copied out until the daemon closes the
 * connection.  The write side is never shut down, because the daemon takes
 * EOF as a client that left.  A reply whose first line begins with "error "
 * goes to stderr; everything else to stdout.  Only `wait --timeout` has a
 * deadline; otherwise a reply is awaited as long as it takes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "exitcodes.h"
#include "poolctl.h"

/* One request to the daemon. */
struct query {
	const char *path;    /* the socket, for messages */
	const char *request; /* the line sent, newline included */
	int fd;
	bool has_deadline;
	unsigned timeout_ms;
	int64_t deadline_ms; /* CLOCK_MONOTONIC */
};

/* What poolctl needs to know about a reply after copying it out. */
struct reply {
	char head[512]; /* first line, without newline, maybe truncated */
	bool error;     /* it began with "error " */
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Fills sun for path.  A path too long for sun_path is reached through a
 * descriptor of its directory ("/proc/self/fd/N/NAME"), left in *dirfd for
 * the caller to close.  Returns 0, or -1 with errno set.
 */
static int socket_address(const char *path, struct sockaddr_un *sun, int *dirfd)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_MAX];
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*dirfd = -1;
	if (strlen(path) < sizeof(sun->sun_path)) {
		memcpy(sun->sun_path, path, strlen(path) + 1);
		return 0;
	}
	if (slash == NULL || slash == path || (size_t)(slash - path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	*dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -1;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/%s", *dirfd,
	             slash + 1);
	if (n < 0 || (size_t)n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int poolctl_connect(const char *path)
{
	return poolctl_connect_as(path, false);
}

int poolctl_connect_as(const char *path, bool submit)
{
	struct sockaddr_un sun;
	char why[PATH_MAX + 128];
	int fd, dirfd, rc, err;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		poolctl_die(POOLD_EXIT_OSERR, "socket: %s", strerror(errno));
	rc = socket_address(path, &sun, &dirfd);
	if (rc == 0)
		rc = connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	err = errno;
	if (rc < 0 && (err == ENOENT || err == ECONNREFUSED))
		snprintf(why, sizeof(why), "poold is not running (cannot connect to %s: %s)", path,
		         strerror(err));
	else if (rc < 0)
		snprintf(why, sizeof(why), "cannot connect to %s: %s", path, strerror(err));
	if (rc < 0)
		poolctl_unreachable(path, err, why, submit);
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

/*
 * Sends the request; returns 0, or an errno value if the daemon closed
 * the connection first: it may have said why ("error busy: ..."), which
 * the caller reads before giving up.
 */
static int send_request(const struct query *q)
{
	const char *p = q->request;
	size_t len = strlen(p);
	ssize_t n;

	while (len > 0) {
		n = send(q->fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Waits until the socket is readable or the deadline passes (exit 75). */
static void await_readable(const struct query *q)
{
	struct pollfd pfd = {.fd = q->fd, .events = POLLIN};
	int64_t left;
	int rc;

	do {
		left = q->deadline_ms - now_ms();
		rc = left > 0 ? poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left) : 0;
		if (rc < 0 && errno != EINTR)
			poolctl_die(POOLD_EXIT_OSERR, "poll: %s", strerror(errno));
		if (rc == 0)
			poolctl_die(POOLD_EXIT_TEMPFAIL, "%.*s: timed out after %u ms",
			            (int)strcspn(q->request, " \n"), q->request, q->timeout_ms);
	} while (rc < 0);
}

/* Reads some of the reply; returns 0 at EOF (or a reset: the daemon closed
 * without reading all that was sent).  Exits on other errors. */
static size_t read_some(const struct query *q, char *buf, size_t cap)
{
	ssize_t n;

	for (;;) {
		if (q->has_deadline)
			await_readable(q);
		n = read(q->fd, buf, cap);
		if (n >= 0)
			return (size_t)n;
		/* What the daemon said before it closed came first: the end. */
		if (errno == ECONNRESET)
			return 0;
		if (errno != EINTR)
			poolctl_die(POOLD_EXIT_UNAVAILABLE, "lost the connection to poold: %s",
			            strerror(errno));
	}
}

/*
 * Writes to stdout or stderr.  A reader that left (EPIPE, as in
 * `poolctl wait | head -1`) only ends the copying: the reply is still read
 * to its end so that the exit status stays right.  Sets *out_open to false.
 */
static void write_out(int fd, const char *buf, size_t len, bool *out_open)
{
	ssize_t n;

	while (len > 0 && *out_open) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {
			*out_open = false;
			return;
		}
		if (n < 0)
			poolctl_die(POOLD_EXIT_OSERR, "writing the reply: %s", strerror(errno));
		buf += n;
		len -= (size_t)n;
	}
}

/* Keeps the first line of buf (used bytes, a line if nl != NULL) in r. */
static void keep_head(struct reply *r, const char *buf, size_t used, const char *nl)
{
	size_t len = nl != NULL ? (size_t)(nl - buf) : used;

	if (len > 0 && buf[len - 1] == '\r')
		len--;
	if (len >= sizeof(r->head))
		len = sizeof(r->head) - 1;
	memcpy(r->head, buf, len);
	r->head[len] = '\0';
	r->error = strncmp(r->head, "error ", 6) == 0;
}

/*
 * Sends the request and copies the whole reply to stdout, or to stderr
 * after "poolctl: " if it is an error.  The first line is read before
 * anything is written, to know where the reply goes.  Exits 69 if the
 * daemon closes the connection without a word.
 */
static void query_run(struct query *q, struct reply *r)
{
	char buf[65536];
	const char *nl = NULL;
	size_t used = 0, n;
	char last = '\n';
	bool out_open = true;
	int out, sent;

	if (q->has_deadline)
		q->deadline_ms = now_ms() + q->timeout_ms;
	q->fd = poolctl_connect(q->path);
	sent = send_request(q);
	while (used < sizeof(buf) && (nl = memchr(buf, '\n', used)) == NULL) {
		n = read_some(q, buf + used, sizeof(buf) - used);
		if (n == 0)
			break;
		used += n;
	}
	if (used == 0 && sent != 0)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold went away (sending to %s: %s)", q->path,
		            strerror(sent));
	if (used == 0)
		poolctl_die(POOLD_EXIT_UNAVAILABLE, "poold closed the connection without a reply");
	keep_head(r, buf, used, nl);
	out = r->error ? STDERR_FILENO : STDOUT_FILENO;
	if (r->error)
		write_out(out, "poolctl: ", strlen("poolctl: "), &out_open);
	for (n = used; n > 0; n = read_some(q, buf, sizeof(buf))) {
		write_out(out, buf, n, &out_open);
		last = buf[n - 1];
	}
	if (last != '\n')
		write_out(out, "\n", 1, &out_open);
	close(q->fd);
}

/*
 * Exit code for an "error REASON" reply: 64 when the daemon did not take
 * the request itself ("error unknown request ...", "error request too
 * long", "error bad request ..."), 75 when it is running but serves as
 * many clients as it can ("error busy: ...": try again), 69 for anything
 * else it cannot serve.
 */
static int error_code(const struct reply *r)
{
	static const char *const about_request[] = {
	    "error unknown request",
	    "error request ",
	    "error bad request",
	};
	size_t i;

	if (strncmp(r->head, "error busy", strlen("error busy")) == 0 ||
	    strncmp(r->head, "error idle", strlen("error idle")) == 0)
		return POOLD_EXIT_TEMPFAIL;
	for (i = 0; i < sizeof(about_request) / sizeof(about_request[0]); i++)
		if (strncmp(r->head, about_request[i], strlen(about_request[i])) == 0)
			return POOLD_EXIT_USAGE;
	return POOLD_EXIT_UNAVAILABLE;
}

int poolctl_ask(const struct config *cfg, const char *request)
{
	struct query q = {
	    .path = cfg->socket,
	    .request = request,
	};
	struct reply r;

	query_run(&q, &r);
	return r.error ? error_code(&r) : POOLD_EXIT_OK;
}

/* Reads F from a first line "waited N failed F[ ...]"; -1 if malformed. */
static int parse_waited(const char *head, unsigned long long *failed)
{
	const char *p;
	char *end;

	if (strncmp(head, "waited ", strlen("waited ")) != 0)
		return -1;
	p = head + strlen("waited ");
	if (*p < '0' || *p > '9')
		return -1;
	while (*p >= '0' && *p <= '9')
		p++;
	if (strncmp(p, " failed ", strlen(" failed ")) != 0)
		return -1;
	p += strlen(" failed ");
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	*failed = strtoull(p, &end, 10);
	if (errno != 0 || (*end != '\0' && *end != ' '))
		return -1;
	return 0;
}

int poolctl_wait(const struct config *cfg, bool has_timeout, unsigned timeout_ms)
{
	struct query q = {
	    .path = cfg->socket,
	    .request = "wait\n",
	    .has_deadline = has_timeout,
	    .timeout_ms = timeout_ms,
	};
	unsigned long long failed;
	struct reply r;

	query_run(&q, &r);
	if (r.error)
		return error_code(&r);
	if (parse_waited(r.head, &failed) < 0)
		poolctl_die(POOLD_EXIT_SOFTWARE, "unexpected reply from poold: '%s'", r.head);
	return failed == 0 ? POOLD_EXIT_OK : POOLD_EXIT_FAILED;
}
