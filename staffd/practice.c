/* The practice record, stored under "practice" in the meta table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include <string.h>

#include "practice.h"
#include "record.h"
#include "secrets.h"
#include "store.h"

static const struct json_field practice_fields[] = {
	{ "name", JF_STRING, true, false },
	{ "created", JF_INT, true, false },
	{ "codeword", JF_STRING, true, false },
	{ NULL, 0, false, false },
};

int practice_get(struct txn *t, json_t **ret)
{
	static const char key[] = "practice";
	const void *v;
	size_t n;
	int r = store_get(t, DB_META, key, strlen(key), &v, &n);

	return r < 0 ? r : record_parse("meta", key, strlen(key), v, n, practice_fields, NULL, ret);
}

int practice_codeword(struct txn *t, const struct keys *k, char **ret)
{
	json_t *p = NULL;
	const char *sealed;
	int r;

	r = practice_get(t, &p);
	if (r < 0)
		return r;
	sealed = json_string_value(json_object_get(p, "codeword"));
	r = sealed ? codeword_open(k, sealed, ret) : -EBADMSG;
	json_decref(p);
	return r;
}

int practice_set_codeword(struct txn *t, const struct keys *k, json_t *practice, const char *codeword)
{
	char *sealed = NULL;
	int r;

	r = codeword_seal(k, codeword, &sealed);
	if (r < 0)
		return r;
	json_object_set_new(practice, "codeword", json_string(sealed));
	free(sealed);
	return store_put_json(t, DB_META, "practice", practice);
}

#define FINGERPRINT_KEY "key_fingerprint"

int practice_needs_key(struct txn *t, bool *ret)
{
	const void *v;
	size_t n;
	int r;

	r = store_get(t, DB_META, FINGERPRINT_KEY, strlen(FINGERPRINT_KEY), &v, &n);
	if (r == -ENOENT)
		r = store_get(t, DB_META, "practice", strlen("practice"), &v, &n);
	if (r < 0 && r != -ENOENT)
		return r;
	*ret = r == 0;
	return 0;
}

int practice_check_key(struct txn *t, const struct keys *k)
{
	const char *mine = keys_fingerprint(k), *sealed;
	char *codeword = NULL;
	json_t *p = NULL;
	const void *v;
	size_t n;
	int r;

	r = store_get(t, DB_META, FINGERPRINT_KEY, strlen(FINGERPRINT_KEY), &v, &n);
	if (r == 0)
		return n == strlen(mine) && sodium_memcmp(v, mine, n) == 0 ? 0 : -ENOKEY;
	if (r != -ENOENT)
		return r;
	r = practice_get(t, &p);
	if (r == 0) {
		sealed = json_string_value(json_object_get(p, "codeword"));
		if (!sealed)
			r = store_refuse_record(DB_META, "practice", strlen("practice"), "it has no code word");
		else
			r = codeword_open(k, sealed, &codeword);
		/* Only the right key opens the box: a wrong one fails its MAC. */
		if (sealed && r == -EBADMSG)
			r = -ENOKEY;
		secret_free(codeword);
		json_decref(p);
	}
	if (r < 0 && r != -ENOENT)
		return r;
	return store_put(t, DB_META, FINGERPRINT_KEY, strlen(FINGERPRINT_KEY), mine, strlen(mine), true);
}
