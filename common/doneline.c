/*
 * Done lines (doneline.h): the memfd, one page per slot.  The descriptor
 * is process-wide state, like the log kind's write lock: made once by the
 * master before any fork, inherited by each worker, which maps its page
 * and drops it.  A page per slot, not a cache line: memory protection is
 * per page, and a worker maps nothing of another slot.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "doneline.h"

/* A slot's page starts with this: the count, and the pid of the worker
 * that stores it (0 after a reset). */
struct doneline {
	_Atomic uint64_t count;
	int64_t pid;
};

static int doneline_fd = -1;
static unsigned doneline_slots;
static size_t doneline_page;

int doneline_setup(unsigned nslots)
{
	long page = sysconf(_SC_PAGESIZE);
	int fd;

	if (doneline_fd != -1)
		return 0;
	if (page <= 0)
		page = 4096;
	fd = memfd_create("poold-doneline", MFD_CLOEXEC);
	if (fd == -1)
		return -1;
	if (ftruncate(fd, (off_t)nslots * page) == -1) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	doneline_fd = fd;
	doneline_slots = nslots;
	doneline_page = (size_t)page;
	return 0;
}

/* The offset of the slot's page, or -1 (errno ERANGE) if it has none. */
static off_t doneline_off(unsigned slot)
{
	if (doneline_fd == -1 || slot >= doneline_slots) {
		errno = ERANGE;
		return -1;
	}
	return (off_t)slot * (off_t)doneline_page;
}

int doneline_reset(unsigned slot)
{
	static const char zero[sizeof(struct doneline)];
	off_t off = doneline_off(slot);

	if (off == -1)
		return -1;
	/* A hole reads as zero and holds no memory; a plain write if the
	 * kernel cannot punch one. */
	if (fallocate(doneline_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off,
	              (off_t)doneline_page) == 0)
		return 0;
	return pwrite(doneline_fd, &zero, sizeof(zero), off) == (ssize_t)sizeof(zero) ? 0 : -1;
}

bool doneline_take(unsigned slot, pid_t pid, uint64_t *count)
{
	off_t off = doneline_off(slot);
	struct doneline l;

	*count = 0;
	if (off == -1 || pread(doneline_fd, &l, sizeof(l), off) != (ssize_t)sizeof(l))
		return false;
	doneline_reset(slot);
	if (l.pid != (int64_t)pid)
		return false;
	*count = atomic_load_explicit(&l.count, memory_order_relaxed);
	return true;
}

_Atomic uint64_t *doneline_map(unsigned slot)
{
	off_t off = doneline_off(slot);
	struct doneline *l;

	if (off == -1)
		return NULL;
	l = mmap(NULL, doneline_page, PROT_READ | PROT_WRITE, MAP_SHARED, doneline_fd, off);
	doneline_fd = -1; /* the worker closes its copy with the others */
	if (l == MAP_FAILED)
		return NULL;
	l->pid = getpid();
	return &l->count;
}

int doneline_descriptor(void)
{
	return doneline_fd;
}
