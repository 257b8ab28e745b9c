#!/bin/bash
# Every invalid value is rejected with a message naming the field and the
# rule, and changes nothing: the user count and the audit length are the
# same before and after. Exit 1 when staffd refuses, 2 for usage errors
# staffctl catches itself.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }
ctl location add North >/dev/null
ctl user add hprov --email h.prov@riverside.example --first Hannah --last Provider --role Provider \
	--location Main >/dev/null
ctl user add jdoe --email jane.doe@riverside.example --first Jane --last Doe --role Nurse --location Main \
	--provider hprov >/dev/null

# add OPTIONS...: user add of bob with valid values, OPTIONS overriding them.
add() { add_as bob "$@"; }
add_as() {
	local user=$1 email=bob@riverside.example first=Bob last=Baker role=Staff rest=()
	shift
	while [ $# -gt 0 ]; do
		case $1 in
			--email) email=$2; shift 2 ;;
			--first) first=$2; shift 2 ;;
			--last) last=$2; shift 2 ;;
			--role) role=$2; shift 2 ;;
			*) rest+=("$1"); shift ;;
		esac
	done
	ctl user add "$user" --email "$email" --first "$first" --last "$last" --role "$role" "${rest[@]}"
}
long() { head -c "$1" /dev/zero | tr '\0' "${2:-x}"; }
jdoe_before=$(ctl --json user show jdoe)

# ---- refused by staffd: exit 1, the field named ----
check_rejected 1 'username.*(lowercase|start)' "an uppercase username" add_as Bob
check_rejected 1 'username.*(lowercase|start)' "a username starting with a digit" add_as 1bob
check_rejected 1 'username.*32' "a username over 32 characters" add_as "$(long 33 b)"
check_rejected 1 'username' "a username with a dot" add_as bob.baker
check_rejected 1 'username.*(taken|exists|already)' "a username already taken" add_as jdoe
check_rejected 1 'email.*(already|used|taken)' "an email already used, in another case" add --email JANE.Doe@Riverside.EXAMPLE
check_rejected 1 'email.*@' "an email without @" add --email bob.riverside.example
check_rejected 1 'email.*@' "an email with two @" add --email 'bob@@riverside.example'
check_rejected 1 'email.*254' "an email over 254 bytes" add --email "$(long 250 b)@riverside.example"
check_rejected 1 'first_name.*empty' "an empty first name" add --first ""
check_rejected 1 'last_name.*control' "a control character in a name" add --last $'Bak\ter'
check_rejected 1 'first_name' "a bidi override in a name" add --first $'Bob\u202e'
check_rejected 1 'first_name.*64' "a first name over 64 bytes" add --first "$(long 65 b)"
check_rejected 1 'npi.*check digit' "an NPI with a wrong check digit" add --npi 1234567890
check_rejected 1 'npi.*10' "an NPI of 9 digits" add --npi 123456789
check_rejected 1 'dea.*check digit' "a DEA number with a wrong check digit" add --dea AB1234564
check_rejected 1 'dea.*last name' "a DEA number whose second letter is not the last name's" add --dea AX1234563
check_rejected 1 'dea' "a DEA number of the wrong shape" add --dea A12345678
check_rejected 1 'taxonomy.*(digits|X)' "a malformed taxonomy code" add --taxonomy 207q00000x
check_rejected 1 'ncsbn_id.*16' "an NCSBN id with letters" add --ncsbn 12a
check_rejected 1 'cell_phone.*10 to 15' "a cell phone with too few digits" add --cell 555-1234
check_rejected 1 'home_phone' "a home phone with letters" add --home-phone 555-CALL-NOW
check_rejected 1 'capacity.*1 and 100' "a capacity of 101" add --capacity 101
check_rejected 1 'step.*(5, 10, 15|minutes)' "a step of 7 minutes" add --step 7
check_rejected 1 'bio.*2000' "a bio over 2000 bytes" add --bio "$(long 2001)"
check_rejected 1 '[Rr]ole.*Nobody' "an unknown role" add --role Nobody
check_rejected 1 '[Ll]ocation.*Nowhere' "an unknown location" add --location Nowhere
check_rejected 1 'primary_location.*(among|locations)' "a primary location not among the allowed ones" \
	add --location Main --primary-location North
check_rejected 1 'primary_provider.*provider' "a primary provider who is not a provider" add --provider jdoe
check_rejected 1 'primary_provider.*(staff|nosuch)' "a primary provider who does not exist" add --provider nosuch
check_rejected 1 'primary_provider.*itself|own' "being one's own primary provider" ctl user edit hprov --provider hprov
check_rejected 1 'email.*(already|used|taken)' "an edit onto another user's email" \
	ctl user edit jdoe --email H.Prov@riverside.example
check_rejected 1 'capacity' "an edit with a bad capacity" ctl user edit jdoe --capacity 500
check_rejected 1 'nosuch' "an edit of an unknown user" ctl user edit nosuch --capacity 2
check_rejected 1 'employment.*(employee|external)' "an unknown employment (over the protocol)" \
	vcall io.practice.Staff.UserAdd '{"user":{"username":"bob","email":"bob@riverside.example","first_name":"Bob","last_name":"Baker","role":"Staff","employment":"contractor"}}'
check_rejected 1 'capacity.*1 and 100' "a capacity of 0 (over the protocol)" \
	vcall io.practice.Staff.UserAdd '{"user":{"username":"bob","email":"bob@riverside.example","first_name":"Bob","last_name":"Baker","role":"Staff","capacity":0}}'
check_rejected 1 'username' "a missing username (over the protocol)" \
	vcall io.practice.Staff.UserAdd '{"user":{"email":"bob@riverside.example","first_name":"Bob","last_name":"Baker","role":"Staff"}}'
check_rejected 1 'permission.*clinical\.foo|clinical\.foo.*permission' "an unknown permission" \
	ctl role add Scribe --perm clinical.foo
check_rejected 1 'permission|clinical\.foo' "granting an unknown permission" ctl role grant Owner clinical.foo
check_rejected 1 'name.*empty' "an empty role name" ctl role add ""
check_rejected 1 'name.*empty' "an empty location name" ctl location add ""
check_rejected 1 'name.*control' "a location name with a tab" ctl location add $'Ma\tin'
check_rejected 1 'name.*64' "a location name over 64 bytes" ctl location add "$(long 65)"
check_rejected 1 'new_name.*empty' "renaming a location to nothing" ctl location rename North ""
check_rejected 1 'codeword.*6' "a code word under 6 bytes" ctl codeword rotate --set short
check_rejected 1 'codeword.*128' "a code word over 128 bytes" ctl codeword rotate --set "$(long 129)"
check_rejected 1 'pin|PIN' "a PIN of letters (over the protocol)" \
	vcall io.practice.Staff.UserSetPin '{"username":"jdoe","pin":"12a4"}'

# ---- usage errors staffctl catches: exit 2, the option named ----
check_rejected 2 '\-\-capacity' "a capacity of 0" add --capacity 0
check_rejected 2 '\-\-capacity' "a capacity that is not a number" add --capacity two
check_rejected 2 '\-\-step' "a step that is not a number" add --step ten
check_rejected 2 '\-\-email' "a missing required value (not interactive)" \
	ctl user add bob --first Bob --last Baker --role Staff
check_rejected 2 'USER' "a missing username" ctl user add --email bob@riverside.example --first Bob --last Baker --role Staff
check_rejected 2 '\-\-first.*UTF-8' "text that is not UTF-8" add --first $'\xff\xfe'
check_rejected 2 'unknown option.*\-\-nickname' "an unknown option" add --nickname Bobby
check_rejected 2 '\-\-since' "a malformed --since" ctl audit --since "next week"
check_rejected 2 '\-\-since' "an impossible date for --since" ctl audit --since 2024-02-30
check_rejected 2 '\-\-limit' "a negative --limit" ctl audit --limit -1
check_rejected 2 '\-\-status' "an unknown status filter" ctl user list --status retired
check_rejected 2 '\-\-clear.*nickname' "clearing a field that cannot be cleared" ctl user edit jdoe --clear nickname
check_rejected 2 'PIN.*4 digits' "a PIN of letters" sh -c "echo 12a4 | $STAFFCTL user set-pin jdoe"
check_rejected 2 'PIN.*4 digits' "a PIN of five digits" sh -c "echo 12345 | $STAFFCTL user set-pin jdoe"
check_rejected 2 'PIN' "an empty PIN" sh -c "echo | $STAFFCTL user set-pin jdoe"
check_rejected 2 '\-\-set|\-\-prompt' "--set and --prompt together" ctl codeword rotate --set "some words" --prompt

check_eq "$jdoe_before" "$(ctl --json user show jdoe)" "the rejected edits left jdoe as she was"
check_rejected 1 'bob' "and bob was never added" ctl user show bob
check_eq false "$(ctl --json user show jdoe | jq .user.has_pin)" "no PIN was set"
check "staffd still serves" ctl status
check "the audit chain is intact" ctl audit verify
check_daemon_stops
done_testing
