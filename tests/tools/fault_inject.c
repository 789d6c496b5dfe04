/*
 * A test tool: an LD_PRELOAD library that makes chosen system calls fail,
 * for the faults a test cannot cause for real (an EIO from a disk, fork
 * failing for a root process).  Everything else passes through to libc.
 * Driven by the environment, read at each call:
 *
 *   FAULT_EIO_PATH=S     write(), copy_file_range() and fsync() on a file
 *                        whose path contains S fail with EIO
 *   FAULT_SLOW_PATH=S    copy_file_range() into a file whose path contains
 *                        S first sleeps 50 ms (a slow disk, so that a test
 *                        can stop a backup in the middle)
 *   FAULT_FORK_FROM=N    fork() number N (1 = the first) and the
 *   FAULT_FORK_COUNT=K   K-1 after it fail with EAGAIN; a clone3 through
 *                        syscall(), as poold's spawner makes workers,
 *                        counts as a fork (the count goes on in the
 *                        spawner from what it was when it was forked)
 *   FAULT_NO_CLONE3=1    clone3 through syscall() fails with ENOSYS, as
 *                        under systemd's RestrictNamespaces=
 *   FAULT_MEMFD=1        memfd_create() fails with EMFILE (=NAME: only
 *                        for that name)
 *   FAULT_TEAR_PATH=S    the first write() of over one byte to a file whose
 *   FAULT_TEAR_MARK=F    path contains S, among all processes (the one
 *                        that creates file F, O_EXCL), writes only the
 *                        first half of its bytes and then SIGKILLs its
 *                        own process: a writer killed in its write, as
 *                        the kernel leaves it between two pages
 *   FAULT_STOP_PATH=S    the same, once among all processes (the one that
 *   FAULT_STOP_MARK=F    creates F), but the writer SIGSTOPs itself just
 *                        before the write (then writes it all when it is
 *                        continued): a writer stopped while it holds
 *                        whatever it took before writing
 *   FAULT_KILL_PATH=S    each process SIGKILLs itself right after its
 *   FAULT_KILL_SEED=N    K-th write() to a file whose path contains S
 *   FAULT_KILL_MARK=F    (K from 2 to 300, drawn from N and its pid), as
 *   FAULT_KILL_MAX=M     a SIGKILL arriving in that write leaves it: the
 *                        line written, nothing after it done; at most M
 *                        times among all processes (each creates F.1,
 *                        F.2 ... F.M, O_EXCL, the first it can, and
 *                        writes there what it writes)
 *   FAULT_CLOCK_FILE=F   the wall clock, read by gettimeofday() (as libev
 *                        does) or clock_gettime(CLOCK_REALTIME), is
 *                        shifted by the seconds written in file F, read
 *                        at each call (none or unreadable: no shift): the
 *                        wall clock set forward or back, the monotonic
 *                        clock untouched
 *
 * Never linked into poold: tests start the real binary with LD_PRELOAD.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

pid_t fork(void);
long syscall(long number, ...);
int memfd_create(const char *name, unsigned flags);
ssize_t write(int fd, const void *buf, size_t n);
ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned flags);
int fsync(int fd);
int clock_gettime(clockid_t id, struct timespec *ts);

/* True when the variable env is set and fd is a file whose path contains it. */
static int fault_path(const char *env, int fd)
{
	const char *want = getenv(env);
	char link[64], path[4096];
	ssize_t n;

	if (want == NULL || *want == '\0')
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0)
		return 0;
	path[n] = '\0';
	return strstr(path, want) != NULL;
}

static int fault_eio(int fd)
{
	return fault_path("FAULT_EIO_PATH", fd);
}

/* True when this fork (or clone3) is one of those FAULT_FORK_* make fail. */
static int fault_fork(void)
{
	static long calls;
	const char *from = getenv("FAULT_FORK_FROM"), *count = getenv("FAULT_FORK_COUNT");
	long f = from ? atol(from) : 0, c = count ? atol(count) : 1;

	calls++;
	return f > 0 && calls >= f && calls < f + c;
}

pid_t fork(void)
{
	pid_t (*real)(void) = (pid_t(*)(void))dlsym(RTLD_NEXT, "fork");

	if (fault_fork()) {
		errno = EAGAIN;
		return -1;
	}
	return real();
}

/* Every call passes six arguments on, as glibc's syscall() takes them. */
long syscall(long number, ...)
{
	long (*real)(long, ...) = (long (*)(long, ...))dlsym(RTLD_NEXT, "syscall");
	long a[6];
	va_list ap;
	int i;

	va_start(ap, number);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (number == SYS_clone3 && getenv("FAULT_NO_CLONE3") != NULL) {
		errno = ENOSYS;
		return -1;
	}
	if (number == SYS_clone3 && fault_fork()) {
		errno = EAGAIN;
		return -1;
	}
	return real(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

int memfd_create(const char *name, unsigned flags)
{
	int (*real)(const char *, unsigned) =
	    (int (*)(const char *, unsigned))dlsym(RTLD_NEXT, "memfd_create");
	const char *want = getenv("FAULT_MEMFD");

	if (want != NULL && (strcmp(want, "1") == 0 || strcmp(want, name) == 0)) {
		errno = EMFILE;
		return -1;
	}
	return real(name, flags);
}

/* FAULT_TEAR_* or FAULT_STOP_* (the names of the two variables): true
 * (once, whoever creates the mark) for this write. */
static int fault_once(const char *path_var, const char *mark_var, int fd, size_t n)
{
	const char *mark = getenv(mark_var);
	int m;

	if (n < 2 || mark == NULL || !fault_path(path_var, fd))
		return 0;
	m = open(mark, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (m < 0)
		return 0;
	close(m);
	return 1;
}

/* FAULT_KILL_*: true if this write, to the path, is this process's K-th
 * and one of the FAULT_KILL_MAX kills is left (its mark made, holding the
 * bytes of this write). */
static int fault_kill(int fd, const void *buf, size_t n, ssize_t (*real)(int, const void *, size_t))
{
	static long writes, k;
	const char *seed = getenv("FAULT_KILL_SEED"), *mark = getenv("FAULT_KILL_MARK");
	const char *max = getenv("FAULT_KILL_MAX");
	char path[4096];
	long i;
	int m;

	if (seed == NULL || mark == NULL || max == NULL || !fault_path("FAULT_KILL_PATH", fd))
		return 0;
	if (k == 0)
		k = 2 + (long)(((unsigned long)atol(seed) * 2654435761u + (unsigned long)getpid()) %
		               299u);
	if (++writes != k)
		return 0;
	for (i = 1; i <= atol(max); i++) {
		snprintf(path, sizeof(path), "%s.%ld", mark, i);
		m = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (m >= 0) {
			(void)!real(m, buf, n);
			close(m);
			return 1;
		}
	}
	return 0;
}

ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t (*real)(int, const void *, size_t) =
	    (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	ssize_t r;

	if (fault_eio(fd)) {
		errno = EIO;
		return -1;
	}
	if (fault_once("FAULT_TEAR_PATH", "FAULT_TEAR_MARK", fd, n)) {
		if (real(fd, buf, n / 2) >= 0)
			kill(getpid(), SIGKILL);
		abort();
	}
	if (fault_once("FAULT_STOP_PATH", "FAULT_STOP_MARK", fd, n))
		kill(getpid(), SIGSTOP);
	if (fault_kill(fd, buf, n, real)) {
		r = real(fd, buf, n);
		kill(getpid(), SIGKILL);
		return r;
	}
	return real(fd, buf, n);
}

ssize_t copy_file_range(int in, off_t *in_off, int out, off_t *out_off, size_t len, unsigned flags)
{
	ssize_t (*real)(int, off_t *, int, off_t *, size_t, unsigned) =
	    (ssize_t(*)(int, off_t *, int, off_t *, size_t, unsigned))dlsym(RTLD_NEXT,
	                                                                    "copy_file_range");

	if (fault_eio(out)) {
		errno = EIO;
		return -1;
	}
	if (fault_path("FAULT_SLOW_PATH", out))
		usleep(50000);
	return real(in, in_off, out, out_off, len, flags);
}

int fsync(int fd)
{
	int (*real)(int) = (int (*)(int))dlsym(RTLD_NEXT, "fsync");

	if (fault_eio(fd)) {
		errno = EIO;
		return -1;
	}
	return real(fd);
}

/* The whole seconds in FAULT_CLOCK_FILE, or 0. */
static long fault_clock_shift(void)
{
	const char *path = getenv("FAULT_CLOCK_FILE");
	int fd, saved = errno; /* a clock read leaves errno alone */
	char buf[32];
	ssize_t n;

	if (path == NULL || (fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		errno = saved;
		return 0;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	errno = saved;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
	int (*real)(clockid_t, struct timespec *) =
	    (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
	int r = real(id, ts);

	if (r == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += fault_clock_shift();
	return r;
}

/* libev's wall clock (ev_time). */
int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}
