#!/bin/bash
# Corrupt or missing state is refused, never guessed (DESIGN 14): a missing
# or replaced staffd.key beside a database, a missing, empty, truncated or
# damaged data.mdb beside a key. staffd exits 1 (a plain exit, never a
# signal: no SIGBUS, no assertion), says which file and what to restore, and
# leaves both files as they were; the intact state starts again afterwards.
. "$(dirname "$0")/../integ/lib.sh"
: "${STORE_RAW:?STORE_RAW must name the store-raw test tool (tests/run sets it)}"

PW='Blue-Canoe-Rivet-58'
BIO=$(printf 'Front desk and scheduling, %.0s' $(seq 1 40))
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }
add_staff nina Staff && activate nina "$PW" || fail "nina activates"
# Enough users and audit records that their tables take several pages.
for i in $(seq 1 20); do
	add_staff "staff$i" Staff --bio "$BIO" || fail "add staff$i"
done
stop_daemon
cp -a "$T/state" "$T/good"
D=$T/state

# The state's two files as they are (lock.mdb is LMDB's scratch, not state).
state_sums() {
	local f
	for f in data.mdb staffd.key; do
		if [ -e "$D/$f" ]; then printf '%s %s\n' "$f" "$(md5sum < "$D/$f")"; else echo "$f none"; fi
	done
}

restore_good() {
	rm -rf "$D"
	cp -a "$T/good" "$D"
}

# refused DESC REGEX: staffd on the current state exits 1 by itself (not by
# a signal, within 30 s, without serving), its message matches REGEX, and
# neither data.mdb nor staffd.key changed.
refused() {
	local desc=$1 re=$2 before pid rc out
	before=$(state_sums)
	: > "$T/once.log"
	"$STAFFD" --config "$T/staffd.conf" > "$T/once.log" 2>&1 &
	pid=$!
	for _ in $(seq 1 300); do
		kill -0 "$pid" 2>/dev/null || break
		[ -S "$SOCK" ] && break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		wait "$pid"
		fail "$desc: staffd refuses to start" "it started and served: $(head -5 "$T/once.log")"
		return
	fi
	wait "$pid"
	rc=$?
	out=$(cat "$T/once.log")
	if [ "$rc" -gt 128 ]; then
		fail "$desc: staffd exits 1, not by a signal" "killed by signal $((rc - 128)): $out"
	elif [ "$rc" -ne 1 ]; then
		fail "$desc: staffd exits 1" "exit $rc: $out"
	elif ! printf '%s' "$out" | grep -Eq -- "$re"; then
		fail "$desc: the message says what to restore" "no /$re/ in: $out"
	elif [ "$before" != "$(state_sums)" ]; then
		fail "$desc: the state is left as it was" "before: $before; after: $(state_sums)"
	else
		pass "$desc: refused with \"$(printf '%s' "$out" | grep -Eo -- "$re" | head -1)\""
	fi
}

page() { dd if=/dev/zero of="$D/data.mdb" bs=4096 seek="$1" count="${2:-1}" conv=notrunc status=none; }

# ---- the key ----
restore_good
rm "$D/staffd.key"
refused "staffd.key missing beside a database" \
	"staffd\\.key is missing, but .*data\\.mdb was written with it: restore staffd\\.key from the backup"
check_eq no "$([ -e "$D/staffd.key" ] && echo yes || echo no)" "no new key was made over the existing data"

restore_good
head -c 32 /dev/urandom > "$D/staffd.key"
refused "staffd.key replaced by another key" \
	"staffd\\.key is not the key .*data\\.mdb was written with \\(it was replaced\\): restore"

# A database from before the key's fingerprint was recorded: the sealed code
# word tells the right key from another, and the fingerprint is recorded.
restore_good
"$STORE_RAW" "$D" del meta key_fingerprint || fail "remove the fingerprint"
head -c 32 /dev/urandom > "$D/staffd.key"
refused "another key beside a database without a fingerprint" "staffd\\.key is not the key .* \\(it was replaced\\)"
restore_good
"$STORE_RAW" "$D" del meta key_fingerprint
check_eq 1 "$("$STORE_RAW" "$D" get meta key_fingerprint >/dev/null 2>&1; echo $?)" "the fingerprint is gone"
start_daemon || fail "staffd starts on a database without a fingerprint, with its key"
check_grep '"result":"ok"' "nina signs in" vcall io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$PW\"}"
stop_daemon
check_eq 64 "$("$STORE_RAW" "$D" get meta key_fingerprint | tr -d '\n' | wc -c)" "the key's fingerprint is recorded"
cp -p "$D/data.mdb" "$T/good/data.mdb"

# ---- data.mdb ----
restore_good
rm "$D/data.mdb"
refused "data.mdb missing beside staffd.key" "data\\.mdb: it is missing, but staffd\\.key is there: restore data\\.mdb from a backup"

restore_good
: > "$D/data.mdb"
refused "data.mdb empty (0 bytes)" "data\\.mdb: it is empty \\(0 bytes\\): restore data\\.mdb from a backup"

restore_good
size=$(stat -c %s "$D/data.mdb")
truncate -s $((size / 4096 / 2 * 4096)) "$D/data.mdb"
refused "data.mdb truncated to half" "data\\.mdb: it is truncated: [0-9]+ bytes, but its pages take [0-9]+: restore data\\.mdb"

restore_good
truncate -s 6000 "$D/data.mdb"
refused "data.mdb cut inside its second page" "data\\.mdb: .*restore data\\.mdb from a backup"

restore_good
head -c 65536 /dev/urandom > "$D/data.mdb"
refused "data.mdb that is no database" "data\\.mdb: it has no valid LMDB header.*restore data\\.mdb"

restore_good
page 0 2
refused "data.mdb with its header pages zeroed" "data\\.mdb: it has no valid LMDB header.*restore data\\.mdb"

for what in users audit; do
	restore_good
	leaves=$("$STORE_RAW" "$D" leaves "$what")
	[ "$(printf '%s\n' "$leaves" | wc -l)" -ge 2 ] || fail "table $what spans several pages" "$leaves"
	page "$(printf '%s\n' "$leaves" | tail -1)"
	refused "data.mdb with the last page of table $what zeroed" "data\\.mdb: .*restore data\\.mdb from a backup"
	restore_good
	page "$("$STORE_RAW" "$D" root "$what")"
	refused "data.mdb with the root page of table $what zeroed" "data\\.mdb: .*table $what.*restore data\\.mdb"
done

restore_good
page "$("$STORE_RAW" "$D" root :main)"
refused "data.mdb with its list of tables zeroed" "data\\.mdb: .*list of tables.*restore data\\.mdb"

# ---- and the intact state still starts ----
restore_good
start_daemon || fail "staffd starts on the intact state"
check_grep '"result":"ok"' "nina signs in against the intact state" \
	vcall io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$PW\"}"
check "its audit chain verifies" ctl audit verify
check_daemon_stops
done_testing
