/*
 * The path rules a job's path argument must pass, shared by the `backup`
 * kind and by operator kinds' `{N:path:ROOT}` placeholders, so both refuse
 * the same things the same way: in the master, the syntax (absolute, no
 * NUL, no `..` component, under PATH_MAX); in the worker, the way from a
 * root to the path with no symlink in any component (openat2
 * RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS, or a walk with O_NOFOLLOW where
 * openat2 is missing or refused by a seccomp profile) and the entry's own
 * type (no symlink, FIFO, socket or device).
 */
#ifndef POOLD_PATHRULE_H
#define POOLD_PATHRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* openat2 calls retried on EAGAIN (a rename raced the resolution). */
#define PATHRULE_TRIES 16

enum pathrule_walk { PATHRULE_CREATE = 1, PATHRULE_FOLLOW = 2 };

/* The master's syntax check of a path argument of len bytes.  Returns 0,
 * or -1 with a reason ("path has a '..' component") in err. */
int pathrule_check(const char *p, size_t len, char *err, size_t errlen);

/* Drops empty and "." components and a trailing slash (out may be in); out gets at most
 * len + 1 bytes, and "/" if nothing is left. */
void pathrule_normalize(const char *in, size_t len, char *out);

/* The part of path below root without its leading slash ("" for the root
 * itself), or NULL: a component-wise prefix, so /a/bX is not under /a/b. */
const char *pathrule_under(const char *path, const char *root);

/*
 * Opens the directory path (absolute, or relative to basefd) one
 * component at a time, creating missing ones (mode 0750, the parent
 * fsynced) with PATHRULE_CREATE; without PATHRULE_FOLLOW a symlink in any
 * component fails with ELOOP.  Returns a new O_PATH fd or -1 with errno.
 */
int pathrule_walk(int basefd, const char *path, int flags);

/* The O_PATH fd of directory dir (relative) below rootfd with no symlink
 * anywhere in it and no way out of the root.  -1 with errno (ELOOP for a
 * symlink). */
int pathrule_beneath(int rootfd, const char *dir);

/* What a job may not name, in words ("FIFO", "symlink"), for a mode
 * from lstat; NULL for a regular file or a directory. */
const char *pathrule_refused(mode_t mode);

#endif
