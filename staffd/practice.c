/* The practice record, stored under "practice" in the meta table. */
#include <errno.h>
#include <stdlib.h>

#include "practice.h"
#include "secrets.h"
#include "store.h"

int practice_get(struct txn *t, json_t **ret)
{
	return store_get_json(t, DB_META, "practice", ret);
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
