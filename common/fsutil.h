/*
 * Small filesystem helpers shared by the daemon and poolctl.  No libev,
 * no logging: errors come back as text.
 */
#ifndef POOLD_FSUTIL_H
#define POOLD_FSUTIL_H

#include <stddef.h>

/*
 * Makes sure the directory that holds `path` exists (creating missing
 * components with mode 0750), is a real directory (not a symlink) owned by
 * the effective user, and that no one else can write to it.  Returns 0, or
 * -1 with a reason in err.
 */
int fsutil_private_parent(const char *path, char *err, size_t errlen);

/* fsyncs the directory holding path (after a rename into it).  0 or -1. */
int fsutil_fsync_parent(const char *path);

/* Sets O_NONBLOCK on fd.  Returns 0 or -1 with errno set. */
int fsutil_nonblock(int fd);

#endif
