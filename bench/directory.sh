#!/bin/sh
# The staff directory at scale (DESIGN 13): a private staffd on a temporary
# directory with production Argon2id parameters, loaded with BENCH_USERS staff
# users and BENCH_AUDIT audit records, then timed. Prints a table of figures
# against their targets; exits 0 whatever the figures, 1 when the bench
# itself broke. See bench/README.md.

# Splitting $(...) into "set --" and the shared printf format are meant;
# cleanup runs from a trap.
# shellcheck disable=SC2046,SC2059,SC2317
set -u

cd "$(dirname "$0")/.." || exit 1
O=${O:-build-bench}
USERS=${BENCH_USERS:-10000}
AUDIT=${BENCH_AUDIT:-1000000}
RUNS=${BENCH_RUNS:-20}
LOAD_SECONDS=${BENCH_LOAD_SECONDS:-540}
STAFFD=$PWD/$O/bin/staffd
STAFFCTL=$PWD/$O/bin/staffctl
BENCH=${BENCH_DIRECTORY:-$PWD/$O/bench/bench-directory}

for f in "$STAFFD" "$STAFFCTL" "$BENCH"; do
	[ -x "$f" ] || { echo "directory: $f is missing; run make bench" >&2; exit 1; }
done
case $USERS$AUDIT$RUNS$LOAD_SECONDS in
*[!0-9]*) echo "directory: BENCH_USERS, BENCH_AUDIT, BENCH_RUNS and BENCH_LOAD_SECONDS must be numbers" >&2; exit 1 ;;
esac

# The state lives on tmpfs when there is one: a million write transactions
# with two fsyncs each would take most of the time budget on a disk, and no
# figure below depends on fsync (BENCH_TMPDIR=/var/tmp for a disk).
if [ -z "${BENCH_TMPDIR:-}" ]; then
	BENCH_TMPDIR=${TMPDIR:-/tmp}
	[ -d /dev/shm ] && [ -w /dev/shm ] && BENCH_TMPDIR=/dev/shm
fi
T=$(mktemp -d "$BENCH_TMPDIR/staffd-bench.XXXXXX") || exit 1
SOCK=$T/staffd.sock
export STAFFD_SOCKET="$SOCK"
. "$(dirname "$0")/lib.sh"


cleanup() {
	[ -z "$CHILD" ] || kill -TERM "$CHILD" 2>/dev/null
	stop_daemon
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

die() {
	echo "directory: $*" >&2
	if [ -s "$T/staffd.log" ]; then
		echo "directory: last lines of the daemon's log:" >&2
		tail -5 "$T/staffd.log" | sed 's/^/  /' >&2
	fi
	exit 1
}

# Production defaults except where the bench needs room: no [hashing]
# section (Argon2id opslimit 2, memlimit 64 MiB), mail to /bin/true so that
# each invitation costs one fork, a uid range larger than 10,000, and no
# privilege drop (the bench calls as root and owns the temporary directory).
cat > "$T/staffd.conf" <<CONF
[daemon]
user =
state_dir = $T/state
socket = $SOCK
userdb_socket =
uid_min = 20000
uid_max = 59999
${BENCH_MAP_SIZE:+map_size = $BENCH_MAP_SIZE}

[mail]
mail_command = /bin/true
CONF

"$STAFFD" --config "$T/staffd.conf" > "$T/staffd.log" 2>&1 &
PID=$!
i=0
while [ ! -S "$SOCK" ]; do
	kill -0 "$PID" 2>/dev/null || { PID=; die "staffd did not start"; }
	i=$((i + 1))
	[ $i -lt 200 ] || die "staffd did not open its socket within 10 s"
	sleep 0.05
done

# VmRSS and RssAnon of the daemon, in KiB.
rss() {
	kill -0 "$PID" 2>/dev/null || die "staffd died"
	awk '/^VmRSS:/ { v = $2 } /^RssAnon:/ { a = $2 } END { print v, a }' "/proc/$PID/status"
}
# The value of KEY in a "key value..." file.
val() { awk -v k="$1" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$2"; }
size_of() { stat -c %s "$1"; }
# Bytes a table takes in an LMDB file: (branch + leaf + overflow pages) x page size.
db_bytes() {
	{ mdb_stat -n -e "$1"; mdb_stat -n -s "$2" "$1"; } 2>/dev/null |
		awk '/Page size:/ { p = $3 } /Branch pages:|Leaf pages:|Overflow pages:/ { n += $3 } END { print n * p }'
}
backup() {
	rm -f "$1"
	"$STAFFCTL" backup "$1" > /dev/null || die "staffctl backup failed"
}

sleep 2
set -- $(rss)
[ $# -eq 2 ] || die "cannot read the daemon's memory figures"
RSS_EMPTY=$1 RSS_EMPTY_ANON=$2

echo "directory: loading $USERS staff users..." >&2
run "$BENCH" load "$SOCK" "$USERS" > "$T/load.out" || die "loading the users failed"
STAFF=$("$STAFFCTL" --json status | jq -r '.status.staff') || die "staffctl status failed"
[ "$STAFF" -eq $((USERS + 1)) ] || die "the directory holds $STAFF users, wanted $((USERS + 1))"
# The directory alone, compacted as staffctl backup does it (MDB_CP_COMPACT),
# but by another process, so the daemon's mapping of the file stays as it is.
mkdir "$T/users-copy" || die "cannot create $T/users-copy"
mdb_copy -c "$T/state" "$T/users-copy" || die "mdb_copy -c failed"
USERS_COMPACT=$(size_of "$T/users-copy/data.mdb")
USERS_LIVE=$(size_of "$T/state/data.mdb")
rm -rf "$T/users-copy"
AUDIT_AFTER_USERS=$("$STAFFCTL" --json status | jq -r '.status.audit_records')

echo "directory: appending audit records up to $AUDIT (at most $LOAD_SECONDS s)..." >&2
run "$BENCH" audit "$SOCK" "$USERS" "$AUDIT" "$LOAD_SECONDS" > "$T/audit.out" || die "appending audit records failed"
RECORDS=$(val audit_records "$T/audit.out")

sleep 2
set -- $(rss)
[ $# -eq 2 ] || die "cannot read the daemon's memory figures"
RSS_LOADED=$1 RSS_LOADED_ANON=$2

backup "$T/full.mdb"
FULL_COMPACT=$(size_of "$T/full.mdb")
FULL_LIVE=$(size_of "$T/state/data.mdb")
FULL_USERS_DB=0
for db in users emails uids; do
	FULL_USERS_DB=$((FULL_USERS_DB + $(db_bytes "$T/full.mdb" $db)))
done
FULL_AUDIT_DB=0
for db in audit audit_by_user; do
	FULL_AUDIT_DB=$((FULL_AUDIT_DB + $(db_bytes "$T/full.mdb" $db)))
done
rm -f "$T/full.mdb"

sleep 2
set -- $(rss)
[ $# -eq 2 ] || die "cannot read the daemon's memory figures"
RSS_BACKUP=$1 RSS_BACKUP_ANON=$2

# A staff user in the middle of the directory: its trail is typical.
SAMPLE=$("$STAFFCTL" --json user list --role "Front Desk" | jq -r --argjson n $((USERS / 20)) '.[$n].username') ||
	die "staffctl user list failed"
if [ -z "$SAMPLE" ] || [ "$SAMPLE" = null ]; then
	die "no Front Desk user to sample"
fi
LISTED=$("$STAFFCTL" --json user list | jq length) || die "staffctl --json user list failed"
[ "$LISTED" -eq $((USERS + 1)) ] || die "user list printed $LISTED users, wanted $((USERS + 1))"
SAMPLE_RECORDS=$("$STAFFCTL" --json audit --user "$SAMPLE" | jq length) || die "staffctl audit --user failed"

echo "directory: timing $RUNS runs of each query..." >&2
run "$BENCH" exec "$RUNS" "$STAFFCTL" --json user list > "$T/t.list" || die "timing user list failed"
run "$BENCH" exec "$RUNS" "$STAFFCTL" user list > "$T/t.table" || die "timing user list (table) failed"
run "$BENCH" exec "$RUNS" "$STAFFCTL" --json user show "$SAMPLE" > "$T/t.show" || die "timing user show failed"
run "$BENCH" exec "$RUNS" "$STAFFCTL" --json audit --user "$SAMPLE" > "$T/t.audit" || die "timing audit failed"
run "$BENCH" proto "$SOCK" "$RUNS" "$SAMPLE" > "$T/t.proto" || die "timing the protocol calls failed"

sleep 2
set -- $(rss)
[ $# -eq 2 ] || die "cannot read the daemon's memory figures"
RSS_AFTER=$1 RSS_AFTER_ANON=$2

# ---- the table ----
stats() { val "$1" "$2"; }	# median p95 min max [extra]
FMT="%-52s %10s %10s %10s %9s %-4s %s\n"
row() {	# NAME MEDIAN P95 MIN LIMIT UNIT
	awk -v fmt="$FMT" -v name="$1" -v m="$2" -v p="$3" -v lo="$4" -v lim="$5" -v unit="$6" 'BEGIN {
		printf fmt, name, m, p, lo, "<= " lim, unit, (m + 0 <= lim + 0) ? "PASS" : "OVER" }'
}
info() { printf "$FMT" "$1" "$2" "${3:--}" "${4:--}" "" "$5" "info"; }
ms_row() {	# NAME FILE KEY LIMIT
	set -- "$1" "$4" $(stats "$3" "$2")
	row "$1" "$3" "$4" "$5" "$2" ms
}
kib() { awk -v b="$1" -v n="$2" 'BEGIN { printf "%.2f", b / n / 1024 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.2f", k / 1024 }'; }

set -- $(stats exec "$T/t.list")
LIST_BYTES=$5
set -- $(stats proto_audit_user "$T/t.proto")
PROTO_AUDIT_N=$5

echo
echo "Staff directory at scale: $USERS staff users (+1 administrator), $RECORDS audit records"
echo "(target: $AUDIT), $RUNS timed runs each; sample user $SAMPLE with $SAMPLE_RECORDS audit records;"
echo "state on $(df -PT "$T" | awk 'NR == 2 { print $2 }') ($BENCH_TMPDIR), $(nproc) cores."
printf "$FMT" "figure" "median" "p95" "min" "target" "" "verdict"
printf "$FMT" "------" "------" "---" "---" "------" "" "-------"
ms_row "staffctl --json user list (whole command)" "$T/t.list" exec 100
set -- $(stats exec "$T/t.table")
info "staffctl user list, human table (whole command)" "$1" "$2" "$3" ms
ms_row "staffctl --json user show USER (whole command)" "$T/t.show" exec 5
ms_row "staffctl --json audit --user USER (whole command)" "$T/t.audit" exec 20
ms_row "UserList, persistent connection" "$T/t.proto" proto_user_list 100
ms_row "UserShow, persistent connection" "$T/t.proto" proto_user_show 5
ms_row "AuditList user=USER, persistent connection" "$T/t.proto" proto_audit_user 20
row "database per user, directory only (compacted)" "$(kib "$USERS_COMPACT" "$USERS")" - - 2 KiB
row "database per user, with the audit trail (compacted)" "$(kib "$FULL_COMPACT" "$USERS")" - - 2 KiB
info "  users+emails+uids tables per user" "$(kib "$FULL_USERS_DB" "$USERS")" - - KiB
info "  audit+audit_by_user tables per record" "$(awk -v b="$FULL_AUDIT_DB" -v n="$RECORDS" 'BEGIN { printf "%.0f", b / n }')" - - B
info "database per user, directory only (live data.mdb)" "$(kib "$USERS_LIVE" "$USERS")" - - KiB
info "database per user, with the audit trail (live)" "$(kib "$FULL_LIVE" "$USERS")" - - KiB
row "idle daemon VmRSS, empty database" "$(mib "$RSS_EMPTY")" - - 8 MiB
row "idle daemon VmRSS, after the load" "$(mib "$RSS_LOADED")" - - 8 MiB
row "idle daemon VmRSS, after staffctl backup" "$(mib "$RSS_BACKUP")" - - 8 MiB
row "idle daemon VmRSS, after the queries" "$(mib "$RSS_AFTER")" - - 8 MiB
info "  of which RssAnon (heap, stacks), empty" "$(mib "$RSS_EMPTY_ANON")" - - MiB
info "  of which RssAnon (heap, stacks), after the load" "$(mib "$RSS_LOADED_ANON")" - - MiB
info "  of which RssAnon (heap, stacks), after the backup" "$(mib "$RSS_BACKUP_ANON")" - - MiB
info "  of which RssAnon (heap, stacks), after the queries" "$(mib "$RSS_AFTER_ANON")" - - MiB
echo
echo "Load: $(val users_added "$T/load.out") UserAdd in $(val users_seconds "$T/load.out") s" \
	"($(val user_add_us "$T/load.out") us each over 4 connections, one mail_command run each);" \
	"$(val edits "$T/audit.out") UserEdit in $(val edits_seconds "$T/audit.out") s" \
	"($(val user_edit_us "$T/audit.out") us each), audit records $AUDIT_AFTER_USERS -> $RECORDS."
echo "user list prints $LISTED users ($LIST_BYTES bytes of JSON); AuditList returned $PROTO_AUDIT_N records."
if [ "$RECORDS" -lt "$AUDIT" ]; then
	echo "NOTE: the audit trail reached only $RECORDS of $AUDIT records within $LOAD_SECONDS s;" \
		"the query figures above are for that size."
fi
stop_daemon
exit 0
