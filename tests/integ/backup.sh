#!/bin/bash
# staffctl backup: a compacted copy written while the daemon serves, which a
# second staffd serves with the same users and a verifying audit chain.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }

PW='Blue-Canoe-Rivet-58'
for u in nina omar paul; do
	add_staff "$u" Staff || fail "add $u"
done
activate nina "$PW" || fail "activate nina"
ctl user deactivate paul >/dev/null
ctl role add Scribe --perm clinical.charts >/dev/null
listing() { "$STAFFCTL" --socket "$1" --json user list | jq -c 'map({username,status,role,email,uid})'; }

# ---- a backup while the daemon serves ----
out=$(ctl backup "$T/backup.mdb" 2>&1)
check_eq 0 "$?" "staffctl backup writes a copy"
check_eq 600 "$(stat -c %a "$T/backup.mdb" 2>/dev/null)" "the copy is mode 0600"
size=$(stat -c %s "$T/backup.mdb" 2>/dev/null)
check_grep "\\b$size\\b" "staffctl reports the size written ($size bytes)" printf '%s' "$out"
check_eq yes "$([ "${size:-0}" -gt 0 ] && [ "$size" -le "$(stat -c %s "$T/state/data.mdb")" ] && echo yes)" \
	"the copy is compacted: no larger than the database"
check "the daemon still serves" ctl status
sum=$(md5sum < "$T/backup.mdb")
check_exit 4 "an existing file is not overwritten" ctl backup "$T/backup.mdb"
check_eq "$sum" "$(md5sum < "$T/backup.mdb")" "and is left as it was"
check_exit 4 "a directory that does not exist is a local error" ctl backup "$T/no/such/dir/b.mdb"
check_grep 'restore|Restore' "restoring a backup is documented" cat "$TOPDIR/README.md"
original=$(listing "$SOCK")
records=$(vcall io.practice.Staff.GetStatus | jq .parameters.status.audit_records)
codeword=$(ctl --json codeword show | jq -r .codeword)

# ---- a second daemon on the copy ----
conf=$(derive_config "$T/copy") || exit 1
mkdir -p "$T/copy/state"
chmod 700 "$T/copy/state"
cp "$T/backup.mdb" "$T/copy/state/data.mdb"
cp -p "$T/state/staffd.key" "$T/copy/state/staffd.key"
start_extra_daemon "$conf" || exit 1
copy=$T/copy/staffd.sock
check_eq "$original" "$(listing "$copy")" "the second daemon finds the same users"
check_eq "$records" "$("$VCALL" --socket "$copy" io.practice.Staff.GetStatus | jq .parameters.status.audit_records)" \
	"and the same number of audit records"
check "its audit chain verifies" "$STAFFCTL" --socket "$copy" audit verify
check_eq "$codeword" "$("$STAFFCTL" --socket "$copy" --json codeword show | jq -r .codeword)" \
	"with the key file, the code word can be shown"
check_eq '["clinical.charts"]' "$("$STAFFCTL" --socket "$copy" --json role show Scribe | jq -c .role.permissions)" \
	"custom roles are there"
check_grep '"result":"ok"' "nina signs in against the copy with her password" \
	"$VCALL" --socket "$copy" io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$PW\"}"
check_extra_daemon_stops "$conf"

# ---- consistent while writes go on ----
(
	for i in $(seq 1 30); do
		"$STAFFCTL" user add "busy$i" --email "busy$i@riverside.example" --first Busy --last Tester \
			--role Staff >/dev/null 2>&1
	done
) &
writer=$!
EXTRA_PIDS="$EXTRA_PIDS $writer"
sleep 0.1
check "a backup while users are being added" ctl backup "$T/busy.mdb"
wait "$writer"
conf=$(derive_config "$T/busy") || exit 1
mkdir -p "$T/busy/state"
chmod 700 "$T/busy/state"
cp "$T/busy.mdb" "$T/busy/state/data.mdb"
cp -p "$T/state/staffd.key" "$T/busy/state/staffd.key"
start_extra_daemon "$conf" || exit 1
busy=$("$VCALL" --socket "$T/busy/staffd.sock" io.practice.Staff.GetStatus | jq -c '.parameters.status|[.staff,.audit_records]')
check "the copy taken during writes verifies" "$STAFFCTL" --socket "$T/busy/staffd.sock" audit verify
check_eq true "$(printf '%s' "$busy" | jq '.[0] >= 4 and .[0] <= 34')" "the copy holds the users of its moment ($busy)"
check_eq "$(printf '%s' "$busy" | jq '.[0] - 4')" \
	"$("$STAFFCTL" --socket "$T/busy/staffd.sock" --json audit | jq '[.[]|select(.action=="user.add" and (.target|startswith("busy")))]|length')" \
	"every user in the copy has its audit record, and no record lacks its user"
check_extra_daemon_stops "$conf"
check "the original verifies too" ctl audit verify

# ---- not for everyone ----
uid=$(user_field nina uid)
mkdir -p "$T/nina"
chown "$uid:$uid" "$T/nina"
check_grep '[Pp]ermission denied' "a backup by a non-administrator is refused" \
	as_uid "$uid" "$STAFFCTL" backup "$T/nina/steal.mdb"
check_eq no "$([ -e "$T/nina/steal.mdb" ] && echo yes || echo no)" "and leaves no file behind"

check_daemon_stops
done_testing
