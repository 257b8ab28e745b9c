/* LMDB wrapper: maps LMDB results to negative errno once, at this boundary. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <lmdb.h>

#include "json-wipe.h"
#include "store.h"

static const char *const db_names[DB_COUNT_] = {
	[DB_META] = "meta",
	[DB_USERS] = "users",
	[DB_USER_SUMMARY] = "user_summary",
	[DB_EMAILS] = "emails",
	[DB_UIDS] = "uids",
	[DB_LOCATIONS] = "locations",
	[DB_ROLES] = "roles",
	[DB_TOKENS] = "tokens",
	[DB_AUDIT] = "audit",
	[DB_AUDIT_BY_USER] = "audit_by_user",
};

struct store {
	MDB_env *env;
	MDB_dbi dbi[DB_COUNT_];
	char *dir;
	void *map;		/* where LMDB mapped data.mdb, for store_release_pages */
	size_t map_len;
};

struct txn {
	struct store *store;
	MDB_txn *txn;
	int error;		/* first failure, sticky until commit */
};

static void find_map(struct store *s);

static int errno_from_mdb(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return -ENOENT;
	case MDB_KEYEXIST:
		return -EEXIST;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
		return -ENOSPC;
	case MDB_BAD_VALSIZE:
		return -E2BIG;
	default:
		return rc > 0 ? -rc : -EIO;
	}
}

static int stick(struct txn *t, int r)
{
	if (r < 0 && r != -ENOENT && r != -EEXIST && t->error == 0)
		t->error = r;
	return r;
}

int store_open(const char *dir, size_t map_size, struct store **ret)
{
	struct store *s;
	MDB_txn *txn = NULL;
	int rc;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dir = strdup(dir);
	if (!s->dir) {
		free(s);
		return -ENOMEM;
	}
	rc = mdb_env_create(&s->env);
	if (rc)
		goto out;
	rc = mdb_env_set_maxdbs(s->env, DB_COUNT_);
	if (!rc)
		rc = mdb_env_set_mapsize(s->env, map_size);
	/* Readers run on the worker threads too (backup), so no thread-local slots. */
	if (!rc)
		rc = mdb_env_open(s->env, dir, MDB_NOTLS, 0600);
	if (!rc)
		rc = mdb_txn_begin(s->env, NULL, 0, &txn);
	for (int i = 0; !rc && i < DB_COUNT_; i++)
		rc = mdb_dbi_open(txn, db_names[i], MDB_CREATE, &s->dbi[i]);
	if (!rc) {
		rc = mdb_txn_commit(txn);
		txn = NULL;
	}
	if (!rc)
		find_map(s);
out:
	if (txn)
		mdb_txn_abort(txn);
	if (rc) {
		if (s->env)
			mdb_env_close(s->env);
		free(s->dir);
		free(s);
		return errno_from_mdb(rc);
	}
	*ret = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	mdb_env_close(s->env);
	free(s->dir);
	free(s);
}

int store_begin(struct store *s, bool write, struct txn **ret)
{
	struct txn *t;
	int rc;

	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->store = s;
	rc = mdb_txn_begin(s->env, NULL, write ? 0 : MDB_RDONLY, &t->txn);
	if (rc) {
		free(t);
		return errno_from_mdb(rc);
	}
	*ret = t;
	return 0;
}

int store_commit(struct txn *t)
{
	int r = t->error;

	if (r < 0)
		mdb_txn_abort(t->txn);
	else
		r = errno_from_mdb(mdb_txn_commit(t->txn));
	free(t);
	return r;
}

void store_abort(struct txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	free(t);
}

int store_get(struct txn *t, enum store_db db, const void *key, size_t klen, const void **val, size_t *vlen)
{
	MDB_val k = { .mv_size = klen, .mv_data = (void *)key }, v;
	int r;

	r = stick(t, errno_from_mdb(mdb_get(t->txn, t->store->dbi[db], &k, &v)));
	if (r < 0)
		return r;
	*val = v.mv_data;
	*vlen = v.mv_size;
	return 0;
}

int store_put(struct txn *t, enum store_db db, const void *key, size_t klen, const void *val, size_t vlen,
	      bool no_overwrite)
{
	MDB_val k = { .mv_size = klen, .mv_data = (void *)key };
	MDB_val v = { .mv_size = vlen, .mv_data = (void *)val };

	return stick(t, errno_from_mdb(mdb_put(t->txn, t->store->dbi[db], &k, &v,
						no_overwrite ? MDB_NOOVERWRITE : 0)));
}

int store_del(struct txn *t, enum store_db db, const void *key, size_t klen)
{
	MDB_val k = { .mv_size = klen, .mv_data = (void *)key };

	return stick(t, errno_from_mdb(mdb_del(t->txn, t->store->dbi[db], &k, NULL)));
}

int store_get_json(struct txn *t, enum store_db db, const char *key, json_t **ret)
{
	const void *val;
	size_t vlen;
	json_t *j;
	int r;

	r = store_get(t, db, key, strlen(key), &val, &vlen);
	if (r < 0)
		return r;
	j = json_loadb(val, vlen, 0, NULL);
	if (!j)
		return stick(t, -EBADMSG);
	*ret = j;
	return 0;
}

int store_put_json_key(struct txn *t, enum store_db db, const void *key, size_t klen, const json_t *val)
{
	char *buf;
	int r;

	buf = json_dumps(val, JSON_COMPACT);
	if (!buf)
		return stick(t, -ENOMEM);
	r = store_put(t, db, key, klen, buf, strlen(buf), false);
	json_text_free(buf);
	return r;
}

int store_put_json(struct txn *t, enum store_db db, const char *key, const json_t *val)
{
	return store_put_json_key(t, db, key, strlen(key), val);
}

int store_scan(struct txn *t, enum store_db db, const void *from, size_t fromlen, bool reverse,
	       store_visit_fn visit, void *userdata)
{
	MDB_cursor *cur;
	MDB_val k, v;
	MDB_cursor_op op;
	int rc, r = 0;

	rc = mdb_cursor_open(t->txn, t->store->dbi[db], &cur);
	if (rc)
		return stick(t, errno_from_mdb(rc));
	if (from) {
		k.mv_size = fromlen;
		k.mv_data = (void *)from;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (reverse) {
			/* SET_RANGE finds the first key >= from; step back unless it is from itself. */
			if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
			else if (!rc && (k.mv_size != fromlen || memcmp(k.mv_data, from, fromlen) != 0))
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
		}
	} else
		rc = mdb_cursor_get(cur, &k, &v, reverse ? MDB_LAST : MDB_FIRST);
	op = reverse ? MDB_PREV : MDB_NEXT;
	while (rc == 0) {
		r = visit(k.mv_data, k.mv_size, v.mv_data, v.mv_size, userdata);
		if (r != 0)
			break;
		rc = mdb_cursor_get(cur, &k, &v, op);
	}
	mdb_cursor_close(cur);
	if (r != 0)
		return r < 0 ? stick(t, r) : r;
	if (rc && rc != MDB_NOTFOUND)
		return stick(t, errno_from_mdb(rc));
	return 0;
}

int store_count(struct txn *t, enum store_db db, size_t *ret)
{
	MDB_stat st;
	int rc;

	rc = mdb_stat(t->txn, t->store->dbi[db], &st);
	if (rc)
		return stick(t, errno_from_mdb(rc));
	*ret = st.ms_entries;
	return 0;
}

int store_copy_fd(struct store *s, int fd)
{
	return errno_from_mdb(mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT));
}

int store_size(struct store *s, uint64_t *ret)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc;

	rc = mdb_env_info(s->env, &info);
	if (!rc)
		rc = mdb_env_stat(s->env, &st);
	if (rc)
		return errno_from_mdb(rc);
	*ret = (uint64_t)(info.me_last_pgno + 1) * st.ms_psize;
	return 0;
}

/*
 * LMDB tells the map's address only for fixed maps. Any value it returns
 * points into the map: take one from the main database (it holds the named
 * tables) and find the mapping around it in /proc/self/maps.
 */
static void find_map(struct store *s)
{
	MDB_txn *txn = NULL;
	MDB_cursor *cur = NULL;
	MDB_dbi main;
	MDB_val k, v;
	uintptr_t inside = 0, start, end;
	char line[512];
	FILE *f;

	if (mdb_txn_begin(s->env, NULL, MDB_RDONLY, &txn) == 0 && mdb_dbi_open(txn, NULL, 0, &main) == 0 &&
	    mdb_cursor_open(txn, main, &cur) == 0 && mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0)
		inside = (uintptr_t)k.mv_data;
	if (cur)
		mdb_cursor_close(cur);
	if (txn)
		mdb_txn_abort(txn);
	f = inside ? fopen("/proc/self/maps", "re") : NULL;
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 && inside >= start && inside < end) {
			s->map = (void *)start;
			s->map_len = end - start;
			break;
		}
	}
	if (f)
		fclose(f);
}

void store_release_pages(struct store *s)
{
	/* The map is read-only (no MDB_WRITEMAP): dropping its pages only unmaps
	 * them from this process; they stay in the page cache for the next read. */
	if (s->map)
		madvise(s->map, s->map_len, MADV_DONTNEED);
}

void store_be64(uint64_t v, unsigned char out[8])
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}

uint64_t store_from_be64(const unsigned char in[8])
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = (v << 8) | in[i];
	return v;
}

void store_be32(uint32_t v, unsigned char out[4])
{
	for (int i = 3; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)(v & 0xff);
}
