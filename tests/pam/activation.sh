#!/bin/bash
# First sign-in with the activation code and the code word, resets, and
# password changes through the module: the policy as the daemon judges it,
# retries, spent codes, wrong code words, and a reset clearing a lock.
. "$(dirname "$0")/common.sh"
start_daemon || exit 1
setup_practice || exit 1

service login
service login_silent silent
service login_retry2 retry=2

# ---- pending, activation code + code word ----
code=$(add_user jdoe)
check_eq pending "$(field jdoe status)" "a new staff member is pending"
out=$(answers "$code" "$CODEWORD" "$PW" "$PW" | drive login jdoe --tty tty1 auth acct chauthtok)
expect "activation: the code, then the code word" "$out" "$P_PASSWORD" "$P_CODEWORD" \
	"INFO: $MSG_ACTIVATE" "auth=PAM_SUCCESS" "acct=PAM_NEW_AUTHTOK_REQD"
expect "activation: the new password twice, with the strength meter" "$out" \
	"acct=PAM_NEW_AUTHTOK_REQD" "$P_NEW" "INFO: Strength: [####] 4 of 4" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
expect_none "activation: no current password is asked" "$out" "^$P_CURRENT"
check_eq active "$(field jdoe status)" "the account is active after activation"
out=$(answers "$PW" | drive login jdoe auth acct)
expect_exact "the chosen password signs in" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# The code is spent: a second use is just a wrong password, and counts.
out=$(answers "$code" "$CODEWORD" | drive login jdoe auth)
expect_exact "a spent activation code fails" "$out" "$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
check_eq 1 "$(field jdoe failed_logins)" "the spent code counts as a failure"
answers "$PW" | drive login jdoe auth >/dev/null

# ---- a password that breaks the policy: every broken rule is listed ----
code=$(add_user kpol)
bad="abc"
want=$(vcall io.practice.Staff.PolicyCheck "{\"password\":\"$bad\",\"username\":\"kpol\"}" |
	jq -r '.parameters.rules[] | select(.ok == false) | "ERROR: " + .message')
check_eq yes "$([ "$(printf '%s\n' "$want" | wc -l)" -ge 4 ] && echo yes)" "\"$bad\" breaks several rules"
out=$(answers "$code" "$CODEWORD" "$bad" "$PW" "$PW" | drive login kpol auth acct chauthtok)
mapfile -t want_lines <<< "$want"
expect "every broken rule is shown, in the daemon's words" "$out" "$P_NEW" "INFO: Strength: [----] 0 of 4" "${want_lines[@]}" "$P_NEW"
check_eq 2 "$(count_lines "$out" "$P_NEW")" "a refused password is asked again, not retyped"
expect "the second password is accepted" "$out" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
check_eq active "$(field kpol status)" "activated after the retry"

# A name-based rule: the daemon knows who is asking.
code=$(add_user lname)
out=$(answers "$code" "$CODEWORD" "Lname-Tester-2024!" "$PW" "$PW" | drive login lname auth acct chauthtok)
want=$(vcall io.practice.Staff.PolicyCheck '{"password":"Lname-Tester-2024!","username":"lname"}' |
	jq -r '.parameters.rules[] | select(.ok == false) | "ERROR: " + .message' | head -1)
expect "the user's own name is refused with the daemon's message" "$out" "$want" "chauthtok=PAM_SUCCESS"

# ---- mismatch, retries ----
code=$(add_user mretry)
out=$(answers "$code" "$CODEWORD" "$PW" "$PW2" "$PW" "$PW" | drive login mretry auth acct chauthtok)
expect "a retyped password that differs is refused and asked again" "$out" \
	"$P_NEW" "$P_RETYPE" "ERROR: Passwords do not match." "$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"

code=$(add_user nretry)
out=$(answers "$code" "$CODEWORD" abc abc abc abc | drive login nretry auth acct chauthtok)
check_eq 3 "$(count_lines "$out" "$P_NEW")" "retry defaults to 3 attempts"
expect "three refusals: AUTHTOK_ERR" "$out" "ERROR: The password was not changed: too many attempts." "chauthtok=PAM_AUTHTOK_ERR"
check_eq pending "$(field nretry status)" "the account stays pending"
out=$(answers "$code" "$CODEWORD" abc "$PW" "$PW2" | drive login_retry2 nretry auth acct chauthtok)
check_eq 2 "$(count_lines "$out" "$P_NEW")" "retry=2 allows two attempts"
expect "retry=2: a bad password and a mismatch use them up" "$out" "ERROR: Passwords do not match." "chauthtok=PAM_AUTHTOK_ERR"
out=$(answers "$code" "$CODEWORD" "$PW" "$PW" | drive login nretry auth acct chauthtok)
expect "the code still works after a password change that failed" "$out" "chauthtok=PAM_SUCCESS"

# ---- silent: no information messages, errors still shown ----
code=$(add_user osilent)
out=$(answers "$code" "$CODEWORD" abc "$PW" "$PW" | drive login_silent osilent auth acct chauthtok)
expect_none "silent: no activation message or strength meter" "$out" "^INFO:"
expect "silent: the broken rules are still listed" "$out" "ERROR: Use at least 9 characters." "chauthtok=PAM_SUCCESS"

# ---- pending, no valid code ----
code=$(add_user pwrong)
out=$(answers "$code" "wrong code word" | drive login pwrong auth)
expect_exact "a wrong code word fails" "$out" "$P_PASSWORD" "$P_CODEWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
check_eq "1/pending" "$(field pwrong failed_logins)/$(field pwrong status)" "a wrong code word counts as a failure"
out=$(answers "Some-Password-1" | drive login pwrong auth)
expect_exact "pending + a password instead of the code: not activated" "$out" \
	"$P_PASSWORD" "ERROR: The account is not activated: sign in with the activation code from your invitation." "auth=PAM_AUTH_ERR"
check_eq 2 "$(field pwrong failed_logins)" "that counts as a failure too"
out=$(drive login pwrong acct < /dev/null)
expect_exact "pending: account phase PERM_DENIED" "$out" "ERROR: $MSG_NOT_ACTIVATED" "acct=PAM_PERM_DENIED"
out=$(drive login pwrong chauthtok < /dev/null)
expect_exact "pending: no password change without the code" "$out" "ERROR: $MSG_NOT_ACTIVATED" "chauthtok=PAM_PERM_DENIED"
out=$(answers "$code" "$CODEWORD" "$PW" "$PW" | drive login pwrong auth acct chauthtok)
expect "the right code word afterwards activates" "$out" "auth=PAM_SUCCESS" "chauthtok=PAM_SUCCESS"

# ---- reset code + code word: a forced change ----
code=$(reset_code jdoe)
out=$(answers "$code" "$CODEWORD" "$PW2" "$PW2" | drive login jdoe auth acct chauthtok)
expect "reset: the code, the code word, then a new password" "$out" "$P_PASSWORD" "$P_CODEWORD" \
	"INFO: $MSG_RESET" "auth=PAM_SUCCESS" "acct=PAM_NEW_AUTHTOK_REQD" "$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
out=$(answers "$PW2" | drive login jdoe auth acct)
expect_exact "the new password signs in after the reset" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "$PW" | drive login jdoe auth)
expect "the old password no longer does" "$out" "auth=PAM_AUTH_ERR"
out=$(answers "$code" "$CODEWORD" | drive login jdoe auth)
expect "the reset code is spent" "$out" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
answers "$PW2" | drive login jdoe auth >/dev/null

# A reset with a wrong code word counts like a wrong password.
code=$(reset_code jdoe)
answers "$code" "not the code word" | drive login jdoe auth >/dev/null
check_eq 1 "$(field jdoe failed_logins)" "a reset code with a wrong code word counts as a failure"

# Completing a reset clears a lock.
for i in 1 2 3 4 5; do answers "Wrong-Guess-$i" | drive login jdoe auth >/dev/null; done
check_eq true "$(field jdoe locked)" "the account is locked"
code=$(reset_code jdoe)
out=$(answers "$code" "$CODEWORD" "$PW3" "$PW3" | drive login jdoe auth acct chauthtok)
expect "locked: the reset code and code word still lead to a new password" "$out" \
	"INFO: $MSG_RESET" "auth=PAM_SUCCESS" "acct=PAM_NEW_AUTHTOK_REQD" "chauthtok=PAM_SUCCESS"
check_eq "false/0" "$(field jdoe locked)/$(field jdoe failed_logins)" "the completed reset cleared the lock"
out=$(answers "$PW3" | drive login jdoe auth acct)
expect "the new password signs in" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# ---- an ordinary password change ----
add_active rchange >/dev/null
out=$(answers "Not-The-Password-1" "$PW2" "$PW2" | drive login rchange chauthtok)
expect "a wrong current password: AUTH_ERR" "$out" "$P_CURRENT" "$P_NEW" "$P_RETYPE" "ERROR: $MSG_FAILURE" "chauthtok=PAM_AUTH_ERR"
check_eq 1 "$(field rchange failed_logins)" "a wrong current password counts as a failure"
out=$(answers "$PW" "$PW" "$PW" "$PW2" "$PW2" | drive login rchange chauthtok)
want=$(vcall io.practice.Staff.PolicyShow | jq -r '.parameters.history')
expect "the current password cannot be chosen again (history)" "$out" "$P_CURRENT" "$P_NEW" "$P_RETYPE" "$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
check_eq 1 "$(printf '%s\n' "$out" | grep -c "^ERROR: .*\b$want\b")" "the history rule names how many passwords are remembered"
out=$(answers "$PW2" | drive login rchange auth)
expect "the changed password signs in" "$out" "auth=PAM_SUCCESS"
check_eq 0 "$(field rchange failed_logins)" "and clears the failure"
out=$(drive login nosuchuser chauthtok < /dev/null)
expect_exact "unknown user: chauthtok is USER_UNKNOWN without asking anything" "$out" "chauthtok=PAM_USER_UNKNOWN"

pam_done_testing
