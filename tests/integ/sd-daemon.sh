#!/bin/bash
# staffd as systemd runs it, with systemd-socket-activate standing in for
# systemd and a notify socket of the test's own: it serves the sockets it is
# passed (told apart by name) and binds nothing itself; READY, STATUS and
# WATCHDOG (only with WATCHDOG_USEC) arrive; SIGHUP reloads staffd.conf and
# keeps the old one when the new one is bad; SIGTERM sends STOPPING and
# finishes a call in flight, whose change is still there after a restart.
. "$(dirname "$0")/lib.sh"
. "$TOPDIR/tests/tools/sd-helpers.sh"

if ! command -v systemd-socket-activate >/dev/null; then
	echo "1..0 # SKIP systemd-socket-activate is not installed (apt-get install systemd)"
	exit 0
fi

SERVICE=io.practice.staff-test
mkdir -p "$T/userdb"
USERDB=$T/userdb/$SERVICE
PW='Blue-Canoe-Rivet-58'

# conf: staffd.conf from TTL, OPS and MEM; socket and userdb_socket name
# paths that must stay unused, since systemd passes both.
conf() {
	cat > "$T/staffd.conf" <<EOF
[daemon]
state_dir = $T/state
socket = $T/own.sock
userdb_socket = $T/own-userdb.sock
user =
${EXTRA_DAEMON:-}
[mail]
mail_command = $TOPDIR/tools/mail-to-dir $MAILDIR
activation_ttl = ${TTL:-72h}
[hashing]
opslimit = ${OPS:-1}
memlimit = ${MEM:-8M}
workers = 1
EOF
}

# activated [-E NAME=VALUE]...: staffd behind systemd-socket-activate, which
# listens on both sockets and starts staffd (same pid) at the first connection.
activated() {
	: > "$T/notify.out"
	rm -f "$SOCK" "$USERDB"	# left by the last run: systemd's to remove, not staffd's
	systemd-socket-activate -l "$SOCK" -l "$USERDB" --fdname=staff:userdb \
		-E NOTIFY_SOCKET="$T/notify.sock" "$@" "$STAFFD" --config "$T/staffd.conf" >> "$T/staffd.log" 2>&1 &
	STAFFD_PID=$!
	for _ in $(seq 1 100); do
		[ -S "$SOCK" ] && [ -S "$USERDB" ] && return 0
		sleep 0.02
	done
	return 1
}

# add_user NAME: invites NAME; prints how long the activation code is valid.
add_user() {
	vcall io.practice.Staff.UserAdd "{\"user\":{\"username\":\"$1\",\"email\":\"$1@riverside.example\",\"first_name\":\"Test\",\"last_name\":\"User\",\"role\":\"Staff\"}}" >/dev/null || return 1
	vcall io.practice.Staff.UserShow "{\"username\":\"$1\"}" | jq -r '.parameters.user | .code_expires - .created'
}

notify_start notify || { echo "Bail out! no notify socket"; exit 1; }

# ---- socket activation, READY, STATUS, WATCHDOG ----
conf
activated -E WATCHDOG_USEC=200000 || { fail "systemd-socket-activate listens"; done_testing; }
check_eq 0 "$(count "$T/notify.out" .)" "nothing is sent before staffd runs"
check_grep '"parameters"' "the socket passed as \"staff\" serves io.practice.Staff" vcall io.practice.Staff.GetStatus
wait_for "$T/notify.out" '^READY=1$' 10
check_eq 1 "$(count "$T/notify.out" '^READY=1$')" "READY=1 arrives once it serves"
check_grep '^STATUS=.+' "a STATUS= line says what it does" cat "$T/notify.out"
check_eq "" "$(ls "$T/own.sock" "$T/own-userdb.sock" 2>/dev/null)" "with both sockets passed it binds neither of its own"
check_grep 'UserDatabase.NoRecordFound' "the socket passed as \"userdb\" serves io.systemd.UserDatabase" \
	"$VCALL" --socket "$USERDB" io.systemd.UserDatabase.GetUserRecord "{\"userName\":\"nobody-here\",\"service\":\"$SERVICE\"}"
check_exit 1 "and nothing of io.practice.Staff" "$VCALL" --socket "$USERDB" io.practice.Staff.GetStatus

sleep 1
pings=$(count "$T/notify.out" '^WATCHDOG=1$')
if [ "$pings" -ge 5 ]; then pass "WATCHDOG=1 every half WATCHDOG_USEC ($pings in a second at 200 ms)"; else fail "WATCHDOG=1 every half WATCHDOG_USEC" "$pings pings in a second"; fi
sleep 0.5
more=$(count "$T/notify.out" '^WATCHDOG=1$')
if [ "$more" -gt "$pings" ]; then pass "and keeps coming"; else fail "and keeps coming" "$pings, then $more"; fi

# ---- SIGHUP: reload, or keep the running configuration ----
setup_practice
check_eq 259200 "$(add_user ann)" "an invitation is valid for activation_ttl (72h)"
TTL=10m conf
kill -HUP "$STAFFD_PID"
for _ in $(seq 1 100); do [ "$(count "$T/notify.out" '^READY=1$')" -ge 2 ] && break; sleep 0.05; done
check_eq "RELOADING=1 READY=1" "$(grep -E '^(RELOADING|READY)=1$' "$T/notify.out" | tail -2 | paste -sd' ')" \
	"SIGHUP: RELOADING=1, then READY=1"
check_grep "configuration reloaded from $T/staffd.conf" "the log says it reloaded" cat "$T/staffd.log"
check_eq 600 "$(add_user ben)" "the new activation_ttl (10m) applies to the next invitation"

TTL=1s EXTRA_DAEMON="colour = blue" conf
kill -HUP "$STAFFD_PID"
for _ in $(seq 1 100); do [ "$(count "$T/notify.out" '^READY=1$')" -ge 3 ] && break; sleep 0.05; done
check_eq 2 "$(count "$T/notify.out" '^RELOADING=1$')" "a second SIGHUP reloads again"
check_eq 3 "$(count "$T/notify.out" '^READY=1$')" "and says READY=1 although the file is bad"
check_grep "staffd.conf:6: \\[daemon\\] colour: unknown key" "the bad key is reported with its line" cat "$T/staffd.log"
check_grep "staffd.conf:9: \\[mail\\] activation_ttl: must be a duration from 5m" "and the bad value with its line" cat "$T/staffd.log"
check_grep "keeping the running configuration" "the running configuration is kept" cat "$T/staffd.log"
check_eq 600 "$(add_user cat)" "invitations still use the last good file (10m)"
check_grep '"parameters"' "it still serves" vcall io.practice.Staff.GetStatus

# ---- SIGTERM: STOPPING=1 ----
kill -TERM "$STAFFD_PID"
wait_exit "$STAFFD_PID" 10
check_eq 0 "$?" "SIGTERM: it exits 0"
STAFFD_PID=
check_eq STOPPING=1 "$(grep -v -e '^WATCHDOG=1$' -e '^$' "$T/notify.out" | tail -1)" "STOPPING=1 is the last thing it says"

# ---- no WATCHDOG_USEC, no pings ----
conf
activated
vcall io.practice.Staff.GetStatus >/dev/null
wait_for "$T/notify.out" '^READY=1$' 10
check_eq 1 "$(count "$T/notify.out" '^READY=1$')" "started again without WATCHDOG_USEC, it is ready"
sleep 0.5
check_eq 0 "$(count "$T/notify.out" '^WATCHDOG=')" "without WATCHDOG_USEC it sends no WATCHDOG=1"
stop_daemon

# ---- SIGTERM while a call is in flight ----
# A PIN is hashed with Argon2id on a worker: with 64 MiB that takes a while,
# and the memory it fills shows when the hash is under way.
OPS=3 MEM=64M conf
activated
check "amy activates (Argon2id, 64 MiB)" activate amy "$PW"
base=$(proc_field "$STAFFD_PID" VmRSS | cut -d' ' -f1)
vcall io.practice.Staff.UserSetPin '{"username":"amy","pin":"4831"}' > "$T/pin.out" 2>&1 &
client=$!
hashing=no
for _ in $(seq 1 1000); do
	rss=$(proc_field "$STAFFD_PID" VmRSS | cut -d' ' -f1)
	if [ -n "$rss" ] && [ "$rss" -gt $((base + 16384)) ]; then hashing=yes; break; fi
	sleep 0.005
done
kill -TERM "$STAFFD_PID"
check_eq yes "$hashing" "SIGTERM arrives while the PIN is being hashed"
wait "$client"
check_eq 0 "$?" "the call in flight still gets its reply"
check_grep '"has_pin":true' "and it says the PIN is set" cat "$T/pin.out"
wait_exit "$STAFFD_PID" 20
check_eq 0 "$?" "then staffd exits 0"
STAFFD_PID=
check_eq STOPPING=1 "$(grep -v -e '^WATCHDOG=1$' -e '^$' "$T/notify.out" | tail -1)" "after STOPPING=1"

activated
check_eq true "$(vcall io.practice.Staff.UserShow '{"username":"amy"}' | jq -r .parameters.user.has_pin)" \
	"after a restart the PIN is stored: the change was committed"
check_grep '"action":"user.set-pin"' "and audited" vcall --more io.practice.Staff.AuditList '{"user":"amy"}'
stop_daemon

done_testing
