#!/bin/bash
# Invitations: the activation code in the captured mail, its form and
# strength, keyed-hash storage, expiry, single use, resend, and what
# staffctl says when mail fails.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }

CROCKFORD='[0-9A-HJKMNP-TV-Z]'
CODE_RE="^$CROCKFORD{4}(-$CROCKFORD{4}){6}\$"
codeword() { vcall io.practice.Staff.CodewordShow | jq -r .parameters.codeword; }
# signin USER SECRET [CODEWORD]: "activate", "reset", "ok" or the error's short name.
signin() {
	local sock=${SIGNIN_SOCK:-$SOCK}
	"$VCALL" --socket "$sock" io.practice.Staff.Authenticate \
		"$(jq -nc --arg u "$1" --arg s "$2" --arg c "${3:-}" '{username:$u,secret:$s} + (if $c == "" then {} else {codeword:$c} end)')" |
		jq -r '(.error // .parameters.result) | sub("^io.practice.Staff."; "")'
}

# ---- the invitation mail ----
out=$(ctl user add nina --email nina@riverside.example --first Nina --last Nurse --role Nurse --location Main 2>&1)
check_eq 0 "$?" "user add"
check_grep 'mailed to nina@riverside\.example' "staffctl says the invitation was mailed" printf '%s' "$out"
check_eq 0 "$(printf '%s' "$out" | grep -cE "$CROCKFORD{4}-$CROCKFORD{4}-")" "without --show-code the code is not printed"
mail=$(last_mail_to nina@riverside.example)
check_eq yes "$([ -n "$mail" ] && [ -f "$mail" ] && echo yes)" "the mail command received a message to the user"
check_grep '^Subject: .*Riverside Family Clinic' "the message has a subject naming the practice" cat "${mail:-/dev/null}"
check_grep 'nina' "the message names the username" cat "${mail:-/dev/null}"
check_eq 0 "$(grep -ci 'maple' "${mail:-/dev/null}")" "the message does not carry the practice code word"
code=$(code_in_mail "${mail:-/dev/null}")
check_grep "$CODE_RE" "the code is 28 Crockford base32 characters in groups of four" printf '%s' "$code"
bits=$(( $(printf '%s' "$code" | tr -d - | wc -c) * 5 ))
check_eq yes "$([ "$bits" -ge 128 ] && echo yes)" "the code carries at least 128 bits ($bits)"

# Random: five more codes, all different.
codes=$code
for i in 1 2 3 4 5; do
	c=$(ctl --json user resend-invite nina --show-code | jq -r .activation_code)
	codes="$codes $c"
done
check_eq 6 "$(printf '%s\n' $codes | sort -u | grep -cE "$CODE_RE")" "every code issued is new"
last=$c

# ---- storage ----
check_eq 0 "$(strings "$T/state/data.mdb" | grep -cF -e "$last" -e "$(printf '%s' "$last" | tr -d -)")" \
	"the code is not in the database"
check_eq 0 "$(grep -cF -e "$last" -e "$(printf '%s' "$last" | tr -d -)" "$T/staffd.log")" "nor in the daemon's log"
stored=$(mdb_dump -s users -p "$T/state" | grep '"username":"nina"' | sed -n 's/.*"token":{"hash":"\([0-9a-f]*\)".*/\1/p')
check_grep '^[0-9a-f]{64}$' "a 256-bit hash of the code is stored" printf '%s' "$stored"
plain=$(for form in "$last" "$(printf '%s' "$last" | tr -d -)"; do printf '%s' "$form" | b2sum -l 256 | cut -d' ' -f1; done)
check_eq 0 "$(printf '%s\n' "$plain" | grep -cx "$stored")" "the hash is keyed: not the bare BLAKE2b of the code"

# ---- expiry ----
# A fresh invitation: nina's code was resent after she was created, so her
# expiry counts from the last resend.
json=$(ctl --json user add nell --email nell@riverside.example --first Nell --last Nurse --role Nurse --location Main)
check_eq 259200 "$(jget "$json" '.user.code_expires - .user.created')" "an invitation is valid for 72 hours by default"
check_grep '^Valid until: ' "the mail says until when" cat "$(last_mail_to nina@riverside.example)"
stop_daemon
EXTRA_MAIL_CONFIG="${EXTRA_MAIL_CONFIG:-}
activation_ttl = 2h"
write_config
start_daemon || exit 1
t0=$(date +%s)
check "resend with a shorter activation_ttl" ctl user resend-invite nina
t1=$(date +%s)
exp=$(user_field nina code_expires)
check_eq yes "$([ "$exp" -ge $((t0 + 7200)) ] && [ "$exp" -le $((t1 + 7200)) ] && echo yes)" \
	"the validity follows activation_ttl (2 h)"
sleep 1	# mail files are named by the second
json=$(ctl --json user resend-invite nina --show-code)
code=$(jget "$json" .activation_code)
check_grep "$CODE_RE" "--json carries the new code as activation_code" printf '%s' "$code"
check_eq true "$(jget "$json" .delivery.mailed)" "and says it was mailed"
check_eq "$code" "$(code_in_mail "$(last_mail_to nina@riverside.example)")" "the code shown is the code mailed"

# ---- resend voids the old code ----
check_eq CodewordRequired "$(signin nina "$code")" "a code without the code word is not enough"
check_eq AuthenticationFailed "$(signin nina "$code" "wrong words")" "nor with a wrong code word"
check_grep '^(AuthenticationFailed|NotActivated)$' "a code voided by resend no longer signs in" signin nina "$last" "$(codeword)"
check_eq activate "$(signin nina "$code" "$(codeword)")" "the current code signs in to activate"
typed=$(printf '%s' "$code" | tr 'A-Z' 'a-z' | tr -d -)
check_eq activate "$(signin nina "$typed" "$(codeword)")" "case and dashes do not matter when typing it"
typed=$(printf '%s' "$code" | tr - ' ' | tr 01 OI)
check_eq activate "$(signin nina "$typed" "  $(codeword | tr a-z A-Z) ")" \
	"nor spaces for dashes, O and I for 0 and 1, or the code word's case and spaces"

# ---- single use ----
check "nina activates" activate nina 'Blue-Canoe-Rivet-58'
check_eq active "$(user_field nina status)" "nina is active"
check_grep '^(AuthenticationFailed|NotActivated)$' "the activation code cannot be used a second time" \
	signin nina "$code" "$(codeword)"
check_eq null "$(user_field nina code_expires)" "no code is outstanding"
check_eq 0 "$(strings "$T/state/data.mdb" | grep -c 'Blue-Canoe-Rivet')" "the password is not in the database in clear"

# ---- mail that fails ----
conf=$(derive_config "$T/nomail" mail_command /bin/false) || exit 1
start_extra_daemon "$conf" || exit 1
sock2=$T/nomail/staffd.sock
ctl2() { "$STAFFCTL" --socket "$sock2" "$@"; }
out=$(ctl2 init --practice "Hillside Clinic" --admin hal --email hal@hillside.example --first Hal --last Admin 2>&1)
check_eq 0 "$?" "init still succeeds when mail fails"
check_grep 'not mailed' "and staffctl says the invitation was not mailed" printf '%s' "$out"
check_grep 'resend-invite hal --show-code' "and how to show the code instead" printf '%s' "$out"
check "a location on the second daemon" ctl2 location add Main
out=$(ctl2 user add mo --email mo@hillside.example --first Mo --last Nurse --role Nurse 2>&1)
check_eq 0 "$?" "user add succeeds when mail fails: the user exists"
check_grep 'not mailed' "staffctl says the mail failed" printf '%s' "$out"
check_grep "user resend-invite mo --show-code" "and names the command that shows a code" printf '%s' "$out"
check_eq pending "$(ctl2 --json user show mo | jq -r .user.status)" "mo is pending"
out=$(ctl2 user resend-invite mo --show-code 2>&1)
check_eq 0 "$?" "resend-invite --show-code succeeds"
check_grep 'not mailed' "says the mail failed again" printf '%s' "$out"
shown=$(printf '%s\n' "$out" | sed -n 's/^Activation code for mo: *//p')
check_grep "$CODE_RE" "and prints the code once" printf '%s' "$shown"
check_eq 0 "$(printf '%s' "$out" | grep -c 'rerun')" "without telling to rerun, since the code is shown"
json=$(ctl2 --json user add lu --email lu@hillside.example --first Lu --last Desk --role "Front Desk" --show-code 2>/dev/null)
check_eq '[false,true]' "$(jget "$json" '[.delivery.mailed,(.delivery.error|type=="string")]|tojson')" \
	"--json reports the failed delivery with its reason"
check_grep "$CODE_RE" "user add --show-code prints the code even when mail fails" jget "$json" .activation_code
check_eq 0 "$(ctl2 --json user show mo | grep -cF "$shown")" "the code cannot be shown again"
cw2=$(ctl2 --json codeword show | jq -r .codeword)
check_eq activate "$(SIGNIN_SOCK=$sock2 signin mo "$shown" "$cw2")" "the code shown works"
check_grep 'mail' "the daemon logs the mail failure" cat "$conf.log"
check_extra_daemon_stops "$conf"

check "audit chain intact" ctl audit verify
check_daemon_stops
done_testing
