#!/bin/bash
# Timing does not reveal more than the message (DESIGN 14): with
# pam_practice's silent, a locked, a deactivated and a pending account are
# refused in about the time of a password verification, as a wrong password
# is, with the same words. The locked account's refusal still verifies
# nothing and counts nothing: its right password does not get in and leaves
# the count and the lock as they were.
#
# Robust on a loaded machine: the time is pam_authenticate's in the driver
# (process start-up left out), Argon2id is made large enough that hashing
# dominates the rest (PAM, the socket), the attempts are interleaved round by
# round so that load hits every kind alike, and the medians are compared with
# a generous bound (30% of the wrong password's: before, refusals took 4-7%,
# and a second test run on the same cores can skew one kind's median).
. "$(dirname "$0")/../pam/common.sh"

ROUNDS=7
# Each refusal must take at least this share of a wrong password's time (percent).
MIN_SHARE=30

sed -i -e 's/^memlimit = .*/memlimit = 32M/' -e 's/^opslimit = .*/opslimit = 2/' "$T/staffd.conf"
start_daemon || exit 1
setup_practice || exit 1
service login_silent silent

add_active wanda >/dev/null				# signs in with a wrong password
add_active lena >/dev/null				# locked
wrong_logins lena 5
add_active ivan >/dev/null				# deactivated
vcall io.practice.Staff.UserDeactivate '{"username":"ivan"}' >/dev/null
for i in $(seq 1 "$ROUNDS"); do add_user "pia$i" >/dev/null; done	# pending, one each round
check_eq "true/5/active/inactive/pending" \
	"$(field lena locked)/$(field lena failed_logins)/$(field lena status)/$(field ivan status)/$(field pia1 status)" \
	"the accounts are locked, deactivated and pending"

# attempt USER PASSWORD [MESSAGE]: a silent sign-in that must be refused with
# MESSAGE (default: as a wrong password is); prints how long pam_authenticate
# took in the driver, in ms, which leaves process start-up out.
attempt() {
	local out us
	out=$(answers "$2" | drive login_silent "$1" --time auth)
	us=$(printf '%s\n' "$out" | sed -n 's/^auth-us=//p')
	[ "$(printf '%s\n' "$out" | grep -v '^auth-us=')" = \
		"$(printf '%s\n' "$P_PASSWORD" "ERROR: ${3:-$MSG_FAILURE}" "auth=PAM_AUTH_ERR")" ] ||
		printf '%s: %s\n' "$1" "$out" >> "$T/unexpected"
	echo $(( ${us:-0} / 1000 ))
}

NOT_ACTIVATED="The account is not activated: sign in with the activation code from your invitation."

# median MS...
median() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

wrong=() locked=() locked_right=() pending=() inactive=()
for i in $(seq 1 "$ROUNDS"); do
	wrong+=("$(attempt wanda "Wrong-Guess-$i")")
	locked+=("$(attempt lena "Wrong-Guess-$i")")
	locked_right+=("$(attempt lena "$PW")")
	# Not activated is said even with silent (DESIGN 5); it must not come sooner.
	pending+=("$(attempt "pia$i" "Wrong-Guess-$i" "$NOT_ACTIVATED")")
	inactive+=("$(attempt ivan "Wrong-Guess-$i")")
	# Keep wanda below the lock: a right password clears her count.
	vcall io.practice.Staff.Authenticate "{\"username\":\"wanda\",\"secret\":\"$PW\"}" >/dev/null
done
check_eq "" "$(cat "$T/unexpected" 2>/dev/null)" "every attempt was refused with the message of a wrong password (not activated: its own)"
w=$(median "${wrong[@]}")
echo "# medians over $ROUNDS rounds (ms): wrong password $w, locked $(median "${locked[@]}")," \
	"locked with the right password $(median "${locked_right[@]}"), pending $(median "${pending[@]}")," \
	"deactivated $(median "${inactive[@]}")"
echo "# wrong: ${wrong[*]}; locked: ${locked[*]}; pending: ${pending[*]}; deactivated: ${inactive[*]}"

check_eq yes "$([ "$w" -ge 20 ] && echo yes)" "a wrong password takes a verification's time ($w ms)"
# check_share DESC MS...: the median of MS is at least MIN_SHARE% of a wrong password's.
check_share() {
	local desc=$1 m
	shift
	m=$(median "$@")
	check_eq yes "$([ $((m * 100)) -ge $((w * MIN_SHARE)) ] && echo yes)" \
		"$desc: refused in >= $MIN_SHARE% of a wrong password's time ($m ms against $w ms)"
}
check_share "locked account" "${locked[@]}"
check_share "locked account, right password" "${locked_right[@]}"
check_share "pending account" "${pending[@]}"
check_share "deactivated account" "${inactive[@]}"

# Not verified, not counted (DESIGN 5): the lock and the count are as they were.
check_eq "true/5" "$(field lena locked)/$(field lena failed_logins)" \
	"the locked account's attempts, the right password among them, neither passed nor counted"
check_eq "0" "$(field ivan failed_logins)" "the deactivated account's attempts were not counted"
check_eq "1/1" "$(field pia1 failed_logins)/$(field "pia$ROUNDS" failed_logins)" "a pending account counts wrong secrets as before"
last=$(vcall --more io.practice.Staff.AuditList '{"user":"lena","limit":1}' | jq -r '.parameters.record | select(. != null) | .result')
check_eq locked "$last" "the locked account's attempts are audited as refused for the lock"
# Unlocked, the same password works: the refusals changed nothing.
vcall io.practice.Staff.UserUnlock '{"username":"lena"}' >/dev/null
out=$(answers "$PW" | drive login_silent lena auth acct)
expect "unlocked, the right password signs in" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

pam_done_testing
