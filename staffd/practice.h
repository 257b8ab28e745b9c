/* The practice record: its name and sealed code word. */
#ifndef PRACTICE_H
#define PRACTICE_H

#include <jansson.h>

struct txn;
struct keys;

int practice_get(struct txn *t, json_t **ret);
/* The code word in clear, as a secret string (secret_free). */
int practice_codeword(struct txn *t, const struct keys *k, char **ret);
/* Seals and stores a new code word: the old one stops working at once. */
int practice_set_codeword(struct txn *t, const struct keys *k, json_t *practice, const char *codeword);

#endif
