/* The staff directory's LMDB environment: the only file that sees LMDB types. */
#ifndef STORE_H
#define STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

enum store_db {
	DB_META,		/* "practice", counters, allocation state */
	DB_USERS,		/* username -> user record (JSON) */
	DB_USER_SUMMARY,	/* username -> the record's summary for listings (JSON), kept by user_put */
	DB_EMAILS,		/* lower-cased email -> username */
	DB_UIDS,		/* uid (4 bytes, big-endian) -> username */
	DB_LOCATIONS,		/* name -> location (JSON) */
	DB_ROLES,		/* name -> role (JSON) */
	DB_TOKENS,		/* keyed hash of a code -> token (JSON) */
	DB_AUDIT,		/* seq (8 bytes, big-endian) -> audit record (JSON) */
	DB_AUDIT_BY_USER,	/* username NUL seq -> "" */
	DB_COUNT_
};

struct store;
struct txn;

/* What store_open_state found wrong with data.mdb, beside plain -errno
 * (-ENOENT: missing where it must exist). */
enum {
	STORE_EMPTY = -1100,		/* 0 bytes */
	STORE_TRUNCATED = -1101,	/* shorter than the pages its header counts */
	STORE_DAMAGED = -1102,		/* no valid header, or a page that does not read */
};

struct store_options {
	size_t map_size;		/* the most the file may grow to */
	unsigned reserve_percent;	/* the part of the map only essential writes may use */
	bool must_exist;		/* refuse a missing data.mdb instead of creating one */
};

/*
 * Opens the environment in the existing directory dir. An existing data.mdb
 * is checked first, in a child process that reads every page of every table,
 * so that a damaged file is refused here and can never crash the daemon
 * later. On failure why (may be NULL) gets a sentence saying what is wrong.
 */
int store_open_state(const char *dir, const struct store_options *o, struct store **ret, char *why, size_t whylen);
/* The same with no reserve, creating data.mdb when missing. */
int store_open(const char *dir, size_t map_size, struct store **ret);
void store_close(struct store *s);

int store_begin(struct store *s, bool write, struct txn **ret);
/* Commits, or aborts and returns the transaction's first error; frees t either way. */
int store_commit(struct txn *t);
void store_abort(struct txn *t);
/* The transaction's first error (0 if none): -ENOSPC once the map is full. */
int store_txn_error(const struct txn *t);

/*
 * The reserve: once the free part of the map is under reserve_percent,
 * writes fail with -ENOSPC except in transactions allowed to use it (logins
 * and lockouts), so that those are still recorded when the rest is full.
 */
void store_allow_reserve(struct txn *t);
/* Whether the free part of the map was under the reserve when t began. */
bool store_in_reserve(const struct txn *t);

struct store_usage {
	uint64_t map_size;	/* bytes the file may grow to */
	uint64_t used;		/* bytes up to its highest page in use */
	uint64_t reserve;	/* bytes of the map kept for logins and lockouts */
	bool in_reserve;	/* only writes allowed the reserve succeed */
};
int store_usage(struct store *s, struct store_usage *ret);

/*
 * Lookups and changes. -ENOENT (not found) and -EEXIST (no_overwrite on an
 * existing key) are results; any other failure also sticks to the
 * transaction so that store_commit refuses it.
 */
int store_get(struct txn *t, enum store_db db, const void *key, size_t klen, const void **val, size_t *vlen);
int store_put(struct txn *t, enum store_db db, const void *key, size_t klen, const void *val, size_t vlen,
	      bool no_overwrite);
int store_del(struct txn *t, enum store_db db, const void *key, size_t klen);

/* A JSON object, or -EBADMSG for a record that does not parse (logged with its table and key). */
int store_get_json(struct txn *t, enum store_db db, const char *key, json_t **ret);
int store_put_json(struct txn *t, enum store_db db, const char *key, const json_t *val);
int store_put_json_key(struct txn *t, enum store_db db, const void *key, size_t klen, const json_t *val);

/*
 * Calls visit for each entry whose key is >= from (from NULL: the first
 * key), in key order or, with reverse, from the last key <= from down.
 * visit returns 0 to go on, > 0 to stop (store_scan returns that value)
 * or < 0 for an error (returned as is).
 */
typedef int (*store_visit_fn)(const void *key, size_t klen, const void *val, size_t vlen, void *userdata);
int store_scan(struct txn *t, enum store_db db, const void *from, size_t fromlen, bool reverse,
	       store_visit_fn visit, void *userdata);

int store_count(struct txn *t, enum store_db db, size_t *ret);

/*
 * Parses a stored value as JSON: one that is not a JSON object (or, in the
 * meta table, a list) is refused with -EBADMSG and logged with its table and
 * key, so that one bad record is refused by itself. The shapes of users,
 * summaries, roles and locations are checked by their owners
 * (user-record.h, roles.h, record.h).
 */
int store_parse_json(enum store_db db, const void *key, size_t klen, const void *val, size_t vlen, json_t **ret);
/* Logs that the record under key in db is refused, and why; returns -EBADMSG. */
int store_refuse_record(enum store_db db, const void *key, size_t klen, const char *why);

/* Writes a compacted, consistent copy of the environment to fd. */
int store_copy_fd(struct store *s, int fd);

/* Bytes the data file occupies on disk. */
int store_size(struct store *s, uint64_t *ret);

/* Gives back the memory the map's pages hold in this process (call when
 * idle: every page read stays resident otherwise). */
void store_release_pages(struct store *s);

/* Big-endian integer keys, so that LMDB's byte order is numeric order. */
void store_be64(uint64_t v, unsigned char out[8]);
uint64_t store_from_be64(const unsigned char in[8]);
void store_be32(uint32_t v, unsigned char out[4]);

#endif
