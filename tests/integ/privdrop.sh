#!/bin/bash
# Started as root without systemd, staffd opens its sockets, key file and
# database, gives the state directory to the staffd user and becomes it:
# no root, no capabilities, no core dumps, no network sockets.
. "$(dirname "$0")/lib.sh"
. "$TOPDIR/tests/tools/sd-helpers.sh"

if [ "$(id -u)" -ne 0 ]; then
	pass "privilege drop # SKIP needs root (staffd drops root only when it has it)"
	done_testing
fi
with_staffd_user || { echo "Bail out! cannot create the staffd system user"; exit 1; }

# conf FILE USER [SOCKET]: a configuration running as USER ("" = stay root).
conf() {
	cat > "$1" <<EOF
[daemon]
state_dir = $T/state
socket = ${3:-$SOCK}
userdb_socket =
user = $2
[mail]
# Run as the dropped user; the message itself is not needed here.
mail_command = cat > /dev/null
[hashing]
opslimit = 1
memlimit = 8M
EOF
}

notify_start notify || { echo "Bail out! no notify socket"; exit 1; }
# start CONF: staffd as root, ready once it says READY=1 (after the drop).
start() {
	: > "$T/notify.out"
	NOTIFY_SOCKET=$T/notify.sock "$STAFFD" --config "$1" >> "$T/staffd.log" 2>&1 &
	STAFFD_PID=$!
	wait_for "$T/notify.out" '^READY=1' 10
}

# started DESC CONF: start, in this shell (STAFFD_PID), as one test.
started() {
	if start "$2"; then pass "$1"; else fail "$1" "$(cat "$T/staffd.log")"; fi
}

conf "$T/staffd.conf" staffd
started "staffd started as root comes up with user = staffd" "$T/staffd.conf"
pid=$STAFFD_PID
check_grep "running as user staffd \\(uid $STAFFD_UID\\)" "it says whom it runs as" cat "$T/staffd.log"

# The process: every uid and gid is staffd's, no supplementary group, no capability.
check_eq "$STAFFD_UID $STAFFD_UID $STAFFD_UID $STAFFD_UID" "$(proc_field "$pid" Uid)" "real, effective, saved and fs uid are staffd's"
check_eq "$STAFFD_GID $STAFFD_GID $STAFFD_GID $STAFFD_GID" "$(proc_field "$pid" Gid)" "and every gid is staffd's group"
check_eq "" "$(proc_field "$pid" Groups)" "no supplementary groups"
for set in CapInh CapPrm CapEff CapAmb; do
	check_eq 0000000000000000 "$(proc_field "$pid" $set)" "no capabilities: $set is empty"
done
check_eq 0 "$(proc_field "$pid" NoNewPrivs)" "setuid mail helpers still work (no_new_privs is left to the unit)"
# Core dumps: the limit is 0 and the process is not dumpable, which makes
# the kernel give its /proc files to root although it runs as staffd.
check_grep '^Max core file size +0 +0 ' "core dumps are off (RLIMIT_CORE 0)" cat "/proc/$pid/limits"
check_eq "root" "$(stat -c %U "/proc/$pid/status")" "the process is not dumpable"

# Its state: owned by staffd, private, and still writable after the drop.
check "the directory works after the drop (a write transaction)" setup_practice
check_eq "700 staffd staffd" "$(stat -c '%a %U %G' "$T/state")" "state directory: 0700, owned by staffd"
check_eq "600 staffd staffd" "$(stat -c '%a %U %G' "$T/state/staffd.key")" "key file: 0600, owned by staffd"
for f in data.mdb lock.mdb; do
	check_eq "600 staffd" "$(stat -c '%a %U' "$T/state/$f")" "$f: 0600, owned by staffd"
done
check_eq "" "$(find "$T/state" ! -user staffd)" "nothing in the state directory is left to root"

# No network address families: every socket it holds is a Unix socket.
inodes=$(ls -l "/proc/$pid/fd" | sed -n 's/.*socket:\[\([0-9]*\)\]$/\1/p' | sort -u)
unix=$(awk 'NR > 1 { print $7 }' /proc/net/unix | sort -u)
if [ -n "$inodes" ] && [ -z "$(comm -23 <(printf '%s\n' $inodes) <(printf '%s\n' $unix))" ]; then
	pass "its $(printf '%s\n' $inodes | wc -l) sockets are all Unix sockets"
else
	fail "its sockets are all Unix sockets" "sockets: $inodes"
fi
check_eq "" "$(lsof -nP -a -p "$pid" -i 2>/dev/null)" "lsof shows no Internet socket"
check_eq "" "$(ss -H -n -p -a -A inet,packet,netlink 2>/dev/null | grep "pid=$pid,")" "ss shows no inet, packet or netlink socket"

# It stops cleanly as staffd (the socket it bound as root stays: the next start replaces it).
kill -TERM "$pid"
wait_exit "$pid" 10
check_eq 0 "$?" "it stops cleanly on SIGTERM"
STAFFD_PID=

# Started again as root: the files now belong to staffd, and are used as they are.
started "started again as root, it opens the same state" "$T/staffd.conf"
check_grep '"initialized":true' "the practice is still there" vcall io.practice.Staff.GetStatus
stop_daemon

# As systemd runs it: socket bound by root, the daemon started as staffd
# (setpriv keeps the pid, so LISTEN_PID still matches).
mkdir -p "$T/run"
conf "$T/unit.conf" staffd "$T/run/staffd.sock"
: > "$T/notify.out"
systemd-socket-activate -l "$T/run/staffd.sock" --fdname=staff -E NOTIFY_SOCKET="$T/notify.sock" \
	setpriv --reuid=staffd --regid=staffd --clear-groups "$STAFFD" --config "$T/unit.conf" >> "$T/staffd.log" 2>&1 &
STAFFD_PID=$!
sleep 0.2
check_grep '"initialized":true' "started as staffd with the socket passed, it serves the chowned state" \
	"$VCALL" --socket "$T/run/staffd.sock" io.practice.Staff.GetStatus
check_eq "$STAFFD_UID" "$(proc_field "$STAFFD_PID" Uid | cut -d' ' -f1)" "and runs as staffd"
stop_daemon

# Socket-activated as root, it leaves the choice to the unit and stays root.
: > "$T/notify.out"
systemd-socket-activate -l "$T/run/staffd.sock" --fdname=staff -E NOTIFY_SOCKET="$T/notify.sock" \
	"$STAFFD" --config "$T/unit.conf" >> "$T/staffd.log" 2>&1 &
STAFFD_PID=$!
sleep 0.2
"$VCALL" --socket "$T/run/staffd.sock" io.practice.Staff.GetStatus >/dev/null
wait_for "$T/notify.out" '^READY=1' 10
check_eq "0" "$(proc_field "$STAFFD_PID" Uid | cut -d' ' -f1)" "socket-activated as root, it does not drop (User= decides)"
stop_daemon

# user = (empty): stays root.
conf "$T/root.conf" ""
started "with user = (empty) it starts as root" "$T/root.conf"
check_eq "0 0 0 0" "$(proc_field "$STAFFD_PID" Uid)" "and stays root"
stop_daemon

# A user that does not exist, or root itself: refused, nothing served.
conf "$T/nouser.conf" staffd-no-such-user
check_exit 1 "a user that does not exist is refused" "$STAFFD" --config "$T/nouser.conf"
check_grep "user staffd-no-such-user does not exist" "with a message saying how to fix it" "$STAFFD" --config "$T/nouser.conf"
check_eq "" "$(ls -A "$T" | grep -x staffd.sock)" "and no socket is left behind"
conf "$T/rootuser.conf" root
check_exit 1 "user = root is refused" "$STAFFD" --config "$T/rootuser.conf"
check_grep "user root: is root" "saying why" "$STAFFD" --config "$T/rootuser.conf"

done_testing
