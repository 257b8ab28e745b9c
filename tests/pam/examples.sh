#!/bin/bash
# The example stacks in conf/pam.d, pointed at this test's module and
# daemon: staff sign in, activate and unlock through them as documented.
. "$(dirname "$0")/common.sh"
start_daemon || exit 1
setup_practice || exit 1

# The examples include Debian's common-* files; copies keep the test private.
for f in /etc/pam.d/common-*; do [ -f "$f" ] && cp "$f" "$PAMD/"; done
for ex in login sshd su screensaver; do
	sed -e "s|pam_practice\.so|$PAM_MODULE socket=$SOCK|" "$TOPDIR/conf/pam.d/$ex" > "$PAMD/example-$ex"
done
check_eq 4 "$(grep -l "pam_practice" "$TOPDIR"/conf/pam.d/* | wc -l)" "four example stacks use pam_practice"
check_eq 0 "$(grep -hv '^#' "$TOPDIR"/conf/pam.d/* | grep -c 'socket=')" "the examples use the default socket"

add_active jdoe >/dev/null
out=$(answers "$PW" | drive example-login jdoe auth acct)
expect_exact "login example: a staff member signs in" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
code=$(add_user knew)
out=$(answers "$code" "$CODEWORD" "$PW" "$PW" | drive example-login knew auth acct chauthtok)
expect "login example: activation asks for the new password" "$out" \
	"INFO: $MSG_ACTIVATE" "auth=PAM_SUCCESS" "acct=PAM_NEW_AUTHTOK_REQD" "$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
vcall io.practice.Staff.UserDeactivate '{"username":"knew"}' >/dev/null
out=$(drive example-login knew acct < /dev/null)
expect_exact "login example: a deactivated staff member is stopped, not handed to pam_unix" "$out" \
	"ERROR: $MSG_INACTIVE" "acct=PAM_ACCT_EXPIRED"

add_active madmin "Office Administrator" >/dev/null
out=$(answers "$PW" "$CODEWORD" | drive example-sshd madmin --rhost ws2.example auth acct)
expect_exact "sshd example: password and code word, an administrator is let in" "$out" \
	"$P_PASSWORD" "$P_CODEWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(drive example-sshd jdoe acct < /dev/null)
expect_exact "sshd example: a key login of a nurse is refused by require=" "$out" \
	"ERROR: $MSG_NOT_PERMITTED" "acct=PAM_PERM_DENIED"

out=$(drive example-su jdoe auth acct < /dev/null)
expect_exact "su example: root switches without a password" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
# As su run by another user: real uid of the caller, effective uid root (setuid).
out=$(answers "$PW" | setpriv --ruid="$(field madmin uid)" -- \
	"$PAM_DRIVER" --confdir "$PAMD" --service example-su --user jdoe auth acct 2>&1)
expect_exact "su example: another user switching to a staff account gives its password" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "Wrong-Guess-1" | setpriv --ruid="$(field madmin uid)" -- \
	"$PAM_DRIVER" --confdir "$PAMD" --service example-su --user jdoe auth 2>&1)
expect_exact "su example: a wrong password is refused" "$out" "$P_PASSWORD" "ERROR: $MSG_FAILURE" "auth=PAM_AUTH_ERR"

vcall io.practice.Staff.UserSetPin '{"username":"jdoe","pin":"2468"}' >/dev/null
out=$(answers 2468 | drive example-screensaver jdoe auth)
expect_exact "screensaver example: the PIN unlocks" "$out" "$P_PIN" "auth=PAM_SUCCESS"

pam_done_testing
