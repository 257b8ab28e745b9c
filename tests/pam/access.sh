#!/bin/bash
# Who may sign in where: location= and require=, codeword=always, the PIN of
# pin mode (a screen locker), and a caller that is not root.
. "$(dirname "$0")/common.sh"
start_daemon || exit 1
setup_practice || exit 1
vcall io.practice.Staff.LocationAdd '{"name":"North"}' >/dev/null

service ws_main location=Main
service ws_north location=North
service ws_prescribe require=clinical.prescribe
service ws_calendar require=calendar.view
service ws_north_calendar location=North require=calendar.view
add_active mainonly Nurse '"primary_location":"Main","locations":["Main"]' >/dev/null
add_active anywhere Nurse >/dev/null
add_active hprov Provider >/dev/null

# ---- location= ----
out=$(answers "$PW" | drive ws_north mainonly auth acct)
expect_exact "location=: auth succeeds, the account phase denies a user not allowed there" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "ERROR: $MSG_NOT_PERMITTED" "acct=PAM_PERM_DENIED"
out=$(drive ws_north mainonly acct < /dev/null)
expect_exact "location=: denied without a password too (SSH keys, cron)" "$out" "ERROR: $MSG_NOT_PERMITTED" "acct=PAM_PERM_DENIED"
out=$(answers "$PW" | drive ws_main mainonly auth acct)
expect_exact "location=: allowed at the user's own location" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "$PW" | drive ws_north anywhere auth acct)
expect_exact "location=: a user without a location list may sign in anywhere" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# ---- require= ----
out=$(answers "$PW" | drive ws_prescribe anywhere auth acct)
expect_exact "require=: a nurse lacks clinical.prescribe" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "ERROR: $MSG_NOT_PERMITTED" "acct=PAM_PERM_DENIED"
out=$(answers "$PW" | drive ws_prescribe hprov auth acct)
expect_exact "require=: a provider has it" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(drive ws_calendar anywhere acct < /dev/null)
expect_exact "require=: a permission the role has" "$out" "acct=PAM_SUCCESS"
out=$(drive ws_north_calendar mainonly acct < /dev/null)
expect_exact "location= and require= together: the location still counts" "$out" "ERROR: $MSG_NOT_PERMITTED" "acct=PAM_PERM_DENIED"
out=$(drive ws_north_calendar anywhere acct < /dev/null)
expect_exact "location= and require= together: both met" "$out" "acct=PAM_SUCCESS"

# ---- codeword=always ----
service cw codeword=always
out=$(answers "$PW" "$CODEWORD" | drive cw anywhere auth acct)
expect_exact "codeword=always: the password and the code word up front" "$out" \
	"$P_PASSWORD" "$P_CODEWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "$PW" "  MAPLE Harbor " | drive cw anywhere auth)
expect_exact "codeword=always: asked again at the next login (case and spaces do not matter)" "$out" \
	"$P_PASSWORD" "$P_CODEWORD" "auth=PAM_SUCCESS"
out=$(answers "$PW" "oak valley" | drive cw anywhere auth)
expect_exact "codeword=always: a wrong code word fails" "$out" "$P_PASSWORD" "$P_CODEWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
check_eq 1 "$(field anywhere failed_logins)" "codeword=always: a wrong code word counts as a failure"
out=$(answers "Wrong-Guess-1" "$CODEWORD" | drive cw anywhere auth)
expect "codeword=always: a wrong password with the right code word fails" "$out" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
out=$(answers "$PW" "$CODEWORD" | drive cw anywhere auth)
expect "codeword=always: right both, and the count is cleared" "$out" "auth=PAM_SUCCESS"
check_eq 0 "$(field anywhere failed_logins)" "codeword=always: the success cleared the count"
code=$(add_user cwnew)
out=$(answers "$code" "$CODEWORD" "$PW" "$PW" | drive cw cwnew auth acct chauthtok)
expect "codeword=always: activation uses the code word given up front" "$out" \
	"$P_PASSWORD" "$P_CODEWORD" "INFO: $MSG_ACTIVATE" "auth=PAM_SUCCESS" "acct=PAM_NEW_AUTHTOK_REQD" "chauthtok=PAM_SUCCESS"
check_eq 1 "$(count_lines "$out" "$P_CODEWORD")" "codeword=always: the code word is asked once"
out=$(answers "$PW" "$CODEWORD" | drive cw nosuchuser auth)
expect_exact "codeword=always: an unknown user is asked both too" "$out" \
	"$P_PASSWORD" "$P_CODEWORD" "ERROR: $MSG_FAILURE" "auth=PAM_USER_UNKNOWN"

# ---- pin mode ----
service unlock pin
out=$(answers 4821 | drive unlock anywhere auth)
expect_exact "pin: no PIN set yet" "$out" "$P_PIN" "ERROR: No PIN is set for this account." "auth=PAM_AUTH_ERR"
vcall io.practice.Staff.UserSetPin '{"username":"anywhere","pin":"4821"}' >/dev/null
check_eq true "$(field anywhere has_pin)" "a PIN is set"
out=$(answers 4821 | drive unlock anywhere auth acct)
expect_exact "pin: the PIN unlocks" "$out" "$P_PIN" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "$PW" | drive unlock anywhere auth)
expect_exact "pin: the password is not a PIN" "$out" "$P_PIN" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
check_eq 1 "$(field anywhere failed_logins)" "pin: a wrong PIN counts"
for i in 2 3 4; do answers 1111 | drive unlock anywhere auth >/dev/null; done
check_eq "4/false" "$(field anywhere failed_logins)/$(field anywhere locked)" "pin: four wrong PINs, not locked yet"
out=$(answers 1111 | drive unlock anywhere auth)
expect_exact "pin: the fifth wrong PIN locks" "$out" "$P_PIN" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
check_eq true "$(field anywhere locked)" "pin: locked like a password"
out=$(answers 4821 | drive unlock anywhere auth)
expect "pin: the right PIN on a locked account fails" "$out" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
service login
out=$(answers "$PW" | drive login anywhere auth)
expect "pin: the password login is locked too" "$out" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
vcall io.practice.Staff.UserUnlock '{"username":"anywhere"}' >/dev/null
out=$(answers 4821 | drive unlock anywhere auth)
expect "pin: unlocked, the PIN works again" "$out" "auth=PAM_SUCCESS"
out=$(answers 4821 | drive unlock nosuchuser auth)
expect_exact "pin: an unknown user is asked for a PIN all the same" "$out" "$P_PIN" "ERROR: $MSG_FAILURE" "auth=PAM_USER_UNKNOWN"

# ---- a caller that is not root ----
uid=$(field mainonly uid)
check_eq yes "$([ "$uid" -gt 0 ] 2>/dev/null && echo yes)" "staff have a uid ($uid)"
as_staff() { setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"; }
out=$(answers "$PW" | as_staff "$PAM_DRIVER" --confdir "$PAMD" --service ws_main --user mainonly auth acct 2>&1)
expect_exact "uid $uid may sign in to its own account" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "Wrong-Guess-1" | as_staff "$PAM_DRIVER" --confdir "$PAMD" --service ws_main --user mainonly auth 2>&1)
expect "uid $uid: its own wrong password fails as usual" "$out" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"
before=$(field hprov failed_logins)
out=$(answers "$PW" | as_staff "$PAM_DRIVER" --confdir "$PAMD" --service ws_main --user hprov auth 2>&1)
expect_exact "uid $uid may not try another account's password" "$out" "$P_PASSWORD" "ERROR: Permission denied" "auth=PAM_PERM_DENIED"
check_eq "$before" "$(field hprov failed_logins)" "the refused attempt touched nothing"
out=$(as_staff "$PAM_DRIVER" --confdir "$PAMD" --service ws_main --user hprov acct < /dev/null 2>&1)
expect_exact "uid $uid may not check another account" "$out" "ERROR: Permission denied" "acct=PAM_PERM_DENIED"
out=$(answers "$PW" "$PW2" "$PW2" | as_staff "$PAM_DRIVER" --confdir "$PAMD" --service ws_main --user mainonly chauthtok 2>&1)
expect "uid $uid may change its own password" "$out" "$P_CURRENT" "$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
out=$(answers "$PW2" | setpriv --reuid=12346 --regid=12346 --clear-groups -- \
	"$PAM_DRIVER" --confdir "$PAMD" --service ws_main --user mainonly auth 2>&1)
expect "a uid that is no staff member may not sign anyone in" "$out" "auth=PAM_PERM_DENIED"

pam_done_testing
