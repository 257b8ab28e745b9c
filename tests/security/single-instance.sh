#!/bin/bash
# One staffd per state directory, and a live socket is never taken over or
# removed (DESIGN 14, "Corrupt or missing state"): a second daemon on the
# same state directory or the same socket refuses to start and leaves the
# first one reachable; a daemon removes at exit only the socket file it
# bound; a stale socket file (a daemon that was killed) is replaced.
. "$(dirname "$0")/../integ/lib.sh"

# second CONF: runs another staffd on CONF in the foreground for at most 5 s;
# its exit status in RC, its messages in OUT.
second() {
	OUT=$(timeout 5 "$STAFFD" --config "$1" 2>&1)
	RC=$?
}
answers() { timeout 5 "$VCALL" --socket "$1" io.practice.Staff.GetStatus >/dev/null 2>&1; }
# comes_up SOCKET: answers within 5 s (start_daemon returns at once when a stale file is there).
comes_up() {
	local i
	for i in $(seq 1 100); do
		answers "$1" && return 0
		sleep 0.05
	done
	return 1
}

start_daemon || exit 1
setup_practice
FIRST=$STAFFD_PID

# ---- the same state directory ----
second "$T/staffd.conf"
check_eq 1 "$RC" "a second staffd on the same state directory exits with 1 at once"
check_grep "$T/state/staffd.lock is locked by another staffd \(pid $FIRST\)" \
	"its message names the lock file and the pid holding it" printf '%s' "$OUT"
check "the socket is still there" test -S "$SOCK"
check "and the first staffd still answers on it" answers "$SOCK"
check_eq "$FIRST" "$(tr -d '\n' < "$T/state/staffd.lock")" "the lock file holds the first daemon's pid"

# ---- the same socket, another state directory ----
conf=$(derive_config "$T/b" socket "$SOCK")
second "$conf"
check_eq 1 "$RC" "a staffd with its own state directory but the same socket exits with 1"
check_grep "socket $SOCK: another process is serving it" "its message says the socket is in use" printf '%s' "$OUT"
check "the first staffd still answers" answers "$SOCK"

# ---- a file that is not a socket ----
conf=$(derive_config "$T/c")
echo "not a socket" > "$T/c/staffd.sock"
second "$conf"
check_eq 1 "$RC" "a staffd whose socket path holds another kind of file exits with 1"
check_grep "exists and is not a socket" "and says so" printf '%s' "$OUT"
check_eq "not a socket" "$(cat "$T/c/staffd.sock")" "the file is left as it was"

# ---- a socket file left by a daemon that was killed ----
# (bash reports the killed job on stderr: not part of the test's output)
exec 3>&2 2>/dev/null
kill -KILL "$STAFFD_PID"
wait "$STAFFD_PID"
exec 2>&3 3>&-
STAFFD_PID=
check "a killed daemon leaves its socket file" test -S "$SOCK"
start_daemon || exit 1
check "a new staffd replaces the stale socket (and takes the lock the killed one held)" comes_up "$SOCK"

# ---- a socket that is no longer ours is not removed at exit ----
rm -f "$SOCK"
conf=$(derive_config "$T/d" socket "$SOCK")
start_extra_daemon "$conf" || exit 1
check "another staffd binds the path the first one's file was removed from" answers "$SOCK"
check_daemon_stops
check "the first staffd's exit leaves the other's socket in place" test -S "$SOCK"
check "and the other staffd still answers on it" answers "$SOCK"
check_extra_daemon_stops "$conf"
check "a staffd removes its own socket at exit" test ! -e "$SOCK"

done_testing
