# Sourced by the integration tests: a private staffd on a temporary
# directory, TAP output, and cleanup on every exit path.
set -u

: "${STAFFD:?STAFFD must name the staffd binary (tests/run sets it)}"
: "${STAFFCTL:?STAFFCTL must name the staffctl binary}"
: "${VCALL:?VCALL must name the vcall test client}"
TOPDIR=${TOPDIR:-$(pwd)}

T=$(mktemp -d /tmp/staffd-test.XXXXXX)
# Other uids must reach the socket for the authorization tests.
chmod 755 "$T"
SOCK=$T/staffd.sock
MAILDIR=$T/mail
export STAFFD_SOCKET=$SOCK
STAFFD_PID=
# Other processes a test starts (a second staffd): cleanup stops them.
EXTRA_PIDS=
tests_run=0
tests_failed=0

write_config() {
	cat > "$T/staffd.conf" <<CONF
[daemon]
state_dir = $T/state
socket = $SOCK
userdb_socket = ${USERDB_SOCKET:-}
# The tests run staffd as root and look into its files: no switch to the staffd user.
user =
${EXTRA_DAEMON_CONFIG:-}
[mail]
mail_command = $TOPDIR/tools/mail-to-dir $MAILDIR
${EXTRA_MAIL_CONFIG:-}
[hashing]
# Small Argon2id parameters keep the suite fast; production defaults are larger.
opslimit = 1
memlimit = 8M
${EXTRA_HASHING_CONFIG:-}
CONF
}

start_daemon() {
	local conf=${1:-$T/staffd.conf}
	"$STAFFD" --config "$conf" >> "$T/staffd.log" 2>&1 &
	STAFFD_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && return 0
		kill -0 "$STAFFD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# staffd did not start:" >&2
	sed 's/^/# /' "$T/staffd.log" >&2
	return 1
}

stop_daemon() {
	[ -n "$STAFFD_PID" ] || return 0
	kill -TERM "$STAFFD_PID" 2>/dev/null
	wait "$STAFFD_PID" 2>/dev/null
	STAFFD_PID=
}

cleanup() {
	local p
	for p in $EXTRA_PIDS; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	EXTRA_PIDS=
	stop_daemon
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

# ---- TAP ----
pass() { tests_run=$((tests_run + 1)); echo "ok $tests_run - $1"; }
fail() {
	tests_run=$((tests_run + 1)); tests_failed=$((tests_failed + 1))
	echo "not ok $tests_run - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /' | head -20
	return 0
}

# check DESC CMD...: CMD exits 0.
check() {
	local desc=$1 out; shift
	if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "exit $?: $out"; fi
}

# check_exit CODE DESC CMD...: CMD exits with CODE.
check_exit() {
	local want=$1 desc=$2 out rc; shift 2
	out=$("$@" 2>&1); rc=$?
	if [ "$rc" -eq "$want" ]; then pass "$desc"; else fail "$desc" "exit $rc, wanted $want: $out"; fi
}

# check_grep REGEX DESC CMD...: CMD's output (stdout and stderr) matches REGEX.
check_grep() {
	local re=$1 desc=$2 out; shift 2
	out=$("$@" 2>&1)
	if printf '%s' "$out" | grep -Eq -- "$re"; then pass "$desc"; else fail "$desc" "no /$re/ in: $out"; fi
}

# check_eq WANT GOT DESC
check_eq() {
	if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "wanted [$1], got [$2]"; fi
}

done_testing() {
	echo "1..$tests_run"
	[ "$tests_failed" -eq 0 ]
	exit $?
}

# ---- helpers ----
ctl() { "$STAFFCTL" "$@"; }
vcall() { "$VCALL" --socket "$SOCK" "$@"; }
# jget JSON FILTER: one value with jq, raw.
jget() { printf '%s' "$1" | jq -r "$2"; }

# The newest mail to ADDRESS, and the code in it.
last_mail_to() { grep -l "^To: $1" "$MAILDIR"/*.eml 2>/dev/null | xargs -r ls -t | head -1; }
code_in_mail() { sed -n 's/^\(Activation\|Reset\) code: //p' "$1" | head -1; }

# Snapshot of what a rejected request must not change.
snapshot() {
	vcall io.practice.Staff.GetStatus | jq -j '.parameters.status | "\(.staff)/\(.audit_records)"'
}

# activate USER PASSWORD: the staff member's first sign-in, as pam_practice does it.
activate() {
	local user=$1 password=$2 email mail code codeword grant
	email=$(vcall io.practice.Staff.UserShow "{\"username\":\"$user\"}" | jq -r '.parameters.user.email')
	mail=$(last_mail_to "$email")
	code=$(code_in_mail "$mail")
	codeword=$(vcall io.practice.Staff.CodewordShow | jq -r '.parameters.codeword')
	grant=$(vcall io.practice.Staff.Authenticate \
		"$(jq -nc --arg u "$user" --arg s "$code" --arg c "$codeword" '{username:$u,secret:$s,codeword:$c}')" |
		jq -r '.parameters.grant')
	[ -n "$grant" ] && [ "$grant" != null ] || return 1
	vcall io.practice.Staff.ChangePassword \
		"$(jq -nc --arg u "$user" --arg g "$grant" --arg p "$password" '{username:$u,grant:$g,new_password:$p}')" >/dev/null
}

# A practice with one location, ready for staff.
setup_practice() {
	vcall io.practice.Staff.Init '{"practice":"Riverside Family Clinic","admin":{"username":"amy","email":"amy@riverside.example","first_name":"Amy","last_name":"Admin"},"codeword":"maple harbor"}' >/dev/null &&
		vcall io.practice.Staff.LocationAdd '{"name":"Main","address":"12 River St"}' >/dev/null
}

# ---- more helpers ----

# check_daemon_stops: stops staffd, which must exit 0 and leave no
# sanitizer report on its log.
check_daemon_stops() {
	local rc report
	[ -n "$STAFFD_PID" ] || return 0
	kill -TERM "$STAFFD_PID" 2>/dev/null
	wait "$STAFFD_PID"
	rc=$?
	STAFFD_PID=
	report=$(grep -E -A12 'Sanitizer|runtime error' "$T/staffd.log")
	if [ "$rc" -eq 0 ] && [ -z "$report" ]; then
		pass "staffd stops cleanly"
	else
		fail "staffd stops cleanly" "exit $rc; $report"
	fi
}

# start_extra_daemon CONF: a second staffd on CONF (its own state_dir and
# socket); sets EXTRA_STAFFD_PID once its socket is there. cleanup stops it.
start_extra_daemon() {
	local conf=$1 sock
	sock=$(sed -n 's/^socket = //p' "$conf")
	"$STAFFD" --config "$conf" >> "$conf.log" 2>&1 &
	EXTRA_STAFFD_PID=$!
	EXTRA_PIDS="$EXTRA_PIDS $EXTRA_STAFFD_PID"
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && return 0
		kill -0 "$EXTRA_STAFFD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "# second staffd did not start:" >&2
	sed 's/^/# /' "$conf.log" >&2
	return 1
}

# stop_extra_daemon PID: stops it; returns its exit status.
stop_extra_daemon() {
	local pid=$1 p rest= rc
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	rc=$?
	for p in $EXTRA_PIDS; do [ "$p" = "$pid" ] || rest="$rest $p"; done
	EXTRA_PIDS=$rest
	return $rc
}

# check_extra_daemon_stops CONF: stops the second staffd started on CONF,
# which must exit 0 and leave no sanitizer report on its log.
check_extra_daemon_stops() {
	local conf=$1 rc report
	stop_extra_daemon "$EXTRA_STAFFD_PID"
	rc=$?
	report=$(grep -E -A12 'Sanitizer|runtime error' "$conf.log")
	if [ "$rc" -eq 0 ] && [ -z "$report" ]; then
		pass "the second staffd stops cleanly"
	else
		fail "the second staffd stops cleanly" "exit $rc; $report"
	fi
}

# derive_config DIR [KEY VALUE]...: a copy of the test's configuration with
# its state_dir, socket and userdb socket under DIR and each KEY's line set to VALUE
# (KEY must already be in the file: a second line would be a duplicate key).
# Prints the new file's name.
derive_config() {
	local dir=$1 conf=$1/staffd.conf
	shift
	mkdir -p "$dir"
	# A userdb socket moves too (same name: it is the service's name), as one
	# daemon never takes over another's live socket.
	sed -e "s|^state_dir = .*|state_dir = $dir/state|" -e "s|^socket = .*|socket = $dir/staffd.sock|" \
		-e "s|^userdb_socket = \(.*/\)\{0,1\}\([^/][^/]*\)$|userdb_socket = $dir/\2|" \
		"$T/staffd.conf" > "$conf"
	while [ $# -ge 2 ]; do
		grep -q "^$1 = " "$conf" || { echo "# derive_config: no $1 in the configuration" >&2; return 1; }
		sed -i "s|^$1 = .*|$1 = $2|" "$conf"
		shift 2
	done
	echo "$conf"
}

# as_uid UID CMD...: CMD as uid and gid UID, without supplementary groups.
as_uid() {
	local uid=$1
	shift
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- "$@"
}

# user_field USER FIELD: one field of USER's record as the daemon has it.
user_field() { vcall io.practice.Staff.UserShow "{\"username\":\"$1\"}" | jq -r ".parameters.user.$2"; }

# add_staff USER ROLE [STAFFCTL OPTIONS]...: a pending staff member named
# after USER, at the first location unless options say otherwise.
add_staff() {
	local user=$1 role=$2
	shift 2
	"$STAFFCTL" user add "$user" --email "$user@riverside.example" --first "${user^}" --last Tester \
		--role "$role" "$@" >/dev/null
}

# wrong_logins USER N: N sign-ins with a wrong password, as root.
wrong_logins() {
	local i
	for i in $(seq 1 "$2"); do
		vcall io.practice.Staff.Authenticate "{\"username\":\"$1\",\"secret\":\"Wrong-Guess-$i\"}" >/dev/null
	done
	return 0
}

# check_rejected CODE REGEX DESC CMD...: CMD exits with CODE, says something
# matching REGEX, and the user count and audit length do not change.
check_rejected() {
	local want=$1 re=$2 desc=$3 out rc before after
	shift 3
	before=$(snapshot)
	out=$("$@" 2>&1)
	rc=$?
	after=$(snapshot)
	if [ "$rc" -ne "$want" ]; then
		fail "$desc" "exit $rc, wanted $want: $out"
	elif ! printf '%s' "$out" | grep -Eq -- "$re"; then
		fail "$desc" "no /$re/ in: $out"
	elif [ "$before" != "$after" ]; then
		fail "$desc" "staff/audit went from $before to $after: $out"
	else
		pass "$desc"
	fi
}

# pty_session OUT CMD [PROMPT ANSWER]...: runs the shell command CMD on a
# terminal (script(1)), typing each ANSWER once PROMPT has appeared (a
# prompt given twice waits for its second appearance); what the terminal
# showed goes to OUT and CMD's exit status to PTY_RC.
pty_session() {
	local out=$1 cmd=$2 fifo=$T/pty.$$ spid fd prompt n seen p rest
	local -A asked=()
	shift 2
	: > "$out"
	rm -f "$fifo"
	mkfifo "$fifo"
	script -qec "$cmd" /dev/null < "$fifo" > "$out" 2>&1 &
	spid=$!
	EXTRA_PIDS="$EXTRA_PIDS $spid"
	exec {fd}> "$fifo"
	while [ $# -ge 2 ]; do
		prompt=$1
		asked[$prompt]=$((${asked[$prompt]:-0} + 1))
		n=0
		while :; do
			seen=$(grep -oF -- "$prompt" "$out" | wc -l)
			[ "$seen" -ge "${asked[$prompt]}" ] && break
			n=$((n + 1))
			if [ "$n" -gt 200 ] || ! kill -0 "$spid" 2>/dev/null; then
				break
			fi
			sleep 0.05
		done
		# The prompt is out; give the reader a moment to turn echo off.
		sleep 0.1
		printf '%s\r' "$2" >&"$fd"
		shift 2
	done
	# Keep the terminal open until the command is done: an early EOF would be typed as ^D.
	n=0
	while kill -0 "$spid" 2>/dev/null && [ "$n" -lt 200 ]; do
		n=$((n + 1))
		sleep 0.05
	done
	exec {fd}>&-
	wait "$spid"
	PTY_RC=$?
	rest=
	for p in $EXTRA_PIDS; do [ "$p" = "$spid" ] || rest="$rest $p"; done
	EXTRA_PIDS=$rest
	rm -f "$fifo"
}

write_config
