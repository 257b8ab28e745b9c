/* Log output. The journal gets one MESSAGE_ID per kind of event so that
 * `journalctl MESSAGE_ID=...` finds them; stderr gets one line each.
 * Messages and fields carry names, ttys and hosts from whoever connects:
 * everything is escaped here, at the one way out, so that no caller can
 * forget it and no input can end a line or forge another. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>
#include <sys/stat.h>
#define SD_JOURNAL_SUPPRESS_LOCATION
#include <systemd/sd-journal.h>

#include "escape.h"
#include "log.h"

/* Set once at start-up, before any thread exists. */
static bool use_journal;

void log_setup(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	use_journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(STDERR_FILENO, &st) == 0 &&
		      (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

__attribute__((format(printf, 3, 0)))
static void log_v(int priority, const char *level, const char *fmt, va_list ap)
{
	char raw[1024], msg[2048];
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);

	if (n < 0)
		return;
	escape_text(msg, sizeof(msg), raw, strlen(raw), 0);
	if (use_journal)
		sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%i", priority, "SYSLOG_IDENTIFIER=staffd", NULL);
	else
		fprintf(stderr, "staffd: %s%s\n", level, msg);
}

void log_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void log_warning(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_v(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

/* One id per family of actions; the action itself is in STAFF_ACTION. */
static const char *message_id(const char *action)
{
	static const struct {
		const char *prefix;
		const char *id;
	} ids[] = {
		{ "login", "5f0b6c1e2d8a4c1b9e3a7d2f4c6b8a01" },
		{ "auth", "5f0b6c1e2d8a4c1b9e3a7d2f4c6b8a01" },
		{ "user.", "9a3c5e7f1b2d4f6a8c0e2b4d6f8a0c02" },
		{ "role.", "2b4d6f8a0c1e3a5c7e9b1d3f5a7c9e03" },
		{ "location.", "7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b04" },
		{ "codeword.", "4e6a8c0e2a4c6e8a0c2e4a6c8e0a2c05" },
		{ "practice.", "8d0f2b4d6f8b0d2f4b6d8f0b2d4f6b06" },
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		if (strncmp(action, ids[i].prefix, strlen(ids[i].prefix)) == 0)
			return ids[i].id;
	return "c1e3a5c7e9b1d3f5a7c9e1b3d5f7a907";
}

static const char *field(const json_t *record, const char *key)
{
	const char *v = json_string_value(json_object_get(record, key));
	return v ? v : "";
}

void log_audit(const json_t *record)
{
	enum { ACTOR, ACTION, TARGET, RESULT, SERVICE, TTY, RHOST, NFIELDS };
	static const char *const keys[NFIELDS] = { "actor", "action", "target", "result", "service", "tty", "rhost" };
	long long seq = json_integer_value(json_object_get(record, "seq"));
	char *v[NFIELDS] = { NULL }, msg[1024];
	size_t i;

	for (i = 0; i < NFIELDS; i++)
		if (!(v[i] = escape_dup(field(record, keys[i]), 0)))
			goto out;
	snprintf(msg, sizeof(msg), "audit #%lld: %s %s %s: %s", seq, v[ACTOR], v[ACTION], v[TARGET], v[RESULT]);
	if (!use_journal) {
		fprintf(stderr, "staffd: %s\n", msg);
		goto out;
	}
	sd_journal_send("MESSAGE=%s", msg, "MESSAGE_ID=%s", message_id(field(record, "action")), "PRIORITY=%i",
			LOG_NOTICE, "SYSLOG_IDENTIFIER=staffd", "STAFF_SEQ=%lld", seq, "STAFF_ACTOR=%s", v[ACTOR],
			"STAFF_ACTION=%s", v[ACTION], "STAFF_USER=%s", v[TARGET], "STAFF_RESULT=%s", v[RESULT],
			"STAFF_SERVICE=%s", v[SERVICE], "STAFF_TTY=%s", v[TTY], "STAFF_RHOST=%s", v[RHOST], NULL);
out:
	for (i = 0; i < NFIELDS; i++)
		free(v[i]);
}
