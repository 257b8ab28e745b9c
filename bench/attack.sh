#!/bin/sh
# Under attack (DESIGN 13 and 14): a private staffd with production Argon2id
# parameters; sign-ins and account checks are measured alone, then while one
# uid (nobody) holds BENCH_ATTACK_HOLD idle connections and floods PolicyCheck
# on BENCH_ATTACK_FLOOD more (bench/bench-attack.c). Prints a table of
# figures against their targets; exits 0 whatever the figures, 1 when the
# bench itself broke. Needs root (to run the attacker as nobody). See
# bench/README.md.

# Splitting $(...) into "set --" and the shared printf format are meant;
# cleanup runs from a trap.
# shellcheck disable=SC2046,SC2059,SC2317
set -u

cd "$(dirname "$0")/.." || exit 1
O=${O:-build-bench}
ACCOUNT_RUNS=${BENCH_ACCOUNT_RUNS:-2000}
LOGIN_SECONDS=${BENCH_LOGIN_SECONDS:-10}
HOLD=${BENCH_ATTACK_HOLD:-1000}
FLOOD=${BENCH_ATTACK_FLOOD:-200}
OPSLIMIT=${BENCH_OPSLIMIT:-2}
MEMLIMIT=${BENCH_MEMLIMIT:-64M}
STAFFD=${BENCH_STAFFD:-$PWD/$O/bin/staffd}
BENCH_LOGIN=$PWD/$O/bench/bench-login
BENCH_ATTACK=$PWD/$O/bench/bench-attack

for f in "$STAFFD" "$BENCH_LOGIN" "$BENCH_ATTACK"; do
	[ -x "$f" ] || { echo "attack: $f is missing; run make bench" >&2; exit 1; }
done
case $ACCOUNT_RUNS$LOGIN_SECONDS$HOLD$FLOOD$OPSLIMIT in
*[!0-9]*) echo "attack: BENCH_ACCOUNT_RUNS, BENCH_LOGIN_SECONDS, BENCH_ATTACK_HOLD, BENCH_ATTACK_FLOOD and BENCH_OPSLIMIT must be numbers" >&2; exit 1 ;;
esac
if [ "$ACCOUNT_RUNS" -eq 0 ] || [ "$LOGIN_SECONDS" -eq 0 ]; then
	echo "attack: the counts must be positive" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "attack: SKIP: needs root (the attacker runs as nobody, and staffd trusts root's sign-ins)"
	exit 0
fi

# State on tmpfs when there is one, as in login.sh.
if [ -z "${BENCH_TMPDIR:-}" ]; then
	BENCH_TMPDIR=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_TMPDIR=/dev/shm
fi
T=$(mktemp -d "$BENCH_TMPDIR/staffd-attack.XXXXXX") || exit 1
# nobody must reach the socket in it.
chmod 755 "$T"
SOCK=$T/staffd.sock
. "$(dirname "$0")/lib.sh"
ATTACKER=
BENCH_PASSWORD='Harbor!Violet27x'
BENCH_CODEWORD='maple harbor'
export BENCH_PASSWORD BENCH_CODEWORD

stop_attacker() {
	[ -n "$ATTACKER" ] || return 0
	kill -TERM "$ATTACKER" 2>/dev/null
	wait "$ATTACKER" 2>/dev/null
	set -- $?
	ATTACKER=
	return "$1"
}
cleanup() {
	[ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null
	stop_attacker
	stop_daemon
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() {
	echo "attack: $*" >&2
	if [ -s "$T/staffd.log" ]; then
		echo "attack: last lines of the daemon's log:" >&2
		tail -5 "$T/staffd.log" | sed 's/^/  /' >&2
	fi
	exit 1
}

# Production defaults but for mail to /bin/true, no userdb socket and no
# privilege drop (the bench runs as root and owns the directory).
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
CONF

"$STAFFD" --config "$T/staffd.conf" >> "$T/staffd.log" 2>&1 &
PID=$!
i=0
while [ ! -S "$SOCK" ]; do
	kill -0 "$PID" 2>/dev/null || { PID=; die "staffd did not start"; }
	i=$((i + 1))
	[ $i -lt 200 ] || die "staffd did not open its socket within 10 s"
	sleep 0.05
done

proc_kib() {
	kill -0 "$PID" 2>/dev/null || die "staffd died"
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$PID/status"
}
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"; }
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }
stat_of() { val "$1" "$2" | awk -v n="$3" '{ print $n }'; }

echo "attack: one staff user..." >&2
run "$BENCH_LOGIN" setup "$SOCK" battack 1 || die "setting up the staff user failed"
STAFF_USER=battack0

# measure PHASE: sign-ins one after another for LOGIN_SECONDS, then
# ACCOUNT_RUNS account checks next to bare round trips.
measure() {
	echo "attack: $1: sign-ins for $LOGIN_SECONDS s, then $ACCOUNT_RUNS account checks..." >&2
	run "$BENCH_LOGIN" logins "$SOCK" battack 1 1 "$LOGIN_SECONDS" > "$T/logins-$1.out" ||
		die "the sign-ins ($1) failed"
	run "$BENCH_LOGIN" account "$SOCK" "$STAFF_USER" "$ACCOUNT_RUNS" "$T/echo.sock" > "$T/account-$1.out" ||
		die "the account checks ($1) failed"
}

measure alone
RSS_IDLE=$(proc_kib VmRSS)

echo "attack: nobody holds $HOLD idle connections and floods PolicyCheck on $FLOOD more..." >&2
setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$BENCH_ATTACK" "$SOCK" "$HOLD" "$FLOOD" > "$T/attacker.out" &
ATTACKER=$!
sleep 2
kill -0 "$ATTACKER" 2>/dev/null || { ATTACKER=; die "the attacker stopped"; }
CPU0=$(cpu_s "$PID")
T0=$(date +%s.%N)
measure attacked
RSS_ATTACK=$(proc_kib VmRSS)
HWM=$(proc_kib VmHWM)
CPU1=$(cpu_s "$PID")
T1=$(date +%s.%N)
CONNS=$(find "/proc/$PID/fd" -mindepth 1 -lname 'socket:*' 2>/dev/null | wc -l)
stop_attacker || die "the attacker failed"
stop_daemon

# ---- the table ----
FMT="%-60s %12s  %-44s %s\n"
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"OVER\" }"; }
num() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }
row() { printf "$FMT" "$1" "$2" "$3" "$4"; }
info() { printf "$FMT" "$1" "$2" "${3:-}" "info"; }
mib() { num "$1 / 1024" "%.1f MiB"; }

L0=$(stat_of login "$T/logins-alone.out" 1)
L1=$(stat_of login "$T/logins-attacked.out" 1)
A=$T/attacker.out
echo
printf "$FMT" "under attack (one uid: $HOLD idle + $FLOOD PolicyCheck loops)" "figure" "target" "verdict"
row "sign-in (Authenticate, fresh connection), median" "$L1 ms" \
	"<= 1.2 x alone $L0 ms = $(num "1.2 * $L0") ms" "$(verdict "$L1 <= 1.2 * $L0")"
info "   sign-in, p99 alone / attacked" "$(stat_of login "$T/logins-alone.out" 3) / $(stat_of login "$T/logins-attacked.out" 3) ms"
info "   sign-ins completed alone / attacked" "$(val logins "$T/logins-alone.out") / $(val logins "$T/logins-attacked.out")" \
	"Busy: $(val busy "$T/logins-attacked.out")"
row "CheckAccount round trip, attacked, p99" "$(stat_of account "$T/account-attacked.out" 3) ms" "<= 5 ms" \
	"$(verdict "$(stat_of account "$T/account-attacked.out" 3) <= 5")"
info "   CheckAccount median alone / attacked" \
	"$(stat_of account "$T/account-alone.out" 1) / $(stat_of account "$T/account-attacked.out" 1) ms" \
	"bare round trip $(stat_of bare "$T/account-attacked.out" 1) ms"
info "   CheckAccount p99 alone" "$(stat_of account "$T/account-alone.out" 3) ms"
row "daemon VmRSS under attack, after the sign-ins" "$(mib "$RSS_ATTACK")" "< 32 MiB" \
	"$(verdict "$RSS_ATTACK < 32 * 1024")"
info "   daemon VmRSS alone / VmHWM (one Argon2id: $MEMLIMIT)" "$(mib "$RSS_IDLE") / $(mib "$HWM")"
info "   daemon CPU while attacked" "$(num "($CPU1 - $CPU0) / ($T1 - $T0) * 100" "%.0f") %" "of one core"
info "   connections the daemon held at the end" "$CONNS" "of $HOLD + $FLOOD asked for"
info "   attacker: held idle / connects for them" "$(val held "$A") / $(val hold_opened "$A")"
info "   attacker: PolicyCheck answered / Busy / other" \
	"$(val checks_ok "$A") / $(val checks_busy "$A") / $(val checks_other "$A")" \
	"reconnects: $(val flood_reopened "$A")"
exit 0
