#!/bin/bash
# Bounded writes from unauthenticated input (DESIGN 14). Whoever reaches a
# login prompt (su, sshd, login run PAM as root for anyone) chooses the name:
# names that cannot be usernames write nothing, unknown names are counted
# and summarised once a minute, and once the map is full but for its
# reserve, sign-ins and lockouts are still recorded, the administrator is
# told StorageFull in words, and `staffctl status` warns.
# A small map (1 MiB, a quarter kept in reserve) fills in seconds.
EXTRA_DAEMON_CONFIG="map_size = 1M
map_reserve = 25%
map_warn = 60%"
. "$(dirname "$0")/../integ/lib.sh"

# On tmpfs when there is one: filling the map takes a few hundred commits.
if [ -d /dev/shm ] && [ -w /dev/shm ]; then
	SHM=$(mktemp -d /dev/shm/staffd-storage.XXXXXX)
	trap 'cleanup; rm -rf "$SHM"' EXIT INT TERM
	sed -i "s|^state_dir = .*|state_dir = $SHM/state|" "$T/staffd.conf"
	STATE=$SHM/state
else
	STATE=$T/state
fi

PW='Blue-Canoe-Rivet-58'
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }
for u in nina omar; do
	add_staff "$u" Staff && activate "$u" "$PW" || fail "$u activates"
done
records() { vcall io.practice.Staff.GetStatus | jq .parameters.status.audit_records; }
db_size() { stat -c %s "$STATE/data.mdb"; }
authenticate() {
	vcall io.practice.Staff.Authenticate "$(jq -nc --arg u "$1" --arg s "$2" '{username:$u,secret:$s}')"
}
LONG=$(head -c 45000 /dev/zero | tr '\0' 'A')

# ---- as an unprivileged uid: nothing is written for another name ----
before=$(snapshot)
size=$(db_size)
denied=0
for i in $(seq 1 10); do
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$VCALL" --socket "$SOCK" \
		io.practice.Staff.Authenticate "{\"username\":\"$LONG$i\",\"secret\":\"x\"}" 2>&1)
	printf '%s' "$out" | grep -q PermissionDenied && denied=$((denied + 1))
	setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$VCALL" --socket "$SOCK" \
		io.practice.Staff.ForgotPassword "{\"username\":\"ghost$i\"}" >/dev/null 2>&1
done
check_eq 10 "$denied" "another uid cannot try a name but its own"
check_eq "$before" "$(snapshot)" "attempts and forgot-password calls for unknown names from uid nobody change nothing"
check_eq "$size" "$(db_size)" "and data.mdb did not grow"

# ---- what su, sshd and login send as root, on anyone's behalf ----
before=$(records)
size=$(db_size)
start=$(date +%s%N)
unknown=0
for i in $(seq 1 60); do
	vcall io.practice.Staff.Authenticate "{\"username\":\"$LONG$i\",\"secret\":\"x\",\"service\":\"sshd\"}" |
		grep -q NoSuchUser && unknown=$((unknown + 1))
done
elapsed=$((($(date +%s%N) - start) / 1000000))
check_eq 60 "$unknown" "60 attempts with 45 KB names are refused as unknown users (as PAM_USER_UNKNOWN)"
check_eq "$before" "$(records)" "names that cannot be usernames add no audit record"
check_eq "$size" "$(db_size)" "and data.mdb did not grow"
echo "# 60 attempts with 45 KB names: ${elapsed} ms"

for name in "$(printf 'ok\tno')" 'Root' 'a b' '-x' 'x;rm' 'abcdefghijklmnopqrstuvwxyz0123456'; do
	check_grep NoSuchUser "\"$(printf '%q' "$name")\" cannot be a username: NoSuchUser" authenticate "$name" x
done
check_eq "$before" "$(records)" "still no record"

# Names that could be usernames cost a hash each; the first of the minute is
# recorded with its name, the others are counted for one summary.
before=$(records)
for i in $(seq 1 30); do
	authenticate "ghost$i" x | grep -q NoSuchUser || fail "ghost$i: NoSuchUser"
done
added=$(($(records) - before))
check_eq yes "$([ "$added" -ge 1 ] && [ "$added" -le 3 ] && echo yes)" \
	"30 attempts for unknown usernames add at most 3 records in a minute ($added)"
check_eq 1 "$(ctl --json audit --limit 5 | jq '[.[] | select(.target == "ghost1" and .result == "unknown user")] | length')" \
	"the first is recorded with its name"
check_grep '"result":"ok"' "nina still signs in" authenticate nina "$PW"

# Stopping writes what was counted: one summary with the count and a few escaped names.
# (Mail is turned off from here: adding users then waits on nothing but the database.)
stop_daemon
sed -i 's|^mail_command = .*|mail_command =|' "$T/staffd.conf"
start_daemon || exit 1
summary=$(ctl --json audit | jq -c '[.[] | select(.result == "unknown user" and .target == null)] | last')
detail=$(printf '%s' "$summary" | jq -r .detail)
check_grep '^[0-9]+ more attempts for unknown names from ' "the summary counts the attempts: $detail" printf '%s' "$detail"
total=$(ctl --json audit | jq '[.[] | select(.result == "unknown user") |
	if .target then 1 else (.detail | capture("^(?<n>[0-9]+)").n | tonumber) end] | add')
check_eq 96 "$total" "every attempt is counted: 60 + 6 invalid names and 30 unknown usernames"
check_grep '\(66 of them not valid usernames\)' "the summary says how many names were not usernames" printf '%s' "$detail"
check_eq yes "$([ "${#detail}" -le 400 ] && echo yes)" "the summary is short (${#detail} bytes)"
check_grep 'e\.g\. "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\.\.\."' "a long name is quoted cut short" printf '%s' "$detail"
check_grep '"ok\\x09no"' "a control character in a name is escaped" printf '%s' "$detail"

# ---- the map fills up ----
BIO=$(head -c 1990 /dev/zero | tr '\0' 'x')
# fill PREFIX: adds users with long bios, 20 calls to a connection, until
# staffd says StorageFull (at most 400; the reply goes to $T/full.json);
# prints how many it added.
fill() {
	local prefix=$1 n=0 batch out
	for batch in $(seq 0 19); do
		out=$(for i in $(seq $((batch * 20 + 1)) $((batch * 20 + 20))); do
			printf '{"method":"io.practice.Staff.UserAdd","parameters":{"user":{"username":"%s%d","email":"%s%d@riverside.example","first_name":"Fill","last_name":"Tester","role":"Staff","bio":"%s"}}}\0' \
				"$prefix" "$i" "$prefix" "$i" "$BIO"
		done | "$VCALL" --socket "$SOCK" --raw)
		n=$((n + $(printf '%s\n' "$out" | grep -c '"parameters":{"user"')))
		printf '%s\n' "$out" | grep -m1 StorageFull > "$T/full.json" && break
	done
	echo "$n"
}
added=$(fill fill)
full=$(ctl user add last --email last@riverside.example --first Last --last Tester --role Staff --bio "$BIO" 2>&1)
check_grep 'the staff database is full \([0-9.]+ of 1\.0 MiB used\): nothing was changed; raise map_size in staffd\.conf' \
	"a full map reaches the administrator as StorageFull, in words (after $added users)" printf '%s' "$full"
check_eq "" "$(printf '%s' "$full" | grep -Ei 'internal error|input/output|no space left')" "not as an internal error"
# Small changes do not slip into what is left: that is kept for sign-ins.
out=$(for i in $(seq 1 100); do
	printf '{"method":"io.practice.Staff.LocationAdd","parameters":{"name":"Annex %d"}}\0' "$i"
done | "$VCALL" --socket "$SOCK" --raw)
check_eq "0 100" "$(printf '%s\n' "$out" | grep -c '"parameters":{"location"') $(printf '%s\n' "$out" |
	grep -c 'io\.practice\.Staff\.StorageFull')" "100 small changes are refused too, each with StorageFull"
check_rejected 1 'staff database is full' "a refused change changes nothing" \
	ctl user add late --email late@riverside.example --first Late --last Comer --role Staff

check_grep 'warning: the staff database is full: only sign-ins and lockouts are recorded; raise map_size' \
	"staffctl status warns" ctl status
check_grep '^Database: +[0-9]+% of map_size used' "staffctl status shows how full the map is" ctl status
check_eq true "$(ctl --json status | jq '.status.storage | .percent >= 60 and (.warning | test("full"))')" \
	"the JSON status carries the figures and the warning"

# ---- in the reserve: sign-ins and lockouts are still recorded ----
before=$(records)
check_grep '"result":"ok"' "nina signs in with the right password" authenticate nina "$PW"
check_eq $((before + 1)) "$(records)" "and her sign-in is recorded"
wrong_logins omar 5
check_eq true "$(user_field omar locked)" "five wrong passwords lock omar"
check_eq $((before + 6)) "$(records)" "and each failure is recorded"
check_grep Locked "omar's account check says locked" vcall io.practice.Staff.CheckAccount '{"username":"omar"}'
before=$(records)
check_grep NoSuchUser "unknown names are still answered as unknown" authenticate ghost99 x
check_eq "$before" "$(records)" "but not written into the reserve"

# ---- with no reserve, LMDB's own full map is StorageFull too ----
stop_daemon
sed -i 's/^map_reserve = .*/map_reserve = 0%/' "$T/staffd.conf"
start_daemon || exit 1
added=$(fill more)
check_grep '"message":"the staff database is full: data.mdb has used [0-9.]+ MiB of its 1.0 MiB map; raise map_size in [^ ]+staffd.conf and restart staffd' \
	"without a reserve, LMDB's full map is StorageFull too (after $added more users)" cat "$T/full.json"
check_grep 'UserAdd: refused: the staff database is full' "and the log says so" cat "$T/staffd.log"
check "the audit chain verifies" ctl audit verify
check_daemon_stops
done_testing
