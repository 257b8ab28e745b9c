/* Audit records: key = sequence number (big-endian), value = JSON with the
 * record's BLAKE2b hash, computed over the previous record's hash and the
 * record itself (keys sorted, compact), so that any change breaks the chain. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sodium.h>

#include "json-wipe.h"
#include "audit.h"
#include "store.h"

#define HASH_BYTES 32

static int record_hash(const json_t *record, const unsigned char prev[HASH_BYTES], unsigned char out[HASH_BYTES])
{
	crypto_generichash_state st;
	json_t *copy;
	char *text;

	copy = json_copy((json_t *)record);
	if (!copy)
		return -ENOMEM;
	json_object_del(copy, "hash");
	text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	if (!text)
		return -ENOMEM;
	crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
	crypto_generichash_update(&st, prev, HASH_BYTES);
	crypto_generichash_update(&st, (const unsigned char *)text, strlen(text));
	crypto_generichash_final(&st, out, HASH_BYTES);
	json_text_free(text);
	return 0;
}

static int hash_from_hex(const char *hex, unsigned char out[HASH_BYTES])
{
	size_t len;

	if (!hex || sodium_hex2bin(out, HASH_BYTES, hex, strlen(hex), NULL, &len, NULL) != 0 || len != HASH_BYTES)
		return -EBADMSG;
	return 0;
}

struct last {
	uint64_t seq;
	json_t *record;
};

static int take_last(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct last *l = userdata;

	if (klen != 8)
		return store_refuse_record(DB_AUDIT, key, klen, "its key is not a sequence number");
	l->seq = store_from_be64(key);
	/* The chain cannot go on from a record that does not parse: refused, not guessed. */
	return store_parse_json(DB_AUDIT, key, klen, val, vlen, &l->record) == 0 ? 1 : -EBADMSG;
}

static int index_user(struct txn *t, const char *user, uint64_t seq)
{
	unsigned char key[64 + 9];
	size_t n;

	if (!user || !*user || strncmp(user, "uid:", 4) == 0)
		return 0;
	n = strlen(user);
	if (n > 64)
		return 0;
	memcpy(key, user, n);
	key[n] = '\0';
	store_be64(seq, key + n + 1);
	return store_put(t, DB_AUDIT_BY_USER, key, n + 9, "", 0, false);
}

static void set_str(json_t *rec, const char *key, const char *value)
{
	if (value)
		json_object_set_new(rec, key, json_string(value));
}

int audit_append(struct txn *t, const struct audit_event *e, json_t **ret)
{
	unsigned char prev[HASH_BYTES] = { 0 }, hash[HASH_BYTES], key[8];
	char hex[HASH_BYTES * 2 + 1];
	struct last last = { 0, NULL };
	long long now = (long long)time(NULL), last_time = 0;
	json_t *rec;
	char *text;
	int r;

	r = store_scan(t, DB_AUDIT, NULL, 0, true, take_last, &last);
	if (r < 0)
		return r;
	if (last.record) {
		r = hash_from_hex(json_string_value(json_object_get(last.record, "hash")), prev);
		last_time = json_integer_value(json_object_get(last.record, "time"));
		json_decref(last.record);
		if (r < 0)
			return r;
	}
	/* Time never goes backwards in the trail, so --since can binary-search it. */
	if (now < last_time)
		now = last_time;
	rec = json_pack("{s:I,s:I,s:s,s:s,s:s}", "seq", (json_int_t)(last.seq + 1), "time", (json_int_t)now,
			"actor", e->actor, "action", e->action, "result", e->result);
	if (!rec)
		return -ENOMEM;
	set_str(rec, "target", e->target);
	set_str(rec, "service", e->service);
	set_str(rec, "tty", e->tty);
	set_str(rec, "rhost", e->rhost);
	set_str(rec, "detail", e->detail);
	r = record_hash(rec, prev, hash);
	if (r < 0)
		goto out;
	sodium_bin2hex(hex, sizeof(hex), hash, HASH_BYTES);
	json_object_set_new(rec, "hash", json_string(hex));
	text = json_dumps(rec, JSON_COMPACT);
	if (!text) {
		r = -ENOMEM;
		goto out;
	}
	store_be64(last.seq + 1, key);
	r = store_put(t, DB_AUDIT, key, sizeof(key), text, strlen(text), true);
	json_text_free(text);
	if (r == 0)
		r = index_user(t, e->target, last.seq + 1);
	if (r == 0 && e->actor && (!e->target || strcmp(e->actor, e->target) != 0))
		r = index_user(t, e->actor, last.seq + 1);
out:
	if (r == 0 && ret)
		*ret = json_incref(rec);
	json_decref(rec);
	return r;
}

int audit_count(struct txn *t, uint64_t *ret)
{
	size_t n;
	int r = store_count(t, DB_AUDIT, &n);

	if (r == 0)
		*ret = n;
	return r;
}

struct scan {
	int64_t since;
	audit_visit_fn visit;
	void *userdata;
	struct txn *t;
	size_t prefix_len;
	const char *prefix;
};

static int visit_record(const void *key, const void *val, size_t vlen, struct scan *s)
{
	json_t *rec = NULL;
	int r;

	/* Listed without it; audit verify names it. */
	if (store_parse_json(DB_AUDIT, key, 8, val, vlen, &rec) < 0)
		return 0;
	if (json_integer_value(json_object_get(rec, "time")) < s->since) {
		json_decref(rec);
		return 0;
	}
	r = s->visit(rec, s->userdata);
	json_decref(rec);
	return r;
}

static int visit_all(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	if (klen != 8)
		return 0;
	return visit_record(key, val, vlen, userdata);
}

static int visit_indexed(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct scan *s = userdata;
	const void *rec;
	size_t reclen;
	int r;

	(void)val;
	(void)vlen;
	if (klen != s->prefix_len + 8 || memcmp(key, s->prefix, s->prefix_len) != 0)
		return 1;	/* past this user's entries */
	r = store_get(s->t, DB_AUDIT, (const unsigned char *)key + s->prefix_len, 8, &rec, &reclen);
	if (r < 0)
		return r == -ENOENT ? 0 : r;
	return visit_record((const unsigned char *)key + s->prefix_len, rec, reclen, s);
}

/* The first sequence number whose time is >= since: times never decrease. */
static int first_seq_since(struct txn *t, int64_t since, uint64_t *ret)
{
	uint64_t lo = 1, hi, count;
	int r;

	r = audit_count(t, &count);
	if (r < 0)
		return r;
	hi = count + 1;
	while (lo < hi) {
		uint64_t mid = lo + (hi - lo) / 2;
		unsigned char key[8];
		const void *v;
		size_t n;
		json_t *rec;
		int64_t tm;

		store_be64(mid, key);
		r = store_get(t, DB_AUDIT, key, 8, &v, &n);
		if (r < 0)
			return r;
		r = store_parse_json(DB_AUDIT, key, 8, v, n, &rec);
		if (r < 0)
			return r;
		tm = json_integer_value(json_object_get(rec, "time"));
		json_decref(rec);
		if (tm < since)
			lo = mid + 1;
		else
			hi = mid;
	}
	*ret = lo;
	return 0;
}

int audit_scan(struct txn *t, const char *user, int64_t since, uint64_t after, audit_visit_fn visit,
	       void *userdata)
{
	struct scan s = { .since = since, .visit = visit, .userdata = userdata, .t = t };
	unsigned char key[64 + 9];
	int r;

	if (user) {
		size_t n = strlen(user);
		if (n > 64)
			return 0;
		memcpy(key, user, n);
		key[n] = '\0';
		store_be64(after + 1, key + n + 1);
		s.prefix = (const char *)key;
		s.prefix_len = n + 1;
		r = store_scan(t, DB_AUDIT_BY_USER, key, n + 9, false, visit_indexed, &s);
	} else {
		uint64_t start = after + 1;
		if (since > 0) {
			uint64_t first;
			r = first_seq_since(t, since, &first);
			if (r < 0)
				return r;
			if (first > start)
				start = first;
		}
		store_be64(start, key);
		r = store_scan(t, DB_AUDIT, key, 8, false, visit_all, &s);
	}
	return r < 0 ? r : 0;
}

struct verify {
	unsigned char prev[HASH_BYTES];
	uint64_t expect;
	uint64_t first_bad;
	const char *reason;
};

static int verify_one(const void *key, size_t klen, const void *val, size_t vlen, void *userdata)
{
	struct verify *v = userdata;
	unsigned char want[HASH_BYTES], have[HASH_BYTES];
	uint64_t seq;
	json_t *rec;
	int r;

	seq = klen == 8 ? store_from_be64(key) : 0;
	v->expect++;
	if (seq != v->expect) {
		v->first_bad = v->expect;
		v->reason = "a record is missing";
		return 1;
	}
	rec = json_loadb(val, vlen, 0, NULL);
	if (!rec) {
		v->first_bad = seq;
		v->reason = "the record is not valid JSON";
		return 1;
	}
	if ((uint64_t)json_integer_value(json_object_get(rec, "seq")) != seq) {
		v->first_bad = seq;
		v->reason = "the record's sequence number was changed";
		json_decref(rec);
		return 1;
	}
	r = record_hash(rec, v->prev, want);
	if (r == 0 && hash_from_hex(json_string_value(json_object_get(rec, "hash")), have) < 0) {
		v->first_bad = seq;
		v->reason = "the record has no valid hash";
	} else if (r == 0 && sodium_memcmp(want, have, HASH_BYTES) != 0) {
		v->first_bad = seq;
		v->reason = "the record's hash does not match its contents and the previous record";
	}
	json_decref(rec);
	if (r < 0)
		return r;
	if (v->first_bad)
		return 1;
	memcpy(v->prev, have, HASH_BYTES);
	return 0;
}

int audit_verify(struct txn *t, uint64_t *count, uint64_t *first_bad, const char **reason)
{
	struct verify v = { .expect = 0 };
	int r;

	r = store_scan(t, DB_AUDIT, NULL, 0, false, verify_one, &v);
	if (r < 0)
		return r;
	*count = v.first_bad ? v.expect : v.expect;
	*first_bad = v.first_bad;
	*reason = v.reason;
	return 0;
}
