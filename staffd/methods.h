/* Request handlers, grouped by the file that defines them. Each takes a call
 * whose parameters were checked against its field list and whose caller was
 * authorized; see call.h for what they return. */
#ifndef METHODS_H
#define METHODS_H

#include "call.h"
#include <stdint.h>
#include <jansson.h>
#include "json-fields.h"

/* methods-practice.c */
int method_get_status(struct call *c);
int method_init(struct call *c);
int method_codeword_show(struct call *c);
int method_codeword_rotate(struct call *c);
int method_policy_show(struct call *c);
int method_backup(struct call *c);

/* methods-directory.c */
int method_location_add(struct call *c);
int method_location_list(struct call *c);
int method_location_rename(struct call *c);
int method_location_remove(struct call *c);
int method_role_add(struct call *c);
int method_role_list(struct call *c);
int method_role_show(struct call *c);
int method_role_grant(struct call *c);
int method_role_revoke(struct call *c);
int method_role_remove(struct call *c);

/* methods-user.c */
int method_user_add(struct call *c);
int method_user_list(struct call *c);
int method_user_show(struct call *c);
int method_user_edit(struct call *c);
int method_user_deactivate(struct call *c);
int method_user_reactivate(struct call *c);
int method_user_unlock(struct call *c);
int method_user_reset_password(struct call *c);
int method_user_resend_invite(struct call *c);
int method_user_cancel_invite(struct call *c);
int method_user_set_pin(struct call *c);
int method_forgot_password(struct call *c);

/* methods-auth.c */
int method_authenticate(struct call *c);
int method_check_account(struct call *c);
int method_change_password(struct call *c);
int method_policy_check(struct call *c);

/* methods-audit.c */
int method_audit_list(struct call *c);
int method_audit_verify(struct call *c);

/* Appends an audit record for the call's change, in the call's transaction. */
int audit_call(struct call *c, const char *action, const char *target, const char *detail);
/* A staff record with every default, before the caller's fields are applied. */
json_t *user_new_record(uint32_t uid, long long now);

/* The UserInput fields (users.c), shared by Init, UserAdd and UserEdit. */
extern const struct json_field user_input_fields[];

#endif
