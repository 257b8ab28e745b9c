/* Per-uid accounting. A practice machine has a few dozen uids at most that
 * talk to the daemon at once, so a small array searched in order is enough. */
#include <errno.h>
#include <stdlib.h>

#include "peers.h"

struct peer {
	uid_t uid;
	bool trusted;
	unsigned conns;
	unsigned calls;
};

struct peers {
	struct peers_limits limits;
	struct peer *v;
	size_t n, cap;
	unsigned conns, conns_untrusted;
};

void peers_limits_for(unsigned long nofile, struct peers_limits *ret)
{
	unsigned long conns = nofile > PEERS_FD_RESERVE ? (nofile - PEERS_FD_RESERVE) / 2 : 0;

	if (conns > PEERS_CONN_MAX)
		conns = PEERS_CONN_MAX;
	if (conns < PEERS_CONN_MIN)
		conns = PEERS_CONN_MIN;
	ret->conns = (unsigned)conns;
	ret->conns_per_uid = ret->conns / PEERS_UID_SHARE;
	if (ret->conns_per_uid < PEERS_UID_CONN_MIN)
		ret->conns_per_uid = PEERS_UID_CONN_MIN;
	ret->conns_untrusted = ret->conns - ret->conns / PEERS_TRUSTED_SHARE;
	if (ret->conns_per_uid > ret->conns_untrusted)
		ret->conns_per_uid = ret->conns_untrusted;
	ret->calls_per_uid = PEERS_UID_CALLS;
}

int peers_new(const struct peers_limits *limits, struct peers **ret)
{
	struct peers *p = calloc(1, sizeof(*p));

	if (!p)
		return -ENOMEM;
	p->limits = *limits;
	*ret = p;
	return 0;
}

void peers_free(struct peers *p)
{
	if (!p)
		return;
	free(p->v);
	free(p);
}

const struct peers_limits *peers_limits(const struct peers *p)
{
	return &p->limits;
}

bool peers_trusted(uid_t uid, uid_t self)
{
	return uid == 0 || uid == self;
}

static struct peer *find(const struct peers *p, uid_t uid)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->v[i].uid == uid)
			return &p->v[i];
	return NULL;
}

static struct peer *find_or_add(struct peers *p, uid_t uid, bool trusted)
{
	struct peer *e = find(p, uid);

	if (e)
		return e;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct peer *v = realloc(p->v, cap * sizeof(*v));

		if (!v)
			return NULL;
		p->v = v;
		p->cap = cap;
	}
	e = &p->v[p->n++];
	*e = (struct peer){ .uid = uid, .trusted = trusted };
	return e;
}

/* An entry holding nothing goes, so that the array stays as small as the uids connected now. */
static void forget_if_unused(struct peers *p, struct peer *e)
{
	if (e->conns || e->calls)
		return;
	*e = p->v[--p->n];
}

int peers_conn_open(struct peers *p, uid_t uid, bool trusted)
{
	struct peer *e = find(p, uid);

	if (p->conns >= p->limits.conns)
		return -ENFILE;
	if (!trusted) {
		if (e && e->conns >= p->limits.conns_per_uid)
			return -EUSERS;
		if (p->conns_untrusted >= p->limits.conns_untrusted)
			return -ENFILE;
	}
	if (!e && !(e = find_or_add(p, uid, trusted)))
		return -ENOMEM;
	e->conns++;
	p->conns++;
	if (!e->trusted)
		p->conns_untrusted++;
	return 0;
}

void peers_conn_close(struct peers *p, uid_t uid)
{
	struct peer *e = find(p, uid);

	if (!e || e->conns == 0)
		return;
	e->conns--;
	p->conns--;
	if (!e->trusted)
		p->conns_untrusted--;
	forget_if_unused(p, e);
}

int peers_call_begin(struct peers *p, uid_t uid, bool trusted)
{
	struct peer *e = find(p, uid);

	if (!trusted && e && e->calls >= p->limits.calls_per_uid)
		return -EBUSY;
	if (!e && !(e = find_or_add(p, uid, trusted)))
		return -ENOMEM;
	e->calls++;
	return 0;
}

void peers_call_end(struct peers *p, uid_t uid)
{
	struct peer *e = find(p, uid);

	if (!e || e->calls == 0)
		return;
	e->calls--;
	forget_if_unused(p, e);
}

unsigned peers_conns_of(const struct peers *p, uid_t uid)
{
	const struct peer *e = find(p, uid);

	return e ? e->conns : 0;
}

int peers_largest(const struct peers *p, uid_t *ret)
{
	const struct peer *best = NULL;

	for (size_t i = 0; i < p->n; i++)
		if (!p->v[i].trusted && p->v[i].conns > 0 && (!best || p->v[i].conns > best->conns))
			best = &p->v[i];
	if (!best)
		return -ENOENT;
	*ret = best->uid;
	return 0;
}
