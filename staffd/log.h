/* Daemon logging: the journal with structured fields when staffd runs under
 * systemd (JOURNAL_STREAM names our stderr), plain stderr lines otherwise. */
#ifndef LOG_H
#define LOG_H

#include <jansson.h>

void log_setup(void);

void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Sends one committed audit record (never holds a secret) to the log. */
void log_audit(const json_t *record);

#endif
