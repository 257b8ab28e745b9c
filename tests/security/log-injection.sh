#!/bin/bash
# Logs cannot be forged (DESIGN 14). Names, parameter names, ttys and remote
# hosts holding newlines, carriage returns, terminal escapes, C1 and bidi
# controls reach staffd's standard error, the journal and `staffctl audit`
# escaped as \xNN: no input starts a line of its own or hides the rest of
# one. The open methods are called as nobody; the names, ttys and hosts that
# sshd or login hand to PAM go through the module as root, as they do there.
. "$(dirname "$0")/../pam/common.sh"
. "$TOPDIR/tests/tools/sd-helpers.sh"

NOBODY=65534
# What each payload tries to put on a line of its own.
FORGED='staffd: audit #1: root login FORGED: ok'
# The same payloads as JSON string contents (for vcall) and as bytes (for PAM).
JSON_PAYLOADS=(
	"x\\n$FORGED"
	"x\\r$FORGED"
	"\\u001b[2K\\u001b[1G$FORGED"
	"\\u009b2K$FORGED"
	"\\u202e$FORGED"
	"x\\u2028$FORGED"
)
NL=$(printf 'x\n%s' "$FORGED")
CR=$(printf 'pts/9\r%s' "$FORGED")
ESC=$(printf '\033[2K\033[1G%s' "$FORGED")
RLO=$(printf 'host\342\200\256%s' "$FORGED")

# attack: everything an outsider and a PAM stack can send, against the running daemon.
attack() {
	local p
	for p in "${JSON_PAYLOADS[@]}"; do
		# Unknown parameters are named in the log; the name is the caller's.
		as_uid "$NOBODY" "$VCALL" --socket "$SOCK" io.practice.Staff.PolicyCheck \
			"{\"password\":\"x\",\"$p\":1}" >/dev/null 2>&1
		as_uid "$NOBODY" "$VCALL" --socket "$SOCK" io.practice.Staff.Authenticate \
			"{\"username\":\"$p\",\"secret\":\"x\",\"$p\":1}" >/dev/null 2>&1
		as_uid "$NOBODY" "$VCALL" --socket "$SOCK" io.practice.Staff.Authenticate \
			"{\"username\":\"$p\",\"secret\":\"x\"}" >/dev/null 2>&1
		as_uid "$NOBODY" "$VCALL" --socket "$SOCK" io.practice.Staff.ForgotPassword \
			"{\"username\":\"$p\"}" >/dev/null 2>&1
		as_uid "$NOBODY" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus "{\"$p\":true}" >/dev/null 2>&1
	done
	for p in "$NL" "$CR" "$ESC" "$RLO"; do
		as_uid "$NOBODY" "$VCALL" --socket "$SOCK" "io.practice.Staff.$p" "{}" >/dev/null 2>&1
	done
	# A user name as sshd passes it on, and a real user's failed login from a
	# tty and host that are not what they claim.
	answers "Wrong-Guess-1" | drive login "$NL" --tty "$CR" --rhost "$ESC" auth >/dev/null
	answers "Wrong-Guess-2" | drive login "$ESC" auth >/dev/null
	answers "Wrong-Guess-3" | drive login jdoe --tty "$CR" --rhost "$RLO" auth >/dev/null
	answers "Wrong-Guess-4" | drive login jdoe --tty "$NL" --rhost "$ESC" auth >/dev/null
	answers "$PW" | drive login jdoe --tty "$NL" auth acct >/dev/null
}

# control_bytes FILE: bytes that move the cursor, end a line (other than the
# newlines between lines) or reorder text: C0, DEL, C1 and bidi controls, and
# the line and paragraph separators.
control_bytes() {
	{
		LC_ALL=C tr -d '\n\040-\176\200-\377' < "$1"
		LC_ALL=C grep -aoE $'\xc2[\x80-\x9f]|\xe2\x80[\xa8-\xae]|\xe2\x81[\xa6-\xa9]' "$1"
	} | LC_ALL=C od -An -c | head -3
}

# check_not_forged FILE WHAT: no line of FILE is a forged one, nothing in it
# moves the cursor, and the attempts are there, escaped.
check_not_forged() {
	local file=$1 what=$2 forged ctl
	forged=$(grep -anE '^(staffd: audit #1: root login FORGED|FORGED)' "$file" | head -3)
	check_eq "" "$forged" "$what: no forged line"
	ctl=$(control_bytes "$file")
	check_eq "" "$ctl" "$what: no control characters"
	if grep -qaF 'x\x0astaffd: audit #1: root login FORGED' "$file"; then
		pass "$what: a newline shows as \\x0a"
	else
		fail "$what: a newline shows as \\x0a" "$(grep -a FORGED "$file" | head -5)"
	fi
}

start_daemon || exit 1
setup_practice || exit 1
service login
add_active jdoe >/dev/null

# ---- standard error ----
attack
stop_daemon
check_not_forged "$T/staffd.log" "staffd's standard error"
check_eq "" "$(grep -anv '^staffd: ' "$T/staffd.log" | head -3)" "every line of staffd's standard error is its own"
check_grep '\\x1b\[2K\\x1b\[1Gstaffd: audit' "terminal escapes show as \\x1b" cat "$T/staffd.log"
check_grep "'x\\\\x0dstaffd: audit" "a carriage return shows as \\x0d" cat "$T/staffd.log"

# ---- staffctl audit ----
start_daemon || exit 1
ctl audit > "$T/audit.txt" 2>&1
check_not_forged "$T/audit.txt" "staffctl audit"
check_grep 'rhost=host\\xe2\\x80\\xaestaffd' "staffctl audit: a right-to-left override shows as \\xe2\\x80\\xae" cat "$T/audit.txt"
# --json keeps JSON's own escaping: the value is the one sent.
tty=$(ctl --json audit | jq -r '[.[] | select(.target == "jdoe" and .tty != null) | .tty] | first')
check_eq "$CR" "$tty" "staffctl --json audit gives the tty as it was sent"

# ---- the journal ----
private_journal() {
	[ "$(id -u)" -eq 0 ] && [ -d /run/systemd ] && command -v unshare >/dev/null &&
		unshare --mount --propagation private true 2>/dev/null
}
stop_daemon
if private_journal; then
	: > "$T/stderr"
	stream=$(stat -c '%d:%i' "$T/stderr")
	# A tmpfs over /run/systemd in a namespace of its own: staffd's journal
	# socket is a listener of this test, and the real journal is untouched.
	unshare --mount --propagation private bash -c '
		mount -t tmpfs -o mode=0755 tmpfs /run/systemd || exit 1
		mkdir /run/systemd/journal
		"$1" /run/systemd/journal/socket > "$2/journal.out" 2>&1 &
		echo $! > "$2/journal-listener.pid"
		for _ in $(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.02; done
		JOURNAL_STREAM=$3 exec "$4" --config "$2/staffd.conf"
	' journal "$NOTIFY_LISTEN" "$T" "$stream" "$STAFFD" 2>> "$T/stderr" &
	STAFFD_PID=$!
	for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	EXTRA_PIDS="$EXTRA_PIDS $(cat "$T/journal-listener.pid" 2>/dev/null)"
	attack
	stop_daemon
	check_not_forged "$T/journal.out" "the journal"
	# A field with a newline in it would travel in the journal's binary form
	# (NAME, newline, length): every line must be NAME=VALUE.
	check_eq "" "$(grep -anvE '^([A-Z0-9_]+=|$)' "$T/journal.out" | head -3)" "the journal: every field is NAME=VALUE on one line"
	check_grep '^STAFF_TTY=pts/9\\x0dstaffd: audit #1' "STAFF_TTY is escaped" cat "$T/journal.out"
	check_grep '^STAFF_RHOST=\\x1b\[2K' "STAFF_RHOST is escaped" cat "$T/journal.out"
	check_grep '^MESSAGE=.*unknown parameter .*x\\x0astaffd' "MESSAGE is escaped" cat "$T/journal.out"
else
	pass "the journal on a private socket # SKIP needs root, /run/systemd and unshare --mount"
fi

pam_done_testing
