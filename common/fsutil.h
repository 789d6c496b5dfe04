/*
 * Small filesystem helpers shared by the daemon and poolctl.  No libev,
 * no logging: errors come back as text.
 */
#ifndef POOLD_FSUTIL_H
#define POOLD_FSUTIL_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* What marks our temporaries: ".NAME.tmp-" and 16 random hex digits. */
#define FSUTIL_TMP_MARK ".tmp-"

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

/*
 * Opens the directory holding path (O_PATH) and copies the last component
 * into name.  Returns the descriptor (the caller's), or -1 with errno.
 */
int fsutil_open_parent(const char *path, char *name, size_t namelen);

/*
 * Opens a file poold writes in place (the job log, the journal's lock):
 * open(2) with flags and mode, plus O_NOFOLLOW (a symlink at the name is
 * refused, ELOOP), O_NONBLOCK while opening (a FIFO at the name cannot
 * block us), and refuses anything but a regular file with one link or a
 * character device (EINVAL, EMLINK): a hard link planted in a shared
 * directory would otherwise make us write into its other name.  Returns the descriptor
 * (blocking, close-on-exec), or -1 with errno; fsutil_why(errno) says why
 * in words.
 */
int fsutil_open_file(const char *path, int flags, mode_t mode);

/* strerror(err), in fsutil_open_file's words where it has its own. */
const char *fsutil_why(int err);

/*
 * Replacing a file atomically and safely: a temporary beside it named
 * ".NAME.tmp-" and 16 random hex digits, created with O_EXCL | O_NOFOLLOW
 * relative to a held descriptor of the directory, then renamed over NAME
 * (which replaces a symlink there, never writes through it).
 */
struct fsutil_tmp {
	int dirfd; /* O_PATH of the directory, -1 once done */
	int fd;    /* the temporary, open for writing */
	char name[NAME_MAX + 1];
	char tmp[NAME_MAX + 1];
};

/* Creates the temporary for path with mode.  0, or -1 with errno. */
int fsutil_tmp_open(struct fsutil_tmp *t, const char *path, mode_t mode);

/*
 * Renames the temporary over the file; with sync, fdatasyncs it first and
 * fsyncs the directory after.  On success t->fd stays open and is the
 * caller's to close; on failure the temporary is removed and closed.
 * 0, or -1 with errno.
 */
int fsutil_tmp_commit(struct fsutil_tmp *t, bool sync);

/* Removes and closes the temporary (errno is kept). */
void fsutil_tmp_abort(struct fsutil_tmp *t);

/* Removes the temporaries for path that a crash left: regular files of
 * ours with fsutil_tmp_open's names.  Best effort. */
void fsutil_tmp_sweep(const char *path);

/*
 * Keeps the file at path under a second, new name "PATH.TAG-YYYYmmddTHHMMSSZ"
 * (a hard link: no copy; "-N" added if taken), written into out.  Never
 * replaces an existing name.  0, or -1 with errno.
 */
int fsutil_keep_aside(const char *path, const char *tag, char *out, size_t outlen);

/*
 * True if a and b (absolute) name the same file: the same inode when both
 * exist (hard links, symlinks), else the same name once the directories
 * are resolved (realpath of what exists, dangling symlinks followed).
 */
bool fsutil_same_file(const char *a, const char *b);

/* Closes every descriptor above stderr except a and b (either may be -1
 * or the same as the other): what a new worker or the spawner keeps. */
void fsutil_close_except(int a, int b);

#endif
