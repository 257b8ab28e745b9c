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
tests_run=0
tests_failed=0

write_config() {
	cat > "$T/staffd.conf" <<CONF
[daemon]
state_dir = $T/state
socket = $SOCK
userdb_socket =
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
	printf '%s/%s' \
		"$(vcall io.practice.Staff.GetStatus | jq -r '.parameters.status.staff')" \
		"$(vcall io.practice.Staff.GetStatus | jq -r '.parameters.status.audit_records')"
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

write_config
