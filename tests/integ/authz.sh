#!/bin/bash
# Who may do what (docs/decisions.md): staffctl run as root, as the uid of an
# administrator, of an administrator by permission, of staff members without
# it, and of an unrelated uid; administrators who are pending, locked or
# deactivated are not administrators.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }

PW='Blue-Canoe-Rivet-58'
STRANGER=54321
DENIED='[Pp]ermission denied'
declare -A UIDS
uid_of() {
	case $1 in
		[0-9]*) echo "$1" ;;
		*) [ -n "${UIDS[$1]:-}" ] || UIDS[$1]=$(user_field "$1" uid); echo "${UIDS[$1]}" ;;
	esac
}
# as WHO STAFFCTL-ARGS...: staffctl under the uid of WHO (a username or a uid).
as() {
	local uid
	uid=$(uid_of "$1")
	shift
	as_uid "$uid" "$STAFFCTL" "$@"
}
# as_in WHO INPUT STAFFCTL-ARGS...: the same with INPUT on standard input.
as_in() {
	local uid input=$2
	uid=$(uid_of "$1")
	shift 2
	printf '%s\n' "$input" | as_uid "$uid" "$STAFFCTL" "$@"
}
# vas WHO METHOD [PARAMS]: vcall under the uid of WHO.
vas() {
	local uid
	uid=$(uid_of "$1")
	shift
	as_uid "$uid" "$VCALL" --socket "$SOCK" "$@"
}
# A directory a uid can write a backup to.
home_of() {
	local uid=$1
	mkdir -p "$T/home/$uid"
	chown "$uid:$uid" "$T/home/$uid"
	chmod 700 "$T/home/$uid"
	echo "$T/home/$uid"
}
mkdir -p "$T/home"
chmod 755 "$T/home"

check "staff: nina (Nurse, may update her email)" add_staff nina Nurse --location Main --email-updates
check "staff: sam (Staff)" add_staff sam Staff
check "staff: omar (Office Administrator, no admin flag)" add_staff omar "Office Administrator"
check "staff: adele (Staff with the admin flag)" add_staff adele Staff --admin
check "staff: lena (Staff with the admin flag)" add_staff lena Staff --admin

# ---- a pending administrator is not one yet ----
check_rejected 1 "$DENIED" "a pending administrator may not list staff" as amy user list
check_grep '"caller_is_admin":false' "status says the pending administrator may not administer" \
	vas amy io.practice.Staff.GetStatus
for u in amy nina sam omar adele lena; do
	activate "$u" "$PW" || fail "activate $u"
	UIDS[$u]=$(user_field "$u" uid)
done

# ---- root ----
check_eq '["root",true]' "$(ctl --json status | jq -c '.status|[.caller,.caller_is_admin]')" "root may administer"
check_rejected 1 "[Aa]lready" "init a second time is refused, even for root" ctl init --practice X --admin x \
	--email x@x.example --first X --last X

# ---- an administrator by the admin flag ----
check_eq '["amy",true]' "$(as amy --json status | jq -c '.status|[.caller,.caller_is_admin]')" \
	"the daemon maps amy's uid to amy, an administrator"
check "amy lists staff" as amy user list
check "amy adds staff" as amy user add tom --email tom@riverside.example --first Tom --last Tester --role Staff
check_eq amy "$(ctl --json audit --user tom | jq -r '.[0].actor')" "the audit names amy as the actor"
check "amy edits another user" as amy user edit tom --capacity 2
check "amy shows another user" as amy user show nina
check "amy resends an invitation" as amy user resend-invite tom
check "amy deactivates another user" as amy user deactivate tom
check "amy reactivates" as amy user reactivate tom
check "amy cancels an invitation" as amy user cancel-invite tom
check "amy issues a reset code" as amy user reset-password sam
check "amy sets another user's PIN" as_in amy 1357 user set-pin sam
check "amy shows the code word" as amy codeword show
check "amy rotates the code word" as amy codeword rotate --set "maple harbor"
check "amy adds a location" as amy location add North
check "amy renames it" as amy location rename North "North Side"
check "amy removes it" as amy location remove "North Side"
check "amy adds a role" as amy role add Scribe --perm clinical.charts
check "amy grants" as amy role grant Scribe clinical.notes
check "amy revokes" as amy role revoke Scribe clinical.notes
check "amy removes the role" as amy role remove Scribe
check "amy reads the audit trail" as amy audit --user nina
check "amy verifies it" as amy audit verify
dir=$(home_of "$(uid_of amy)")
check "amy backs the database up" as amy backup "$dir/staff.mdb"
check_eq yes "$([ -s "$dir/staff.mdb" ] && echo yes)" "the backup is written"
check_rejected 1 "$DENIED|[Aa]lready" "amy may not init" as amy init --practice X --admin x \
	--email x@x.example --first X --last X
check_rejected 1 'themsel|own account|yourself' "an administrator cannot deactivate themselves" as amy user deactivate amy
check_grep 'PermissionDenied' "an administrator's uid may not test other people's passwords" \
	vas amy io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$PW\"}"
check_grep 'PermissionDenied' "nor change other people's passwords" \
	vas amy io.practice.Staff.ChangePassword "{\"username\":\"nina\",\"old_password\":\"$PW\",\"new_password\":\"Green-Kettle-Harbor-94\"}"

# ---- an administrator by permission ----
check_eq '["omar",true]' "$(as omar --json status | jq -c '.status|[.caller,.caller_is_admin]')" \
	"admin.accounts makes omar an administrator"
check "omar lists staff" as omar user list
check "omar edits another user" as omar user edit sam --capacity 3

# ---- staff members who are not administrators ----
check_eq '["nina",false]' "$(as nina --json status | jq -c '.status|[.caller,.caller_is_admin]')" \
	"nina is known but not an administrator"
check "nina reads the policy" as nina policy show
check "nina checks a password against it" as_in nina 'Purple-Otter-Window-31' policy check
check "nina lists the locations" as nina location list
check "nina lists the roles" as nina role list
check "nina shows a role" as nina role show Nurse
check "nina shows her own account" as nina user show nina
check "nina changes her own email (email_updates is set)" as nina user edit nina --email nina.n@riverside.example
check_eq nina.n@riverside.example "$(user_field nina email)" "the new email is stored"
check "nina sets her own PIN" as_in nina 2468 user set-pin nina
check_eq true "$(user_field nina has_pin)" "her PIN is set"
check "nina signs herself in" vas nina io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$PW\"}"
check "nina changes her own password" vas nina io.practice.Staff.ChangePassword \
	"{\"username\":\"nina\",\"old_password\":\"$PW\",\"new_password\":\"Green-Kettle-Harbor-94\"}"
check "nina may ask for a forgotten-password mail" as nina forgot-password sam
for who in nina sam $STRANGER; do
	check_rejected 1 "$DENIED" "$who may not list staff" as "$who" user list
	check_rejected 1 "$DENIED" "$who may not show someone else" as "$who" user show amy
	check_rejected 1 "$DENIED" "$who may not add staff" as "$who" user add eve --email eve@riverside.example \
		--first Eve --last Tester --role Owner --admin
	check_rejected 1 "$DENIED" "$who may not edit someone else" as "$who" user edit amy --email mine@riverside.example
	check_rejected 1 "$DENIED" "$who may not make someone an administrator" as "$who" user edit tom --admin
	check_rejected 1 "$DENIED" "$who may not deactivate" as "$who" user deactivate adele
	check_rejected 1 "$DENIED" "$who may not reactivate" as "$who" user reactivate tom
	check_rejected 1 "$DENIED" "$who may not unlock" as "$who" user unlock adele
	check_rejected 1 "$DENIED" "$who may not issue reset codes" as "$who" user reset-password adele --show-code
	check_rejected 1 "$DENIED" "$who may not resend invitations" as "$who" user resend-invite tom --show-code
	check_rejected 1 "$DENIED" "$who may not cancel invitations" as "$who" user cancel-invite tom
	check_rejected 1 "$DENIED" "$who may not set someone else's PIN" as_in "$who" 1111 user set-pin adele
	check_rejected 1 "$DENIED" "$who may not show the code word" as "$who" codeword show
	check_rejected 1 "$DENIED" "$who may not rotate the code word" as "$who" codeword rotate --set "their own words"
	check_rejected 1 "$DENIED" "$who may not read the audit trail" as "$who" audit
	check_rejected 1 "$DENIED" "$who may not read their own audit records either" as "$who" audit --user nina
	check_rejected 1 "$DENIED" "$who may not verify the audit trail" as "$who" audit verify
	check_rejected 1 "$DENIED" "$who may not add locations" as "$who" location add Elsewhere
	check_rejected 1 "$DENIED" "$who may not rename locations" as "$who" location rename Main Other
	check_rejected 1 "$DENIED" "$who may not remove locations" as "$who" location remove Main
	check_rejected 1 "$DENIED" "$who may not add roles" as "$who" role add Mine --perm admin.accounts
	check_rejected 1 "$DENIED" "$who may not grant permissions" as "$who" role grant Owner admin.accounts
	check_rejected 1 "$DENIED" "$who may not revoke permissions" as "$who" role revoke Owner admin.accounts
	check_rejected 1 "$DENIED" "$who may not remove roles" as "$who" role remove Staff
	check_rejected 1 "$DENIED|[Aa]lready" "$who may not init" as "$who" init --practice X --admin x \
		--email x@x.example --first X --last X
	dir=$(home_of "$(uid_of "$who")")
	check_rejected 1 "$DENIED" "$who may not back up" as "$who" backup "$dir/steal.mdb"
	check_eq no "$([ -e "$dir/steal.mdb" ] && echo yes || echo no)" "a refused backup leaves no file behind"
	check_grep PermissionDenied "$who may not sign in as someone else" \
		vas "$who" io.practice.Staff.Authenticate "{\"username\":\"amy\",\"secret\":\"$PW\"}"
	check "$who may read the status" as "$who" status
	check "$who may read the policy" as "$who" policy show
	check "$who may list locations" as "$who" location list
	check "$who may list roles" as "$who" role list
done
check_rejected 1 "$DENIED|email" "sam may not change his own email (email_updates is not set)" \
	as sam user edit sam --email sam.new@riverside.example
check_rejected 1 "$DENIED" "nina may change only her email, not her capacity" as nina user edit nina --capacity 5
check_rejected 1 "$DENIED" "nor her own role" as nina user edit nina --role Owner
check_rejected 1 "$DENIED" "nor make herself an administrator" as nina user edit nina --admin
check_eq '["uid:54321",false]' "$(as $STRANGER --json status | jq -c '.status|[.caller,.caller_is_admin]')" \
	"an unrelated uid is known only by its number"
check_rejected 1 "$DENIED" "an unrelated uid may not set a PIN" as_in $STRANGER 1111 user set-pin nina
check "an unrelated uid may ask for a forgotten-password mail" as $STRANGER forgot-password adele
check_grep 'uid:54321' "which is audited with its uid" sh -c "$STAFFCTL --json audit --user adele | jq -r '.[].actor'"

# ---- administrators who lose their rights ----
check "adele administers while active" as adele user list
check "root deactivates adele" ctl user deactivate adele
check_rejected 1 "$DENIED" "a deactivated administrator may not administer" as adele user list
check_rejected 1 "$DENIED" "nor show the code word" as adele codeword show
check "root reactivates adele" ctl user reactivate adele
check "adele administers again" as adele user list
check "lena administers while unlocked" as lena user list
wrong_logins lena 5
check_eq true "$(user_field lena locked)" "five wrong passwords lock lena"
check_rejected 1 "$DENIED" "a locked administrator may not administer" as lena user list
check "root unlocks lena" ctl user unlock lena
check "lena administers again" as lena user list
check "root takes the admin flag from lena" ctl user edit lena --no-admin
check_rejected 1 "$DENIED" "without the flag lena may not administer" as lena user list
check "omar's role loses admin.accounts" sh -c "$STAFFCTL role add Clerk --copy-of 'Office Administrator' && $STAFFCTL role revoke Clerk admin.accounts && $STAFFCTL user edit omar --role Clerk"
check_rejected 1 "$DENIED" "without admin.accounts omar may not administer" as omar user list

check_grep '[Dd]enied|refus' "refusals are logged by the daemon" cat "$T/staffd.log"
check "audit chain intact" ctl audit verify
check_daemon_stops
done_testing
