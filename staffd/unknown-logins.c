/*
 * Attempts for unknown names. The first of each interval is recorded like
 * any login (with its name, service and host) by the caller; the rest are
 * counted here and written as one summary when the interval is over, so
 * that a flood of made-up names costs at most two small records a minute.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "daemon.h"
#include "log.h"
#include "store.h"
#include "unknown-logins.h"

/* Printable ASCII but for the quote and backslash that would make the sample ambiguous. */
static bool plain_byte(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* At most UNKNOWN_SAMPLE_BYTES of name, every other byte as \xNN. */
static void escape_sample(const char *name, char *out, size_t size)
{
	size_t n = 0, i;

	for (i = 0; name[i] && i < UNKNOWN_SAMPLE_BYTES && n + 5 < size; i++) {
		unsigned char c = (unsigned char)name[i];

		if (plain_byte(c))
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", c);
	}
	if (name[i] && n + 4 <= size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n] = '\0';
}

bool unknown_logins_note(struct unknown_logins *u, long long now, const char *name, bool valid)
{
	char sample[sizeof(u->samples[0])];

	if (u->start == 0 || now >= u->start + UNKNOWN_INTERVAL || now < u->start)
		*u = (struct unknown_logins){ .start = now };
	/* The first name of an interval that could be a user's is recorded by itself. */
	if (valid && !u->named) {
		u->named = true;
		return true;
	}
	u->counted++;
	if (!valid)
		u->invalid++;
	escape_sample(name ? name : "", sample, sizeof(sample));
	for (unsigned i = 0; i < u->nsamples; i++)
		if (strcmp(u->samples[i], sample) == 0)
			return false;
	if (u->nsamples < UNKNOWN_SAMPLES)
		memcpy(u->samples[u->nsamples++], sample, sizeof(sample));
	return false;
}

static void utc(long long t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%lld", t);
}

static bool is_due(const struct unknown_logins *u, long long now, bool force)
{
	return u->counted > 0 && (force || now >= u->start + UNKNOWN_INTERVAL || now < u->start);
}

bool unknown_logins_due(struct unknown_logins *u, long long now, bool force, char *detail, size_t len)
{
	char from[32], to[32];
	size_t n;

	if (!is_due(u, now, force))
		return false;
	utc(u->start, from, sizeof(from));
	utc(now < u->start + UNKNOWN_INTERVAL ? now : u->start + UNKNOWN_INTERVAL, to, sizeof(to));
	n = (size_t)snprintf(detail, len, "%llu more attempt%s for unknown names from %s to %s", u->counted,
			     u->counted == 1 ? "" : "s", from, to);
	if (u->invalid && n < len)
		n += (size_t)snprintf(detail + n, len - n, " (%llu of them not valid usernames)", u->invalid);
	for (unsigned i = 0; i < u->nsamples && n < len; i++)
		n += (size_t)snprintf(detail + n, len - n, "%s\"%s\"", i == 0 ? ", e.g. " : ", ", u->samples[i]);
	/* The next interval starts with the next attempt. */
	*u = (struct unknown_logins){ 0 };
	return true;
}

int unknown_logins_append(struct txn *t, struct unknown_logins *u, long long now, bool force, json_t *journal)
{
	struct audit_event e = { .actor = "root", .action = "login", .result = "unknown user" };
	char detail[512];
	json_t *rec = NULL;
	int r;

	if (!unknown_logins_due(u, now, force, detail, sizeof(detail)))
		return 0;
	if (store_in_reserve(t)) {
		log_warning("not recorded, the database being nearly full: %s", detail);
		return 0;
	}
	e.detail = detail;
	r = audit_append(t, &e, &rec);
	if (r == 0 && journal)
		json_array_append(journal, rec);
	json_decref(rec);
	return r;
}

void unknown_logins_flush(struct daemon *d, long long now, bool force)
{
	json_t *journal = json_array();
	struct txn *t = NULL;
	json_t *rec;
	size_t i;
	int r;

	if (!is_due(&d->unknown, now, force) || !journal) {
		json_decref(journal);
		return;
	}
	r = store_begin(d->store, true, &t);
	if (r == 0)
		r = unknown_logins_append(t, &d->unknown, now, force, journal);
	if (r == 0)
		r = store_commit(t);
	else
		store_abort(t);
	if (r < 0)
		log_error("cannot record the attempts for unknown names: %s", strerror(-r));
	json_array_foreach(journal, i, rec)
		if (r == 0)
			log_audit(rec);
	json_decref(journal);
}
