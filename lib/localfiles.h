/* The machine's own accounts, read from /etc/passwd and /etc/group as
 * files. Never through NSS: staffd serves NSS itself (DESIGN 8), and the PAM
 * module must tell a local account without asking anything that staffd
 * answers, so that a stopped, frozen or lying staffd has no say over it. */
#ifndef LOCALFILES_H
#define LOCALFILES_H

#include <stdbool.h>
#include <stddef.h>

#define LOCAL_PASSWD_FILE "/etc/passwd"
#define LOCAL_GROUP_FILE "/etc/group"

/*
 * Called for each entry of a passwd- or group-format file with its name
 * (name_len bytes, not NUL-terminated) and its id (the third field; -1 when
 * it is not a number). Returns 0 to go on, > 0 to stop, < 0 to fail.
 */
typedef int (*local_entry_fn)(const char *name, size_t name_len, long long id, void *userdata);

/*
 * Visits every entry of path (a file in the format of /etc/passwd or
 * /etc/group): lines "name:...", as the "files" NSS module reads them.
 * Comment and blank lines, NIS compat entries ("+", "-") and lines without
 * a ':' are skipped. Returns 0, visit's positive value when it stopped, or
 * -errno (-ENOENT when there is no such file).
 */
int local_file_scan(const char *path, local_entry_fn visit, void *userdata);

/* 1 when path has an entry named name, 0 when not, or -errno. */
int local_file_has(const char *path, const char *name);

#endif
