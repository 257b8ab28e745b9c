/* Reading and verifying the audit trail. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "call.h"
#include "daemon.h"
#include "methods.h"
#include "server.h"
#include "store.h"

#define AUDIT_BATCH 512

struct audit_state {
	char *user;
	long long since;
	uint64_t after;		/* last sequence number sent */
	json_t *held;		/* the latest record, sent once another follows */
	unsigned sent;
	struct call *call;
};

static void audit_state_free(void *p)
{
	struct audit_state *s = p;

	if (!s)
		return;
	free(s->user);
	json_decref(s->held);
	free(s);
}

static int audit_one(json_t *rec, void *userdata)
{
	struct audit_state *s = userdata;

	s->after = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	if (s->held) {
		call_stream(s->call, json_pack("{s:o}", "record", s->held));
		s->sent++;
	}
	s->held = json_incref(rec);
	if (s->sent >= AUDIT_BATCH && conn_backlogged(s->call->conn))
		return 1;
	return 0;
}

static int audit_resume(struct call *c)
{
	struct audit_state *s = c->state;
	struct txn *t = NULL;
	int r;

	r = store_begin(c->daemon->store, false, &t);
	if (r < 0)
		return r;
	s->sent = 0;
	s->call = c;
	r = audit_scan(t, s->user, s->since, s->after, audit_one, s);
	store_abort(t);
	if (r < 0)
		return r;
	if (r > 0 || (s->sent >= AUDIT_BATCH && conn_backlogged(c->conn)))
		return CALL_PENDING;
	r = call_reply(c, s->held ? json_pack("{s:o}", "record", s->held) : json_object());
	s->held = NULL;
	return r;
}

/* --limit N shows the newest N: count the matches, then skip the older ones. */
struct skipper {
	uint64_t count;
	uint64_t left;
	uint64_t seq;
};

static int count_one(json_t *rec, void *userdata)
{
	struct skipper *k = userdata;

	(void)rec;
	k->count++;
	return 0;
}

static int skip_one(json_t *rec, void *userdata)
{
	struct skipper *k = userdata;

	k->seq = (uint64_t)json_integer_value(json_object_get(rec, "seq"));
	return --k->left == 0 ? 1 : 0;
}

int method_audit_list(struct call *c)
{
	const char *user = json_get_str(c->params, "user");
	long long limit = json_get_int(c->params, "limit", 0);
	struct audit_state *s;
	int r;

	if (limit < 0)
		return call_invalid(c, "limit", "limit must not be negative");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->user = user ? strdup(user) : NULL;
	s->since = json_get_int(c->params, "since", 0);
	c->state = s;
	c->free_state = audit_state_free;
	c->resume = audit_resume;
	if (limit > 0) {
		struct skipper k = { 0, 0, 0 };

		r = audit_scan(c->txn, s->user, s->since, 0, count_one, &k);
		if (r == 0 && k.count > (uint64_t)limit) {
			k.left = k.count - (uint64_t)limit;
			r = audit_scan(c->txn, s->user, s->since, 0, skip_one, &k);
			s->after = k.seq;
		}
		if (r < 0)
			return r;
	}
	store_abort(c->txn);
	c->txn = NULL;
	return audit_resume(c);
}

int method_audit_verify(struct call *c)
{
	uint64_t count = 0, first_bad = 0;
	const char *reason = NULL;
	json_t *reply;
	int r;

	r = audit_verify(c->txn, &count, &first_bad, &reason);
	if (r < 0)
		return r;
	reply = json_pack("{s:I,s:b}", "records", (json_int_t)count, "ok", first_bad == 0);
	if (first_bad) {
		json_object_set_new(reply, "first_bad", json_integer((json_int_t)first_bad));
		json_object_set_new(reply, "reason", json_string(reason));
	}
	return call_reply(c, reply);
}
