/* Stored records read back from LMDB: parsed and checked once, where they
 * leave the store, so that every reader may rely on their shape. A record
 * that is not what the daemon writes is refused, never half read. */
#ifndef RECORD_H
#define RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "json-fields.h"

/*
 * Parses val (vlen bytes, no terminating NUL needed) as a JSON object with
 * only the members fields lists, of their types (json_fields_check); with
 * name_field, that member must equal the key the record is stored under.
 * Returns 0 and the object in *ret, or -EBADMSG after logging which record
 * of table is refused and why (-ENOMEM when memory ran out).
 */
int record_parse(const char *table, const void *key, size_t klen, const void *val, size_t vlen,
		 const struct json_field *fields, const char *name_field, json_t **ret);

/* Logs why a record that parsed is refused all the same; returns -EBADMSG. */
int record_refuse(const char *table, const void *key, size_t klen, const char *why);

/* An integer member (when present) within lo..hi. */
bool record_int_in(const json_t *rec, const char *member, long long lo, long long hi);

/* Seconds since the epoch as the daemon writes them: never negative, and
 * small enough that differences with the clock cannot overflow. */
#define RECORD_TIME_MAX (1LL << 40)

#endif
