/* Rules for the values of staff accounts, roles and locations. */
#ifndef VALIDATE_H
#define VALIDATE_H

#include <stdbool.h>

/*
 * Every validate_* function returns 0 when the value is acceptable and
 * -EINVAL otherwise, pointing *why at a static sentence that names the rule
 * broken (e.g. "must be 10 digits with a valid check digit"). Callers
 * prefix the field name.
 */
int validate_username(const char *s, const char **why);	/* [a-z_][a-z0-9_-]{0,31} */
int validate_email(const char *s, const char **why);
int validate_person_name(const char *s, const char **why);
int validate_npi(const char *s, const char **why);
/* last_name may be NULL; when given, the DEA's second letter must match it (or be 9). */
int validate_dea(const char *s, const char *last_name, const char **why);
int validate_taxonomy(const char *s, const char **why);
int validate_phone(const char *s, const char **why);
int validate_capacity(long long v, const char **why);
int validate_step(long long v, const char **why);
int validate_pin(const char *s, const char **why);
int validate_employment(const char *s, const char **why);
int validate_status(const char *s, const char **why);
int validate_permission(const char *s, const char **why);
int validate_label(const char *s, const char **why);		/* location and role names */
int validate_text(const char *s, unsigned max_bytes, const char **why);	/* address, bio, degree, ... */

/* The permission strings of DESIGN 3, NULL-terminated. */
extern const char *const staff_permissions[];

#endif
