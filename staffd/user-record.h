/* Staff records as they are stored (user records, their listing summaries
 * and the status counters), parsed and checked when read back. */
#ifndef USER_RECORD_H
#define USER_RECORD_H

#include <stddef.h>
#include <jansson.h>

/*
 * Each parses the value stored under key (the username) and returns 0 with
 * the object, or -EBADMSG (logged) when it is not what users.c writes:
 * members of the right types and no others, a status the account can have,
 * ids, counts and times in range, the username equal to the key.
 */
int user_record_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret);
int user_summary_parse(const void *key, size_t klen, const void *val, size_t vlen, json_t **ret);
/* The status counters under "counts" in the meta table. */
int user_counts_parse(const void *val, size_t vlen, json_t **ret);

/* The checks of user_summary_parse on the stored text, without building it
 * (json-flat.h): for listings, which send the text as it is. */
int user_summary_text(const void *key, size_t klen, const void *val, size_t vlen);

#endif
