#!/bin/bash
# Argon2id on the worker pool: a bounded queue that refuses with Busy, exact
# failure counts under load, rehashing at login when the parameters change,
# and the optional automatic unlock.
. "$(dirname "$0")/lib.sh"

# One worker and one waiting place: the third concurrent login is refused.
# Production-sized memory so that each hash takes long enough to overlap.
EXTRA_HASHING_CONFIG="workers = 1
queue = 1"
cat > "$T/hashing.conf" <<CONF
[lockout]
failures = 100
unlock_time = 2s
CONF
write_config
sed -i -e 's/^memlimit = 8M$/memlimit = 64M/' "$T/staffd.conf"
cat "$T/hashing.conf" >> "$T/staffd.conf"
start_daemon || exit 1
setup_practice
ctl user add jdoe --email jane.doe@riverside.example --first Jane --last Doe --role Nurse --location Main >/dev/null
activate jdoe 'Harbor!Violet27x' || fail "activation"

auth() { vcall io.practice.Staff.Authenticate "{\"username\":\"jdoe\",\"secret\":\"$1\"}"; }
pids=
for i in $(seq 1 8); do
	auth "Wrong-Guess-$i" > "$T/auth.$i" 2>&1 &
	pids="$pids $!"
done
# Meanwhile the request loop still answers.
check "the daemon answers while the workers hash" vcall io.practice.Staff.GetStatus
# shellcheck disable=SC2086
wait $pids
busy=$(cat "$T"/auth.* | grep -c '"io.practice.Staff.Busy"')
failed=$(cat "$T"/auth.* | grep -c '"io.practice.Staff.AuthenticationFailed"')
check "beyond the queue, logins are refused as busy ($busy of 8)" test "$busy" -ge 1
check "the others were checked and refused ($failed of 8)" test "$failed" -ge 2
check_eq 8 "$((busy + failed))" "every attempt got one of the two answers"
check_eq "$failed" "$(vcall io.practice.Staff.UserShow '{"username":"jdoe"}' | jq -r .parameters.user.failed_logins)" \
	"only the checked attempts are counted"
check_grep '"result":"ok"' "the right password still signs in" auth 'Harbor!Violet27x'

# Rehash: the stored hash follows the configured parameters at the next login.
stored_params() { strings "$T/state/data.mdb" | grep -o 'argon2id\$v=19\$m=[0-9]*,t=[0-9]*' | sort -u | tr '\n' ' '; }
check_grep 'm=65536,t=1' "the password was hashed with the parameters in force (m=64 MiB, t=1)" stored_params
sed -i -e 's/^opslimit = 1$/opslimit = 2/' "$T/staffd.conf"
kill -HUP "$STAFFD_PID"
sleep 0.5
auth 'Wrong-Guess-again' >/dev/null
check "a wrong password does not rehash" bash -c "! strings '$T/state/data.mdb' | grep -q 'm=65536,t=2'"
check_grep '"result":"ok"' "the right password signs in after the change" auth 'Harbor!Violet27x'
check_grep 'm=65536,t=2' "and is stored again with the new parameters (t=2)" stored_params
check_grep '"result":"ok"' "the rehashed password still signs in" auth 'Harbor!Violet27x'

# Automatic unlock after unlock_time (2 s here): the lock holds until then.
ctl user add kim --email kim@riverside.example --first Kim --last Lee --role Staff --location Main >/dev/null
activate kim 'Lantern#Quay84z' || fail "activation of kim"
sed -i -e 's/^failures = 100$/failures = 3/' "$T/staffd.conf"
kill -HUP "$STAFFD_PID"
sleep 0.5
for i in 1 2 3; do vcall io.practice.Staff.Authenticate "{\"username\":\"kim\",\"secret\":\"Wrong-$i\"}" >/dev/null; done
check_eq true "$(vcall io.practice.Staff.UserShow '{"username":"kim"}' | jq -r .parameters.user.locked)" "three failures lock (failures = 3)"
check_grep '"io.practice.Staff.Locked"' "a locked account refuses the right password" \
	vcall io.practice.Staff.Authenticate '{"username":"kim","secret":"Lantern#Quay84z"}'
sleep 2.5
check_grep '"status":"active"' "after unlock_time the account check passes again" \
	vcall io.practice.Staff.CheckAccount '{"username":"kim"}'
check_grep '"result":"ok"' "and the right password signs in" \
	vcall io.practice.Staff.Authenticate '{"username":"kim","secret":"Lantern#Quay84z"}'
check_eq "false/0" "$(vcall io.practice.Staff.UserShow '{"username":"kim"}' | jq -r '.parameters.user | "\(.locked)/\(.failed_logins)"')" \
	"the lock and the count are cleared"

done_testing
