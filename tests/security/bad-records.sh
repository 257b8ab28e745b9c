#!/bin/bash
# A stored record that does not parse is refused by itself (DESIGN 14):
# listings leave it out, calls that need it are refused, the journal names
# its table and key, and the daemon never crashes or frees twice (a
# zero-length summary used to be freed twice by UserList).
. "$(dirname "$0")/../integ/lib.sh"
: "${STORE_RAW:?STORE_RAW must name the store-raw test tool (tests/run sets it)}"

PW='Blue-Canoe-Rivet-58'
start_daemon || exit 1
setup_practice || { fail "setup_practice"; done_testing; }
for u in nina omar paul quinn rosa; do
	add_staff "$u" Staff || fail "add $u"
done
activate nina "$PW" || fail "nina activates"
ctl role add Scribe --perm clinical.charts >/dev/null || fail "add role Scribe"
D=$T/state
plant() { "$STORE_RAW" "$D" put "$@" || fail "plant $*"; }
listing() { vcall --more io.practice.Staff.UserList "${1:-{\}}" | jq -r '.parameters.user.username // empty' | tr '\n' ' '; }
alive() { vcall io.practice.Staff.GetStatus >/dev/null 2>&1; }

check_eq "amy nina omar paul quinn rosa " "$(listing)" "the listing before any damage"

# ---- summaries ----
plant user_summary omar ""
check_eq "amy nina paul quinn rosa " "$(listing)" "an empty summary is left out of the listing"
check "staffd is still serving" alive
check_grep 'table user_summary, record "omar": it is empty; the record is refused' \
	"the log names the table and the record" cat "$T/staffd.log"
check_eq "amy paul quinn rosa " "$(listing '{"status":"pending"}')" "and out of a filtered listing"
check_grep 'a stored record does not parse' "a call that needs it is refused with a reason" \
	vcall io.practice.Staff.CheckAccount '{"username":"omar"}'

plant user_summary paul '{"username":"paul","first_name":"Paul"'
plant user_summary quinn '{"username":"quinn","first_name":"Quinn","last_name":"Tester","email":"quinn@riverside.example","status":"pending","locked":false,"admin":false,"locations":[],"uid":20010}'
plant user_summary rosa '{"username":"nina","first_name":"Nina","last_name":"Tester","email":"rosa@riverside.example","role":"Staff","status":"pending","locked":false,"admin":false,"locations":[],"uid":20011}'
check_eq "amy nina " "$(listing)" "summaries that are cut short, lack their role or hold another name are left out"
check_eq "nina " "$(listing '{"role":"Staff"}')" "a role filter passes over the summary without a role"
check_eq "amy nina " "$(listing '{"search":"a"}')" "and so does a search"
check "staffd is still serving" alive
check_grep 'record "quinn": a field its readers need is missing' "the log says a field is missing" cat "$T/staffd.log"
check_grep 'record "rosa": it holds another username than the one it is stored under' "or that the name is another's" \
	cat "$T/staffd.log"

# ---- user records ----
plant users rosa '{"username":"rosa",'
check_grep 'a stored record does not parse' "a user record that does not parse is refused to user show" \
	vcall io.practice.Staff.UserShow '{"username":"rosa"}'
check_grep 'a stored record does not parse' "and to a sign-in" \
	vcall io.practice.Staff.Authenticate '{"username":"rosa","secret":"Wrong-Guess-1"}'
check_grep '"result":"ok"' "the others sign in as before" \
	vcall io.practice.Staff.Authenticate "{\"username\":\"nina\",\"secret\":\"$PW\"}"
check "staffd is still serving" alive

# ---- roles and the audit trail ----
plant roles Scribe '{"name":"Scribe","permissions":[1,2]}'
check_eq "Billing Manager,Front Desk,Nurse,Office Administrator,Owner,Provider,Staff" \
	"$(ctl --json role list | jq -r '[.[].name] | join(",")')" "a role record with bad permissions is left out of the list"
check_grep 'a stored record does not parse' "and refused when asked for" vcall io.practice.Staff.RoleShow '{"name":"Scribe"}'

plant audit hex:0000000000000003 'not json'
check_eq "1 2 4" "$(ctl --json audit --limit 3 | jq -r '[.[].seq] | .[:0]' >/dev/null; ctl --json audit |
	jq -r '[.[].seq | select(. <= 4)] | map(tostring) | join(" ")')" "an audit record that does not parse is left out of the list"
check_grep 'first bad record: #?3|record 3|#3' "and audit verify names it" ctl audit verify
check_grep 'table audit, record "#3": it is not valid JSON' "as the log does" cat "$T/staffd.log"
check "staffd is still serving" alive
check_daemon_stops
done_testing
