/* What each peer uid holds of the daemon (connections, calls on the workers)
 * and the limits that keep any one uid from taking all of it. No I/O: the
 * request loop asks, this file answers. */
#ifndef PEERS_H
#define PEERS_H

#include <stdbool.h>
#include <sys/types.h>

/* Descriptors kept for the daemon's own use (database, workers, mail pipes, backups, journal). */
#define PEERS_FD_RESERVE 64
/* Connections at most, whatever the descriptor limit allows. */
#define PEERS_CONN_MAX 4096
/* Connections at least, however low the descriptor limit. */
#define PEERS_CONN_MIN 8
/* One untrusted uid may hold 1/PEERS_UID_SHARE of the connections ... */
#define PEERS_UID_SHARE 32
/* ... but never fewer than this many. */
#define PEERS_UID_CONN_MIN 4
/* Untrusted uids together leave 1/PEERS_TRUSTED_SHARE of the connections to root and the daemon's uid. */
#define PEERS_TRUSTED_SHARE 4
/* Calls on the worker pool (hashing, policy checks, mail) in flight for one untrusted uid. */
#define PEERS_UID_CALLS 4

struct peers_limits {
	unsigned conns;			/* connections at once, every uid together */
	unsigned conns_per_uid;		/* for one untrusted uid */
	unsigned conns_untrusted;	/* for every untrusted uid together */
	unsigned calls_per_uid;		/* worker calls in flight for one untrusted uid */
};

/*
 * The limits for a daemon allowed nofile descriptors: each connection may hold
 * two (its socket and one passed with a call), after PEERS_FD_RESERVE.
 */
void peers_limits_for(unsigned long nofile, struct peers_limits *ret);

struct peers;

int peers_new(const struct peers_limits *limits, struct peers **ret);
void peers_free(struct peers *p);
const struct peers_limits *peers_limits(const struct peers *p);

/*
 * Root and the daemon's own uid are trusted: PAM calls arrive as root from
 * sshd, login and su, and these uids are the system itself. They have no
 * share of their own, only the total.
 */
bool peers_trusted(uid_t uid, uid_t self);

/*
 * A connection from uid wants in: 0 (counted), -EUSERS when uid holds its
 * share already, -ENFILE when the connections (for untrusted uids: those
 * they may have together) are all taken.
 */
int peers_conn_open(struct peers *p, uid_t uid, bool trusted);
void peers_conn_close(struct peers *p, uid_t uid);

/* A call for the worker pool: 0 (counted), -EBUSY when an untrusted uid has its share in flight. */
int peers_call_begin(struct peers *p, uid_t uid, bool trusted);
void peers_call_end(struct peers *p, uid_t uid);

/* Connections uid holds now. */
unsigned peers_conns_of(const struct peers *p, uid_t uid);

/*
 * The untrusted uid holding the most connections (the first found among
 * equals): 0, or -ENOENT when no untrusted uid holds any.
 */
int peers_largest(const struct peers *p, uid_t *ret);

#endif
