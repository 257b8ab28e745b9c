/* Staff account records: storage with their indexes, the view clients get,
 * and the checks every field passes before it is stored. */
#ifndef USERS_H
#define USERS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

struct txn;
struct call;
struct config;

struct user_counts {
	long long pending, active, inactive, locked;
};

/* A record that does not parse is -EBADMSG (logged; see store_parse_json). */
int user_get(struct txn *t, const char *username, json_t **ret);
int user_get_by_uid(struct txn *t, uid_t uid, json_t **ret);

/*
 * False for an account disabled because the machine has taken its name
 * (clashes.c): it is served to nobody, neither as an OS user nor for
 * sign-in, as if it did not exist; administrators still see and manage it.
 * Takes a record or a summary.
 */
bool user_served(const json_t *rec);
/* user_get and user_summary_get for serving: -ENOENT for a disabled account. */
int user_get_served(struct txn *t, const char *username, json_t **ret);
int user_summary_get_served(struct txn *t, const char *username, json_t **ret);

/*
 * Stores rec (new when old is NULL), keeping the email and uid indexes and
 * the status counters in step. -EEXIST when the username is taken.
 */
int user_put(struct txn *t, const json_t *old, const json_t *rec);

/* The record without hashes, codes or PIN: what any client may see. */
json_t *user_public(const json_t *rec);

int user_counts(struct txn *t, struct user_counts *ret);

/* Writes the listing summaries a database from an earlier version lacks. */
int users_rebuild_summaries(struct txn *t);

/*
 * The summary kept beside each record: username, names, email, role,
 * status, lock (and when), admin flag, locations, uid, must-change flag.
 * Enough for listings, account checks and user records for the system, and
 * a fraction of the record to parse.
 */
int user_summary_get(struct txn *t, const char *username, json_t **ret);
int user_summary_by_uid(struct txn *t, uid_t uid, json_t **ret);

/* Visits every record in username order from after (NULL: the first);
 * visit returns 0 to go on, > 0 to stop. */
typedef int (*user_visit_fn)(json_t *rec, void *userdata);
int users_scan(struct txn *t, const char *after, user_visit_fn visit, void *userdata);
/* The same over the summaries, in username order. */
int summaries_scan(struct txn *t, user_visit_fn visit, void *userdata);

/* Active, unlocked, and the admin flag or admin.accounts through the role. */
bool user_is_admin(struct txn *t, const json_t *rec);
bool role_has_permission(struct txn *t, const char *role, const char *permission);

/*
 * Checks every field of input (a UserInput) and copies it into rec,
 * refusing through call_invalid/call_conflict with the field's name. With
 * creating, username, email, first_name, last_name and role are required.
 * Nothing is written to the store except the email index moves inside the
 * caller's transaction, which is aborted on refusal.
 */
int user_apply_input(struct call *c, json_t *rec, const json_t *input, bool creating);

/* A new uid from the configured range, never one used before or listed in
 * /etc/passwd or /etc/group (read directly: the daemon never asks NSS).
 * -EUSERS when the range is used up. */
int user_allocate_uid(struct txn *t, const struct config *cfg, uint32_t *ret);

#endif
