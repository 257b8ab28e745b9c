/* systemd's io.systemd.UserDatabase: staff as OS users and groups through
 * nss-systemd. Read-only, world-readable, never a secret. */
#ifndef USERDB_H
#define USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct txn;
struct config;

#define USERDB_ADMINS_GROUP "practice-admins"

/* Answers a call that arrived on the userdb socket. */
int userdb_dispatch(struct call *c);

/*
 * The group name of a role: "practice-" and the role name lower-cased with
 * every run of other characters turned into one '-'. -EINVAL when that is
 * longer than 32 characters or has no letter or digit.
 */
int userdb_role_group(const char *role, char *buf, size_t len);

/* Gives every role, and the administrators' group, a gid from the uid range
 * if it has none yet. */
int userdb_ensure_gids(struct txn *t, const struct config *cfg);

#endif
