/* What every request handler can reach: the daemon's long-lived state. */
#ifndef DAEMON_H
#define DAEMON_H

#include <sodium.h>
#include "config.h"
#include "unknown-logins.h"

struct store;
struct keys;
struct workpool;
struct server;

struct daemon {
	struct config config;
	const char *config_path;
	struct store *store;
	struct keys *keys;
	struct workpool *pool;
	struct server *server;
	/* Verified for unknown users, so that their refusal takes as long as a wrong password. */
	char dummy_hash[crypto_pwhash_STRBYTES];
	char *created_userdb_dir;	/* removed at exit */
	int lock_fd;		/* holds state_dir/staffd.lock, or -1 */
	char userdb_service[108];	/* the userdb socket's file name: the "service" callers name */
	struct unknown_logins unknown;	/* attempts for unknown names, counted per interval */
};

/* Defaults, then the file at path (a missing default file is no error). */
int load_config(struct config *c, const char *path);

/* Reads the configuration and opens state, keys, store, pool and sockets. */
int daemon_start(struct daemon *d, const char *config_path);
void daemon_stop(struct daemon *d);

/* SIGHUP: reads the configuration again, keeping the old one if the new is bad. */
void daemon_reload(struct daemon *d);

#endif
