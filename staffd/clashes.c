/* Staff records that clash with the machine's own names: reviewed at every
 * start and reload, marked and audited when that changes. The mark lives in
 * the record (and its summary), so that every path that serves an account
 * sees it without reading /etc/passwd again. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <jansson.h>

#include "audit.h"
#include "clashes.h"
#include "daemon.h"
#include "localnames.h"
#include "log.h"
#include "store.h"
#include "users.h"

/* DB_META: [{username, reason}] of the accounts disabled now, for GetStatus. */
#define CLASHES_KEY "local_clashes"

struct review {
	const struct local_names *names;
	json_t *changes;	/* [{username, reason (null: served again)}] */
	json_t *clashes;	/* [{username, reason}] */
};

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int review_one(json_t *sum, void *userdata)
{
	struct review *rv = userdata;
	const char *name = str(sum, "username"), *was = str(sum, "local_clash"), *now = NULL;
	char why[256];
	int r;

	if (!name)
		return -EBADMSG;
	r = local_names_check(rv->names, name, why, sizeof(why));
	if (r == -EEXIST) {
		now = why;
		if (json_array_append_new(rv->clashes, json_pack("{s:s,s:s}", "username", name, "reason", why)) < 0)
			return -ENOMEM;
	} else if (r < 0)
		return r;
	if (!now != !was || (now && strcmp(now, was) != 0))
		if (json_array_append_new(rv->changes, json_pack("{s:s,s:s?}", "username", name, "reason", now)) < 0)
			return -ENOMEM;
	return 0;
}

/* Marks or clears one record and audits it; *record gets the audit record. */
static int apply_change(struct txn *t, const json_t *change, json_t **record)
{
	const char *name = str(change, "username"), *reason = str(change, "reason");
	struct audit_event e = {
		.actor = "staffd",
		.action = "user.local-clash",
		.target = name,
		.result = reason ? "disabled" : "served again",
		.detail = reason ? reason : "the name is no longer a local or reserved one",
	};
	json_t *old = NULL, *rec = NULL;
	int r;

	r = user_get(t, name, &old);
	if (r < 0)
		goto out;
	rec = json_deep_copy(old);
	if (!rec) {
		r = -ENOMEM;
		goto out;
	}
	if (reason)
		r = json_object_set_new(rec, "local_clash", json_string(reason)) == 0 ? 0 : -ENOMEM;
	else
		json_object_del(rec, "local_clash");
	if (r == 0)
		r = user_put(t, old, rec);
	if (r == 0)
		r = audit_append(t, &e, record);
out:
	json_decref(old);
	json_decref(rec);
	return r;
}

/* Keeps the list GetStatus shows; writes only when it changed. */
static int store_list(struct txn *t, const json_t *clashes, bool *wrote)
{
	json_t *stored = NULL;
	int r = store_get_json(t, DB_META, CLASHES_KEY, &stored);

	if (r < 0 && r != -ENOENT)
		return r;
	if (r == -ENOENT ? json_array_size(clashes) == 0 : json_equal(stored, (json_t *)clashes)) {
		json_decref(stored);
		return 0;
	}
	json_decref(stored);
	*wrote = true;
	if (json_array_size(clashes) > 0)
		return store_put_json(t, DB_META, CLASHES_KEY, clashes);
	r = store_del(t, DB_META, CLASHES_KEY, strlen(CLASHES_KEY));
	return r == -ENOENT ? 0 : r;
}

int clashes_list(struct txn *t, json_t **ret)
{
	int r = store_get_json(t, DB_META, CLASHES_KEY, ret);

	if (r == -ENOENT)
		return (*ret = json_array()) ? 0 : -ENOMEM;
	return r;
}

int clashes_review(struct daemon *d)
{
	struct review rv = { NULL, json_array(), json_array() };
	struct local_names *names = NULL;
	json_t *audited = json_array(), *item;
	struct txn *t = NULL;
	bool wrote = false;
	size_t i;
	int r;

	if (!rv.changes || !rv.clashes || !audited) {
		r = -ENOMEM;
		goto out;
	}
	r = local_names_load(&local_sources_system, &names);
	if (r < 0) {
		log_error("cannot read the local accounts (%s, %s): %s; without them no staff account can be "
			  "told apart from a local one", local_sources_system.passwd, local_sources_system.group,
			  strerror(-r));
		goto out;
	}
	rv.names = names;
	r = store_begin(d->store, true, &t);
	if (r < 0)
		goto out;
	r = summaries_scan(t, review_one, &rv);
	json_array_foreach(rv.changes, i, item) {
		json_t *record = NULL;

		if (r < 0)
			break;
		r = apply_change(t, item, &record);
		if (r == 0)
			r = json_array_append_new(audited, record) == 0 ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = store_list(t, rv.clashes, &wrote);
	if (r < 0 || (!wrote && json_array_size(rv.changes) == 0)) {
		store_abort(t);
	} else {
		r = store_commit(t);
	}
	t = NULL;
	if (r < 0) {
		log_error("checking staff accounts against the local accounts: %s", strerror(-r));
		goto out;
	}
	json_array_foreach(audited, i, item)
		log_audit(item);
	json_array_foreach(rv.clashes, i, item)
		log_warning("staff account %s is disabled: %s (it is served again once the name is free; "
			    "'staffctl user deactivate %s' retires it)",
			    str(item, "username"), str(item, "reason"), str(item, "username"));
out:
	local_names_free(names);
	json_decref(rv.changes);
	json_decref(rv.clashes);
	json_decref(audited);
	return r;
}
