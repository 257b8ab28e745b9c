#!/bin/bash
# Password sign-in through the real module (DESIGN 5): success, counted
# failures, the lock at the fifth, locked and deactivated accounts, unknown
# users falling through, silent, and the password-passing arguments.
. "$(dirname "$0")/common.sh"
start_daemon || exit 1
setup_practice || exit 1

service login
service login_silent silent
service login_debug debug
add_active jdoe >/dev/null

# ---- active, right password ----
out=$(answers "$PW" | drive login jdoe --tty tty3 --rhost ws1.example auth acct setcred)
expect_exact "right password: auth, account and setcred succeed, nothing said" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS" "setcred=PAM_SUCCESS"
check_eq "login/tty3/ws1.example" "$(field jdoe last_login_service)/$(field jdoe last_login_tty)/$(field jdoe last_login_host)" \
	"the login is recorded with its service, tty and remote host"
out=$(vcall --more io.practice.Staff.AuditList '{"user":"jdoe"}' | tail -1)
check_eq "login ok login tty3 ws1.example" \
	"$(jget "$out" '.parameters.record | "\(.action) \(.result) \(.service) \(.tty) \(.rhost)"')" \
	"the audit record carries service, tty and remote host"
out=$(answers "$PW" | drive login_debug jdoe auth acct)
expect "debug changes nothing the user sees" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# ---- wrong password, 1st to 4th: refused and counted ----
for i in 1 2 3 4; do
	out=$(answers "Wrong-Guess-$i" | drive login jdoe auth acct)
	expect_exact "wrong password #$i: AUTH_ERR, \"$MSG_FAILURE\"" "$out" \
		"$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
	check_eq "$i" "$(field jdoe failed_logins)" "wrong password #$i is counted"
done
check_eq false "$(field jdoe locked)" "four failures do not lock"

# ---- the 5th locks ----
out=$(answers "Wrong-Guess-5" | drive login jdoe auth)
expect_exact "5th wrong password: AUTH_ERR and the lock is announced" "$out" \
	"$P_PASSWORD" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
check_eq "true/5" "$(field jdoe locked)/$(field jdoe failed_logins)" "the 5th failure locks the account"
out=$(drive login jdoe acct < /dev/null)
expect_exact "locked: account phase PERM_DENIED without a password" "$out" "ERROR: $MSG_LOCKED" "acct=PAM_PERM_DENIED"

# ---- locked, any password: refused, not verified, not counted ----
out=$(answers "$PW" | drive login jdoe --tty tty9 auth)
expect_exact "locked + right password: AUTH_ERR, locked" "$out" "$P_PASSWORD" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
out=$(answers "Wrong-Guess-6" | drive login jdoe auth)
expect "locked + wrong password: AUTH_ERR, locked" "$out" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
check_eq 5 "$(field jdoe failed_logins)" "attempts on a locked account are not counted"
check_eq tty3 "$(field jdoe last_login_tty)" "the locked attempt with the right password did not sign in"

# ---- silent hides the lock ----
out=$(answers "$PW" | drive login_silent jdoe auth)
expect_exact "silent: a locked account looks like a wrong password" "$out" "$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
out=$(drive login_silent jdoe acct < /dev/null)
expect_exact "silent: account phase says only permission denied" "$out" "ERROR: Permission denied" "acct=PAM_PERM_DENIED"
out=$(answers "$PW" | drive login jdoe --silent auth)
expect_exact "PAM_SILENT from the application works like silent" "$out" "$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"

# ---- unlock, and a success clears the count ----
vcall io.practice.Staff.UserUnlock '{"username":"jdoe"}' >/dev/null
out=$(answers "$PW" | drive login jdoe auth acct)
expect_exact "after unlock the right password works" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
answers "Wrong-Guess-7" | drive login jdoe auth >/dev/null
answers "Wrong-Guess-8" | drive login jdoe auth >/dev/null
check_eq 2 "$(field jdoe failed_logins)" "two new failures are counted"
answers "$PW" | drive login jdoe auth >/dev/null
check_eq 0 "$(field jdoe failed_logins)" "a success clears the count"

# ---- inactive ----
add_active kinact >/dev/null
vcall io.practice.Staff.UserDeactivate '{"username":"kinact"}' >/dev/null
out=$(answers "$PW" | drive login kinact auth)
expect_exact "inactive: AUTH_ERR, deactivated" "$out" "$P_PASSWORD" "ERROR: $MSG_INACTIVE" "auth=PAM_AUTH_ERR"
answers "Wrong-Guess-1" | drive login kinact auth >/dev/null
check_eq 0 "$(field kinact failed_logins)" "attempts on an inactive account are not counted"
out=$(drive login kinact acct < /dev/null)
expect_exact "inactive: account phase ACCT_EXPIRED" "$out" "ERROR: $MSG_INACTIVE" "acct=PAM_ACCT_EXPIRED"
out=$(answers "$PW" | drive login_silent kinact auth)
expect_exact "silent: an inactive account looks like a wrong password" "$out" "$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
out=$(drive login_silent kinact acct < /dev/null)
expect_exact "silent: inactive account phase says only permission denied" "$out" "ERROR: Permission denied" "acct=PAM_ACCT_EXPIRED"
vcall io.practice.Staff.UserReactivate '{"username":"kinact"}' >/dev/null
out=$(answers "$PW" | drive login kinact auth acct)
expect "reactivated: the password works again" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# ---- unknown user: asked for a password all the same ----
out=$(answers "whatever" | drive login nosuchuser auth)
expect_exact "unknown user: prompted, then USER_UNKNOWN" "$out" "$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_USER_UNKNOWN"
out=$(drive login nosuchuser acct < /dev/null)
expect_exact "unknown user: account phase USER_UNKNOWN, quietly" "$out" "acct=PAM_USER_UNKNOWN"
out=$(answers "whatever" | drive login root auth)
expect "root is unknown to the module" "$out" "auth=PAM_USER_UNKNOWN"

# The workstation stack: unknown users fall through to the next module.
service_text fallthrough <<'EOF'
auth    [success=done user_unknown=ignore default=die] @MODULE@ socket=@SOCK@
auth    required pam_permit.so
account [success=done user_unknown=ignore default=die] @MODULE@ socket=@SOCK@
account required pam_permit.so
password [success=done user_unknown=ignore default=die] @MODULE@ socket=@SOCK@
password required pam_permit.so
EOF
out=$(drive fallthrough root auth acct < /dev/null)
expect_exact "user_unknown=ignore: a local account falls through to the next module, asked nothing here" "$out" \
	"auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "some-password" | drive fallthrough nosuchstaff auth acct)
expect "user_unknown=ignore: a name staffd does not know falls through too" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
check_eq 1 "$(count_lines "$out" "$P_PASSWORD")" "after being asked for a password once, as if it existed"
out=$(drive fallthrough root chauthtok < /dev/null)
expect_exact "user_unknown=ignore: a local account's password change goes to the next module untouched" "$out" \
	"chauthtok=PAM_SUCCESS"
out=$(answers "Wrong-Guess-9" | drive fallthrough jdoe auth)
expect "user_unknown=ignore: a staff member's wrong password still fails" "$out" "auth=PAM_AUTH_ERR"
vcall io.practice.Staff.UserDeactivate '{"username":"kinact"}' >/dev/null
out=$(drive fallthrough kinact acct < /dev/null)
expect "user_unknown=ignore: an inactive staff member is still denied" "$out" "acct=PAM_ACCT_EXPIRED"
answers "$PW" | drive login jdoe auth >/dev/null

# ---- use_first_pass and try_first_pass ----
service_text firstpass <<'EOF'
auth optional @MODULE@ socket=@SOCK@
auth required @MODULE@ socket=@SOCK@ use_first_pass
EOF
out=$(answers "$PW" | drive firstpass jdoe auth)
expect_exact "use_first_pass takes the password the module before asked for" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
service_text firstpass_only <<'EOF'
auth required @MODULE@ socket=@SOCK@ use_first_pass
EOF
out=$(answers "$PW" | drive firstpass_only jdoe auth)
expect_exact "use_first_pass with no earlier password fails without asking" "$out" "auth=PAM_AUTH_ERR"
service_text trypass <<'EOF'
auth optional @MODULE@ socket=@SOCK@
auth required @MODULE@ socket=@SOCK@ try_first_pass
EOF
out=$(answers "$PW" | drive trypass jdoe auth)
expect_exact "try_first_pass takes an earlier password" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
service_text trypass_only <<'EOF'
auth required @MODULE@ socket=@SOCK@ try_first_pass
EOF
out=$(answers "$PW" | drive trypass_only jdoe auth)
expect_exact "try_first_pass with no earlier password asks" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
check_eq 0 "$(field jdoe failed_logins)" "none of that counted a failure"

# ---- bad arguments are skipped, the good ones still apply ----
service login_badargs "timeout=soon retry=0 codeword=sometimes location= require=nope bogus socket=relative/path"
out=$(answers "$PW" | drive login_badargs jdoe auth acct)
expect_exact "bad arguments are skipped: sign-in works with the socket given before them" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# ---- the driver's own contract ----
out=$(drive login jdoe auth < /dev/null)
expect "no answer to a prompt is a conversation error" "$out" "auth=PAM_CONV_ERR"
check_exit 1 "the driver exits 1 when a phase fails" drive login nosuchuser acct
check_exit 2 "the driver refuses an unknown phase" drive login jdoe session

pam_done_testing
