/* The practice record: its name and sealed code word. */
#ifndef PRACTICE_H
#define PRACTICE_H

#include <stdbool.h>
#include <jansson.h>

struct txn;
struct keys;

int practice_get(struct txn *t, json_t **ret);
/* The code word in clear, as a secret string (secret_free). */
int practice_codeword(struct txn *t, const struct keys *k, char **ret);
/* Seals and stores a new code word: the old one stops working at once. */
int practice_set_codeword(struct txn *t, const struct keys *k, json_t *practice, const char *codeword);

/* Whether the database was written with a key: it holds a practice or a key fingerprint. */
int practice_needs_key(struct txn *t, bool *ret);
/*
 * Checks that k is the key the database was written with: its fingerprint
 * matches the recorded one, or, in a database from a version that recorded
 * none, it opens the sealed code word. Records the fingerprint when there
 * is none yet. -ENOKEY: another key.
 */
int practice_check_key(struct txn *t, const struct keys *k);

#endif
