#!/bin/bash
# A workstation end to end: a staff member who exists only in staffd (no
# line in /etc/passwd) is an OS user through nss-systemd, signs in through a
# PAM stack of pam_practice, pam_unix for local accounts and pam_mkhomedir,
# and gets a home directory. A local account falls through to pam_unix.
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root (userdb socket, /etc/pam.d service file, a local account)"
[ "${SAN:-}" = 1 ] && skip_all "pamtester is not built with the sanitizer runtime"
command -v pamtester >/dev/null || skip_all "pamtester is not installed"
grep -Eq '^passwd:.*\bsystemd\b' /etc/nsswitch.conf || skip_all "nss-systemd is not in nsswitch.conf"
[ -e /lib/x86_64-linux-gnu/security/pam_mkhomedir.so ] || [ -e "/lib/$(gcc -print-multiarch)/security/pam_mkhomedir.so" ] ||
	skip_all "pam_mkhomedir is not installed"

# Set before lib.sh writes the daemon's configuration.
SERVICE=io.practice.staff-ws-$$
USERDB_SOCKET=/run/systemd/userdb/$SERVICE
FIRST_UID=
for u in $(seq 48000 48900); do
	getent passwd "$u" >/dev/null || getent group "$u" >/dev/null || { FIRST_UID=$u; break; }
done
[ -n "$FIRST_UID" ] || skip_all "no free uid range"
. "$(dirname "$0")/common.sh"
EXTRA_DAEMON_CONFIG="uid_min = $FIRST_UID
uid_max = $((FIRST_UID + 50))
home_base = $T/home"
write_config
mkdir -p "$T/home"

SVC=pam_practice_ws_$$
LOCAL_USER=pplocal$$
LOCAL_PW='Local-Acc0unt!pw'
dir_existed=no
[ -d /run/systemd/userdb ] && dir_existed=yes
ws_cleanup() {
	rm -f "/etc/pam.d/$SVC"
	getent passwd "$LOCAL_USER" >/dev/null && userdel "$LOCAL_USER" 2>/dev/null
	getent group "$LOCAL_USER" >/dev/null && groupdel "$LOCAL_USER" 2>/dev/null
	cleanup
	rm -f "$USERDB_SOCKET"
	[ "$dir_existed" = no ] && rmdir /run/systemd/userdb 2>/dev/null
	return 0
}
trap ws_cleanup EXIT INT TERM

start_daemon || exit 1
setup_practice || exit 1

# The stack of conf/pam.d/login, reduced to what a test can run: staff
# through pam_practice, local accounts through pam_unix, homes made at the
# first session.
cat > "/etc/pam.d/$SVC" <<EOF
auth     [success=2 user_unknown=ignore default=die]  $PAM_MODULE socket=$SOCK location=Main
auth     [success=1 default=ignore]  pam_unix.so try_first_pass
auth     requisite  pam_deny.so
auth     required   pam_permit.so
account  [success=2 new_authtok_reqd=done user_unknown=ignore default=die]  $PAM_MODULE socket=$SOCK location=Main
account  [success=1 new_authtok_reqd=done default=ignore]  pam_unix.so
account  requisite  pam_deny.so
account  required   pam_permit.so
session  required   pam_mkhomedir.so skel=/etc/skel umask=0077
session  required   pam_permit.so
EOF
pt() { pamtester -v "$SVC" "$@" 2>&1; }

add_active jdoe Nurse '"locations":["Main"]' >/dev/null
uid=$(field jdoe uid)
check "jdoe has no line in /etc/passwd" bash -c "! grep -q '^jdoe:' /etc/passwd"
check_grep "^jdoe:x:$uid:$uid:" "but the system knows jdoe through nss-systemd" getent passwd jdoe
check "no home directory yet" test ! -e "$T/home/jdoe"

out=$(answers "$PW" | pt jdoe authenticate acct_mgmt open_session)
check_eq 0 "$?" "pamtester authenticate acct_mgmt open_session succeeds for a staff-only user"
check_grep "successfully opened a session" "the session opened" printf '%s' "$out"
check "pam_mkhomedir made the home directory" test -d "$T/home/jdoe"
check_eq "$uid:$uid" "$(stat -c %u:%g "$T/home/jdoe")" "owned by the staff member's uid and group"
last=$(field jdoe last_login_service)
check_eq "$SVC" "$last" "the login is recorded with its service"

out=$(answers "Wrong-Guess-1" | pt jdoe authenticate)
check_grep "Authentication failure" "a wrong password fails" printf '%s' "$out"
check_eq 1 "$(field jdoe failed_logins)" "and is counted"

# A local account: unknown to staffd, it falls through to pam_unix.
useradd --no-create-home --shell /usr/sbin/nologin "$LOCAL_USER" || exit 1
echo "$LOCAL_USER:$LOCAL_PW" | chpasswd
out=$(answers "$LOCAL_PW" | pt "$LOCAL_USER" authenticate acct_mgmt)
check_eq 0 "$?" "a local account signs in through pam_unix"
out=$(answers "not-the-password" | pt "$LOCAL_USER" authenticate)
check_grep "Authentication failure" "with its own password only" printf '%s' "$out"

# Deactivated: refused at once, and a locked record for the system.
vcall io.practice.Staff.UserDeactivate '{"username":"jdoe"}' >/dev/null
out=$(answers "$PW" | pt jdoe authenticate)
check_grep "Authentication failure|deactivated" "a deactivated staff member cannot sign in" printf '%s' "$out"

done_testing
