#!/bin/bash
# The directory through staffctl: init, locations, roles, staff users with
# every field, uniqueness, edit, list filters and show.
. "$(dirname "$0")/lib.sh"
start_daemon || exit 1

# jq over staffctl --json.
cj() {
	local filter=$1
	shift
	ctl --json "$@" | jq -c "$filter"
}

# ---- init ----
check_eq false "$(cj .status.initialized status)" "before init the practice is not set up"
check_exit 1 "user add before init is refused" \
	ctl user add early --email early@riverside.example --first E --last Early --role Staff
out=$(ctl init --practice "Riverside Family Clinic" --admin amy --email amy@riverside.example \
	--first Amy --last Admin --codeword "maple harbor" 2>&1)
rc=$?
check_eq 0 "$rc" "staffctl init sets the practice up"
check_grep 'maple harbor' "init prints the code word" printf '%s' "$out"
check_eq '["Riverside Family Clinic",1,7,1]' \
	"$(cj '[.status.practice,.status.staff,.status.roles,.status.pending]' status)" \
	"the practice has its name, one pending staff user and the seven roles"
check_eq '["Owner",true,"pending",[]]' "$(cj '.user|[.role,.admin,.status,.locations]' user show amy)" \
	"the first administrator has the Owner role, the admin flag, no location restriction, and is pending"
check_eq "maple harbor" "$(ctl --json codeword show | jq -r .codeword)" "the code word given to init is the practice's"
mail=$(last_mail_to amy@riverside.example)
check_grep '^Activation code: ' "the first administrator's invitation is mailed" cat "${mail:-/dev/null}"
check_rejected 1 '[Aa]lready' "a second init is refused" \
	ctl init --practice Other --admin bob --email bob@riverside.example --first Bob --last B
check_rejected 1 'location' "user add is refused until a location exists" \
	ctl user add early --email early@riverside.example --first E --last Early --role Staff

# ---- locations ----
check "location add with an address" ctl location add Main --address "12 River St"
check "location add without an address" ctl location add North
check "a third location" ctl location add "East Wing"
check_rejected 1 'already exists' "a duplicate location is refused" ctl location add Main
check_eq '[{"name":"East Wing","address":null},{"name":"Main","address":"12 River St"},{"name":"North","address":null}]' \
	"$(cj 'map({name,address})|sort_by(.name)' location list)" "location list shows names and addresses"
check_rejected 1 'Nowhere' "renaming an unknown location is refused" ctl location rename Nowhere Somewhere
check_rejected 1 'already exists' "renaming onto an existing name is refused" ctl location rename North Main

# ---- roles ----
perms_of() { cj ".[]|select(.name==\"$1\")|.permissions|sort" role list; }
sorted() { printf '%s\n' "$@" | jq -R . | jq -sc sort; }
check_eq 7 "$(cj '[.[]|select(.system)]|length' role list)" "seven predefined roles"
check_eq "$(sorted calendar.view calendar.create calendar.delete billing.payments billing.refunds billing.reports \
	clinical.charts clinical.notes clinical.medications clinical.sign clinical.prescribe admin.accounts \
	admin.settings reports.business)" "$(perms_of Owner)" "Owner has all fourteen permissions"
check_eq "$(sorted calendar.view calendar.create calendar.delete billing.payments billing.reports admin.accounts \
	admin.settings reports.business)" "$(perms_of "Office Administrator")" "Office Administrator's permissions"
check_eq "$(sorted calendar.view calendar.create clinical.charts clinical.notes clinical.medications clinical.sign \
	clinical.prescribe)" "$(perms_of Provider)" "Provider's permissions"
check_eq "$(sorted calendar.view calendar.create clinical.charts clinical.notes clinical.medications)" \
	"$(perms_of Nurse)" "Nurse's permissions"
check_eq "$(sorted calendar.view calendar.create calendar.delete billing.payments)" "$(perms_of "Front Desk")" \
	"Front Desk's permissions"
check_eq "$(sorted calendar.view billing.payments billing.refunds billing.reports reports.business)" \
	"$(perms_of "Billing Manager")" "Billing Manager's permissions"
check_eq '["calendar.view"]' "$(perms_of Staff)" "Staff's permissions"

check "role add with --perm" ctl role add Scribe --perm clinical.charts --perm clinical.notes
check_eq '[false,["clinical.charts","clinical.notes"]]' "$(cj '.role|[.system,(.permissions|sort)]' role show Scribe)" \
	"a custom role has the permissions given and is not a system role"
check "role add with --copy-of" ctl role add "Senior Nurse" --copy-of Nurse
check_eq "$(perms_of Nurse)" "$(perms_of "Senior Nurse")" "a copy starts with the permissions of the original"
check "role add with --copy-of and --perm" ctl role add "Lead Desk" --copy-of "Front Desk" --perm reports.business
check_eq "$(sorted calendar.view calendar.create calendar.delete billing.payments reports.business)" \
	"$(perms_of "Lead Desk")" "--perm adds to the copied permissions"
check "role grant" ctl role grant "Senior Nurse" clinical.sign clinical.prescribe
check "role revoke" ctl role revoke "Senior Nurse" clinical.medications
check_eq "$(sorted calendar.view calendar.create clinical.charts clinical.notes clinical.sign clinical.prescribe)" \
	"$(perms_of "Senior Nurse")" "grant and revoke change a custom role"
check_rejected 1 'already exists|role Scribe' "a duplicate role is refused" ctl role add Scribe
check_rejected 1 'Nobody' "copying an unknown role is refused" ctl role add Copy --copy-of Nobody
check_rejected 1 '[Pp]redefined|system|copy' "a predefined role cannot be granted to" ctl role grant Staff billing.refunds
check_rejected 1 '[Pp]redefined|system|copy' "a predefined role cannot be revoked from" ctl role revoke Owner admin.accounts
check_rejected 1 '[Pp]redefined|system|copy' "a predefined role cannot be removed" ctl role remove Staff
check_eq "$(sorted calendar.view)" "$(perms_of Staff)" "the predefined role is unchanged"

# ---- staff users ----
check "a provider with an NPI" ctl user add hprov --email h.prov@riverside.example --first Hannah \
	--last Provider --role Provider --npi 1234567893 --location Main
check "a user with every field" ctl user add jdoe --email Jane.Doe@riverside.example --first Jane --last Doe \
	--role Nurse --external --location Main --location North --primary-location North --provider hprov \
	--npi 1245319599 --dea AD1234563 --taxonomy 163W00000X --ncsbn 12345678 --degree RN \
	--specialty "Family medicine" --care-team-role "Lead nurse" --cell "+1 (555) 123-4567" \
	--home-phone 555.123.9999 --capacity 3 --step 20 --daily-billing-report --email-updates --bio "Joined in 2019."
want='{"username":"jdoe","email":"Jane.Doe@riverside.example","first_name":"Jane","last_name":"Doe","role":"Nurse","admin":false,"employment":"external","status":"pending","locked":false,"failed_logins":0,"must_change_password":false,"primary_location":"North","locations":["Main","North"],"primary_provider":"hprov","npi":"1245319599","dea":"AD1234563","taxonomy":"163W00000X","ncsbn_id":"12345678","degree":"RN","specialty":"Family medicine","care_team_role":"Lead nurse","cell_phone":"+1 (555) 123-4567","home_phone":"555.123.9999","capacity":3,"step":20,"daily_billing_report":true,"email_updates":true,"eprescribing_verified":false,"has_pin":false,"bio":"Joined in 2019."}'
fields=$(printf '%s' "$want" | jq -r 'keys_unsorted|join(",")')
check_eq "$want" "$(cj ".user|{$fields}" user show jdoe)" "user show reads back every field set by user add"
out=$(ctl --json user show jdoe)
uid=$(jget "$out" .user.uid)
created=$(jget "$out" .user.created)
now=$(date +%s)
check_eq yes "$([ "$uid" -ge 20000 ] && [ "$uid" -le 59999 ] && echo yes)" "the user has a uid from the staff range ($uid)"
check_eq yes "$([ $((now - created)) -ge 0 ] && [ $((now - created)) -lt 60 ] && echo yes)" "created is now"
check_eq '[null,null,null,null]' "$(jget "$out" '.user|[.activated,.last_login,.last_password_change,.deactivated]|tojson')" \
	"a pending user has not activated, signed in, set a password or been deactivated"
check_eq '[]' "$(cj '[.user|keys[]|select(test("hash|secret|token|grant"))]' user show jdoe)" \
	"no secret-looking field in user show"
check "the admin flag on user add" ctl user add office --email office@riverside.example --first Olive --last Office \
	--role "Office Administrator" --admin --employee --location Main
check_eq '[true,"employee"]' "$(cj '.user|[.admin,.employment]' user show office)" "--admin and --employee are stored"
check "user add with an e-prescribing-verified flag" ctl user add drx --email drx@riverside.example --first Dora \
	--last Rex --role Provider --eprescribing-verified --dea BR1234563
check_eq true "$(cj .user.eprescribing_verified user show drx)" "--eprescribing-verified is stored"

check_rejected 1 'npi' "an NPI with a wrong check digit is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Provider --npi 1234567890
check_rejected 1 'dea' "a DEA number with a wrong check digit is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Provider --dea BB1234564
check_rejected 1 'taxonomy' "a malformed taxonomy code is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Provider --taxonomy 207Q0000X
check_rejected 1 'primary_provider' "a primary provider who is not a provider is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Staff --provider jdoe
check_rejected 1 'Nowhere' "an allowed location that does not exist is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Staff --location Nowhere
check_rejected 1 'location.*Nowhere|primary_location' "a primary location that does not exist is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Staff --primary-location Nowhere
check_rejected 1 'primary_location' "a primary location outside the allowed ones is refused" \
	ctl user add bad1 --email bad1@riverside.example --first B --last Bad --role Staff --location Main \
	--primary-location North
check_rejected 1 'username' "a username already taken is refused" \
	ctl user add jdoe --email other@riverside.example --first Other --last Doe --role Staff
check_rejected 1 'email' "an email already used, in another case, is refused" \
	ctl user add jdoe2 --email JANE.DOE@Riverside.Example --first Other --last Doe --role Staff
check_rejected 1 'email' "editing an email onto another user's, in another case, is refused" \
	ctl user edit hprov --email jane.doe@RIVERSIDE.example

# ---- locations and users ----
check "a location in use can be renamed" ctl location rename North "North Side"
check_eq '["North Side",["Main","North Side"]]' "$(cj '.user|[.primary_location,.locations]' user show jdoe)" \
	"renaming a location renames it in every record"
check_rejected 1 'assigned|in use' "a location assigned to someone cannot be removed" ctl location remove "North Side"
check_rejected 1 'assigned|in use' "nor the one hprov is allowed at" ctl location remove Main
check "an unassigned location can be removed" ctl location remove "East Wing"
check_eq '["Main","North Side"]' "$(cj 'map(.name)|sort' location list)" "the removed location is gone"
check_eq '[3,1]' "$(cj '[(.[]|select(.name=="Main")|.staff),(.[]|select(.name=="North Side")|.staff)]' location list)" \
	"location list counts the staff assigned to each location"

# ---- roles and users ----
check "a user with a custom role" ctl user add scribe1 --email scribe1@riverside.example --first Sam \
	--last Scribe --role Scribe --location Main
check_eq '["scribe1"]' "$(cj .members role show Scribe)" "role show lists the role's members"
check_rejected 1 'held|has it|assigned|in use' "a role someone has cannot be removed" ctl role remove Scribe
check "a custom role with prescribe makes its holders providers" ctl user add nprac --email np@riverside.example \
	--first Nora --last Practitioner --role "Senior Nurse" --location Main
check "so a Senior Nurse can be a primary provider" ctl user edit scribe1 --provider nprac
check_rejected 1 'primary_provider' "a user cannot be their own primary provider" ctl user edit hprov --provider hprov
check "a custom role nobody has can be removed" ctl role remove "Lead Desk"
check_exit 1 "the removed role is gone" ctl role show "Lead Desk"

# ---- user edit ----
check "user edit changes role, capacity and step" ctl user edit jdoe --role "Front Desk" --capacity 2 --step 15
check_eq '["Front Desk",2,15]' "$(cj '.user|[.role,.capacity,.step]' user show jdoe)" "the edit is stored"
check "user edit --clear empties optional fields" ctl user edit jdoe --clear cell --clear bio --clear dea \
	--clear provider --clear home_phone
check_eq '[null,null,null,null,null,"RN"]' \
	"$(cj '.user|[.cell_phone,.bio,.dea,.primary_provider,.home_phone,.degree]' user show jdoe)" \
	"the cleared fields are empty, the others kept"
check "user edit --clear location allows every location" ctl user edit jdoe --clear location --clear primary-location
check_eq '[[],null]' "$(cj '.user|[.locations,.primary_location]' user show jdoe)" "no location restriction left"
check "user edit sets new values" ctl user edit jdoe --email jane@riverside.example --cell 555-222-3333 \
	--location Main --no-daily-billing-report --no-email-updates --employee --admin
check_eq '["jane@riverside.example","555-222-3333",["Main"],"Main",false,false,"employee",true]' \
	"$(cj '.user|[.email,.cell_phone,.locations,.primary_location,.daily_billing_report,.email_updates,.employment,.admin]' user show jdoe)" \
	"email, phone, locations, flags and employment are changed"
check "user edit --no-admin" ctl user edit jdoe --no-admin
check_eq false "$(cj .user.admin user show jdoe)" "the admin flag is cleared"
check "the old email is free again" ctl user add jdoe2 --email JANE.DOE@riverside.example --first Jon \
	--last Doe --role Staff
check "e-prescribing verified can be set by user edit" ctl user edit hprov --eprescribing-verified
check_rejected 1 'first_name' "once it is set, the first name is frozen" ctl user edit hprov --first Hanna
check_rejected 1 'last_name' "and so is the last name" ctl user edit hprov --last Prover
check_exit 2 "it cannot be cleared" ctl user edit hprov --no-eprescribing-verified
check_rejected 1 'NoSuchUser|no such user|nosuch' "editing an unknown user is refused" ctl user edit nosuch --capacity 2

# ---- list and show ----
activate hprov 'Blue-Canoe-Rivet-58' || fail "activate hprov" "see staffd.log"
check "deactivate someone" ctl user deactivate jdoe2
names() { cj 'map(.username)|sort|join(" ")' user list "$@" | tr -d '"'; }
check_eq "hprov" "$(names --status active)" "user list --status active"
check_eq "jdoe2" "$(names --status inactive)" "user list --status inactive"
check_eq "amy drx jdoe nprac office scribe1" "$(names --status pending)" "user list --status pending"
check_eq "drx hprov" "$(names --role Provider)" "user list --role"
check_eq "nprac" "$(names --role "Senior Nurse")" "user list --role with a custom role"
check "jdoe to North Side only" ctl user edit jdoe --location "North Side"
check_eq "amy drx jdoe jdoe2" "$(names --location "North Side")" \
	"user list --location includes the staff with no restriction"
check_eq "amy drx hprov jdoe2 nprac office scribe1" "$(names --location Main)" "user list --location Main"
check_eq "jdoe jdoe2" "$(names --search DOE)" "user list --search matches names in any case"
check_eq "hprov" "$(names --search H.PROV@)" "user list --search matches the email"
check_eq "scribe1" "$(names --search scribe1)" "user list --search matches the username"
check_eq "jdoe2" "$(names --status inactive --search doe)" "filters combine"
check_eq "" "$(names --role Nurse)" "a role nobody has lists nobody"

out=$(ctl user list 2>&1)
check_grep '^USERNAME +NAME +ROLE +STATUS +LOCKED +LOCATION +EMAIL' "user list has a table header" printf '%s' "$out"
check_grep '^hprov +Hannah Provider +Provider +active +no +Main +h\.prov@riverside\.example' \
	"user list shows one row per user" printf '%s' "$out"
check_eq 8 "$(printf '%s\n' "$out" | grep -c '@riverside.example')" "user list shows every user"
out=$(ctl user show hprov 2>&1)
for label in Username Name Email Role Administrator Employment Status Locked Locations NPI Capacity \
	'Scheduling step' UID Created Activated; do
	check_grep "^$label:" "user show has a line for $label" printf '%s' "$out"
done
check_grep '^Status: +active' "user show says hprov is active" printf '%s' "$out"
check_grep '^NPI: +1234567893' "user show shows the NPI" printf '%s' "$out"
check_rejected 1 'nosuch' "showing an unknown user is refused" ctl user show nosuch
out=$(ctl location list 2>&1)
check_grep '^NAME +STAFF +ADDRESS' "location list has a table header" printf '%s' "$out"
check_grep '^Main +[^ ]+ +12 River St' "location list shows the address" printf '%s' "$out"
out=$(ctl role list 2>&1)
check_grep '^ROLE +PREDEFINED' "role list has a table header" printf '%s' "$out"
check_grep '^Scribe +no .*clinical\.charts, clinical\.notes' "role list shows custom roles and permissions" \
	printf '%s' "$out"

check "audit chain intact after all that" ctl audit verify
check_daemon_stops
done_testing
