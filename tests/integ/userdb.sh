#!/bin/bash
# Staff as OS accounts: staffd serves io.systemd.UserDatabase and the system's
# own tools (getent, id, su) resolve staff through nss-systemd.
. "$(dirname "$0")/lib.sh"

skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root to serve /run/systemd/userdb"
grep -Eq '^passwd:.*\bsystemd\b' /etc/nsswitch.conf || skip_all "nss-systemd is not in nsswitch.conf"
[ -d /run/systemd ] || skip_all "no /run/systemd"

# A service name of its own: other daemons (a real install) keep theirs.
SERVICE=io.practice.staff-test-$$
USERDB_SOCKET=/run/systemd/userdb/$SERVICE
dir_existed=no
[ -d /run/systemd/userdb ] && dir_existed=yes
# uids far from anything this machine uses, and one local account inside the
# range to show it is skipped.
LOCAL_USER=staffdtest$$
LOCAL_UID=
for u in $(seq 47000 47990); do
	if ! getent passwd "$u" >/dev/null && ! getent group "$u" >/dev/null; then LOCAL_UID=$u; break; fi
done
[ -n "$LOCAL_UID" ] || skip_all "no free uid for the local test account"
EXTRA_DAEMON_CONFIG="uid_min = $LOCAL_UID
uid_max = $((LOCAL_UID + 200))"
write_config

userdb_cleanup() {
	cleanup
	getent passwd "$LOCAL_USER" >/dev/null && userdel "$LOCAL_USER" 2>/dev/null
	getent group "$LOCAL_USER" >/dev/null && groupdel "$LOCAL_USER" 2>/dev/null
	rm -f "$USERDB_SOCKET"
	[ "$dir_existed" = no ] && rmdir /run/systemd/userdb 2>/dev/null
	return 0
}
trap userdb_cleanup EXIT INT TERM

useradd --no-create-home --uid "$LOCAL_UID" --user-group --shell /usr/sbin/nologin "$LOCAL_USER" ||
	skip_all "cannot create the local test account"

uvcall() { "$VCALL" --socket "$USERDB_SOCKET" "$@"; }

start_daemon || exit 1
check "the userdb socket exists" test -S "$USERDB_SOCKET"
setup_practice
ctl user add jdoe --email jane.doe@riverside.example --first Jane --last Doe --role Nurse --location Main >/dev/null
ctl user add hprov --email h.prov@riverside.example --first Hannah --last Provider --role Provider >/dev/null
uid=$(ctl --json user show jdoe | jq -r .user.uid)
amy_uid=$(ctl --json user show amy | jq -r .user.uid)

check_grep "^jdoe:x:$uid:$uid:Jane Doe:/home/jdoe:/bin/bash$" "getent passwd USER" getent passwd jdoe
check_grep "^jdoe:" "getent passwd UID" getent passwd "$uid"
check_grep "groups=.*\(practice-nurse\)" "id USER shows the role group" id jdoe
check_grep "^practice-nurse:x:[0-9]+:jdoe$" "getent group practice-<role> lists its members" getent group practice-nurse
check_grep "^practice-admins:x:[0-9]+:amy$" "administrators are in practice-admins" getent group practice-admins
check_grep "uid=$amy_uid\(amy\).*practice-admins" "id of the administrator" id amy
check_grep "^jdoe:x:$uid:" "a staff user's own group" getent group "$uid"
check "no local passwd entry for staff" bash -c "! grep -q '^jdoe:' /etc/passwd"

# uids: from the range, never one in /etc/passwd or /etc/group, never reused.
check "the first uid skipped the local account's" test "$amy_uid" -ne "$LOCAL_UID"
ctl user add gone --email gone@riverside.example --first Gone --last Away --role Staff >/dev/null
gone_uid=$(ctl --json user show gone | jq -r .user.uid)
ctl user deactivate gone >/dev/null
ctl user add next --email next@riverside.example --first Next --last One --role Staff >/dev/null
next_uid=$(ctl --json user show next | jq -r .user.uid)
check "a uid is never given to someone else" test "$next_uid" -gt "$gone_uid"
check_eq "$gone_uid" "$(ctl --json user show gone | jq -r .user.uid)" "a user keeps its uid when deactivated"
ctl user reactivate gone >/dev/null
check_eq "$gone_uid" "$(ctl --json user show gone | jq -r .user.uid)" "and when reactivated"

# Changes are visible at once.
ctl user edit jdoe --role "Front Desk" >/dev/null
out=$(id jdoe)
check_grep "practice-front-desk" "a role change is visible at once" printf '%s' "$out"
check "the old role group no longer lists the user" bash -c "! id jdoe | grep -q practice-nurse"

check_grep "^uid=$uid\(jdoe\) gid=$uid\(jdoe\)" "su USER -c id works for a staff user" su jdoe -c id
check_grep "^uid=$uid\(jdoe\)" "lookups work for an unprivileged caller" \
	setpriv --reuid=65534 --regid=65534 --clear-groups id jdoe

# Deactivated users are locked records with no memberships.
ctl user deactivate jdoe >/dev/null
rec=$(uvcall io.systemd.UserDatabase.GetUserRecord "{\"userName\":\"jdoe\",\"service\":\"$SERVICE\"}")
check_eq true "$(jget "$rec" .parameters.record.locked)" "a deactivated user is a locked record"
check_grep 'UserDatabase.NoRecordFound"' "a deactivated user belongs to no group" \
	uvcall --more io.systemd.UserDatabase.GetMemberships "{\"userName\":\"jdoe\",\"service\":\"$SERVICE\"}"

# The interface as USER_GROUP_API specifies it.
check_eq "$SERVICE" "$(jget "$rec" .parameters.record.service)" "records carry the service name"
check_eq false "$(jget "$rec" .parameters.incomplete)" "records are complete"
check_grep '"io.systemd.UserDatabase.BadService"' "a wrong service is refused" \
	uvcall io.systemd.UserDatabase.GetUserRecord '{"userName":"jdoe","service":"io.systemd.Other"}'
check_grep '"io.systemd.UserDatabase.BadService"' "a missing service is refused" \
	uvcall io.systemd.UserDatabase.GetUserRecord '{"userName":"jdoe"}'
check_grep '"io.systemd.UserDatabase.NoRecordFound"' "an unknown user is NoRecordFound" \
	uvcall io.systemd.UserDatabase.GetUserRecord "{\"userName\":\"nobody-here\",\"service\":\"$SERVICE\"}"
check_grep '"io.systemd.UserDatabase.ConflictingRecordFound"' "name and uid of different users conflict" \
	uvcall io.systemd.UserDatabase.GetUserRecord "{\"userName\":\"amy\",\"uid\":$uid,\"service\":\"$SERVICE\"}"
check_grep '"io.systemd.UserDatabase.NonMatchingRecordFound"' "a filter that excludes the record" \
	uvcall io.systemd.UserDatabase.GetUserRecord "{\"userName\":\"amy\",\"uidMax\":10,\"service\":\"$SERVICE\"}"
check_grep '"org.varlink.service.ExpectedMore"' "enumeration needs more" \
	uvcall io.systemd.UserDatabase.GetUserRecord "{\"service\":\"$SERVICE\"}"
all=$(uvcall --more io.systemd.UserDatabase.GetUserRecord "{\"service\":\"$SERVICE\"}")
check_eq 5 "$(printf '%s\n' "$all" | grep -c '"userName"')" "enumeration returns every user"
check_eq 1 "$(printf '%s\n' "$all" | grep -vc '"continues":true')" "only the last reply ends the stream"
groups=$(uvcall --more io.systemd.UserDatabase.GetGroupRecord "{\"service\":\"$SERVICE\"}")
check_grep '"groupName":"practice-admins"' "group enumeration includes practice-admins" printf '%s' "$groups"
check_grep '"groupName":"practice-billing-manager"' "and every role" printf '%s' "$groups"
check_grep '"groupName":"amy"' "and every user's own group" printf '%s' "$groups"
check_grep '"groupName":"practice-owner","userName":"amy"' "GetMemberships by user" \
	uvcall --more io.systemd.UserDatabase.GetMemberships "{\"userName\":\"amy\",\"service\":\"$SERVICE\"}"
check_grep '^\{"parameters":\{"groupName":"practice-admins","userName":"amy"\}\}$' "GetMemberships testing one pair" \
	uvcall io.systemd.UserDatabase.GetMemberships "{\"userName\":\"amy\",\"groupName\":\"practice-admins\",\"service\":\"$SERVICE\"}"

# Never a secret, whoever asks: set a PIN, then read everything as nobody.
activate hprov 'Harbor!Violet27x' >/dev/null
vcall io.practice.Staff.UserSetPin '{"username":"hprov","pin":"4812"}' >/dev/null
everything=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$VCALL" --socket "$USERDB_SOCKET" --more \
	io.systemd.UserDatabase.GetUserRecord "{\"service\":\"$SERVICE\"}")
check_grep '"userName":"hprov"' "an unprivileged caller may enumerate" printf '%s' "$everything"
check "records hold no hash, PIN, code or privileged section" \
	bash -c "! printf '%s' '$everything' | grep -Eiq 'hash|pin|token|privileged|argon|password'"

# Gone with the daemon.
check_grep '^hprov:' "this test's service alone finds staff while staffd runs" \
	env SYSTEMD_ONLY_USERDB="$SERVICE" getent passwd hprov
stop_daemon
check "the userdb socket is removed when staffd stops" test ! -e "$USERDB_SOCKET"
# Only this test's service: other staffd on the machine may serve an hprov too.
check "getent no longer finds staff" bash -c "! SYSTEMD_ONLY_USERDB=$SERVICE getent passwd hprov"

done_testing
