/*
 * The bytes of one file in a backup: worker/backup_copy.c hands it an
 * open source and an empty copy.  It keeps holes (a sparse file is copied
 * extent by extent, found with SEEK_DATA and SEEK_HOLE, and the copy is
 * given the source's size with ftruncate), and it refuses to start a copy
 * that the backup file system has no room for, counting only what will
 * really be written (the blocks the source has allocated), so that a
 * `truncate -s 100T` under an allowed root neither fills the disk nor
 * fails.  It must not seek or read anything but the fds it is given.
 * Decisions:
 * - The room check is per file, against the space an unprivileged user
 *   may still use (f_bavail), just before the file is written; a disk
 *   that fills up meanwhile still ends the copy with ENOSPC.  A file
 *   system that shares extents (a reflink through copy_file_range on
 *   XFS or Btrfs) would need less; the check does not count on it.
 * - A file that reports a size of 0 (procfs and sysfs do) is read to its
 *   end, whatever its size says.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "backup_copy.h"

#define BACKUP_CHUNK (1L << 30)
#define BACKUP_ALL   ((off_t)INT64_MAX) /* no limit: up to the end */

/* Errors after which read and write may still work. */
static bool copy_unsupported(int err)
{
	return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP;
}

/* One chunk with read and write at the current offsets, or with pread
 * and pwrite at *off when off is not NULL: bytes copied, 0 at the end of
 * the source, or -1. */
static ssize_t copy_rw(int in, int out, off_t *off, size_t max)
{
	char buf[131072];
	size_t want = max < sizeof(buf) ? max : sizeof(buf);
	ssize_t n = off ? pread(in, buf, want, *off) : read(in, buf, want), done = 0, w;

	while (n > 0 && done < n) {
		w = off ? pwrite(out, buf + done, (size_t)(n - done), *off + done)
		        : write(out, buf + done, (size_t)(n - done));
		if (w > 0)
			done += w;
		else if (w == 0 || errno != EINTR)
			return w == 0 ? (errno = ENOSPC, -1) : -1;
	}
	if (off != NULL && n > 0)
		*off += n;
	return n;
}

/*
 * Copies up to len bytes of in to out: at *off in both (which it moves
 * on), or at the current offsets when off is NULL.  In the kernel with
 * copy_file_range (reflinks where the file system can), else with read
 * and write.  Stops without an error at the end of the source.  A first
 * copy_file_range of 0 bytes without off is checked with read(), as
 * files such as those of procfs report a size of 0.
 */
static int copy_run(struct backup_op *op, int in, int out, off_t *off, off_t len)
{
	bool in_kernel = true, started = false;
	off_t ooff = off != NULL ? *off : 0;
	ssize_t n;

	while (len > 0) {
		size_t max = len < BACKUP_CHUNK ? (size_t)len : (size_t)BACKUP_CHUNK;

		if (in_kernel)
			n = copy_file_range(in, off, out, off != NULL ? &ooff : NULL, max, 0);
		else
			n = copy_rw(in, out, off, max);
		if (in_kernel &&
		    (n < 0 ? copy_unsupported(errno) : n == 0 && !started && off == NULL)) {
			in_kernel = false;
			continue;
		}
		if (n == 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0) {
			len -= n;
			op->bytes += (unsigned long long)n;
			started = true;
			ooff = off != NULL ? *off : 0;
		}
	}
	return 0;
}

/* Fails when the file system of out has no room for the blocks that the
 * source st has allocated (not its size: holes are not written). */
static int check_room(struct backup_op *op, int out, const struct stat *st)
{
	unsigned long long need = (unsigned long long)st->st_blocks * 512ULL, room;
	struct statvfs vfs;

	if (fstatvfs(out, &vfs) < 0)
		return job_result(op->ctx, -1, "statvfs of the backup file system: %s",
		                  strerror(errno));
	room = (unsigned long long)vfs.f_bavail * vfs.f_frsize;
	if (need > room)
		return job_result(op->ctx, -1,
		                  "no room for %s: %llu bytes to write, %llu free on the backup "
		                  "file system",
		                  op->src, need, room);
	return 0;
}

/* The data extents of in, one by one, then the size: holes stay holes. */
static int copy_sparse(struct backup_op *op, int in, int out)
{
	off_t data, hole = 0, end;

	for (;;) {
		data = lseek(in, hole, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* nothing but a hole up to the end */
		if (data < 0 && hole == 0 && copy_unsupported(errno))
			return copy_run(op, in, out, NULL, BACKUP_ALL);
		if (data < 0)
			return -1;
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0 || copy_run(op, in, out, &data, hole - data) < 0)
			return -1;
	}
	end = lseek(in, 0, SEEK_END);
	return end < 0 ? -1 : ftruncate(out, end);
}

int backup_data_copy(struct backup_op *op, int in, int out, const struct stat *st)
{
	int ret;

	if (check_room(op, out, st) < 0)
		return -1;
	ret = st->st_size == 0 ? copy_run(op, in, out, NULL, BACKUP_ALL) : copy_sparse(op, in, out);
	if (ret < 0)
		job_result(op->ctx, -1, "copy %s: %s", op->src, strerror(errno));
	return ret;
}
