#!/bin/bash
# No single local uid can deny service (DESIGN 14), for connections: one uid
# (nobody) holding idle connections, running the daemon out of descriptors,
# or pipelining calls without reading the answers, while root (PAM), the
# userdb socket and other uids are still served. Every attack is bounded in
# count and time.
. "$(dirname "$0")/../integ/lib.sh"

FLOOD=${FLOOD:-$TOPDIR/${O:-build}/tests/flood}
USERDB_SOCKET=$T/userdb.sock
write_config
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
# A uid with no account and no share used up: "everyone else".
OTHER="setpriv --reuid=4242 --regid=4242 --clear-groups --"

# val KEY FILE: the value of a "key value" line of flood's output.
val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
# cpu_ticks PID: user + system time of the process, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
rss_kib() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }
log_lines() { wc -l < "$T/staffd.log"; }
# served DESC CMD...: CMD answers without an error within 5 s.
served() {
	local desc=$1 out rc
	shift
	out=$(timeout 5 "$@" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && ! printf '%s' "$out" | grep -q '"error"'; then pass "$desc"; else fail "$desc" "exit $rc: $out"; fi
}
# wait_flood PID: waits for a flood started in the background (bounded by its own SECONDS).
wait_flood() {
	local p rest=
	wait "$1"
	for p in $EXTRA_PIDS; do [ "$p" = "$1" ] || rest="$rest $p"; done
	EXTRA_PIDS=$rest
}
USER_RECORD=("$VCALL" --socket "$USERDB_SOCKET" io.systemd.UserDatabase.GetUserRecord
	'{"userName":"jdoe","service":"userdb.sock"}')

start_daemon || exit 1
setup_practice
add_staff jdoe Nurse
activate jdoe 'Harbor!Violet27x' || fail "jdoe's activation"
served "a staff user resolves through the userdb socket" "${USER_RECORD[@]}"

# ---- 1,024 idle connections from one uid ----
$NOBODY "$FLOOD" "$SOCK" hold 1024 9 > "$T/hold.out" &
FPID=$!
EXTRA_PIDS="$EXTRA_PIDS $FPID"
sleep 1.5
served "while nobody holds 1,024 connections, root is answered (GetStatus)" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus
served "and the account check PAM makes as root" "$VCALL" --socket "$SOCK" io.practice.Staff.CheckAccount '{"username":"jdoe"}'
served "and the userdb socket" "${USER_RECORD[@]}"
served "and another uid" $OTHER "$VCALL" --socket "$SOCK" io.practice.Staff.PolicyShow
served "and another uid on the userdb socket" $OTHER "$VCALL" --socket "$USERDB_SOCKET" \
	io.systemd.UserDatabase.GetUserRecord '{"userName":"jdoe","service":"userdb.sock"}'
wait_flood "$FPID"
early=$(val early "$T/hold.out")
check "connections over nobody's share are closed at once ($early of 1024)" test "${early:-0}" -ge 768
check_eq 0 "$(val open "$T/hold.out")" "connections that never send a request are closed within the 9 s run"
last=$(val last_close "$T/hold.out")
check "the last of them after the request timeout of 5 s (at ${last} s)" awk "BEGIN { exit !($last >= 4.5 && $last <= 8.5) }"
check_grep "refused [0-9]+ connections? over a uid's share of [0-9]+ \(the last from uid 65534\)" \
	"the refusals are logged with the uid" cat "$T/staffd.log"
served "once they are gone, nobody is served again" $NOBODY "$VCALL" --socket "$SOCK" io.practice.Staff.PolicyShow

# ---- output nobody never reads ----
rss0=$(rss_kib "$STAFFD_PID")
$NOBODY "$FLOOD" "$SOCK" pipeline 3 7 org.varlink.service.GetInterfaceDescription '{"interface":"io.practice.Staff"}' \
	> "$T/pipeline.out" &
FPID=$!
EXTRA_PIDS="$EXTRA_PIDS $FPID"
sleep 3
rss1=$(rss_kib "$STAFFD_PID")
served "while three connections pipeline calls without reading, root is answered" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus
wait_flood "$FPID"
grown=$(( (rss1 - rss0) / 1024 ))
check "the unread answers do not pile up in the daemon (RSS $((rss0 / 1024)) -> $((rss1 / 1024)) MiB)" test "$grown" -lt 16
check_eq 0 "$(val open "$T/pipeline.out")" "connections that do not read their answers are closed"
served "the daemon still answers afterwards" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus
check_daemon_stops

# ---- out of file descriptors ----
# The limit as the default soft limit would be without LimitNOFILE=, but
# small, so that a few connections reach it.
cat > "$T/staffd-nofile" <<SH
#!/bin/sh
exec prlimit --nofile=64:64 "$STAFFD" "\$@"
SH
chmod 755 "$T/staffd-nofile"
STAFFD=$T/staffd-nofile start_daemon || exit 1
served "staffd starts with 64 descriptors" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus

# attack NAME N: nobody holds N connections for 4 s; checks what the daemon
# does meanwhile: little CPU, a few log lines, root answered.
attack() {
	local name=$1 n=$2 t0 t1 l0 l1 cpu
	l0=$(log_lines)
	t0=$(cpu_ticks "$STAFFD_PID")
	$NOBODY "$FLOOD" "$SOCK" hold "$n" 4 > "$T/$name.out" &
	FPID=$!
	EXTRA_PIDS="$EXTRA_PIDS $FPID"
	sleep 1
	served "$name: root is answered" "$VCALL" --socket "$SOCK" io.practice.Staff.GetStatus
	sleep 2
	t1=$(cpu_ticks "$STAFFD_PID")
	l1=$(log_lines)
	wait_flood "$FPID"
	cpu=$(( (t1 - t0) * 100 / $(getconf CLK_TCK) ))
	# Spinning on accept() takes a whole core: 300 cs in these 3 s.
	check "$name: the daemon does not spin (${cpu} cs of CPU in 3 s)" test "$cpu" -lt 75
	check "$name: the log does not flood ($((l1 - l0)) lines)" test $((l1 - l0)) -le 10
}
attack "100 connections against 64 descriptors" 100

# Fewer descriptors left than the connections allowed (as when something
# else has taken them): the daemon runs out for real.
# (Once the daemon has seen the last attack's connections close.)
sleep 0.5
used=$(find "/proc/$STAFFD_PID/fd" -mindepth 1 | wc -l)
prlimit --pid "$STAFFD_PID" --nofile=$((used + 2)):64
attack "out of descriptors" 30
check_grep 'out of file descriptors [0-9]+ times?' "running out of descriptors is logged, with a count" \
	cat "$T/staffd.log"
prlimit --pid "$STAFFD_PID" --nofile=64:64
check_daemon_stops

done_testing
