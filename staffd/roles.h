/* Roles as stored, and the predefined ones every practice starts with. */
#ifndef ROLES_H
#define ROLES_H

#include <stddef.h>
#include <jansson.h>

struct txn;

int roles_create_predefined(struct txn *t);

/* A role as stored under key: name, permissions, system flag and gid.
 * -EBADMSG (logged) when it is not one. */
int role_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret);
/* The role named name: -ENOENT, -EBADMSG or 0. */
int role_get(struct txn *t, const char *name, json_t **ret);

#endif
