/* The password policy of DESIGN 6. Pure: no I/O, no store; history (which
 * needs Argon2id verifies) is checked by the caller. */
#ifndef POLICY_H
#define POLICY_H

#include <jansson.h>
#include "config.h"

/* What the policy knows of the account, for the personal-information rule. */
struct policy_person {
	const char *username;
	const char *first_name;
	const char *last_name;
	const char *email;
};

/*
 * Checks password against every enabled rule. *rules gets a new JSON array
 * with one object per rule considered, in a fixed order:
 *   {"name": "length", "description": "...", "ok": true|false, "message": "..." (only when not ok)}
 * rule names: length upper lower digit special sequence repeat keyboard
 * personal common strength. *score gets the zxcvbn score 0-4. person may be
 * NULL (no personal rule then). Returns 0 when every rule passes,
 * -EPERM when at least one fails (rules and score are set in both cases),
 * -ENOMEM. The password is never copied outside wiped memory.
 */
int policy_check(const struct password_config *cfg, const char *password, const struct policy_person *person,
		 json_t **rules, int *score);

/* Every enabled rule as {"name", "description"}, in the order policy_check
 * reports them (history before strength); NULL when out of memory. */
json_t *policy_describe(const struct password_config *cfg);

/* Adds the failed "history" rule to a rules array built by policy_check. */
void policy_add_history_failure(json_t *rules, unsigned history);

#endif
