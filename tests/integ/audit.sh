#!/bin/bash
# The audit trail: one record per change, filters by user, time and count,
# the hash chain verified, a record altered in LMDB found by audit verify,
# and events on the daemon's log.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }

count() { vcall io.practice.Staff.GetStatus | jq .parameters.status.audit_records; }
newest() { ctl --json audit --limit 1 | jq -r '.[0] | "\(.actor) \(.action) \(.target) \(.result)"'; }
# audited ACTION TARGET DESC CMD...: CMD succeeds and adds exactly one record,
# by root, of ACTION on TARGET, with result ok.
audited() {
	local action=$1 target=$2 desc=$3 n0 n1 out
	shift 3
	n0=$(count)
	if ! out=$("$@" 2>&1); then
		fail "$desc" "exit $?: $out"
		return
	fi
	n1=$(count)
	if [ "$n1" -ne $((n0 + 1)) ]; then
		fail "$desc" "audit length went from $n0 to $n1"
	else
		check_eq "root $action $target ok" "$(newest)" "$desc"
	fi
}

audited location.add North "location add is audited" ctl location add North
audited location.rename "North Side" "location rename is audited" ctl location rename North "North Side"
audited location.remove "North Side" "location remove is audited" ctl location remove "North Side"
audited role.add Scribe "role add is audited" ctl role add Scribe --perm clinical.charts
audited role.grant Scribe "role grant is audited" ctl role grant Scribe clinical.notes
audited role.revoke Scribe "role revoke is audited" ctl role revoke Scribe clinical.notes
audited role.remove Scribe "role remove is audited" ctl role remove Scribe
audited user.add nina "user add is audited" add_staff nina Nurse --location Main
audited user.edit nina "user edit is audited" ctl user edit nina --capacity 2
audited user.resend-invite nina "resend-invite is audited" ctl user resend-invite nina
activate nina 'Blue-Canoe-Rivet-58' || fail "activate nina"
audited user.deactivate nina "deactivate is audited" ctl user deactivate nina
audited user.reactivate nina "reactivate is audited" ctl user reactivate nina
audited user.reset-password nina "reset-password is audited" ctl user reset-password nina
audited user.set-pin nina "set-pin is audited" sh -c "echo 1357 | $STAFFCTL user set-pin nina"
audited user.add paul "another user add" add_staff paul Staff
audited user.cancel-invite paul "cancel-invite is audited" ctl user cancel-invite paul
audited codeword.rotate null "codeword rotate is audited" ctl codeword rotate
n0=$(count)
check "a sign-in" vcall io.practice.Staff.Authenticate '{"username":"nina","secret":"Blue-Canoe-Rivet-58"}'
check_eq "root login nina ok" "$(newest)" "a successful sign-in is audited"
check "a failed sign-in" sh -c "! $VCALL --socket $SOCK io.practice.Staff.Authenticate '{\"username\":\"nina\",\"secret\":\"Not-Her-Password-1\"}' >/dev/null"
check_eq "root login nina failed" "$(newest)" "a failed sign-in is audited too"
check_eq $((n0 + 2)) "$(count)" "each sign-in attempt is one record"

n0=$(count)
for cmd in "user list" "user show nina" "location list" "role list" "role show Nurse" "codeword show" "audit" \
	"audit verify" "policy show" "status"; do
	# shellcheck disable=SC2086
	ctl $cmd >/dev/null 2>&1
done
check_eq "$n0" "$(count)" "reading changes nothing, so writes no record"

# ---- what a record holds ----
all=$(ctl --json audit)
n=$(jget "$all" length)
check_eq "$(count)" "$n" "audit lists every record"
check_eq "$(seq -s ' ' 1 "$n")" "$(jget "$all" '[.[].seq]|map(tostring)|join(" ")')" \
	"sequence numbers run from 1 without a gap, oldest first"
check_eq true "$(jget "$all" '[.[].time] as $t | $t == ($t|sort)')" "record times never decrease"
check_eq true "$(jget "$all" 'all(.[]; (.hash|test("^[0-9a-f]{64}$")))')" "every record carries a BLAKE2b-256 hash"
check_eq "$n" "$(jget "$all" '[.[].hash]|unique|length')" "hashes are all different"
check_eq true "$(jget "$all" 'all(.[]; .actor != null and .action != null and .result != null)')" \
	"every record names its actor, action and result"
check_eq '"practice.init"' "$(jget "$all" '.[0].action|tojson')" "the first record is the practice's creation"
out=$(ctl audit 2>&1)
check_grep '^SEQ +TIME +ACTOR +ACTION +TARGET +RESULT +DETAILS' "audit prints a table" printf '%s' "$out"
check_grep '^1 +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +root +practice\.init +amy +ok' "one row per record" \
	printf '%s' "$out"

# ---- filters ----
check_eq true "$(ctl --json audit --user nina | jq 'length >= 10 and all(.[]; .target == "nina" or .actor == "nina")')" \
	"audit --user keeps the records about or by the user"
check_eq "$(jget "$all" '[.[]|select(.target=="paul" or .actor=="paul")|.seq]|tojson')" \
	"$(ctl --json audit --user paul | jq -c '[.[].seq]')" "audit --user finds all of them"
sleep 1
t=$(date +%s)
ctl location add East >/dev/null
ctl user edit nina --capacity 3 >/dev/null
ctl location add West >/dev/null
check_eq '["East","nina","West"]' "$(ctl --json audit --since "@$t" | jq -c '[.[].target]')" \
	"audit --since @EPOCH starts at that second"
check_eq true "$(ctl --json audit --since "@$((t - 1))" | jq --argjson t "$((t - 1))" 'all(.[]; .time >= $t)')" \
	"and shows nothing older"
check_eq 0 "$(ctl --json audit --since "@$((t + 3600))" | jq length)" "a time in the future finds nothing"
check_eq "$(count)" "$(ctl --json audit --since 1h | jq length)" "a span back from now works (1h)"
check_eq "$(count)" "$(ctl --json audit --since "$(date +%F)" | jq length)" "a date works (today's)"
check_eq '["user.edit"]' "$(ctl --json audit --user nina --since "@$t" | jq -c '[.[].action]')" \
	"--user and --since combine"
check_eq '["nina","West"]' "$(ctl --json audit --limit 2 | jq -c '[.[].target]')" "--limit N shows the newest N"
check_exit 2 "a malformed --since is a usage error" ctl audit --since "last tuesday"
check_exit 2 "a malformed --limit is a usage error" ctl audit --limit many

# ---- verify ----
out=$(ctl audit verify 2>&1)
check_eq 0 "$?" "audit verify passes on an intact trail"
check_grep "$(count)" "and says how many records it checked" printf '%s' "$out"
check_eq true "$(ctl --json audit verify | jq .ok)" "--json audit verify: ok"

# ---- the log ----
for seq in 1 $((n - 3)) $((n - 1)) "$n"; do
	rec=$(jget "$all" ".[] | select(.seq == $seq) | \"\(.actor) \(.action)\"")
	check_grep "audit #$seq: $rec" "record $seq is on the daemon's log ($rec)" cat "$T/staffd.log"
done
check_grep "audit #[0-9]+: root login nina: failed" "a failed sign-in is on the log" cat "$T/staffd.log"

# ---- an altered record ----
n=$(count)
victim=5
stop_daemon
# The hex format: "mdb_dump -p" does not escape backslashes, so its text
# does not load back when a value holds one (JSON strings with quotes do).
mdb_dump -s audit "$T/state" > "$T/audit.dump" || fail "mdb_dump"
key=$(printf '%016x' "$victim")
hex=$(sed -n "/^ $key\$/{n;s/^ //p}" "$T/audit.dump")
value=$(printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')")
altered=$(printf '%s' "$value" | sed 's/"result":"ok"/"result":"failed"/')
check_eq yes "$([ -n "$value" ] && [ "$value" != "$altered" ] && echo yes)" "record $victim's result is changed"
newhex=$(printf '%s' "$altered" | od -An -tx1 -v | tr -d ' \n')
sed -i "/^ $key\$/{n;s/.*/ $newhex/}" "$T/audit.dump"
check "and loaded back into LMDB" mdb_load -s audit -f "$T/audit.dump" "$T/state"
check_grep "\"seq\":$victim,.*\"result\":\"failed\"" "the record is altered in the database" \
	mdb_dump -s audit -p "$T/state"
start_daemon || exit 1
out=$(ctl audit verify 2>&1)
rc=$?
check_eq 1 "$rc" "audit verify fails on an altered record"
check_grep "(#|record |seq(uence)? )$victim\b" "and names the record ($victim)" printf '%s' "$out"
json=$(ctl --json audit verify 2>/dev/null)
check_eq "[false,$victim]" "$(jget "$json" '[.ok,.first_bad]|tojson')" "--json names the first bad record"
check_eq "$n" "$(count)" "nothing was lost"

check_daemon_stops
done_testing
