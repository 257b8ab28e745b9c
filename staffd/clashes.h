/* Staff accounts whose names the machine has taken since they were added
 * (a local account created later, a database from an earlier version, a
 * package that declared a system account): found at every start and
 * reload, and disabled until the name is free again (DESIGN 14). */
#ifndef CLASHES_H
#define CLASHES_H

#include <jansson.h>

struct daemon;
struct txn;

/*
 * Reads the machine's names (as files), marks every staff record that now
 * clashes with one ("local_clash": the reason) and clears the mark of those
 * that no longer do, auditing each change as staffd; keeps the list for
 * GetStatus; logs a warning for every clash, old or new. A disabled account
 * is not served: not a user record, not signed in, not checked, not mapped
 * from its uid (users_served). -errno when the names cannot be read.
 */
int clashes_review(struct daemon *d);

/* The accounts disabled now, as the last review found them:
 * [{username, reason}], empty when none. */
int clashes_list(struct txn *t, json_t **ret);

#endif
