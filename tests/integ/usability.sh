#!/bin/bash
# staffctl for people and scripts: --help everywhere, exit codes that tell
# usage errors, refusals and an unreachable daemon apart, --json that parses,
# where the socket comes from, prompts on a terminal (secrets unechoed), and
# the man pages.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }
NOWHERE=$T/no-such.sock

# ---- --help ----
commands="status init location location.add location.list location.rename location.remove role role.add role.list
role.show role.grant role.revoke role.remove user user.add user.list user.show user.edit user.deactivate
user.reactivate user.unlock user.reset-password user.resend-invite user.cancel-invite user.set-pin forgot-password
codeword codeword.show codeword.rotate policy policy.show policy.check audit audit.verify backup"
check_grep '^Usage: staffctl' "staffctl --help" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" --help
for c in $commands; do
	# shellcheck disable=SC2046
	set -- $(echo "$c" | tr . ' ')
	out=$(STAFFD_SOCKET=$NOWHERE "$STAFFCTL" "$@" --help 2>/dev/null)
	rc=$?
	if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q "^Usage: staffctl $*"; then
		pass "staffctl $* --help"
	else
		fail "staffctl $* --help" "exit $rc: $out"
	fi
	check_eq "$out" "$(STAFFD_SOCKET=$NOWHERE "$STAFFCTL" "$@" -h 2>/dev/null)" "staffctl $* -h is the same"
done
check_eq "$(ctl user add --help)" "$(ctl help user add)" "staffctl help user add is user add --help"
check_grep '^staffctl [0-9]+\.[0-9]+\.[0-9]+' "staffctl --version" ctl --version
for c in location role user codeword policy; do
	check_exit 2 "staffctl $c without a subcommand is a usage error" ctl "$c"
done

# ---- exit codes ----
check_exit 2 "no command is a usage error" ctl
check_exit 2 "an unknown command is a usage error" ctl frobnicate
check_exit 2 "an unknown subcommand is a usage error" ctl user frobnicate
check_exit 2 "an unknown option is a usage error" ctl user list --colour
check_exit 2 "an unknown global option is a usage error" ctl --colour status
check_exit 2 "a missing argument is a usage error" ctl user show
check_exit 2 "an option without its value is a usage error" ctl user list --status
check_exit 2 "an extra argument is a usage error" ctl user show amy extra
check_grep "frobnicate" "the message names what was wrong" ctl frobnicate
check_exit 1 "a refusal exits 1" ctl user show nosuch
check_exit 4 "a local error exits 4" sh -c "touch '$T/exists'; $STAFFCTL backup '$T/exists'"
check_exit 3 "an unreachable daemon exits 3" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" status
check_grep "$NOWHERE" "and the message names the socket" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" status
touch "$T/not-a-socket"
check_exit 3 "a path that is not a socket exits 3" ctl --socket "$T/not-a-socket" status
check_exit 3 "every command: user list" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" user list
check_exit 3 "every command: audit verify" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" audit verify
check_exit 3 "every command: set-pin (after reading the PIN)" sh -c "echo 1234 | STAFFD_SOCKET='$NOWHERE' $STAFFCTL user set-pin amy"
check_exit 2 "usage errors are found before the daemon is asked" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" user list --colour
stop_daemon
check_exit 3 "a stopped daemon exits 3" ctl status
start_daemon || exit 1

# ---- where the socket comes from ----
check_grep '^Socket: +'"$SOCK" "\$STAFFD_SOCKET is used" ctl status
check "--socket wins over \$STAFFD_SOCKET" env STAFFD_SOCKET="$NOWHERE" "$STAFFCTL" --socket "$SOCK" status
check_grep "/run/staffd/io.practice.Staff" "without either, the installed default" env -u STAFFD_SOCKET "$STAFFCTL" status
check_grep "/run/staffd/io.practice.Staff" "an empty \$STAFFD_SOCKET means the default" env STAFFD_SOCKET= "$STAFFCTL" status

# ---- --json ----
ctl location add North >/dev/null
ctl user add hprov --email h.prov@riverside.example --first Hannah --last Provider --role Provider >/dev/null
activate hprov 'Blue-Canoe-Rivet-58' || fail "activate hprov"
json_ok() {
	local desc=$1 out
	shift
	out=$(ctl --json "$@" 2>/dev/null)
	if printf '%s' "$out" | jq -e 'type == "object" or type == "array"' >/dev/null 2>&1; then
		pass "--json $desc"
	else
		fail "--json $desc" "$out"
	fi
}
json_ok status status
json_ok "location add" location add East --address "1 East Rd"
json_ok "location list" location list
json_ok "location rename" location rename East "East Side"
json_ok "location remove" location remove "East Side"
json_ok "role add" role add Scribe --perm clinical.charts
json_ok "role list" role list
json_ok "role show" role show Scribe
json_ok "role grant" role grant Scribe clinical.notes
json_ok "role revoke" role revoke Scribe clinical.notes
json_ok "role remove" role remove Scribe
json_ok "user add" user add kim --email kim@riverside.example --first Kim --last Lee --role Staff --show-code
json_ok "user list" user list
json_ok "user show" user show kim
json_ok "user edit" user edit kim --capacity 2
json_ok "user resend-invite" user resend-invite kim
json_ok "user cancel-invite" user cancel-invite kim
json_ok "user reactivate" user reactivate kim
json_ok "user deactivate" user deactivate kim
json_ok "user reset-password" user reset-password hprov --show-code
json_ok "codeword show" codeword show
json_ok "codeword rotate" codeword rotate --set "maple harbor"
json_ok "policy show" policy show
json_ok "audit" audit --limit 3
json_ok "audit verify" audit verify
json_ok "backup" backup "$T/backup.mdb"
json_ok "forgot-password" forgot-password hprov
check_eq object "$(echo 1234 | ctl --json user set-pin hprov | jq -r type)" "--json user set-pin"
check_eq object "$(echo 'Purple-Otter-Window-31' | ctl --json policy check | jq -r type)" "--json policy check"
out=$(echo 'Purple-Otter-Window-31' | ctl policy check 2>&1)
check_grep '^ok +upper ' "policy check shows each rule met" printf '%s' "$out"
check_grep '^Strength: \[####\] 4 of 4$' "and a strength meter" printf '%s' "$out"
out=$(echo 'abc123' | ctl policy check 2>&1)
rc=$?
check_eq 1 "$rc" "policy check exits 1 for a password that breaks the policy"
check_grep '^FAIL +sequence +Avoid sequences' "naming each broken rule with its message" printf '%s' "$out"
check_grep '^Strength: \[-{4}\] 0 of 4$' "with the meter at its weakest" printf '%s' "$out"
check_eq array "$(ctl --json user list | jq -r type)" "a listing is one JSON array"
check_eq '["amy","hprov","kim"]' "$(ctl --json user list | jq -c 'map(.username)|sort')" "of all its records"
out=$(ctl --json user show nosuch 2>/dev/null)
check_eq "" "$out" "an error prints nothing on standard output with --json"
check_exit 1 "and exits as without --json" ctl --json user show nosuch
check_grep 'nosuch' "the error goes to standard error as text" sh -c "$STAFFCTL --json user show nosuch 2>&1 >/dev/null"
out=$(ctl user show hprov)
check_eq no "$(printf '%s' "$out" | jq -e . >/dev/null 2>&1 && echo yes || echo no)" "without --json the output is for people, not JSON"

# ---- on a terminal ----
pty_session "$T/pty.out" "$STAFFCTL user list"
check_grep '^USERNAME +NAME +ROLE +STATUS' "a table on a terminal" cat "$T/pty.out"
pty_session "$T/pty.out" "$STAFFCTL user add lee" \
	"mail" "lee@riverside.example" "irst name" "Lee" "ast name" "Lang" "ole" "Front Desk"
check_eq 0 "$PTY_RC" "user add asks for the missing required values on a terminal"
check_eq '["lee@riverside.example","Lee","Lang","Front Desk","pending"]' \
	"$(ctl --json user show lee | jq -c '.user|[.email,.first_name,.last_name,.role,.status]')" \
	"and uses the answers"
check_grep 'lee@riverside\.example' "what is typed for a name or address is echoed" cat "$T/pty.out"
pty_session "$T/pty.out" "$STAFFCTL user add lou --email lou@riverside.example --first Lou --role Staff" "ast name" "Lu"
check_eq Lu "$(ctl --json user show lou | jq -r .user.last_name)" "only what is missing is asked"
check_eq 0 "$(grep -c 'Email address:\|First name:\|Role:' "$T/pty.out")" "and nothing that was given"
pty_session "$T/pty.out" "$STAFFCTL user set-pin hprov" "New PIN" "4826" "Repeat the PIN" "4826"
check_eq 0 "$PTY_RC" "set-pin asks for the PIN on a terminal"
check_eq 0 "$(grep -c 4826 "$T/pty.out")" "the PIN is not echoed"
check_grep '"result":"ok"' "the PIN typed is the one set" \
	vcall io.practice.Staff.Authenticate '{"username":"hprov","secret":"4826","pin":true}'
pty_session "$T/pty.out" "$STAFFCTL user set-pin hprov" "New PIN" "1357" "Repeat the PIN" "7531" \
	"New PIN" "2468" "Repeat the PIN" "8642" "New PIN" "1111" "Repeat the PIN" "2222"
check_eq yes "$([ "$PTY_RC" -ne 0 ] && echo yes)" "a PIN typed differently the second time is refused (three tries)"
check_grep 'do not match' "saying so" cat "$T/pty.out"
check_grep '"result":"ok"' "and the PIN is unchanged" \
	vcall io.practice.Staff.Authenticate '{"username":"hprov","secret":"4826","pin":true}'
pty_session "$T/pty.out" "$STAFFCTL codeword rotate --prompt" "code word" "Copper Lantern 12" "Repeat" "Copper Lantern 12"
check_eq 0 "$PTY_RC" "codeword rotate --prompt asks on a terminal"
check_eq "Copper Lantern 12" "$(ctl --json codeword show | jq -r .codeword)" "the code word typed is set"
check_eq 1 "$(grep -c 'Copper Lantern' "$T/pty.out")" "it is shown once, as the result, not echoed while typed"
pty_session "$T/pty.out" "$STAFFCTL policy check" "assword" "Purple-Otter-Window-31"
check_eq 0 "$PTY_RC" "policy check asks for the password on a terminal"
check_eq 0 "$(grep -c 'Purple-Otter' "$T/pty.out")" "without echoing it"
check_grep '[0-4]' "and shows a strength score" cat "$T/pty.out"
check_exit 2 "without a terminal a missing value is a usage error" \
	sh -c "$STAFFCTL user add noterm --first N --last T --role Staff < /dev/null"

# ---- man pages ----
MANDIR=$TOPDIR/${O:-build}/man
for page in staffd.8 staffctl.8 staffd.conf.5; do
	if [ ! -f "$MANDIR/$page" ]; then
		fail "man page $page is built" "no $MANDIR/$page"
		continue
	fi
	pass "man page $page is built"
	if ! command -v man >/dev/null; then
		echo "ok $((tests_run + 1)) # SKIP man is not installed"
		tests_run=$((tests_run + 1))
		continue
	fi
	warnings=$(MANWIDTH=80 man --warnings -E UTF-8 -l "$MANDIR/$page" 2>&1 >/dev/null)
	rendered=$(MANWIDTH=80 man -E UTF-8 -l "$MANDIR/$page" 2>/dev/null)
	if [ -z "$warnings" ] && printf '%s' "$rendered" | grep -q '^NAME' && printf '%s' "$rendered" | grep -q '^SYNOPSIS\|^DESCRIPTION'; then
		pass "man -l renders $page without warnings"
	else
		fail "man -l renders $page without warnings" "$warnings"
	fi
done
for c in init location role user forgot-password codeword policy audit backup; do
	check_grep "^\\*$c( |\\*)" "staffctl(8) documents $c" cat "$TOPDIR/docs/man/staffctl.8.scd"
done
# A backup is as sensitive as the key file: the help and the man page say so, and where it is.
out=$(STAFFD_SOCKET=$NOWHERE "$STAFFCTL" backup --help 2>&1)
if printf '%s' "$out" | grep -q 'password and PIN hash' && printf '%s' "$out" | grep -q '/var/lib/staffd/staffd.key' &&
	printf '%s' "$out" | grep -q 'Keep it as you keep that key file'; then
	pass "staffctl backup --help says the backup holds the hashes and is kept like the key file"
else
	fail "staffctl backup --help says the backup holds the hashes and is kept like the key file" "$out"
fi
if command -v man >/dev/null; then
	page=$(MANWIDTH=200 man -E UTF-8 -l "$MANDIR/staffctl.8" 2>/dev/null | tr -s ' \n' '  ')
	if printf '%s' "$page" | grep -q 'holds every password and PIN hash' &&
		printf '%s' "$page" | grep -q 'Keep it as you keep that key file' &&
		printf '%s' "$page" | grep -q '/var/lib/staffd/staffd.key'; then
		pass "staffctl(8) says the same"
	else
		fail "staffctl(8) says the same" "$(printf '%s' "$page" | grep -o 'backup FILE.\{0,400\}')"
	fi
else
	echo "ok $((tests_run + 1)) # SKIP man is not installed"
	tests_run=$((tests_run + 1))
fi

check_daemon_stops
done_testing
