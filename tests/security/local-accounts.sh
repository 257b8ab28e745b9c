#!/bin/bash
# No staff account can shadow a local account, and local accounts never
# depend on staffd (DESIGN 14). Local users and groups are made for the test
# with useradd and groupadd (removed again by the trap); the module reads the
# machine's real /etc/passwd.
#
#   - names of local accounts and groups, system and reserved names are
#     refused at add (and at init), with a sentence naming what is wrong, and
#     nothing is written;
#   - a staff account whose name a local account took later is never asked
#     about by pam_practice, and at the next start it is reported (log,
#     audit, status, user show) and served to nobody until the name is free;
#   - the module answers PAM_USER_UNKNOWN for local accounts in every phase
#     without contacting staffd: local users sign in and change passwords
#     through the example stacks and the pam-auth-update profile while
#     staffd is frozen, stopped, gone or lying, while staff get "service
#     unavailable" and never reach pam_unix.
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root (useradd, groupadd, chpasswd)"
for cmd in useradd userdel groupadd groupdel chpasswd setpriv perl jq; do
	command -v "$cmd" >/dev/null || skip_all "$cmd is not installed"
done

# A uid range nobody uses, for the daemon that serves staff to NSS (part 5).
FIRST_UID=
for u in $(seq 47000 47900); do
	getent passwd "$u" >/dev/null || getent group "$u" >/dev/null || { FIRST_UID=$u; break; }
done
[ -n "$FIRST_UID" ] || skip_all "no free uid range"

. "$(dirname "$0")/../pam/common.sh"
# The main daemon's userdb socket is private (NSS does not see it): part 3
# asks it directly.
USERDB_SOCKET=$T/io.practice.staff-test
EXTRA_DAEMON_CONFIG="uid_min = $FIRST_UID
uid_max = $((FIRST_UID + 50))"
write_config

LU=pplu$$		# a local user
LG=pplg$$		# a local group, no user
CU=ppcu$$		# a staff account first, then a local user too
LPW='Local-Acc0unt!pw'
LPW2='Zq9-Vortex#Mild'
NSS_SERVICE=io.practice.staff-sec-$$
NSS_SOCKET=/run/systemd/userdb/$NSS_SERVICE
userdb_dir_existed=no
[ -d /run/systemd/userdb ] && userdb_dir_existed=yes

# sysadm CMD...: a shadow tool (useradd, chpasswd, ...), tried again while
# another program holds the lock on /etc/passwd or /etc/group.
sysadm() {
	local i
	for i in $(seq 1 20); do
		"$@" 2> "$T/sysadm.err" && return 0
		grep -qi lock "$T/sysadm.err" || break
		sleep 0.25
	done
	sed 's/^/# /' "$T/sysadm.err" >&2
	return 1
}

local_cleanup() {
	local u
	# A frozen daemon would not hear the TERM that cleanup sends.
	[ -n "$STAFFD_PID" ] && kill -CONT "$STAFFD_PID" 2>/dev/null
	for u in $LU $CU; do getent passwd "$u" >/dev/null && sysadm userdel "$u"; done
	for u in $LU $LG $CU; do getent group "$u" >/dev/null && sysadm groupdel "$u"; done
	cleanup
	rm -f "$NSS_SOCKET"
	[ "$userdb_dir_existed" = no ] && rmdir /run/systemd/userdb 2>/dev/null
	return 0
}
trap local_cleanup EXIT INT TERM

start_daemon || exit 1
setup_practice || exit 1
add_active jdoe >/dev/null

sysadm useradd -M -s /usr/sbin/nologin "$LU" || exit 1
sysadm sh -c "echo '$LU:$LPW' | chpasswd" || exit 1
sysadm groupadd "$LG" || exit 1

# audit_count USER: how many audit records name USER.
audit_count() { vcall --more io.practice.Staff.AuditList "{\"user\":\"$1\"}" | jq -s 'map(select(.parameters.record)) | length'; }
# elapsed_ms CMD...: runs CMD (output to $T/out), prints the milliseconds it took.
elapsed_ms() {
	local t0 t1
	t0=$(now_ms)
	"$@" > "$T/out" 2>&1
	t1=$(now_ms)
	echo $((t1 - t0))
}

# ---- 1. names the machine has or reserves are refused at add ----
for name in root nobody sshd "$LU" "$LG" practice-admins practice-nurse staffd staffd-link _chrony systemd-oom; do
	check_rejected 1 "username: '$name' is (a local account of this machine|a local group of this machine|a system account|reserved)" \
		"staffctl user add $name is refused, naming what the name is" \
		add_staff "$name" Nurse
	check_eq '"io.practice.Staff.NoSuchUser"' "$(vcall io.practice.Staff.UserShow "{\"username\":\"$name\"}" | jq .error)" \
		"no staff account $name was written"
done
check_grep "^staffctl: username: 'root' is a local account of this machine; staff accounts cannot shadow it$" \
	"the sentence for root" add_staff root Nurse
check_grep "'$LG' is a local group of this machine; staff accounts cannot shadow it" \
	"the sentence for a local group" add_staff "$LG" Nurse
check_grep "'practice-admins' is reserved for the groups staffd serves" \
	"the sentence for a group staffd serves" add_staff practice-admins Nurse
out=$(vcall io.practice.Staff.UserAdd "{\"user\":{\"username\":\"nobody\",\"email\":\"n@riverside.example\",\"first_name\":\"N\",\"last_name\":\"B\",\"role\":\"Nurse\"}}")
check_eq "io.practice.Staff.Conflict username" "$(jget "$out" '"\(.error) \(.parameters.field)"')" \
	"over Varlink it is a Conflict on the field username"

# The first administrator cannot be root either: a second daemon, not set up yet.
conf2=$(derive_config "$T/second") || exit 1
start_extra_daemon "$conf2" || exit 1
out=$("$VCALL" --socket "$T/second/staffd.sock" io.practice.Staff.Init \
	'{"practice":"Other","admin":{"username":"root","email":"r@riverside.example","first_name":"R","last_name":"Oot"}}')
check_eq "io.practice.Staff.Conflict" "$(jget "$out" .error)" "init with root as the first administrator is refused"
check_eq false "$("$VCALL" --socket "$T/second/staffd.sock" io.practice.Staff.GetStatus | jq .parameters.status.initialized)" \
	"and nothing was set up"
check_extra_daemon_stops "$conf2"

# ---- 2. a staff account whose name became a local account ----
# service_example NAME EXAMPLE ARGUMENT...: an example stack of conf/pam.d
# with the module under test and these arguments. The delays after a
# failure (pam_faildelay, pam_unix's own) are the program's business and
# only slow the test down.
service_example() {
	local name=$1 ex=$2
	shift 2
	sed -e '/pam_faildelay/d' -e 's|pam_unix\.so|pam_unix.so nodelay|' -e "s|pam_practice\.so|$PAM_MODULE $*|" \
		"$TOPDIR/conf/pam.d/$ex" > "$PAMD/$name"
}
service_example login login "socket=$SOCK timeout=1500"
service_example screensaver screensaver "socket=$SOCK"

add_active "$CU" >/dev/null
check_eq active "$(field "$CU" status)" "staff account $CU is active with its staff password"
sysadm useradd -M -s /usr/sbin/nologin "$CU" || exit 1
sysadm sh -c "echo '$CU:$LPW' | chpasswd" || exit 1
before=$(audit_count "$CU")

out=$(answers "$PW" | drive login "$CU" auth acct)
expect "the staff password does not sign in the local account $CU" "$out" "auth=PAM_AUTH_ERR"
out=$(answers "$LPW" | drive login "$CU" auth acct)
expect_exact "the local password does, through pam_unix" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
for i in 1 2 3 4 5; do answers "Wrong-Guess-$i" | drive login "$CU" auth > /dev/null; done
out=$(answers "$LPW" | drive login "$CU" auth acct)
expect_exact "five wrong passwords lock nothing: the local password still works" "$out" \
	"$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
check_eq "0 false" "$(field "$CU" failed_logins) $(field "$CU" locked)" "the staff account counted none of it"
check_eq "$before" "$(audit_count "$CU")" "staffd was never asked about $CU"

# The next start finds the clash, reports it and disables the account.
stop_daemon
start_daemon || exit 1
check_grep "staff account $CU is disabled: '$CU' is a local account of this machine; staff accounts cannot shadow it" \
	"the start logs the clash" cat "$T/staffd.log"
rec=$(vcall --more io.practice.Staff.AuditList "{\"user\":\"$CU\",\"limit\":1}" | jq -c '.parameters.record')
check_eq "staffd user.local-clash disabled" "$(jget "$rec" '"\(.actor) \(.action) \(.result)"')" "and audits it as staffd"
check_grep "^Disabled staff: +$CU: '$CU' is a local account of this machine" "staffctl status says which and why" ctl status
check_grep "^Disabled: +'$CU' is a local account of this machine; staff accounts cannot shadow it" \
	"staffctl user show says why" ctl user show "$CU"
check_eq "'$CU' is a local account of this machine; staff accounts cannot shadow it" "$(field "$CU" local_clash)" \
	"the record carries the reason"
check_eq '[]' "$(as_uid 65534 "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus | jq -c .parameters.status.local_clashes)" \
	"only administrators see the list"
uid=$(field "$CU" uid)

# ---- 3. a disabled account is served to nobody ----
auth_json=$(jq -nc --arg u "$CU" --arg s "$PW" '{username:$u,secret:$s}')
check_eq io.practice.Staff.NoSuchUser "$(vcall io.practice.Staff.Authenticate "$auth_json" | jq -r .error)" \
	"Authenticate with its staff password: unknown user"
check_eq io.practice.Staff.NoSuchUser "$(vcall io.practice.Staff.CheckAccount "{\"username\":\"$CU\"}" | jq -r .error)" \
	"CheckAccount: unknown user"
check_eq io.practice.Staff.NoSuchUser "$(vcall io.practice.Staff.ChangePassword \
	"$(jq -nc --arg u "$CU" --arg o "$PW" --arg n "$PW2" '{username:$u,old_password:$o,new_password:$n}')" | jq -r .error)" \
	"ChangePassword: unknown user"
check_eq io.practice.Staff.NoSuchUser "$(vcall io.practice.Staff.ForgotPassword "{\"username\":\"$CU\"}" | jq -r .error)" \
	"ForgotPassword: unknown user"
udb() { "$VCALL" --socket "$USERDB_SOCKET" --more "$@"; }
svc=${USERDB_SOCKET##*/}
check_eq io.systemd.UserDatabase.NoRecordFound \
	"$(udb io.systemd.UserDatabase.GetUserRecord "{\"userName\":\"$CU\",\"service\":\"$svc\"}" | jq -r .error)" \
	"no user record by name"
check_eq io.systemd.UserDatabase.NoRecordFound \
	"$(udb io.systemd.UserDatabase.GetUserRecord "{\"uid\":$uid,\"service\":\"$svc\"}" | jq -r .error)" \
	"nor by uid"
check_eq io.systemd.UserDatabase.NoRecordFound \
	"$(udb io.systemd.UserDatabase.GetGroupRecord "{\"groupName\":\"$CU\",\"service\":\"$svc\"}" | jq -r .error)" \
	"no own group"
check_eq 0 "$(udb io.systemd.UserDatabase.GetUserRecord "{\"service\":\"$svc\"}" | jq -r .parameters.record.userName | grep -cx "$CU")" \
	"not in the enumeration"
check_eq 0 "$(udb io.systemd.UserDatabase.GetMemberships "{\"service\":\"$svc\"}" | jq -r .parameters.userName | grep -cx "$CU")" \
	"member of no group"
check_eq 1 "$(udb io.systemd.UserDatabase.GetUserRecord "{\"service\":\"$svc\"}" | jq -r .parameters.record.userName | grep -cx jdoe)" \
	"other staff are served as before"
check_grep '"caller":"uid:'"$uid"'"' "its uid is mapped to no staff account" \
	as_uid "$uid" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus

n=$(audit_count "$CU")
stop_daemon
start_daemon || exit 1
check_eq "$n" "$(audit_count "$CU")" "a restart with the same clash audits nothing new"
check_eq 2 "$(grep -c "staff account $CU is disabled" "$T/staffd.log")" "but logs it again"

# The name is free again: served again at the next start.
sysadm userdel "$CU"
getent group "$CU" >/dev/null && sysadm groupdel "$CU"
stop_daemon
start_daemon || exit 1
rec=$(vcall --more io.practice.Staff.AuditList "{\"user\":\"$CU\",\"limit\":1}" | jq -c '.parameters.record')
check_eq "staffd user.local-clash served again" "$(jget "$rec" '"\(.actor) \(.action) \(.result)"')" \
	"once the local account is gone, the start audits the account as served again"
check_eq null "$(field "$CU" local_clash)" "and the mark is gone"
check_eq '[]' "$(vcall io.practice.Staff.GetStatus | jq -c .parameters.status.local_clashes)" "status lists nothing"
out=$(answers "$PW" | drive login "$CU" auth acct)
expect_exact "the staff member signs in again with the staff password" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# A local account made while staffd runs: a reload is enough.
# wait_clash VALUE: until the record's local_clash is VALUE (bounded).
wait_clash() { for _ in $(seq 1 100); do [ "$(field "$CU" local_clash)" = "$1" ] && return 0; sleep 0.05; done; return 1; }
sysadm useradd -M -s /usr/sbin/nologin "$CU" || exit 1
kill -HUP "$STAFFD_PID"
wait_clash "'$CU' is a local account of this machine; staff accounts cannot shadow it"
check_eq io.practice.Staff.NoSuchUser "$(vcall io.practice.Staff.Authenticate "$auth_json" | jq -r .error)" \
	"a reload disables an account whose name was taken since the start"
sysadm userdel "$CU"
getent group "$CU" >/dev/null && sysadm groupdel "$CU"
kill -HUP "$STAFFD_PID"
wait_clash null
check_eq null "$(vcall io.practice.Staff.Authenticate "$auth_json" | jq -r .error)" "and the next one serves it again"

# ---- 4. local accounts never ask staffd, in any phase ----
service direct "socket=$SOCK"
service direct_pin "socket=$SOCK" pin
before=$(audit_count "$LU")
for user in "$LU" root; do
	out=$(drive direct "$user" auth acct chauthtok < /dev/null)
	expect_exact "the module alone: $user is unknown at once, nothing asked" "$out" "auth=PAM_USER_UNKNOWN"
	out=$(drive direct "$user" acct < /dev/null)
	expect_exact "account phase: $user unknown" "$out" "acct=PAM_USER_UNKNOWN"
	out=$(drive direct "$user" chauthtok < /dev/null)
	expect_exact "password change: $user unknown" "$out" "chauthtok=PAM_USER_UNKNOWN"
	out=$(drive direct_pin "$user" auth < /dev/null)
	expect_exact "PIN mode: $user unknown" "$out" "auth=PAM_USER_UNKNOWN"
done
out=$(answers "$LPW" | drive login "$LU" auth acct)
expect_exact "login example: the local user signs in through pam_unix" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
check_eq "$before" "$(audit_count "$LU")" "and staffd heard nothing of it"

# Frozen: the local user is not kept waiting for the module's timeout.
kill -STOP "$STAFFD_PID"
ms=$(elapsed_ms sh -c "printf '%s\n' '$LPW' | '$PAM_DRIVER' --confdir '$PAMD' --service login --user '$LU' auth acct")
expect_exact "staffd frozen: the local user signs in" "$(cat "$T/out")" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
if [ "$ms" -lt 1500 ]; then pass "within the module's timeout (${ms} ms < 1500 ms)"; else fail "within the module's timeout" "${ms} ms"; fi
out=$(answers "$LPW" | drive screensaver "$LU" auth)
expect_exact "staffd frozen: the screen locker takes the local password, no PIN asked" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
out=$(answers "$LPW2" "$LPW2" | drive login "$LU" chauthtok)
expect "staffd frozen: root changes the local password" "$out" "chauthtok=PAM_SUCCESS"
out=$(answers "$LPW2" "$LPW" "$LPW" | setpriv --ruid="$(id -u "$LU")" -- \
	"$PAM_DRIVER" --confdir "$PAMD" --service login --user "$LU" chauthtok 2>&1)
expect "staffd frozen: the local user changes its own password" "$out" "chauthtok=PAM_SUCCESS"
ms=$(elapsed_ms sh -c "printf '%s\n' '$PW' | '$PAM_DRIVER' --confdir '$PAMD' --service login --user jdoe auth")
expect_exact "staffd frozen: a staff member gets 'unavailable', not pam_unix" "$(cat "$T/out")" \
	"$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
kill -CONT "$STAFFD_PID"

# Stopped, and no socket at all.
stop_daemon
service_example gone login "socket=$T/no-such.sock"
for svc_name in login gone; do
	out=$(answers "$LPW" | drive "$svc_name" "$LU" auth acct)
	expect_exact "staffd stopped ($svc_name): the local user signs in" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
	out=$(answers "$PW" | drive "$svc_name" jdoe auth)
	expect_exact "staffd stopped ($svc_name): staff are told the service is unavailable" "$out" \
		"$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
	out=$(drive "$svc_name" jdoe acct < /dev/null)
	expect_exact "staffd stopped ($svc_name): and refused in the account phase" "$out" \
		"ERROR: $MSG_UNAVAILABLE" "acct=PAM_AUTHINFO_UNAVAIL"
done

# Lying: a stand-in owned by root that accepts every password.
cat > "$T/liar.pl" <<'EOF'
use strict;
use warnings;
use IO::Handle;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
my ($path, $record) = @ARGV;
unlink $path;
my $srv = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 16) or die "listen $path: $!";
open(my $log, '>>', $record) or die "open $record: $!";
$log->autoflush(1);
while (my $c = $srv->accept) {
	print $log "connection\n";
	my $got = '';
	while (index($got, "\0") < 0) {
		my $n = sysread($c, my $chunk, 65536);
		last if !$n;
		$got .= $chunk;
	}
	syswrite($c, "{\"parameters\":{\"result\":\"ok\",\"must_change_password\":false,\"status\":\"active\"}}\0");
	close $c;
}
EOF
: > "$T/liar.received"
perl "$T/liar.pl" "$T/liar.sock" "$T/liar.received" &
EXTRA_PIDS="$EXTRA_PIDS $!"
for _ in $(seq 1 100); do [ -S "$T/liar.sock" ] && break; sleep 0.05; done
service_example liar login "socket=$T/liar.sock"
out=$(answers "$PW" | drive liar jdoe auth)
expect_exact "the stand-in does accept any password for staff" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
: > "$T/liar.received"
for user in "$LU" root; do
	out=$(answers "Wrong-Guess-1" | drive liar "$user" auth acct)
	expect_exact "a lying staffd cannot sign $user in with a wrong password" "$out" "$P_PASSWORD" "auth=PAM_AUTH_ERR"
done
out=$(answers "$LPW" | drive liar "$LU" auth acct)
expect_exact "the right local password still works" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
check_eq "" "$(cat "$T/liar.received")" "the module never connected to it for a local account"

# ---- 5. the pam-auth-update profile ----
# The stacks pam-auth-update writes with the profile enabled, made by the
# real pam-auth-update in a private mount namespace over copies of the
# machine's files: nothing of the machine's own is changed.
compose=$T/compose
mkdir -p "$compose/pam.d" "$compose/configs" "$compose/state"
cp -a /etc/pam.d/. "$compose/pam.d/"
cp -a /usr/share/pam-configs/. "$compose/configs/"
cp "$TOPDIR/debian/pam-configs/practice" "$compose/configs/practice"
cp -a /var/lib/pam/. "$compose/state/" 2>/dev/null
if ! command -v pam-auth-update >/dev/null || ! unshare -m sh -c "
	mount --bind '$compose/pam.d' /etc/pam.d && mount --bind '$compose/configs' /usr/share/pam-configs &&
	mount --bind '$compose/state' /var/lib/pam &&
	DEBIAN_FRONTEND=noninteractive pam-auth-update --package --enable practice" > "$T/compose.log" 2>&1; then
	echo "# SKIP the profile: pam-auth-update in a private mount namespace failed" >&2
	sed 's/^/# /' "$T/compose.log" >&2
	pam_done_testing
fi
check_eq 3 "$(grep -c 'pam_practice\.so' "$compose/pam.d/common-auth" "$compose/pam.d/common-account" \
	"$compose/pam.d/common-password" | awk -F: '{n += $2} END {print n}')" "pam-auth-update put the module in auth, account and password"
# profile NAME SOCKET: the composed auth, account and password stacks as one
# service (@include would read the machine's own files), on SOCKET.
profile() {
	cat "$compose/pam.d/common-auth" "$compose/pam.d/common-account" "$compose/pam.d/common-password" |
		sed "s|pam_practice\.so|$PAM_MODULE socket=$2|" > "$PAMD/$1"
}
profile prof_down "$T/no-such.sock"
out=$(answers "$LPW" | drive prof_down "$LU" auth acct)
expect_exact "profile, staffd down: the local user signs in" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
out=$(answers "$LPW2" "$LPW2" | drive prof_down "$LU" chauthtok)
expect_exact "profile, staffd down: root sets the local user's password, as chpasswd does" "$out" \
	"$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
out=$(answers "$LPW2" "$LPW" "$LPW" | setpriv --ruid="$(id -u "$LU")" -- \
	"$PAM_DRIVER" --confdir "$PAMD" --service prof_down --user "$LU" chauthtok 2>&1)
expect "profile, staffd down: the local user changes its own password, as passwd does" "$out" \
	"$P_CURRENT" "$P_NEW" "$P_RETYPE" "chauthtok=PAM_SUCCESS"
out=$(answers "$LPW" | drive prof_down "$LU" auth)
expect_exact "and signs in with it" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
out=$(answers "$PW" | drive prof_down jdoe auth)
expect "profile, staffd down: a staff member is told the service is unavailable" "$out" \
	"ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"

# chpasswd and passwd themselves, with the composed stacks in place of the
# machine's (a private mount namespace again), staffd down.
if [ "${SAN:-}" = 1 ]; then
	echo "# SKIP chpasswd and passwd: they are not built with the sanitizer runtime" >&2
else
	mkdir -p "$compose/run"
	cp -a "$compose/pam.d/." "$compose/run/"
	sed -i "s|pam_practice\.so|$PAM_MODULE socket=$T/no-such.sock|" "$compose/run/common-auth" \
		"$compose/run/common-account" "$compose/run/common-password"
	# in_composed CMD: CMD run by sh with the composed stacks as /etc/pam.d.
	in_composed() { unshare -m sh -c "mount --bind '$compose/run' /etc/pam.d && $1" 2>&1; }
	out=$(in_composed "echo '$LU:$LPW2' | chpasswd")
	rc=$?
	check_eq "0 []" "$rc [$out]" "chpasswd of a local user works while staffd is down, without a word"
	out=$(in_composed "printf '%s\n' '$LPW' '$LPW' | passwd '$LU'")
	check_grep "password updated successfully" "passwd of a local user too" printf '%s' "$out"
	out=$(in_composed "usermod -c 'Local account' '$LU'")
	rc=$?
	check_eq "0 []" "$rc [$out]" "usermod of a local user too"
	out=$(answers "$LPW" | drive prof_down "$LU" auth)
	expect_exact "and the local user signs in with the password passwd set" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS"
fi

# Staff who are OS users (served to NSS on the system userdb socket): the
# account phase of the profile refuses them when staffd cannot answer it;
# pam_unix, which has no record of them, must not let them in.
# nss-systemd, which pam_unix calls into the driver, keeps strings it never
# frees; the leak checker must not take them for the module's.
printf 'leak:libnss_systemd.so\n' > "$T/lsan.supp"
export LSAN_OPTIONS="${LSAN_OPTIONS:+$LSAN_OPTIONS:}suppressions=$T/lsan.supp:print_suppressions=0"
conf3=$(derive_config "$T/nss" userdb_socket "$NSS_SOCKET") || exit 1
start_extra_daemon "$conf3" || exit 1
NSOCK=$T/nss/staffd.sock
SU=pps$$
# Names of this test's own, since every program on the machine sees them now.
"$VCALL" --socket "$NSOCK" io.practice.Staff.Init "{\"practice\":\"Riverside Family Clinic\",\"codeword\":\"$CODEWORD\",
	\"admin\":{\"username\":\"ppa$$\",\"email\":\"ppa@riverside.example\",\"first_name\":\"A\",\"last_name\":\"Admin\"}}" >/dev/null
"$VCALL" --socket "$NSOCK" io.practice.Staff.LocationAdd '{"name":"Main"}' >/dev/null
(SOCK=$NSOCK; add_active "$SU" >/dev/null)
if getent passwd "$SU" >/dev/null; then
	profile prof_nss "$NSOCK"
	profile prof_nss_down "$T/no-such.sock"
	out=$(answers "$PW" | drive prof_nss "$SU" auth acct)
	expect_exact "profile: a staff member who is an OS user signs in" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
	out=$(drive prof_nss_down "$SU" acct < /dev/null)
	expect_exact "profile, staffd unreachable: the account phase refuses staff, pam_unix does not let them in" "$out" \
		"ERROR: $MSG_UNAVAILABLE" "acct=PAM_AUTHINFO_UNAVAIL"
	"$VCALL" --socket "$NSOCK" io.practice.Staff.UserDeactivate "{\"username\":\"$SU\"}" >/dev/null
	# pam_unix comes first and refuses the locked record staffd serves for it, in its own words.
	out=$(drive prof_nss "$SU" acct < /dev/null)
	expect_none "profile: a deactivated staff member is refused in the account phase" "$out" "^acct=PAM_SUCCESS$"
	out=$(answers "$LPW" | drive prof_nss "$LU" auth acct)
	expect_exact "profile, staffd up: the local user signs in" "$out" "$P_PASSWORD" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"
else
	echo "# SKIP staff as OS users: nss-systemd does not resolve $SU (is systemd on the passwd: line?)" >&2
fi
check_extra_daemon_stops "$conf3"

pam_done_testing
