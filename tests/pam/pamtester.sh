#!/bin/bash
# The module in a real PAM application: pamtester, with a service file in
# /etc/pam.d (the only one this test writes, removed on exit), and once
# under valgrind, which must find no error and no leak.
. "$(dirname "$0")/common.sh"
if [ "${SAN:-}" = 1 ]; then
	echo "1..0 # SKIP pamtester is not built with the sanitizer runtime"
	exit 0
fi
if ! command -v pamtester >/dev/null; then
	echo "1..0 # SKIP pamtester is not installed"
	exit 0
fi
start_daemon || exit 1
setup_practice || exit 1

SVC=pam_practice_test_$$
trap 'rm -f "/etc/pam.d/$SVC"; cleanup' EXIT
{
	echo "auth     required $PAM_MODULE socket=$SOCK"
	echo "account  required $PAM_MODULE socket=$SOCK"
	echo "password required $PAM_MODULE socket=$SOCK"
} > "/etc/pam.d/$SVC"
pt() { pamtester -v "$SVC" "$@" 2>&1; }

add_active jdoe >/dev/null
out=$(answers "$PW" | pt jdoe authenticate acct_mgmt)
rc=$?
check_eq 0 "$rc" "pamtester: authenticate and acct_mgmt succeed"
check_grep "successfully authenticated" "pamtester: it says so" printf '%s' "$out"
out=$(answers "Wrong-Guess-1" | pt jdoe authenticate)
rc=$?
check_eq 1 "$(field jdoe failed_logins)" "pamtester: a wrong password is counted"
check_grep "Authentication failure" "pamtester: a wrong password fails (exit $rc)" printf '%s' "$out"
out=$(answers "$PW" "$PW2" "$PW2" | pt jdoe chauthtok)
check_grep "authentication token altered successfully" "pamtester: chauthtok changes the password" printf '%s' "$out"
check_grep "Strength: \[[#-]{4}\] [0-4] of 4" "pamtester: the strength meter is shown" printf '%s' "$out"
out=$(answers "$PW2" | pt jdoe authenticate acct_mgmt)
check_grep "account management done" "pamtester: the new password signs in" printf '%s' "$out"

code=$(add_user kpend)
out=$(answers "$code" "$CODEWORD" "$PW" "$PW" | pt kpend authenticate chauthtok)
check_grep "authentication token altered successfully" "pamtester: activation with the code, the code word and a new password" \
	printf '%s' "$out"
check_eq active "$(field kpend status)" "pamtester: the account is active"
out=$(pt kpend acct_mgmt < /dev/null)
check_grep "account management done" "pamtester: acct_mgmt of the new account succeeds" printf '%s' "$out"

# valgrind: every phase, the activation path included.
vg() { valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99 pamtester -v "$SVC" "$@" 2>&1; }
out=$(answers "$PW2" "$PW2" "$PW3" "$PW3" | vg jdoe authenticate acct_mgmt chauthtok)
rc=$?
if [ "$rc" -eq 0 ]; then pass "valgrind: authenticate, acct_mgmt and chauthtok run clean"; else fail "valgrind: authenticate, acct_mgmt and chauthtok run clean" "exit $rc: $out"; fi
code=$(add_user lvg)
out=$(answers "$code" "$CODEWORD" "abc" "$PW" "$PW" | vg lvg authenticate acct_mgmt chauthtok)
rc=$?
check_grep "NEW_AUTHTOK_REQD|Authentication token is no longer valid|new authentication token" \
	"valgrind: the activation stops at acct_mgmt as pamtester does" printf '%s' "$out"
out=$(answers "$code" "$CODEWORD" "abc" "$PW" "$PW" | vg lvg authenticate chauthtok)
rc=$?
if [ "$rc" -eq 0 ]; then pass "valgrind: activation with a refused password runs clean"; else fail "valgrind: activation with a refused password runs clean" "exit $rc: $out"; fi
out=$(answers "Wrong-Guess-2" | vg jdoe authenticate)
rc=$?
if [ "$rc" -ne 99 ] && ! printf '%s' "$out" | grep -q '^=='; then pass "valgrind: a refused password runs clean"; else fail "valgrind: a refused password runs clean" "exit $rc: $out"; fi
out=$(answers "$PW" | vg nosuchuser authenticate acct_mgmt)
rc=$?
if [ "$rc" -ne 99 ] && ! printf '%s' "$out" | grep -q '^=='; then pass "valgrind: an unknown user runs clean"; else fail "valgrind: an unknown user runs clean" "exit $rc: $out"; fi
# The test driver itself: no error, no leak, on the longest path it takes.
service login
code=$(add_user mdrv)
out=$(answers "$code" "$CODEWORD" "abc" "$PW" "$PW2" "$PW" "$PW" |
	valgrind -q --leak-check=full --errors-for-leak-kinds=definite,possible --error-exitcode=99 \
		"$PAM_DRIVER" --confdir "$PAMD" --service login --user mdrv auth acct chauthtok 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && ! printf '%s' "$out" | grep -q '^=='; then
	pass "valgrind: pam-driver runs clean through an activation with retries"
else
	fail "valgrind: pam-driver runs clean through an activation with retries" "exit $rc: $out"
fi
[ -e "/etc/pam.d/$SVC" ] && pass "the service file is in place while the test runs" || fail "the service file is in place while the test runs"

done_testing
