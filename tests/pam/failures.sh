#!/bin/bash
# When staffd cannot be trusted or reached: stopped, frozen, a socket or a
# server that belongs to someone else, and replies that make no sense. The
# module answers AUTHINFO_UNAVAIL in time and never hands a secret over.
. "$(dirname "$0")/common.sh"
start_daemon || exit 1
setup_practice || exit 1

service login
service slow timeout=1000
add_active jdoe >/dev/null

# A stand-in server: records every byte it is sent to RECORD and, given a
# REPLY file, answers each call with its bytes and hangs up.
cat > "$T/fake-server.pl" <<'EOF'
use strict;
use warnings;
use IO::Handle;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
my ($path, $record, $reply) = @ARGV;
unlink $path;
my $srv = IO::Socket::UNIX->new(Type => SOCK_STREAM, Local => $path, Listen => 16) or die "listen $path: $!";
chmod 0666, $path;
open(my $log, '>>', $record) or die "open $record: $!";
$log->autoflush(1);
while (my $c = $srv->accept) {
	print $log "connection\n";
	my $got = '';
	while (1) {
		my $n = sysread($c, my $chunk, 65536);
		last if !$n;
		print $log $chunk;
		$got .= $chunk;
		last if index($got, "\0") >= 0;
	}
	if (defined $reply) {
		open(my $r, '<', $reply) or die "open $reply: $!";
		local $/;
		my $data = <$r>;
		syswrite($c, $data);
	}
	close $c;
}
EOF

# fake_server DIR UID [REPLY]: the stand-in at DIR/sock as UID; waits for it.
fake_server() {
	local dir=$1 uid=$2 reply=${3:-}
	mkdir -p "$dir"
	chown "$uid:$uid" "$dir"
	: > "$dir/received"
	chown "$uid:$uid" "$dir/received"
	setpriv --reuid="$uid" --regid="$uid" --clear-groups -- perl "$T/fake-server.pl" "$dir/sock" "$dir/received" $reply &
	FAKE_PID=$!
	EXTRA_PIDS="${EXTRA_PIDS:-} $FAKE_PID"
	for _ in $(seq 1 100); do
		[ -S "$dir/sock" ] && return 0
		sleep 0.05
	done
	echo "# the stand-in server did not start" >&2
	return 1
}
stop_fake() { kill "$FAKE_PID" 2>/dev/null; wait "$FAKE_PID" 2>/dev/null; }
# lib.sh's cleanup stops EXTRA_PIDS when it knows them; make sure either way.
trap 'for p in ${EXTRA_PIDS:-}; do kill "$p" 2>/dev/null; done; cleanup' EXIT

# ---- a socket owned by another uid ----
fake_server "$T/evil" 12345 || exit 1
service evil "socket=$T/evil/sock"
out=$(answers "$PW" | drive evil jdoe auth)
expect_exact "a socket owned by another uid is refused" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
out=$(drive evil jdoe acct < /dev/null)
expect_exact "the account phase refuses it too" "$out" "ERROR: $MSG_UNAVAILABLE" "acct=PAM_AUTHINFO_UNAVAIL"
out=$(answers "$PW" "$PW2" "$PW2" | drive evil jdoe chauthtok)
expect_exact "and the password change" "$out" "ERROR: $MSG_UNAVAILABLE" "chauthtok=PAM_AUTHINFO_UNAVAIL"
sleep 0.2
check_eq "" "$(cat "$T/evil/received")" "the module did not even connect to it"

# ---- a root-owned socket served by another uid ----
chown root:root "$T/evil/sock"
out=$(answers "$PW" | drive evil jdoe auth)
expect_exact "a server running as another uid is refused" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
out=$(answers "$PW" "$PW2" "$PW2" | drive evil jdoe chauthtok)
expect "the password change too" "$out" "chauthtok=PAM_AUTHINFO_UNAVAIL"
for _ in $(seq 1 40); do [ "$(grep -c connection "$T/evil/received")" -ge 2 ] && break; sleep 0.05; done
check_eq "connection
connection" "$(cat "$T/evil/received")" "it was connected to, and sent nothing at all"
if grep -qF -- "$PW" "$T/evil/received"; then fail "no password reached it"; else pass "no password reached it"; fi
stop_fake

# ---- paths that are not staffd's socket ----
ln -s "$SOCK" "$T/link.sock"
service linked "socket=$T/link.sock"
out=$(answers "$PW" | drive linked jdoe auth)
expect_exact "a symlink to the real socket is refused" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
: > "$T/plain-file"
service plainfile "socket=$T/plain-file"
out=$(answers "$PW" | drive plainfile jdoe auth)
expect_exact "a file that is not a socket is refused" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
service missing "socket=$T/no-such.sock"
out=$(answers "$PW" | drive missing jdoe auth)
expect_exact "a socket that is not there: unavailable" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
check_eq 0 "$(field jdoe failed_logins)" "none of it counted against the user"

# ---- replies that make no sense: refused, the host program survives ----
n=0
while IFS= read -r reply; do
	n=$((n + 1))
	printf '%b' "$reply" > "$T/reply-$n"
	fake_server "$T/garbage-$n" 0 "$T/reply-$n" || break
	service "garbage$n" "socket=$T/garbage-$n/sock" timeout=2000
	out=$(answers "$PW" | drive "garbage$n" jdoe auth)
	rc=$?
	expect "a nonsensical reply is refused: $(printf '%s' "$reply" | cut -c1-60)" "$out" \
		"ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
	check_eq 1 "$rc" "the driver exited normally after it ($n)"
	stop_fake
done <<'EOF'
not json at all\0
{"parameters":{"result":42,"must_change_password":false}}\0
{"parameters":{"result":"ok"}}\0
{"parameters":{"result":"activate","must_change_password":true}}\0
{"parameters":{"result":"reset","grant":"../../etc/passwd","must_change_password":true}}\0
{"parameters":{"result":"welcome","must_change_password":false}}\0
{"error":"com.example.Surprise","parameters":{}}\0
{"parameters":{},"continues":true}\0
{"error":42}\0
{"parameters":{"result":"ok","must_change_password":false}
EOF
head -c 1100000 /dev/zero | tr '\0' 'x' > "$T/reply-huge"
fake_server "$T/garbage-huge" 0 "$T/reply-huge" || exit 1
service garbage_huge "socket=$T/garbage-huge/sock"
out=$(answers "$PW" | drive garbage_huge jdoe auth)
expect "a reply over the size limit is refused" "$out" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
stop_fake
printf '{"error":"io.practice.Staff.NotActivated","parameters":{"message":42}}\0' > "$T/reply-msg"
fake_server "$T/garbage-msg" 0 "$T/reply-msg" || exit 1
service garbage_msg "socket=$T/garbage-msg/sock"
out=$(answers "$PW" | drive garbage_msg jdoe auth)
expect_exact "an error without a usable message gets the module's own wording" "$out" \
	"$P_PASSWORD" "ERROR: $MSG_NOT_ACTIVATED" "auth=PAM_AUTH_ERR"
stop_fake

# ---- daemon frozen (SIGSTOP): unavailable within timeout= ----
kill -STOP "$STAFFD_PID"
t0=$(now_ms)
out=$(answers "$PW" | drive slow jdoe auth)
t1=$(now_ms)
expect_exact "frozen daemon: AUTHINFO_UNAVAIL" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
check_eq yes "$([ $((t1 - t0)) -ge 900 ] && [ $((t1 - t0)) -lt 3000 ] && echo yes)" \
	"frozen daemon: the answer came after timeout=1000, within 3 s ($((t1 - t0)) ms)"
t0=$(now_ms)
out=$(drive slow jdoe acct < /dev/null)
t1=$(now_ms)
expect_exact "frozen daemon: the account phase too" "$out" "ERROR: $MSG_UNAVAILABLE" "acct=PAM_AUTHINFO_UNAVAIL"
check_eq yes "$([ $((t1 - t0)) -lt 3000 ] && echo yes)" "frozen daemon: account phase within 3 s ($((t1 - t0)) ms)"
out=$(drive slow jdoe chauthtok < /dev/null)
expect_exact "frozen daemon: the password change is refused before asking anything" "$out" \
	"ERROR: $MSG_UNAVAILABLE" "chauthtok=PAM_AUTHINFO_UNAVAIL"
kill -CONT "$STAFFD_PID"
out=$(answers "$PW" | drive slow jdoe auth acct)
expect "thawed: sign-in works again" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

# ---- daemon stopped: unavailable at once ----
stop_daemon
t0=$(now_ms)
out=$(answers "$PW" | drive login jdoe auth)
t1=$(now_ms)
expect_exact "stopped daemon: AUTHINFO_UNAVAIL" "$out" "$P_PASSWORD" "ERROR: $MSG_UNAVAILABLE" "auth=PAM_AUTHINFO_UNAVAIL"
check_eq yes "$([ $((t1 - t0)) -lt 1000 ] && echo yes)" "stopped daemon: at once ($((t1 - t0)) ms)"
out=$(drive login jdoe acct < /dev/null)
expect_exact "stopped daemon: account phase AUTHINFO_UNAVAIL" "$out" "ERROR: $MSG_UNAVAILABLE" "acct=PAM_AUTHINFO_UNAVAIL"
out=$(drive login jdoe chauthtok < /dev/null)
expect_exact "stopped daemon: password change AUTHINFO_UNAVAIL" "$out" "ERROR: $MSG_UNAVAILABLE" "chauthtok=PAM_AUTHINFO_UNAVAIL"
out=$(answers "$PW" | drive login nosuchuser auth)
expect "stopped daemon: an unknown user is unavailable too, not unknown" "$out" "auth=PAM_AUTHINFO_UNAVAIL"
rm -f "$SOCK"
start_daemon || exit 1
out=$(answers "$PW" | drive login jdoe auth acct)
expect "restarted: sign-in works again" "$out" "auth=PAM_SUCCESS" "acct=PAM_SUCCESS"

pam_done_testing
