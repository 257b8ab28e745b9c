#!/bin/bash
# Staff sign in to a real Debian 12 with systemd (DESIGN 12): with the
# packages installed and pam-auth-update's profiles enabled, a staff member
# who exists only in staffd activates at login(1) on a terminal, then signs
# in with su - and over sshd, each time with a logind session and a home made
# by pam_mkhomedir; the journal carries the sign-in's structured fields; and
# a local account still signs in while staffd is stopped.
. "$(dirname "$0")/lib.sh"

CODEWORD="maple harbor"
PASSWORD="Violet#Drum-Kettle7"
LOCAL_PASSWORD="Local-Clerk-Pass9"
TIMEOUT=60

box_boot || bail_out "the container did not boot"
out=$(box_install 2>&1) || bail_out "the packages did not install: $(printf '%s' "$out" | tail -5)"
in_box systemctl enable --now --quiet staffd.service || bail_out "staffd.service did not start"
box_put "$TOPDIR/tests/system/pty.exp" /usr/local/bin/pty.exp
in_box chmod 755 /usr/local/bin/pty.exp

# pty [--user U] COMMAND... -- PROMPT ANSWER...: COMMAND on a terminal with
# that dialog (pty.exp), as a service of the container's systemd, so that
# logind accepts its session. The command line goes in a file: systemd would
# expand "$..." in the arguments of a unit.
PTY_N=0
pty() {
	local as=() f
	if [ "$1" = --user ]; then as=(--uid="$2"); shift 2; fi
	PTY_N=$((PTY_N + 1))
	f=/usr/local/lib/pty-$PTY_N.sh
	{ printf 'exec /usr/local/bin/pty.exp %s' "$TIMEOUT"; printf ' %q' "$@"; echo; } > "$BOX_DIR/pty.sh"
	box_put "$BOX_DIR/pty.sh" "$f"
	box_unit "${as[@]}" /bin/bash "$f"
}

# ---- a practice, a staff member only staffd knows, the PAM profiles ----
in_box staffctl init --practice "Riverside Family Clinic" --admin amy --email amy@riverside.example \
	--first Amy --last Admin --codeword "$CODEWORD" > /dev/null 2>&1
in_box staffctl location add Main --address "12 River St" > /dev/null
code=$(in_box staffctl --json user add jdoe --email jane.doe@riverside.example --first Jane --last Doe \
	--role Nurse --location Main --show-code 2> /dev/null | jq -r '.activation_code // .user.activation_code // empty')
[ -n "$code" ] && pass "staffctl user add jdoe --show-code gives the activation code" ||
	fail "staffctl user add jdoe --show-code gives the activation code"
check_eq "" "$(in_box grep '^jdoe:' /etc/passwd /etc/shadow /etc/group)" "jdoe is in none of /etc/passwd, /etc/shadow, /etc/group"
check_grep '^jdoe:x:' "but resolves through nss-systemd" in_box getent passwd jdoe
# A local account, made before the login stacks change.
in_box useradd --create-home --shell /bin/bash clerk
check "a local account clerk with a password" box_sh 'echo "clerk:$1" | chpasswd' "$LOCAL_PASSWORD"
check "pam-auth-update --enable practice mkhomedir" \
	box_sh 'DEBIAN_FRONTEND=noninteractive pam-auth-update --enable practice mkhomedir'
check_grep 'pam_practice.so' "common-auth asks pam_practice" in_box cat /etc/pam.d/common-auth
check_grep 'pam_mkhomedir.so' "common-session makes home directories" in_box cat /etc/pam.d/common-session

# ---- activation at the console: login(1) on a terminal ----
SESSION_CMD='echo "WHO=$(id -un) HOME=$HOME PWD=$(pwd)"; echo "SESSION=$(loginctl show-session "$XDG_SESSION_ID" -P Name -P Service -P Class | paste -sd/)"; exit'
out=$(pty login -- "login: " jdoe "Password: " "$code" "Practice code word: " "$CODEWORD" \
	"New password: " "$PASSWORD" "Retype new password: " "$PASSWORD" '$ ' "$SESSION_CMD" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q 'WHO=jdoe HOME=/home/jdoe PWD=/home/jdoe'; then
	pass "jdoe activates at login(1): activation code, code word, new password twice, then a shell"
else
	fail "jdoe activates at login(1)" "exit $rc: $out"
fi
check_grep 'SESSION=jdoe/login/user' "login(1) opened a logind session for jdoe" printf '%s' "$out"
uid=$(in_box id -u jdoe)
check_eq "$uid directory" "$(in_box stat -c '%u %F' /home/jdoe)" "pam_mkhomedir made /home/jdoe, owned by jdoe"
check_grep '"status": *"active"' "jdoe is active" in_box staffctl --json user show jdoe

# ---- the journal carries the sign-in's structured fields ----
JQ='select(.STAFF_ACTION == "login" and .STAFF_USER == "jdoe" and .STAFF_RESULT == "ok")
	| "\(.MESSAGE_ID) \(.STAFF_ACTOR) \(.STAFF_SERVICE) \(.STAFF_TTY)"'
fields=$(in_box journalctl -u staffd.service -o json --no-pager | jq -r "$JQ" 2>/dev/null | tail -1)
note "journal: MESSAGE_ID STAFF_ACTOR STAFF_SERVICE STAFF_TTY of the sign-in: $fields"
check_grep '^[0-9a-f]{32} [^ ]+ login (/dev/)?pts/[0-9]+$' \
	"journalctl -u staffd -o json shows the sign-in with MESSAGE_ID, STAFF_ACTION, STAFF_USER, STAFF_RESULT, STAFF_SERVICE, STAFF_TTY" \
	printf '%s' "$fields"

# ---- su - from a local account ----
out=$(pty --user clerk su - jdoe -c 'echo "WHO=$(id -un) HOME=$HOME PWD=$(pwd)"' -- "Password: " "$PASSWORD" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q 'WHO=jdoe HOME=/home/jdoe PWD=/home/jdoe'; then
	pass "su - jdoe from a local account signs jdoe in with the new password"
else
	fail "su - jdoe from a local account signs jdoe in with the new password" "exit $rc: $out"
fi
out=$(pty --user clerk su - jdoe -c 'id -un' -- "Password: " "Not-The-Password-1" 2>&1)
check_grep 'Authentication failure' "su - jdoe with a wrong password is refused" printf '%s' "$out"

# ---- sshd on the container's loopback ----
check_eq active "$(in_box systemctl is-active ssh.service)" "sshd runs in the container"
in_box rm -rf /home/jdoe
out=$(pty ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no \
	-o PreferredAuthentications=password,keyboard-interactive -o LogLevel=ERROR jdoe@127.0.0.1 "$SESSION_CMD" \
	-- "password: " "$PASSWORD" 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q 'WHO=jdoe HOME=/home/jdoe PWD=/home/jdoe'; then
	pass "jdoe signs in over ssh to 127.0.0.1 with the password"
else
	fail "jdoe signs in over ssh to 127.0.0.1 with the password" "exit $rc: $out"
fi
check_grep 'SESSION=jdoe/sshd/user' "sshd opened a logind session for jdoe" printf '%s' "$out"
check_eq "$uid directory" "$(in_box stat -c '%u %F' /home/jdoe)" "pam_mkhomedir made the home again at the ssh sign-in"
check_grep 'login +jdoe +ok +service=sshd' "the audit trail has the ssh sign-in" in_box staffctl audit --user jdoe

# ---- a local account signs in while staffd is stopped ----
check "systemctl stop staffd.socket staffd.service" in_box systemctl stop staffd.socket staffd.service
check_eq "inactive inactive" "$(in_box systemctl is-active staffd.socket staffd.service | paste -sd' ')" \
	"staffd and its socket are stopped"
out=$(pty login -- "login: " clerk "Password: " "$LOCAL_PASSWORD" '$ ' 'echo "WHO=$(id -un)"; exit' 2>&1)
rc=$?
if [ "$rc" -eq 0 ] && printf '%s' "$out" | grep -q 'WHO=clerk'; then
	pass "the local account clerk signs in at login(1) while staffd is stopped"
else
	fail "the local account clerk signs in at login(1) while staffd is stopped" "exit $rc: $out"
fi
read -r ms rc <<< "$(box_ms getent passwd root)"
check_eq "0" "$rc" "getent passwd root answers while staffd is stopped ($ms ms)"

done_testing
