#!/bin/bash
# Account lifecycle through staffctl: pending, active, inactive; deactivate
# and reactivate keep the user and its history; resend and cancel; reset
# codes; unlock; PINs; the seat limit.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }

PW='Blue-Canoe-Rivet-58'
PW2='Green-Kettle-Harbor-94'
# login USER SECRET [CODEWORD]: the outcome of a sign-in as root: "ok",
# "activate", "reset", or the error's short name.
login() {
	vcall io.practice.Staff.Authenticate \
		"$(jq -nc --arg u "$1" --arg s "$2" --arg c "${3:-}" '{username:$u,secret:$s} + (if $c == "" then {} else {codeword:$c} end)')" |
		jq -r '(.error // .parameters.result) | sub("^io.practice.Staff."; "")'
}
codeword() { vcall io.practice.Staff.CodewordShow | jq -r .parameters.codeword; }
status_of() { user_field "$1" status; }
audit_len() { ctl --json audit --user "$1" | jq length; }

# ---- pending -> active ----
check "add nina" add_staff nina Nurse --location Main
check_eq pending "$(status_of nina)" "a new user is pending"
check_eq null "$(user_field nina activated)" "and not activated"
first_code=$(code_in_mail "$(last_mail_to nina@riverside.example)")
check_eq NotActivated "$(login nina "$PW")" "a pending user cannot sign in with a password"
check "nina activates" activate nina "$PW"
check_eq active "$(status_of nina)" "activation makes the user active"
activated=$(user_field nina activated)
check_eq yes "$([ "$activated" != null ] && [ $(($(date +%s) - activated)) -lt 60 ] && echo yes)" \
	"the activation time is recorded"
check_eq ok "$(login nina "$PW")" "the active user signs in with the chosen password"
check_eq AuthenticationFailed "$(login nina "$first_code" "$(codeword)")" "the used activation code no longer works"
check_eq '[1,1]' "$(vcall io.practice.Staff.GetStatus | jq -c '.parameters.status|[.active,.pending]')" \
	"status counts one active and one pending user"

# ---- deactivate / reactivate ----
before=$(audit_len nina)
trail=$(ctl --json audit --user nina | jq -c 'map(.seq)')
check "deactivate nina" ctl user deactivate nina
check_eq inactive "$(status_of nina)" "a deactivated user is inactive"
check_eq yes "$([ "$(user_field nina deactivated)" != null ] && echo yes)" "the deactivation time is recorded"
check_eq "$((before + 1))" "$(audit_len nina)" "deactivation keeps the history and adds to it"
check_eq nina "$(ctl --json user list --status inactive | jq -r 'map(.username)|join(" ")')" \
	"the inactive user is still listed"
check_eq '["Nina","Nurse","Main"]' "$(ctl --json user show nina | jq -c '.user|[.first_name,.role,.primary_location]')" \
	"the inactive user keeps its record"
check_eq AccountInactive "$(login nina "$PW")" "an inactive user cannot sign in"
check_rejected 1 'inactive|already' "deactivating twice is refused" ctl user deactivate nina
check "reactivate nina" ctl user reactivate nina
check_eq '["active",null]' "$(ctl --json user show nina | jq -c '.user|[.status,.deactivated]')" \
	"reactivation makes the user active again"
check_eq "$trail" "$(ctl --json audit --user nina | jq -c --argjson n "$before" 'map(.seq)[:$n]')" \
	"the records from before are all still there"
check_eq '["user.deactivate","login inactive","user.reactivate"]' \
	"$(ctl --json audit --user nina | jq -c --argjson n "$before" '.[$n:]|map(.action + (if .action == "login" then " " + .result else "" end))')" \
	"the deactivation, the refused sign-in and the reactivation are added"
check_eq ok "$(login nina "$PW")" "with the same password"
check_grep 'user\.deactivate.*user\.reactivate' "the trail names both transitions" \
	sh -c "$STAFFCTL --json audit --user nina | jq -r '.[].action' | tr '\n' ' '"
check_rejected 1 'not deactivated|not inactive|already active' "reactivating an active user is refused" ctl user reactivate nina

# ---- resend and cancel on pending users ----
check "add paul" add_staff paul Staff
code1=$(code_in_mail "$(last_mail_to paul@riverside.example)")
sleep 1	# mail files are named by the second
check "resend-invite on a pending user" ctl user resend-invite paul
code2=$(code_in_mail "$(last_mail_to paul@riverside.example)")
check_eq yes "$([ -n "$code2" ] && [ "$code1" != "$code2" ] && echo yes)" "resend mails a new code"
check_eq pending "$(status_of paul)" "paul is still pending"
check "cancel-invite on a pending user" ctl user cancel-invite paul
check_eq inactive "$(status_of paul)" "a cancelled invitation leaves the user inactive"
check_eq null "$(user_field paul code_expires)" "and without a code"
check_grep '^(AccountInactive|NotActivated|AuthenticationFailed)$' "the cancelled code no longer works" login paul "$code2" "$(codeword)"
check_rejected 1 'pending|invitation' "resend-invite on an inactive user is refused" ctl user resend-invite paul
check_rejected 1 'pending|invitation' "cancel-invite on an inactive user is refused" ctl user cancel-invite paul
check_rejected 1 'pending|invitation' "resend-invite on an active user is refused" ctl user resend-invite nina
check_rejected 1 'pending|invitation' "cancel-invite on an active user is refused" ctl user cancel-invite nina
sleep 1
check "reactivating a user who never activated" ctl user reactivate paul
check_eq pending "$(status_of paul)" "sends a fresh invitation: pending again"
code3=$(code_in_mail "$(last_mail_to paul@riverside.example)")
check_eq yes "$([ -n "$code3" ] && [ "$code3" != "$code2" ] && echo yes)" "with a new code"
check_grep '^(NotActivated|AuthenticationFailed)$' "the cancelled code stays void after the new invitation" \
	login paul "$code2" "$(codeword)"
check_eq activate "$(login paul "$code3" "$(codeword)")" "the new code works"
check "add quinn" add_staff quinn Staff
qcode=$(code_in_mail "$(last_mail_to quinn@riverside.example)")
check "deactivate a pending user" ctl user deactivate quinn
check_eq '["inactive",null]' "$(ctl --json user show quinn | jq -c '.user|[.status,.code_expires]')" \
	"deactivating a pending user cancels the invitation"
check_grep '^(AccountInactive|NotActivated|AuthenticationFailed)$' "and voids its code" login quinn "$qcode" "$(codeword)"

# ---- reset-password ----
check_rejected 1 'resend-invite|not activated' "reset-password on a pending user is refused" ctl user reset-password paul
sleep 1
out=$(ctl user reset-password nina 2>&1)
check_eq 0 "$?" "reset-password issues a reset code"
check_grep 'mailed' "and says it was mailed" printf '%s' "$out"
mail=$(last_mail_to nina@riverside.example)
check_grep '^Reset code: ' "the reset mail carries the code" cat "$mail"
rcode=$(code_in_mail "$mail")
check_eq yes "$([ "$(user_field nina code_expires)" != null ] && echo yes)" "the reset code has an expiry"
exp=$(user_field nina code_expires)
check_eq yes "$(d=$((exp - $(date +%s))); [ "$d" -gt 86000 ] && [ "$d" -le 86400 ] && echo yes)" \
	"a reset code is valid for 24 hours by default"
check_eq ok "$(login nina "$PW")" "the current password still works until the reset is completed"
out=$(ctl user reset-password nina --show-code 2>&1)
shown=$(printf '%s\n' "$out" | sed -n 's/^Reset code for nina: *//p')
check_grep '^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$' "--show-code prints the reset code" printf '%s' "$shown"
check_eq AuthenticationFailed "$(login nina "$rcode" "$(codeword)")" "a new reset code voids the mailed one"
json=$(ctl --json user reset-password nina --show-code)
check_grep '^[0-9A-Z]{4}(-[0-9A-Z]{4}){6}$' "--json carries the code as reset_code" jget "$json" .reset_code
rcode=$(jget "$json" .reset_code)
check_eq CodewordRequired "$(login nina "$rcode")" "a reset code needs the code word"
out=$(vcall io.practice.Staff.Authenticate "$(jq -nc --arg s "$rcode" --arg c "$(codeword)" '{username:"nina",secret:$s,codeword:$c}')")
check_eq reset "$(jget "$out" .parameters.result)" "the reset code and the code word sign in to reset"
check "the new password is set with the grant" vcall io.practice.Staff.ChangePassword \
	"$(jq -nc --arg g "$(jget "$out" .parameters.grant)" --arg p "$PW2" '{username:"nina",grant:$g,new_password:$p}')"
check_eq ok "$(login nina "$PW2")" "the new password works"
check_eq AuthenticationFailed "$(login nina "$PW")" "the old one does not"

# ---- unlock ----
login nina "$PW2" >/dev/null	# the old password tried above counted once
check_eq 0 "$(user_field nina failed_logins)" "a sign-in that succeeds leaves no failure counted"
check_eq AuthenticationFailed "$(login nina "Wrong-Guess-0")" "a wrong password"
check_eq 1 "$(user_field nina failed_logins)" "is counted"
check_eq ok "$(login nina "$PW2")" "then the right one"
check_eq 0 "$(user_field nina failed_logins)" "clears the count"
wrong_logins nina 2
check_eq '[false,2]' "$(ctl --json user show nina | jq -c '.user|[.locked,.failed_logins]')" \
	"wrong passwords are counted"
check "unlock clears the failure count" ctl user unlock nina
check_eq '[false,0]' "$(ctl --json user show nina | jq -c '.user|[.locked,.failed_logins]')" "the count is back to 0"
check_rejected 1 'not locked|nothing' "unlock of a user with nothing to clear is refused" ctl user unlock nina
wrong_logins nina 5
check_eq '[true,5]' "$(ctl --json user show nina | jq -c '.user|[.locked,.failed_logins]')" \
	"the fifth wrong password in a row locks the account"
check_eq yes "$([ "$(user_field nina locked_at)" != null ] && echo yes)" "the time of the lock is recorded"
check_eq Locked "$(login nina "$PW2")" "a locked account refuses even the right password"
check_grep '^Locked: +yes' "user show says locked" ctl user show nina
check_grep '^nina .* yes ' "user list says locked" ctl user list
check "unlock" ctl user unlock nina
check_eq '[false,0,null]' "$(ctl --json user show nina | jq -c '.user|[.locked,.failed_logins,.locked_at]')" \
	"unlock clears the lock flag, the count and the time"
check_eq ok "$(login nina "$PW2")" "the user signs in again"
wrong_logins nina 5
json=$(ctl --json user reset-password nina --show-code)
out=$(vcall io.practice.Staff.Authenticate \
	"$(jq -nc --arg s "$(jget "$json" .reset_code)" --arg c "$(codeword)" '{username:"nina",secret:$s,codeword:$c}')")
check_eq reset "$(jget "$out" .parameters.result)" "a locked user may sign in with a reset code"
check "and complete the reset" vcall io.practice.Staff.ChangePassword \
	"$(jq -nc --arg g "$(jget "$out" .parameters.grant)" '{username:"nina",grant:$g,new_password:"Orange-Tiger-Meadow-73"}')"
check_eq '[false,0]' "$(ctl --json user show nina | jq -c '.user|[.locked,.failed_logins]')" \
	"a completed reset clears the lock"

# ---- set-pin ----
PIN=8642
check_eq false "$(user_field nina has_pin)" "no PIN at first"
check "set-pin reads the PIN from standard input" sh -c "echo $PIN | $STAFFCTL user set-pin nina"
check_eq true "$(user_field nina has_pin)" "has_pin is set"
out=$(ctl --json user show nina)
check_eq 0 "$(printf '%s' "$out" | grep -cw "$PIN")" "the PIN is not in user show"
check_eq 0 "$(strings "$T/state/data.mdb" | grep -cw "$PIN")" "the PIN is not in the database in clear"
check_grep '"pin_hash":"\$argon2id\$' "it is stored as an Argon2id hash" \
	sh -c "mdb_dump -s users -p '$T/state' | grep '\"username\":\"nina\"'"
pin_login() {
	vcall io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$1\",\"pin\":true}" |
		jq -r '(.error // .parameters.result) | sub("^io.practice.Staff."; "")'
}
check_eq ok "$(pin_login "$PIN")" "the PIN unlocks"
check_eq AuthenticationFailed "$(pin_login 1111)" "a wrong PIN does not"
check "set-pin replaces the PIN" sh -c "echo 9753 | $STAFFCTL user set-pin nina"
check_eq AuthenticationFailed "$(pin_login "$PIN")" "the old PIN no longer unlocks"
check_exit 2 "a PIN that is not four digits is a usage error" sh -c "echo 12345 | $STAFFCTL user set-pin nina"
check_rejected 1 'nosuch' "set-pin of an unknown user is refused" sh -c "echo 1234 | $STAFFCTL user set-pin nosuch"

# ---- history survives a restart ----
n=$(audit_len nina)
stop_daemon
start_daemon || exit 1
check_eq "$n" "$(audit_len nina)" "the history is kept across a restart"
check_eq active "$(status_of nina)" "and so is the account"

# ---- seat limit ----
seats=$(vcall io.practice.Staff.GetStatus | jq '.parameters.status | .active + .pending')
stop_daemon
EXTRA_DAEMON_CONFIG="${EXTRA_DAEMON_CONFIG:-}
max_staff = $seats"
write_config
start_daemon || exit 1
check_eq "$seats" "$(ctl --json status | jq .status.max_staff)" "status shows the seat limit ($seats)"
check_rejected 1 "seat limit.*(at most )?$seats|max_staff" "adding past the seat limit is refused with a message saying so" \
	ctl user add rita --email rita@riverside.example --first Rita --last Tester --role Staff
check "deactivating someone frees a seat" ctl user deactivate paul
check "so a user can be added" add_staff rita Staff
check_rejected 1 "seat limit.*(at most )?$seats|max_staff" "reactivating past the seat limit is refused with a message saying so" \
	ctl user reactivate paul
check "inactive users do not count" ctl user cancel-invite rita
check "so paul comes back" ctl user reactivate paul

check "audit chain intact" ctl audit verify
check_daemon_stops
done_testing
