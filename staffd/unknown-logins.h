/* Login attempts for names that are no staff account: anyone who can reach a
 * login prompt chooses them, so they are counted, not each written down. */
#ifndef UNKNOWN_LOGINS_H
#define UNKNOWN_LOGINS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

struct daemon;
struct txn;

#define UNKNOWN_INTERVAL 60	/* seconds each summary covers */
#define UNKNOWN_SAMPLES 3	/* names a summary quotes */
#define UNKNOWN_SAMPLE_BYTES 32	/* of each name, before escaping */

struct unknown_logins {
	long long start;		/* the interval being counted began (0: none) */
	bool named;			/* an attempt of it was recorded by itself */
	unsigned long long counted;	/* attempts in it not written down one by one */
	unsigned long long invalid;	/* of those, names that cannot be usernames */
	unsigned nsamples;
	/* Escaped: control characters, non-ASCII bytes, quotes and backslashes as \xNN. */
	char samples[UNKNOWN_SAMPLES][UNKNOWN_SAMPLE_BYTES * 4 + 4];
};

/*
 * Notes one attempt for name at now; valid says whether name can be a
 * username at all. Returns true for the first attempt of an interval with a
 * valid name, to be recorded by itself (with its service and host); every
 * other attempt is counted for the interval's summary. Call
 * unknown_logins_due first: a new interval forgets what was counted.
 */
bool unknown_logins_note(struct unknown_logins *u, long long now, const char *name, bool valid);

/*
 * When attempts were counted and their interval is over by now (or at once
 * with force), writes the summary's sentence to detail and starts afresh.
 * Returns whether there is a summary to record.
 */
bool unknown_logins_due(struct unknown_logins *u, long long now, bool force, char *detail, size_t len);

/*
 * Appends the due summary (see unknown_logins_due) to the audit trail in t
 * and adds the record to journal (may be NULL). While the map is in its
 * reserve the summary goes to the journal only: it is not worth a login.
 */
int unknown_logins_append(struct txn *t, struct unknown_logins *u, long long now, bool force, json_t *journal);

/* The same in a transaction of its own, journalled once committed. */
void unknown_logins_flush(struct daemon *d, long long now, bool force);

#endif
