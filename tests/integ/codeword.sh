#!/bin/bash
# The practice code word: show, rotate (generated or set), the old one stops
# working at once, comparison after trimming and case folding, and it is
# never stored or logged in clear; the key file and state directory modes.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }

cw() { ctl --json codeword show | jq -r .codeword; }
# try CODEWORD: signs nina in with her activation code and CODEWORD.
try() {
	vcall io.practice.Staff.Authenticate \
		"$(jq -nc --arg s "$CODE" --arg c "$1" '{username:"nina",secret:$s,codeword:$c}')" |
		jq -r '(.error // .parameters.result) | sub("^io.practice.Staff."; "")'
}
used="maple harbor"

check_eq "maple harbor" "$(cw)" "codeword show prints the practice code word"
check_grep '^Practice code word: +maple harbor$' "in a labelled line" ctl codeword show
check "add nina" add_staff nina Nurse --location Main
CODE=$(code_in_mail "$(last_mail_to nina@riverside.example)")
check_eq activate "$(try "maple harbor")" "the code word lets a new user activate"
check_eq activate "$(try "  MAPLE Harbor	")" "compared after trimming and folding case"
check_eq AuthenticationFailed "$(try "maple  harbor")" "inner spaces still count"
check_eq AuthenticationFailed "$(try "maple harbo")" "a near miss does not match"
check_grep '^(AuthenticationFailed|CodewordRequired|InvalidValue)' "an empty code word never matches" try ""

# ---- rotate, generated ----
old=$(cw)
out=$(ctl codeword rotate 2>&1)
check_eq 0 "$?" "codeword rotate"
new=$(cw)
used="$used $new"
check_grep "$new" "rotate prints the new code word" printf '%s' "$out"
check_grep '^[a-z]+-[a-z]+-[a-z]+-[0-9]{2}$' "a generated code word is three words and two digits ($new)" printf '%s' "$new"
check_eq yes "$([ "$new" != "$old" ] && echo yes)" "it differs from the old one"
check_eq AuthenticationFailed "$(try "$old")" "the old code word stops working at once"
check_eq activate "$(try "$new")" "the new one works"
words=$new
for i in 1 2 3 4; do
	w=$(ctl --json codeword rotate | jq -r .codeword)
	words="$words $w"
	used="$used $w"
done
check_eq 5 "$(printf '%s\n' $words | sort -u | grep -cE '^[a-z]+-[a-z]+-[a-z]+-[0-9]{2}$')" \
	"every generated code word is new and memorable"
check_eq "$w" "$(cw)" "--json rotate returns the code word now in force"

# ---- rotate --set and --prompt ----
check "codeword rotate --set" ctl codeword rotate --set "Silver Tulip 7"
used="$used Silver"
check_eq "Silver Tulip 7" "$(cw)" "the code word set is shown as given"
check_eq AuthenticationFailed "$(try "$w")" "the generated one stopped working"
check_eq activate "$(try "silver tulip 7")" "the set one works in any case"
check "codeword rotate --prompt reads standard input" sh -c "echo 'Copper Lantern 12' | $STAFFCTL codeword rotate --prompt"
used="$used Copper"
check_eq "Copper Lantern 12" "$(cw)" "the code word read is in force"
check_rejected 1 'codeword.*(6|short)' "a code word under 6 bytes is refused" ctl codeword rotate --set "short"
check_rejected 1 'codeword.*(128|long)' "a code word over 128 bytes is refused" \
	ctl codeword rotate --set "$(head -c 129 /dev/zero | tr '\0' w)"
check_rejected 1 'codeword' "a code word of only spaces is refused" ctl codeword rotate --set "        "
check_eq "Copper Lantern 12" "$(cw)" "a refused rotation keeps the code word"
check_eq 7 "$(ctl --json audit | jq '[.[]|select(.action=="codeword.rotate")]|length')" \
	"each rotation is audited"
check_eq 0 "$(ctl --json audit | grep -ciE 'silver|copper|maple')" "the audit trail does not carry the code word"

# ---- never in clear ----
stop_daemon
start_daemon || exit 1
check_eq "Copper Lantern 12" "$(cw)" "the code word survives a restart"
for word in $used; do
	check_eq 0 "$(strings "$T/state/data.mdb" | grep -ciF "$word")" "'$word' is not in the database in clear"
	check_eq 0 "$(grep -ciF "$word" "$T/staffd.log")" "'$word' is not in the daemon's log"
done
check_eq 600 "$(stat -c %a "$T/state/staffd.key")" "the key file is mode 0600"
check_eq 32 "$(stat -c %s "$T/state/staffd.key")" "the key file holds 32 bytes"
check_eq 700 "$(stat -c %a "$T/state")" "the state directory is mode 0700"
check_eq 600 "$(stat -c %a "$T/state/data.mdb")" "the database is mode 0600"

check_daemon_stops
done_testing
