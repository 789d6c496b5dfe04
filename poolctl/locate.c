/*
 * Which configuration poolctl reads, and what it says when the daemon
 * that configuration names cannot be reached.
 *
 * The order (poolctl(1), README): -c FILE; else $POOLD_CONFIG; else the
 * built-in defaults when ./poold.d exists (a poold started without -c in
 * this directory); else the installed service's /etc/poold/poold.ini when
 * it exists; else the built-in defaults.  $POOLD_SYSTEM_CONFIG moves the
 * system path (tests, staged installs).
 *
 * The one piece of state poolctl keeps is here: which configuration was
 * loaded and why, set once before any command runs, for the messages of
 * the files that reach the daemon (submit.c, query.c, top.c).
 */
#include <errno.h>
#include <stdbool.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exitcodes.h"
#include "jobs.h"
#include "poolctl.h"

#define LOCATE_SYSTEM_CONFIG "/etc/poold/poold.ini"
#define LOCATE_DEFAULT_DIR   "poold.d"

static struct {
	char used[PATH_MAX + 64]; /* the file, or "built-in defaults, files under DIR" */
	const char *why;          /* how it was chosen */
} locate;

/* The system configuration's path: $POOLD_SYSTEM_CONFIG or /etc/poold/poold.ini. */
static const char *locate_system_path(void)
{
	const char *p = getenv("POOLD_SYSTEM_CONFIG");

	return p != NULL && *p != '\0' ? p : LOCATE_SYSTEM_CONFIG;
}

/* The file to read (NULL: the built-in defaults), with locate.why set. */
static const char *locate_choose(const char *opt)
{
	const char *env = getenv("POOLD_CONFIG");
	const char *sys = locate_system_path();
	struct stat st;

	if (opt != NULL) {
		locate.why = "from -c";
		return opt;
	}
	if (env != NULL && *env != '\0') {
		locate.why = "from $POOLD_CONFIG";
		return env;
	}
	if (stat(LOCATE_DEFAULT_DIR, &st) == 0 && S_ISDIR(st.st_mode)) {
		locate.why = "./" LOCATE_DEFAULT_DIR " exists";
		return NULL;
	}
	if (stat(sys, &st) == 0) {
		locate.why = "the installed service's";
		return sys;
	}
	locate.why = "no ./" LOCATE_DEFAULT_DIR " and no installed service";
	return NULL;
}

void poolctl_load_config(struct config *cfg, const char *opt)
{
	const char *path = locate_choose(opt);
	char err[512], cwd[PATH_MAX];
	int rc;

	config_kinds_register(&jobs_config_kinds);
	if (path != NULL) {
		snprintf(locate.used, sizeof(locate.used), "%s", path);
		rc = config_load(cfg, path, err, sizeof(err));
	} else {
		snprintf(locate.used, sizeof(locate.used), "built-in defaults, files under %s/%s",
		         getcwd(cwd, sizeof(cwd)) != NULL ? cwd : ".", LOCATE_DEFAULT_DIR);
		rc = config_defaults(cfg, err, sizeof(err));
	}
	if (rc < 0 || jobs_install(cfg, err, sizeof(err)) < 0)
		poolctl_die(POOLD_EXIT_CONFIG, "%s", err);
}

/* Cuts path to its parent directory; false once at "/" or ".". */
static bool locate_parent(char *p)
{
	char *slash = strrchr(p, '/');

	if (strcmp(p, "/") == 0 || strcmp(p, ".") == 0)
		return false;
	if (slash == NULL)
		snprintf(p, 2, ".");
	else if (slash == p)
		p[1] = '\0';
	else
		*slash = '\0';
	return true;
}

/*
 * Says who may get through path: the first component, from path upwards,
 * that this user can stat is the one that refuses (the file itself, or a
 * directory that is not searchable); its owner and group say who may.
 */
static void locate_access_hint(const char *path, const char *act)
{
	char p[PATH_MAX], owner[64], group[64], who[96];
	struct passwd *pw;
	struct group *gr;
	struct stat st;
	int r;

	snprintf(p, sizeof(p), "%s", path);
	while ((r = stat(p, &st)) == -1 && locate_parent(p))
		;
	if (r == -1)
		return;
	pw = getpwuid(st.st_uid);
	gr = getgrgid(st.st_gid);
	if (pw != NULL)
		snprintf(owner, sizeof(owner), "%s", pw->pw_name);
	else
		snprintf(owner, sizeof(owner), "%u", (unsigned)st.st_uid);
	if (gr != NULL)
		snprintf(group, sizeof(group), "%s", gr->gr_name);
	else
		snprintf(group, sizeof(group), "%u", (unsigned)st.st_gid);
	if (st.st_uid == 0)
		snprintf(who, sizeof(who), "root");
	else
		snprintf(who, sizeof(who), "root, user %s", owner);
	if (st.st_mode & (S_ISDIR(st.st_mode) ? S_IXGRP : S_IWGRP))
		poolctl_warn("%s is %s:%s, mode %04o: %s by %s and members of group %s "
		             "(add a user with: usermod -aG %s USER, then log in again)",
		             p, owner, group, (unsigned)(st.st_mode & 07777), act, who, group,
		             group);
	else
		poolctl_warn("%s is %s:%s, mode %04o: %s by %s only", p, owner, group,
		             (unsigned)(st.st_mode & 07777), act, who);
}

void poolctl_unreachable(const char *path, int err, const char *what, bool submit)
{
	if (err == EACCES || err == EPERM) {
		poolctl_warn("permission denied: cannot open %s", path);
		locate_access_hint(path,
		                   submit ? "jobs may be submitted" : "its socket may be used");
	} else {
		poolctl_warn("%s", what);
	}
	poolctl_die(POOLD_EXIT_UNAVAILABLE,
	            "configuration: %s (%s; -c FILE or POOLD_CONFIG=FILE for another)", locate.used,
	            locate.why);
}
