#!/bin/sh
# Logins and account checks (DESIGN 13): a private staffd on a temporary
# directory with production Argon2id parameters, signed in to through
# pam_practice in-process and over the protocol, next to the bare Argon2id
# verification, a bare Unix-socket round trip and Debian's pam_unix +
# pam_faillock stack, all measured in this run. Prints a table of figures
# against their targets; exits 0 whatever the figures, 1 when the bench
# itself broke. Needs root (a local account for pam_unix). See bench/README.md.

# Splitting $(...) into "set --" and the shared printf format are meant;
# cleanup runs from a trap.
# shellcheck disable=SC2046,SC2059,SC2317
set -u

cd "$(dirname "$0")/.." || exit 1
O=${O:-build-bench}
RUNS=${BENCH_RUNS:-30}
ACCOUNT_RUNS=${BENCH_ACCOUNT_RUNS:-2000}
LOGIN_SECONDS=${BENCH_LOGIN_SECONDS:-10}
QUEUE=${BENCH_QUEUE:-4}
OPSLIMIT=${BENCH_OPSLIMIT:-2}
MEMLIMIT=${BENCH_MEMLIMIT:-64M}
STAFFD=${BENCH_STAFFD:-$PWD/$O/bin/staffd}
MODULE=$PWD/$O/pam_practice.so
BENCH_PAM=$PWD/$O/bench/bench-pam
BENCH_LOGIN=$PWD/$O/bench/bench-login

for f in "$STAFFD" "$BENCH_PAM" "$BENCH_LOGIN"; do
	[ -x "$f" ] || { echo "login: $f is missing; run make bench" >&2; exit 1; }
done
[ -f "$MODULE" ] || { echo "login: $MODULE is missing; run make bench" >&2; exit 1; }
case $RUNS$ACCOUNT_RUNS$LOGIN_SECONDS$QUEUE$OPSLIMIT in
*[!0-9]*) echo "login: BENCH_RUNS, BENCH_ACCOUNT_RUNS, BENCH_LOGIN_SECONDS, BENCH_QUEUE and BENCH_OPSLIMIT must be numbers" >&2; exit 1 ;;
esac
if [ "$RUNS" -eq 0 ] || [ "$ACCOUNT_RUNS" -eq 0 ] || [ "$LOGIN_SECONDS" -eq 0 ] || [ "$QUEUE" -eq 0 ]; then
	echo "login: the counts must be positive" >&2
	exit 1
fi
# memlimit as staffd.conf writes it (a number with K, M or G) and in bytes.
MEMLIMIT_BYTES=$(echo "$MEMLIMIT" | awk '/^[0-9]+[KMG]?$/ {
	n = $0 + 0; u = substr($0, length($0)); m = u == "K" ? 1024 : u == "M" ? 1048576 : u == "G" ? 1073741824 : 1
	printf "%.0f", n * m }')
[ -n "$MEMLIMIT_BYTES" ] || { echo "login: BENCH_MEMLIMIT must be a size such as 64M" >&2; exit 1; }
if [ "$(id -u)" -ne 0 ]; then
	echo "login: SKIP: needs root (a local account for pam_unix, and staffd trusts only root's sockets here)"
	exit 0
fi

# State on tmpfs when there is one, as in directory.sh: every login writes a
# transaction, and the figures are about hashing and the round trips, not
# about the disk's fsync (BENCH_TMPDIR=/var/tmp for a disk).
if [ -z "${BENCH_TMPDIR:-}" ]; then
	BENCH_TMPDIR=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_TMPDIR=/dev/shm
fi
T=$(mktemp -d "$BENCH_TMPDIR/staffd-login.XXXXXX") || exit 1
SOCK=$T/staffd.sock
. "$(dirname "$0")/lib.sh"
LOAD=
LOCAL_USER=
# The password of the bench's staff users and local account, and the code
# word: passed to the helpers in the environment, never on a command line.
BENCH_PASSWORD='Harbor!Violet27x'
BENCH_CODEWORD='maple harbor'
export BENCH_PASSWORD BENCH_CODEWORD


stop_load() {
	[ -n "$LOAD" ] || return 0
	kill -TERM "$LOAD" 2>/dev/null
	wait "$LOAD" 2>/dev/null
	set -- $?
	LOAD=
	return "$1"
}
cleanup() {
	[ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null
	stop_load
	stop_daemon
	if [ -n "$LOCAL_USER" ] && getent passwd "$LOCAL_USER" > /dev/null; then
		userdel "$LOCAL_USER" 2>/dev/null
		getent group "$LOCAL_USER" > /dev/null && groupdel "$LOCAL_USER" 2>/dev/null
	fi
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() {
	echo "login: $*" >&2
	if [ -s "$T/staffd.log" ]; then
		echo "login: last lines of the daemon's log:" >&2
		tail -5 "$T/staffd.log" | sed 's/^/  /' >&2
	fi
	exit 1
}

# Production defaults except: mail to /bin/true, no userdb socket, no
# privilege drop (the bench runs as root and owns the directory), and the
# extra [hashing] line given. The Argon2id parameters are written out so that
# the helpers use the same; they are the defaults unless BENCH_OPSLIMIT or
# BENCH_MEMLIMIT say otherwise.
write_config() {
	cat > "$T/staffd.conf" <<CONF
[daemon]
user =
state_dir = $T/state
socket = $SOCK
userdb_socket =

[mail]
mail_command = /bin/true

[hashing]
opslimit = $OPSLIMIT
memlimit = $MEMLIMIT
${1:-}
CONF
}

start_daemon() {
	"$STAFFD" --config "$T/staffd.conf" >> "$T/staffd.log" 2>&1 &
	PID=$!
	i=0
	while [ ! -S "$SOCK" ]; do
		kill -0 "$PID" 2>/dev/null || { PID=; die "staffd did not start"; }
		i=$((i + 1))
		[ $i -lt 200 ] || die "staffd did not open its socket within 10 s"
		sleep 0.05
	done
}

# A field of the daemon's /proc status, in KiB.
proc_kib() {
	kill -0 "$PID" 2>/dev/null || die "staffd died"
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"
}
# The value of KEY in a "key value..." file (the rest of the line).
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }
# Field N (1 = median, 2 = p95, 3 = p99, 4 = min, 5 = max) of KEY's stats.
stat_of() { val "$1" "$2" | awk -v n="$3" '{ print $n }'; }

CORES=$(getconf _NPROCESSORS_ONLN)
WORKERS=$CORES
CLIENTS=$((2 * CORES))
NUSERS=$CLIENTS

write_config
start_daemon

echo "login: $NUSERS staff users, a local account, PAM services in $T/pam.d..." >&2
run "$BENCH_LOGIN" setup "$SOCK" blogin "$NUSERS" || die "setting up the staff users failed"
STAFF_USER=blogin0
UNKNOWN_USER=nostaff$$

# The local account for pam_unix: no home, no shell, removed by cleanup.
LOCAL_USER=pbench$$
useradd --no-create-home --user-group --shell /usr/sbin/nologin "$LOCAL_USER" 2>"$T/useradd.err" ||
	{ LOCAL_USER=; die "useradd failed: $(cat "$T/useradd.err")"; }
printf '%s:%s\n' "$LOCAL_USER" "$BENCH_PASSWORD" | chpasswd || die "chpasswd failed"
LOCAL_HASH=$(getent shadow "$LOCAL_USER" | cut -d: -f2 | awk -F'$' '{
	m = $2 == "y" ? "yescrypt" : $2 == "6" ? "sha512crypt" : $2 == "5" ? "sha256crypt" : $2 == "gy" ? "gost-yescrypt" : "$" $2 "$"
	print m " " ($2 == "y" ? "$y$" $3 : "") }')

mkdir -p "$T/pam.d" "$T/faillock" || die "cannot create $T/pam.d"
ARGS="socket=$SOCK timeout=60000"
cat > "$T/pam.d/practice" <<PAM
auth     required  $MODULE $ARGS
account  required  $MODULE $ARGS
PAM
# Debian's pam_unix with pam_faillock as pam_faillock(8) stacks them, the
# tally in the temporary directory.
cat > "$T/pam.d/unix" <<PAM
auth     requisite                pam_faillock.so preauth dir=$T/faillock
auth     [success=1 default=bad]  pam_unix.so
auth     [default=die]            pam_faillock.so authfail dir=$T/faillock
auth     sufficient               pam_faillock.so authsucc dir=$T/faillock
auth     required                 pam_deny.so
account  required                 pam_faillock.so dir=$T/faillock
account  required                 pam_unix.so
PAM
cat > "$T/pam.d/unix-account" <<PAM
account  required  pam_unix.so
PAM

# ---- 1, 4, 5: whole logins in-process, next to the bare verification ----
echo "login: $RUNS rounds of verify / login / wrong password / unknown user / pam_unix login..." >&2
run "$BENCH_PAM" --verify "$OPSLIMIT,$MEMLIMIT_BYTES" "$RUNS" "$T/pam.d" \
	"login:practice:$STAFF_USER:right:auth+acct:SUCCESS+SUCCESS" \
	"wrong:practice:$STAFF_USER:wrong:auth:AUTH_ERR" \
	"unknown:practice:$UNKNOWN_USER:wrong:auth:USER_UNKNOWN" \
	"unix_login:unix:$LOCAL_USER:right:auth+acct:SUCCESS+SUCCESS" > "$T/pam-login.out" ||
	die "timing the logins failed"

# ---- 5, 6: account checks in-process ----
echo "login: $ACCOUNT_RUNS rounds of PAM account checks..." >&2
run "$BENCH_PAM" "$ACCOUNT_RUNS" "$T/pam.d" \
	"acct:practice:$STAFF_USER:none:acct:SUCCESS" \
	"unix_acct:unix-account:$LOCAL_USER:none:acct:SUCCESS" \
	"unix_stack_acct:unix:$LOCAL_USER:none:acct:SUCCESS" > "$T/pam-acct.out" ||
	die "timing the account checks failed"

# ---- 3: CheckAccount over the protocol, idle ----
echo "login: $ACCOUNT_RUNS CheckAccount and bare round trips, idle..." >&2
run "$BENCH_LOGIN" account "$SOCK" "$STAFF_USER" "$ACCOUNT_RUNS" "$T/echo.sock" > "$T/account-idle.out" ||
	die "timing CheckAccount failed"

# ---- 2: parallel logins ----
RSS_IDLE=$(proc_kib VmRSS)
echo "login: bare verification, alone and in $WORKERS threads for $LOGIN_SECONDS s..." >&2
run "$BENCH_LOGIN" verify "$OPSLIMIT,$MEMLIMIT_BYTES" "$WORKERS" "$LOGIN_SECONDS" > "$T/verify.out" ||
	die "timing the bare verification failed"
echo "login: $CLIENTS clients signing in for $LOGIN_SECONDS s..." >&2
run "$BENCH_LOGIN" logins "$SOCK" blogin "$NUSERS" "$CLIENTS" "$LOGIN_SECONDS" > "$T/throughput.out" ||
	die "the parallel logins failed"
HWM_THROUGHPUT=$(proc_kib VmHWM)

# ---- 3: CheckAccount while every worker hashes ----
echo "login: the same round trips while $CLIENTS clients sign in..." >&2
"$BENCH_LOGIN" logins "$SOCK" blogin "$NUSERS" "$CLIENTS" 0 > "$T/load.out" &
LOAD=$!
sleep 1
kill -0 "$LOAD" 2>/dev/null || { LOAD=; die "the background logins stopped"; }
run "$BENCH_LOGIN" account "$SOCK" "$STAFF_USER" "$ACCOUNT_RUNS" "$T/echo.sock" > "$T/account-load.out" ||
	die "timing CheckAccount under load failed"
stop_load || die "the background logins failed"

# ---- 2: beyond the queue ----
stop_daemon
write_config "queue = $QUEUE"
start_daemon
sleep 1
RSS_SMALLQ=$(proc_kib VmRSS)
BURST=$((WORKERS + QUEUE + (WORKERS + QUEUE > 8 ? WORKERS + QUEUE : 8)))
echo "login: $BURST Authenticate calls at once with $WORKERS workers and a queue of $QUEUE..." >&2
run "$BENCH_LOGIN" burst "$SOCK" "$STAFF_USER" "$BURST" > "$T/burst.out" || die "the burst failed"
# The same with a pause after the first WORKERS calls, so that the workers
# have taken theirs before the rest arrive.
run "$BENCH_LOGIN" burst "$SOCK" "$STAFF_USER" "$BURST" "$WORKERS" 20 > "$T/burst-paused.out" ||
	die "the paused burst failed"
HWM_BURST=$(proc_kib VmHWM)
stop_daemon

# ---- the table ----
FMT="%-60s %12s  %-44s %s\n"
# verdict TEST: PASS when the awk expression TEST holds.
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"OVER\" }"; }
# num EXPR [FORMAT]: the awk expression's value.
num() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }
row() { printf "$FMT" "$1" "$2" "$3" "$4"; }
info() { printf "$FMT" "$1" "$2" "${3:-}" "info"; }

F=$T/pam-login.out
VERIFY=$(stat_of verify "$F" 1)
LOGIN=$(stat_of login "$F" 1)
WRONG=$(stat_of wrong "$F" 1)
UNKNOWN=$(stat_of unknown "$F" 1)
UNIX_LOGIN=$(stat_of unix_login "$F" 1)
F=$T/pam-acct.out
ACCT=$(stat_of acct "$F" 1)
UNIX_ACCT=$(stat_of unix_acct "$F" 1)
UNIX_STACK_ACCT=$(stat_of unix_stack_acct "$F" 1)
LOGIN_LIMIT=$(num "1.05 * $VERIFY + 1")
UW=$(num "$UNKNOWN / $WRONG" %.3f)
ACCT_LIMIT=$(num "$UNIX_ACCT + 0.1")
RATE=$(val rate "$T/throughput.out")
TVERIFY=$(stat_of verify "$T/verify.out" 1)
PAR_RATE=$(val parallel_rate "$T/verify.out")
IDEAL=$(num "$WORKERS / ($TVERIFY / 1000)" %.2f)
TRATIO=$(num "$RATE / $IDEAL" %.3f)
BURST_OK=$(val ok "$T/burst.out")
BURST_BUSY=$(val busy "$T/burst.out")
WANT_BUSY=$((BURST - WORKERS - QUEUE))
MEM_KIB=$((MEMLIMIT_BYTES / 1024))
# At most WORKERS hashes at once: the peak stays below what one more
# concurrent hash would add (half a memlimit of slack for stacks and arenas).
BOUND_THROUGHPUT=$((RSS_IDLE + WORKERS * MEM_KIB + MEM_KIB / 2))
BOUND_BURST=$((RSS_SMALLQ + WORKERS * MEM_KIB + MEM_KIB / 2))
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

echo
echo "Logins and account checks: Argon2id opslimit $OPSLIMIT, memlimit $MEMLIMIT ($([ "$OPSLIMIT$MEMLIMIT" = 264M ] && echo "production defaults" || echo "NOT the production defaults")),"
echo "$CORES cores, $WORKERS hash workers; state on $(df -PT "$T" | awk 'NR == 2 { print $2 }') ($BENCH_TMPDIR); medians of $RUNS logins and"
echo "$ACCOUNT_RUNS account checks; pam_unix account $LOCAL_USER with a $LOCAL_HASH password hash."
printf "$FMT" "figure" "measured" "target" "verdict"
printf "$FMT" "------" "--------" "------" "-------"
row "1. login via pam_practice (auth+acct, in-process)" "$LOGIN ms" \
	"<= $LOGIN_LIMIT ms (1.05 x verify + 1 ms)" "$(verdict "$LOGIN <= $LOGIN_LIMIT")"
info "   bare crypto_pwhash_str_verify, same process" "$VERIFY ms"
info "   login / verify" "$(num "$LOGIN / $VERIFY" %.3f)" "overhead $(num "$LOGIN - $VERIFY") ms"
info "   login p95 / verify p95" "$(stat_of login "$T/pam-login.out" 2) ms" "$(stat_of verify "$T/pam-login.out" 2) ms"
row "2. parallel logins ($CLIENTS clients, Authenticate), logins/s" "$(num "$RATE" %.2f)" \
	">= 0.9 x $WORKERS / verify = $(num "0.9 * $IDEAL" %.2f) (ratio $TRATIO)" "$(verdict "$TRATIO >= 0.9")"
info "   bare verify, one at a time, just before" "$TVERIFY ms"
info "   bare verify in $WORKERS threads of one process, per s" "$(num "$PAR_RATE" %.2f)" \
	"ratio to $WORKERS / verify: $(num "$PAR_RATE / $IDEAL" %.3f)"
info "   Authenticate latency under that load" "$(stat_of login "$T/throughput.out" 1) ms" \
	"p95 $(stat_of login "$T/throughput.out" 2) ms; $(val busy "$T/throughput.out") Busy"
row "   Busy beyond workers + queue ($BURST at once, queue $QUEUE)" "$BURST_BUSY Busy" \
	"= $WANT_BUSY Busy, $((WORKERS + QUEUE)) served ($BURST_OK)" \
	"$(verdict "$BURST_BUSY == $WANT_BUSY && $BURST_OK == $WORKERS + $QUEUE")"
info "   the same, 20 ms pause after the first $WORKERS calls" "$(val busy "$T/burst-paused.out") Busy" \
	"$(val ok "$T/burst-paused.out") served"
row "   daemon VmHWM after the parallel logins" "$(mib "$HWM_THROUGHPUT")" \
	"< idle $(mib "$RSS_IDLE") + ($WORKERS + 1/2) x $MEMLIMIT" "$(verdict "$HWM_THROUGHPUT < $BOUND_THROUGHPUT")"
row "   daemon VmHWM after the bursts" "$(mib "$HWM_BURST")" \
	"< idle $(mib "$RSS_SMALLQ") + ($WORKERS + 1/2) x $MEMLIMIT" "$(verdict "$HWM_BURST < $BOUND_BURST")"
for phase in idle load; do
	F=$T/account-$phase.out
	BARE=$(stat_of bare "$F" 1)
	M=$(stat_of account "$F" 1)
	P99=$(stat_of account "$F" 3)
	[ $phase = idle ] && what="idle" || what="while $CLIENTS clients sign in"
	row "3. CheckAccount round trip, $what, median" "$M ms" \
		"<= 2 x bare $BARE ms = $(num "2 * $BARE") ms" "$(verdict "$M <= 2 * $BARE")"
	row "   CheckAccount round trip, $what, p99" "$P99 ms" "<= 1 ms" "$(verdict "$P99 <= 1")"
	info "   bare Unix-socket round trip, $what, p99" "$(stat_of bare "$F" 3) ms"
done
info "   logins/s of the background load meanwhile" "$(val rate "$T/load.out")" "$(val busy "$T/load.out") Busy"
row "4. unknown user / wrong password (pam_practice auth)" "$UW" \
	"within 10% ($UNKNOWN / $WRONG ms)" "$(verdict "$UW >= 0.9 && $UW <= 1.1")"
info "5. pam_unix + pam_faillock login (auth+acct)" "$UNIX_LOGIN ms" "pam_practice: $LOGIN ms"
info "   pam_faillock + pam_unix account phase" "$UNIX_STACK_ACCT ms" "pam_practice: $ACCT ms"
row "6. account phase via pam_practice (pam_start..pam_end)" "$ACCT ms" \
	"<= pam_unix $UNIX_ACCT ms + 0.1 = $ACCT_LIMIT ms" "$(verdict "$ACCT <= $ACCT_LIMIT")"
info "   pam_practice account phase, p99" "$(stat_of acct "$T/pam-acct.out" 3) ms" \
	"pam_unix p99 $(stat_of unix_acct "$T/pam-acct.out" 3) ms"
exit 0
