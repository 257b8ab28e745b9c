/* staffd.conf: INI file, every key documented in conf/staffd.conf and staffd.conf(5). */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>

struct password_config {
	unsigned min_length;		/* [password] min_length = 9 */
	unsigned max_bytes;		/* max_bytes = 1024 */
	bool require_upper;		/* require_upper = yes */
	bool require_lower;		/* require_lower = yes */
	bool require_digit;		/* require_digit = yes */
	bool require_special;		/* require_special = yes */
	unsigned reject_sequences;	/* reject_sequences = 3: abc, 123, cba (0 = off) */
	unsigned reject_repeats;	/* reject_repeats = 3: aaa (0 = off) */
	bool reject_keyboard_walks;	/* reject_keyboard_walks = yes */
	bool reject_personal_info;	/* reject_personal_info = yes */
	bool reject_common;		/* reject_common = yes */
	unsigned history;		/* history = 5 */
	unsigned min_score;		/* min_score = 2 (zxcvbn 0-4) */
};

struct config {
	/* [daemon] */
	char *state_dir;		/* state_dir = /var/lib/staffd */
	char *socket_path;		/* socket = /run/staffd/io.practice.Staff */
	char *userdb_socket;		/* userdb_socket = /run/staffd/userdb/io.practice.staff ("" = off) */
	size_t map_size;		/* map_size = 1G */
	unsigned map_reserve;		/* map_reserve = 5%: kept for logins and lockouts */
	unsigned map_warn;		/* map_warn = 80%: staffctl status warns from here */
	unsigned max_staff;		/* max_staff = 0 (no limit) */
	unsigned uid_min;		/* uid_min = 20000 */
	unsigned uid_max;		/* uid_max = 59999 */
	char *home_base;		/* home_base = /home */
	char *shell;			/* shell = /bin/bash */
	char *user;			/* user = staffd: run as this user when started as root ("" = stay root) */
	/* [mail] */
	char *mail_command;		/* mail_command = /usr/sbin/sendmail -t -i ("" = off) */
	char *mail_from;		/* mail_from = staffd (From: header) */
	char *sms_command;		/* sms_command = ("" = off) */
	unsigned activation_ttl;	/* activation_ttl = 72h (seconds) */
	unsigned reset_ttl;		/* reset_ttl = 24h */
	unsigned forgot_interval;	/* forgot_interval = 15m */
	/* [password] */
	struct password_config password;
	/* [lockout] */
	unsigned lockout_failures;	/* failures = 5 */
	unsigned unlock_time;		/* unlock_time = 0 (0 = until an administrator unlocks) */
	/* [hashing] */
	unsigned long long opslimit;	/* opslimit = 2 */
	size_t memlimit;		/* memlimit = 64M */
	unsigned hash_workers;		/* workers = 0 (0 = one per core) */
	unsigned hash_queue;		/* queue = 64 */
};

/* Called once per problem found; line is 0 for problems not tied to a line. */
typedef void (*config_problem_fn)(const char *path, unsigned line, const char *message, void *userdata);

/* Fills in every default. Returns 0 or -ENOMEM. */
int config_defaults(struct config *c);

/*
 * Reads path over the values already in c. Unknown sections and keys, bad
 * values and malformed lines are each reported through problem (may be
 * NULL) and make the call fail with -EINVAL once the whole file has been
 * read; c is then left as it was before the call. -errno when the file
 * cannot be read.
 */
int config_load(struct config *c, const char *path, config_problem_fn problem, void *userdata);

void config_free(struct config *c);

#endif
