/* The audit trail: append-only, hash-chained (BLAKE2b), in the same LMDB
 * transaction as the change it records. */
#ifndef AUDIT_H
#define AUDIT_H

#include <stdint.h>
#include <jansson.h>

struct txn;

struct audit_event {
	const char *actor;	/* staff username, "root" or "uid:N" */
	const char *action;	/* e.g. "user.add", "login" */
	const char *target;	/* the staff user or object acted on, or NULL */
	const char *result;	/* "ok", "denied", "failed", ... */
	const char *service;	/* logins: PAM service, tty, remote host */
	const char *tty;
	const char *rhost;
	const char *detail;	/* free text, never a secret */
};

/* Appends a record; *ret (may be NULL) gets a new reference to it. */
int audit_append(struct txn *t, const struct audit_event *e, json_t **ret);

int audit_count(struct txn *t, uint64_t *ret);

/*
 * Visits the records concerning user (as actor or target; NULL: all) with
 * time >= since, in sequence order, starting after sequence number after.
 * visit returns 0 to go on and > 0 to stop early.
 */
typedef int (*audit_visit_fn)(json_t *record, void *userdata);
int audit_scan(struct txn *t, const char *user, int64_t since, uint64_t after, audit_visit_fn visit,
	       void *userdata);

/*
 * Recomputes the chain. Returns 0 with *first_bad 0 when intact, or with
 * *first_bad the sequence number of the first record that does not verify
 * and *reason saying why.
 */
int audit_verify(struct txn *t, uint64_t *count, uint64_t *first_bad, const char **reason);

#endif
