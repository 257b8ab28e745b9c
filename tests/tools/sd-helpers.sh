# Sourced after tests/integ/lib.sh by the tests of staffd under systemd: a
# notify socket of the test's own, waiting for what arrives on it, and the
# staffd system user.

NOTIFY_LISTEN=${NOTIFY_LISTEN:-$TOPDIR/${O:-build}/tests/notify-listen}
[ -x "$NOTIFY_LISTEN" ] || { echo "Bail out! $NOTIFY_LISTEN is not built (make tests)"; exit 1; }

# notify_start NAME: listens on $T/NAME.sock; what arrives goes to $T/NAME.out.
notify_start() {
	: > "$T/$1.out"
	"$NOTIFY_LISTEN" "$T/$1.sock" >> "$T/$1.out" 2>&1 &
	EXTRA_PIDS="$EXTRA_PIDS $!"
	for _ in $(seq 1 100); do
		[ -S "$T/$1.sock" ] && return 0
		sleep 0.02
	done
	echo "# notify-listen did not start" >&2
	return 1
}

# wait_for FILE REGEX [SECONDS]: until a line of FILE matches.
wait_for() {
	local n=$(( ${3:-10} * 20 ))
	while [ "$n" -gt 0 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.05
		n=$((n - 1))
	done
	return 1
}

# wait_exit PID [SECONDS]: until PID is gone; its exit status.
wait_exit() {
	local n=$(( ${2:-10} * 20 ))
	while [ "$n" -gt 0 ] && kill -0 "$1" 2>/dev/null; do
		sleep 0.05
		n=$((n - 1))
	done
	wait "$1" 2>/dev/null
}

# count FILE REGEX: matching lines.
count() { grep -Ec -- "$2" "$1" 2>/dev/null; }

# proc_field PID NAME: a line of /proc/PID/status without its name.
proc_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '[:space:]' ' ' | sed 's/ $//'; }

# with_staffd_user: makes sure the system user staffd exists for this test,
# creating it (and removing it at exit) if the machine has none. Tests that
# use it run one at a time (a lock), so that none removes the user while
# another still needs it.
STAFFD_USER_CREATED=
with_staffd_user() {
	exec 9> /tmp/staffd-test-sysuser.lock
	flock -w 600 9 || return 1
	if ! getent passwd staffd >/dev/null; then
		useradd --system --user-group --no-create-home --home-dir /nonexistent \
			--shell /usr/sbin/nologin --comment "staffd test user" staffd || return 1
		STAFFD_USER_CREATED=yes
	fi
	STAFFD_UID=$(id -u staffd)
	STAFFD_GID=$(id -g staffd)
}

remove_staffd_user() {
	if [ -n "$STAFFD_USER_CREATED" ]; then
		userdel staffd 2>/dev/null
		getent group staffd >/dev/null && groupdel staffd 2>/dev/null
		STAFFD_USER_CREATED=
	fi
	return 0
}

sd_cleanup() {
	cleanup
	remove_staffd_user
}
trap sd_cleanup EXIT INT TERM
