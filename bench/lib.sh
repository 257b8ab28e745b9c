# Sourced by the bench scripts (bench/run does not run it): the long-step
# runner and the daemon's stop, shared by every bench.
PID=
CHILD=

# Long steps run in the background and are waited for, so that a signal
# stops the bench at once instead of after the step.
run() {
	"$@" &
	CHILD=$!
	wait "$CHILD"
	set -- $?
	CHILD=
	return "$1"
}

# Stops the daemon started by the bench (its pid in PID), if any.
stop_daemon() {
	[ -n "$PID" ] || return 0
	kill -TERM "$PID" 2>/dev/null
	wait "$PID" 2>/dev/null
	PID=
}
