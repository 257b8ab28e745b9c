#!/bin/sh
# Staff as OS accounts at scale (DESIGN 13, issue 4): a private staffd
# serving io.systemd.UserDatabase under /run/systemd/userdb with its own
# service name, loaded with BENCH_USERS staff users, then getpwnam() through
# nss-systemd on random staff names, idle and while logins hash, next to a
# bare Unix-socket round trip measured in the same run. Prints a table of
# figures against their targets; exits 0 whatever the figures (and when it
# cannot run here, saying why), 1 when the bench itself broke. See
# bench/README.md.

# Splitting $(...) into "set --" and the shared printf format are meant;
# cleanup runs from a trap.
# shellcheck disable=SC2046,SC2059,SC2317
set -u

cd "$(dirname "$0")/.." || exit 1
O=${O:-build-bench}
USERS=${BENCH_USERS:-10000}
LOOKUPS=${BENCH_LOOKUPS:-10000}
STAFFD=${BENCH_STAFFD:-$PWD/$O/bin/staffd}
STAFFCTL=$PWD/$O/bin/staffctl
BENCH_DIRECTORY=$PWD/$O/bench/bench-directory
BENCH_LOGIN=$PWD/$O/bench/bench-login

skip() { echo "userdb: SKIP: $*"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip "needs root to serve a socket in /run/systemd/userdb"
grep -Eq '^passwd:.*[[:space:]]systemd([[:space:]]|$)' /etc/nsswitch.conf ||
	skip "nss-systemd is not on the passwd line of /etc/nsswitch.conf"
[ -d /run/systemd ] || skip "no /run/systemd"
for f in "$STAFFD" "$STAFFCTL" "$BENCH_DIRECTORY" "$BENCH_LOGIN"; do
	[ -x "$f" ] || { echo "userdb: $f is missing; run make bench" >&2; exit 1; }
done
case $USERS$LOOKUPS in
*[!0-9]*) echo "userdb: BENCH_USERS and BENCH_LOOKUPS must be numbers" >&2; exit 1 ;;
esac
if [ "$USERS" -eq 0 ] || [ "$USERS" -gt 20000 ] || [ "$LOOKUPS" -eq 0 ]; then
	echo "userdb: BENCH_USERS must be 1 to 20000 and BENCH_LOOKUPS positive" >&2
	exit 1
fi

if [ -z "${BENCH_TMPDIR:-}" ]; then
	BENCH_TMPDIR=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_TMPDIR=/dev/shm
fi
T=$(mktemp -d "$BENCH_TMPDIR/staffd-userdb.XXXXXX") || exit 1
SOCK=$T/staffd.sock
export STAFFD_SOCKET="$SOCK"
# A service name of its own, so that an installed staffd or a test running
# at the same time keeps its socket.
SERVICE=io.practice.staff-bench-$$
USERDB_DIR=/run/systemd/userdb
USERDB_SOCKET=$USERDB_DIR/$SERVICE
DIR_EXISTED=no
[ -d "$USERDB_DIR" ] && DIR_EXISTED=yes
if [ -e "$USERDB_SOCKET" ]; then
	echo "userdb: $USERDB_SOCKET exists already" >&2
	rm -rf "$T"
	exit 1
fi
. "$(dirname "$0")/lib.sh"
LOAD=
BENCH_PASSWORD='Harbor!Violet27x'
# The code word bench-directory's Init sets.
BENCH_CODEWORD='maple harbor'
export BENCH_PASSWORD BENCH_CODEWORD

run() {
	"$@" &
	CHILD=$!
	wait "$CHILD"
	set -- $?
	CHILD=
	return "$1"
}
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
	# staffd removes its socket when it stops; this is for a daemon that died.
	rm -f "$USERDB_SOCKET"
	[ "$DIR_EXISTED" = no ] && rmdir "$USERDB_DIR" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() {
	echo "userdb: $*" >&2
	if [ -s "$T/staffd.log" ]; then
		echo "userdb: last lines of the daemon's log:" >&2
		tail -5 "$T/staffd.log" | sed 's/^/  /' >&2
	fi
	exit 1
}

# ids of its own: below the 47000s that tests/integ/userdb.sh uses, above
# 60000 never; staffd skips any id in /etc/passwd or /etc/group itself.
UID_MAX=59999
UID_MIN=$((UID_MAX - USERS - 1000))
[ "$UID_MIN" -gt 48000 ] && UID_MIN=48000

# Production defaults (Argon2id opslimit 2, memlimit 64 MiB, one hash worker
# per core) except: mail to /bin/true, the uid range above, no privilege drop.
cat > "$T/staffd.conf" <<CONF
[daemon]
user =
state_dir = $T/state
socket = $SOCK
userdb_socket = $USERDB_SOCKET
uid_min = $UID_MIN
uid_max = $UID_MAX

[mail]
mail_command = /bin/true
CONF

"$STAFFD" --config "$T/staffd.conf" > "$T/staffd.log" 2>&1 &
PID=$!
i=0
while [ ! -S "$SOCK" ] || [ ! -S "$USERDB_SOCKET" ]; do
	kill -0 "$PID" 2>/dev/null || { PID=; die "staffd did not start"; }
	i=$((i + 1))
	[ $i -lt 200 ] || die "staffd did not open its sockets within 10 s"
	sleep 0.05
done

CORES=$(getconf _NPROCESSORS_ONLN)
CLIENTS=$((2 * CORES))

echo "userdb: loading $USERS staff users..." >&2
run "$BENCH_DIRECTORY" load "$SOCK" "$USERS" > "$T/load.out" || die "loading the users failed"
run "$BENCH_LOGIN" setup "$SOCK" blogin "$CLIENTS" || die "setting up the signing-in users failed"
# The loaded staff only: not the administrator bench-directory makes, nor the
# users that sign in.
"$STAFFCTL" --json user list | jq -r '.[].username' | grep -v -x -e amy -e 'blogin[0-9]*' > "$T/names" ||
	die "staffctl user list failed"
NAMES=$(wc -l < "$T/names")
[ "$NAMES" -eq "$USERS" ] || die "the directory lists $NAMES loaded staff users, wanted $USERS"
FIRST=$(head -1 "$T/names")
getent passwd "$FIRST" > /dev/null || die "getent passwd $FIRST does not find a loaded staff user"
# What nss-systemd walks: every socket there is asked on every lookup.
SOCKETS=$(find "$USERDB_DIR" -mindepth 1 -maxdepth 1 -printf '%f ' 2>/dev/null)

echo "userdb: $LOOKUPS getpwnam lookups and bare round trips, idle..." >&2
run "$BENCH_LOGIN" getpwnam "$T/names" "$LOOKUPS" "$T/echo.sock" "$USERDB_SOCKET" > "$T/idle.out" || die "the idle lookups failed"

echo "userdb: the same while $CLIENTS clients sign in..." >&2
"$BENCH_LOGIN" logins "$SOCK" blogin "$CLIENTS" "$CLIENTS" 0 > "$T/logins.out" &
LOAD=$!
sleep 1
kill -0 "$LOAD" 2>/dev/null || { LOAD=; die "the background logins stopped"; }
run "$BENCH_LOGIN" getpwnam "$T/names" "$LOOKUPS" "$T/echo.sock" "$USERDB_SOCKET" > "$T/busy.out" || die "the lookups under load failed"
stop_load || die "the background logins failed"
stop_daemon
[ -e "$USERDB_SOCKET" ] && die "staffd left $USERDB_SOCKET behind"

# ---- the table ----
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }
stat_of() { val "$1" "$2" | awk -v n="$3" '{ print $n }'; }
num() { awk "BEGIN { printf \"${2:-%.3f}\", $1 }"; }
verdict() { awk "BEGIN { print ($1) ? \"PASS\" : \"OVER\" }"; }
FMT="%-62s %10s  %-36s %s\n"

echo
echo "getpwnam through nss-systemd: $USERS staff users, $LOOKUPS lookups of random names each run;"
echo "service $SERVICE, uids $UID_MIN-$UID_MAX; $CORES cores; Argon2id production defaults."
echo "nsswitch.conf: $(grep -E '^passwd:' /etc/nsswitch.conf | tr -s ' \t' ' ')"
echo "sockets in $USERDB_DIR during the run: ${SOCKETS:-(none)}"
printf "$FMT" "figure" "measured" "target" "verdict"
printf "$FMT" "------" "--------" "------" "-------"
for phase in idle busy; do
	F=$T/$phase.out
	BARE=$(stat_of bare "$F" 1)
	M=$(stat_of getpwnam "$F" 1)
	P99=$(stat_of getpwnam "$F" 3)
	[ $phase = idle ] && what="idle" || what="while $CLIENTS clients sign in"
	printf "$FMT" "getpwnam, $what, median" "$M ms" "<= 2 x bare $BARE ms = $(num "2 * $BARE") ms" \
		"$(verdict "$M <= 2 * $BARE")"
	printf "$FMT" "getpwnam, $what, p99" "$P99 ms" "<= 1 ms" "$(verdict "$P99 <= 1")"
	printf "$FMT" "  getpwnam / bare round trip (medians)" "$(num "$M / $BARE" %.2f)" "" "info"
	printf "$FMT" "  getpwnam, $what, p95 / max" "$(stat_of getpwnam "$F" 2) ms" "max $(stat_of getpwnam "$F" 5) ms" "info"
	printf "$FMT" "  bare Unix-socket round trip, $what, p99" "$(stat_of bare "$F" 3) ms" "" "info"
	printf "$FMT" "  GetUserRecord sent directly, $what, median" "$(stat_of userdb "$F" 1) ms" \
		"p99 $(stat_of userdb "$F" 3) ms" "info"
	printf "$FMT" "  in the caller (getpwnam - GetUserRecord), median" \
		"$(num "$M - $(stat_of userdb "$F" 1)") ms" "= $(num "($M - $(stat_of userdb "$F" 1)) / $BARE" %.2f) x bare" "info"
done
printf "$FMT" "  logins/s of the background load meanwhile" "$(val rate "$T/logins.out")" \
	"$(val busy "$T/logins.out") Busy" "info"
exit 0
