/* Leaving root: staffd started as root hands its state to an unprivileged
 * system user and becomes that user for good. */
#ifndef PRIVDROP_H
#define PRIVDROP_H

#include <sys/types.h>

/* The uid and primary gid of user name: -ESRCH when there is no such user,
 * -EPERM when it is root. */
int privdrop_lookup(const char *name, uid_t *ret_uid, gid_t *ret_gid);

/* Gives dir and every entry directly in it (symbolic links themselves, never
 * their targets) to uid:gid. */
int privdrop_chown_state(const char *dir, uid_t uid, gid_t gid);

/* No supplementary groups, then gid and uid (real, effective and saved);
 * -EPERM if root can be regained afterwards. */
int privdrop_become(uid_t uid, gid_t gid);

#endif
