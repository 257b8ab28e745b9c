#!/bin/bash
# Sourced by the tests in tests/pam/: the private staffd of tests/integ/lib.sh,
# PAM service files that load the module under test from a private
# directory, the scripted driver, and assertions on what it printed.
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	echo "1..0 # SKIP helpers sourced by the other tests in tests/pam/"
	exit 0
fi
: "${PAM_MODULE:?PAM_MODULE must name the built pam_practice.so (tests/run sets it)}"
: "${PAM_DRIVER:?PAM_DRIVER must name the pam-driver test program}"
. "$(dirname "${BASH_SOURCE[0]}")/../integ/lib.sh"

PAMD=$T/pam.d
mkdir -p "$PAMD"
CODEWORD="maple harbor"
PW='Tr0ub4dor&Horse'
PW2='N3w-Passw0rd!x'
PW3='Z9x-Lantern!q7'

MSG_FAILURE="Authentication failure"
MSG_LOCKED="Your account is locked: ask your administrator to unlock it."
MSG_INACTIVE="Your account has been deactivated."
MSG_NOT_ACTIVATED="Your account is not activated: sign in with the activation code from your invitation."
MSG_NOT_PERMITTED="You are not permitted to sign in here."
MSG_UNAVAILABLE="The sign-in service is unavailable."
MSG_ACTIVATE="Activation code accepted: choose your password."
MSG_RESET="Reset code accepted: choose a new password."

P_PASSWORD="PROMPT: Password: "
P_PIN="PROMPT: PIN: "
P_CODEWORD="PROMPT: Practice code word: "
P_CURRENT="PROMPT: Current password: "
P_NEW="PROMPT: New password: "
P_RETYPE="PROMPT: Retype new password: "

# service NAME [ARGUMENT]...: auth, account and password through the module
# with these arguments, on this test's daemon.
service() {
	local name=$1
	shift
	{
		echo "auth     required $PAM_MODULE socket=$SOCK $*"
		echo "account  required $PAM_MODULE socket=$SOCK $*"
		echo "password required $PAM_MODULE socket=$SOCK $*"
	} > "$PAMD/$name"
}

# service_text NAME < TEXT: a service file as written, with @MODULE@ and
# @SOCK@ replaced.
service_text() { sed -e "s|@MODULE@|$PAM_MODULE|g" -e "s|@SOCK@|$SOCK|g" > "$PAMD/$1"; }

# drive SERVICE USER [DRIVER OPTION]... PHASE...: answers on standard input.
# Everything the driver printed is also kept for pam_done_testing.
drive() {
	local svc=$1 user=$2 out rc
	shift 2
	out=$("$PAM_DRIVER" --confdir "$PAMD" --service "$svc" --user "$user" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" >> "$T/drivers.log"
	printf '%s\n' "$out"
	return "$rc"
}

# pam_done_testing: no driver run reported a sanitizer error or a leak, no
# test secret is in clear in the daemon's log or database, then the plan.
pam_done_testing() {
	local bad s found=
	bad=$(grep -E 'Sanitizer|runtime error:|==[0-9]+==' "$T/drivers.log" 2>/dev/null | head -5)
	if [ -z "$bad" ]; then
		pass "no driver run reported a memory error or a leak"
	else
		fail "no driver run reported a memory error or a leak" "$bad"
	fi
	for s in "$PW" "$PW2" "$PW3" "$CODEWORD"; do
		grep -qaF -- "$s" "$T/staffd.log" "$T"/state/* 2>/dev/null && found="$found [$s]"
	done
	if [ -z "$found" ]; then
		pass "no password or code word in clear in the daemon's log or database"
	else
		fail "no password or code word in clear in the daemon's log or database" "found:$found"
	fi
	done_testing
}

# answers LINE...: one answer per line, for drive's standard input.
answers() { printf '%s\n' "$@"; }

# expect DESC OUTPUT LINE...: each LINE is a whole line of OUTPUT, in this order.
expect() {
	local desc=$1 out=$2 line i=0
	shift 2
	local -a want=("$@")
	while IFS= read -r line; do
		if [ "$i" -lt "${#want[@]}" ] && [ "$line" = "${want[$i]}" ]; then
			i=$((i + 1))
		fi
	done <<< "$out"
	if [ "$i" -eq "${#want[@]}" ]; then
		pass "$desc"
	else
		fail "$desc" "no line [${want[$i]}] (in order) in:
$out"
	fi
}

# expect_exact DESC OUTPUT LINE...: OUTPUT is exactly these lines.
expect_exact() {
	local desc=$1 out=$2
	shift 2
	if [ "$out" = "$(printf '%s\n' "$@")" ]; then
		pass "$desc"
	else
		fail "$desc" "wanted:
$(printf '%s\n' "$@")
got:
$out"
	fi
}

# expect_none DESC OUTPUT REGEX: no line of OUTPUT matches REGEX.
expect_none() {
	if printf '%s\n' "$2" | grep -Eq -- "$3"; then fail "$1" "/$3/ in:
$2"; else pass "$1"; fi
}

# count_lines OUTPUT LINE: how many lines of OUTPUT are exactly LINE.
count_lines() { printf '%s\n' "$1" | grep -cFx -- "$2"; }

# field USER FIELD: one field of USER's record.
field() { vcall io.practice.Staff.UserShow "{\"username\":\"$1\"}" | jq -r ".parameters.user.$2"; }

# add_user USER [ROLE] [MORE JSON FIELDS]: a pending staff member; prints the
# activation code.
add_user() {
	local user=$1 role=${2:-Nurse} more=${3:-}
	vcall io.practice.Staff.UserAdd "{\"user\":{\"username\":\"$user\",\"email\":\"$user@riverside.example\",\"first_name\":\"${user^}\",\"last_name\":\"Tester\",\"role\":\"$role\"${more:+,$more}},\"show_code\":true}" |
		jq -r '.parameters.activation_code'
}

# add_active USER [ROLE] [MORE JSON FIELDS]: a staff member who has
# activated with password $PW (straight through the daemon, not the module).
add_active() {
	local user=$1 code grant
	code=$(add_user "$@")
	grant=$(vcall io.practice.Staff.Authenticate \
		"$(jq -nc --arg u "$user" --arg s "$code" --arg c "$CODEWORD" '{username:$u,secret:$s,codeword:$c}')" |
		jq -r '.parameters.grant')
	vcall io.practice.Staff.ChangePassword \
		"$(jq -nc --arg u "$user" --arg g "$grant" --arg p "$PW" '{username:$u,grant:$g,new_password:$p}')" >/dev/null
}

# reset_code USER: an administrator's reset; prints the code.
reset_code() {
	vcall io.practice.Staff.UserResetPassword "{\"username\":\"$1\",\"show_code\":true}" | jq -r '.parameters.reset_code'
}

# now_ms: a monotonic-enough clock for the timing checks.
now_ms() { echo $(($(date +%s%N) / 1000000)); }
