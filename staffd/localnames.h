/* Names a staff account may not take, because the machine has or reserves
 * them (DESIGN 14): a staff account named like a local one would be signed
 * in, resolved and grouped in its place. */
#ifndef LOCALNAMES_H
#define LOCALNAMES_H

#include <stddef.h>

struct local_names;

/* Where the machine's own names come from; NULL members are left out. */
struct local_sources {
	const char *passwd;			/* /etc/passwd */
	const char *group;			/* /etc/group */
	const char *const *sysusers_dirs;	/* sysusers.d directories, NULL-terminated */
};

/* /etc/passwd, /etc/group and the sysusers.d directories systemd reads. */
extern const struct local_sources local_sources_system;

/*
 * Reads the names of src, as files: never through NSS, which may ask staffd.
 * A missing passwd or group file is an error (-ENOENT): without it no name
 * can be vouched for. Missing or unreadable sysusers.d directories and
 * files are skipped.
 */
int local_names_load(const struct local_sources *src, struct local_names **ret);
void local_names_free(struct local_names *ln);

/*
 * 0 when a staff account may be called name; -EEXIST when the name is a
 * local account or group of this machine, a system account it declares, a
 * name reserved for system accounts or one of the groups staffd serves.
 * Then why (len bytes) gets a sentence naming the name and what it is, such
 * as "'root' is a local account of this machine; staff accounts cannot
 * shadow it".
 */
int local_names_check(const struct local_names *ln, const char *name, char *why, size_t len);

/* The same against the system's files, read now. Other errors: -errno. */
int local_name_check_system(const char *name, char *why, size_t len);

#endif
