#!/bin/bash
# Sign-ins never wait behind what anyone may ask for (DESIGN 14): one uid
# (nobody) looping PolicyCheck on 200 connections, or making the daemon send
# slow mail through ForgotPassword, while root signs staff in as PAM does.
# The flooding uid gets Busy beyond its share; nobody else does. Bounded in
# count and time.
. "$(dirname "$0")/../integ/lib.sh"

FLOOD=${FLOOD:-$TOPDIR/${O:-build}/tests/flood}
NOBODY="setpriv --reuid=nobody --regid=nogroup --clear-groups --"
OTHER="setpriv --reuid=4242 --regid=4242 --clear-groups --"
PASSWORD='Harbor!Violet27x'

val() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
wait_flood() {
	local p rest=
	wait "$1"
	for p in $EXTRA_PIDS; do [ "$p" = "$1" ] || rest="$rest $p"; done
	EXTRA_PIDS=$rest
}
now_ms() { date +%s%3N; }

# logins N OUT: N sign-ins of jdoe as root, one after another; OUT gets
# one line per answer ("ok" or the error) and MAX_MS the slowest.
logins() {
	local i t0 t1 out
	MAX_MS=0
	: > "$2"
	for i in $(seq 1 "$1"); do
		t0=$(now_ms)
		out=$(timeout 10 "$VCALL" --socket "$SOCK" io.practice.Staff.Authenticate \
			"{\"username\":\"jdoe\",\"secret\":\"$PASSWORD\",\"service\":\"test\"}" 2>&1)
		t1=$(now_ms)
		[ $((t1 - t0)) -gt "$MAX_MS" ] && MAX_MS=$((t1 - t0))
		if printf '%s' "$out" | grep -q '"result":"ok"'; then
			echo ok >> "$2"
		else
			printf '%s\n' "$out" | jq -r '.error // "no answer"' >> "$2" 2>/dev/null || echo "no answer" >> "$2"
		fi
	done
}

start_daemon || exit 1
setup_practice
for u in jdoe kim lee; do
	add_staff "$u" Nurse
	activate "$u" "$PASSWORD" || fail "activation of $u"
done
logins 5 "$T/idle.out"
check_eq 5 "$(grep -c '^ok$' "$T/idle.out")" "unloaded, root signs jdoe in"
IDLE_MS=$MAX_MS

# ---- 200 connections looping PolicyCheck ----
$NOBODY "$FLOOD" "$SOCK" loop 200 8 io.practice.Staff.PolicyCheck '{"password":"Correct-Horse-Battery-9"}' \
	> "$T/loop.out" &
FPID=$!
EXTRA_PIDS="$EXTRA_PIDS $FPID"
sleep 1.5
logins 20 "$T/attack.out"
ATTACK_MS=$MAX_MS
other=$(timeout 10 $OTHER "$VCALL" --socket "$SOCK" io.practice.Staff.PolicyCheck '{"password":"Quiet-Meadow-Lamp-71"}' 2>&1)
wait_flood "$FPID"
check_eq 20 "$(grep -c '^ok$' "$T/attack.out")" \
	"while nobody loops PolicyCheck on 200 connections, all 20 of root's sign-ins succeed ($(sort "$T/attack.out" | uniq -c | tr -s ' \n' ' '))"
check "none of them waits long (slowest ${ATTACK_MS} ms, unloaded ${IDLE_MS} ms)" test "$ATTACK_MS" -lt $((IDLE_MS * 5 + 2000))
check_grep '"ok":true' "another uid's PolicyCheck is answered meanwhile" printf '%s' "$other"
ok=$(val ok "$T/loop.out")
busy=$(val busy "$T/loop.out")
check "nobody's checks are answered at its share (${ok} answered)" test "${ok:-0}" -ge 1
check "and beyond it refused as Busy (${busy} refused)" test "${busy:-0}" -ge 1
check_eq 0 "$(val other "$T/loop.out")" "nobody got no other error"

# ---- mail that takes long, asked for by anyone ----
# A mail command that hangs for a while, as a sendmail waiting on a dead relay does.
cat > "$T/slow-mail" <<SH
#!/bin/sh
sleep 4
exec "$TOPDIR/tools/mail-to-dir" "$MAILDIR"
SH
chmod 755 "$T/slow-mail"
sed -i "s|^mail_command = .*|mail_command = $T/slow-mail|" "$T/staffd.conf"
kill -HUP "$STAFFD_PID"
sleep 0.5
pids=
for u in jdoe kim lee; do
	$NOBODY "$VCALL" --socket "$SOCK" io.practice.Staff.ForgotPassword "{\"username\":\"$u\"}" > "$T/forgot.$u" 2>&1 &
	pids="$pids $!"
	EXTRA_PIDS="$EXTRA_PIDS $!"
done
sleep 0.5
logins 5 "$T/mail.out"
check_eq 5 "$(grep -c '^ok$' "$T/mail.out")" "while three reset mails hang in the mail command, root's sign-ins succeed"
check "without waiting for the mail (slowest ${MAX_MS} ms)" test "$MAX_MS" -lt 2000
for p in $pids; do wait_flood "$p"; done
check_eq 3 "$(cat "$T"/forgot.* | grep -c '"mailed":true')" "and the three mails were sent all the same"
check_daemon_stops

done_testing
