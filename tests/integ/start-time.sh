#!/bin/bash
# staffd is ready without an Argon2id run of its own (it holds up every start
# and, under systemd, the boot), yet an unknown user's answer still costs a
# full verification with the configured parameters, as a wrong password does.
. "$(dirname "$0")/lib.sh"

# Costly parameters, so that one hash is long beside everything else a start does.
write_config
sed -i -e 's/^memlimit = 8M$/memlimit = 128M/' -e 's/^opslimit = 1$/opslimit = 3/' "$T/staffd.conf"

ms() { date +%s%3N; }
t0=$(ms)
start_daemon || exit 1
start_ms=$(($(ms) - t0))
setup_practice
ctl user add jdoe --email jane.doe@riverside.example --first Jane --last Doe --role Nurse --location Main >/dev/null
activate jdoe 'Harbor!Violet27x' || fail "activation"

# auth_ms USER: how long Authenticate with a wrong secret takes, and its error.
auth_ms() {
	local s e out
	s=$(ms)
	out=$(vcall io.practice.Staff.Authenticate "{\"username\":\"$1\",\"secret\":\"Wrong-Guess-7x\"}" 2>&1)
	e=$(ms)
	echo "$((e - s)) $(printf '%s' "$out" | jq -r '.error // "none"' 2>/dev/null)"
}
wrong=() unknown=()
for _ in 1 2 3; do
	read -r m err_wrong <<< "$(auth_ms jdoe)"
	wrong+=("$m")
	read -r m err_unknown <<< "$(auth_ms nosuchuser)"
	unknown+=("$m")
done
med() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
mw=$(med "${wrong[@]}")
mu=$(med "${unknown[@]}")
echo "# start ${start_ms} ms; wrong password ${wrong[*]} ms (median $mw); unknown user ${unknown[*]} ms (median $mu)"

check_eq io.practice.Staff.AuthenticationFailed "$err_wrong" "a wrong password is refused"
check_eq io.practice.Staff.NoSuchUser "$err_unknown" "an unknown user is refused (as unknown: the caller is root)"
# Load on the machine slows both alike: compare them, not absolute times.
if [ "$start_ms" -lt $((mw / 2)) ]; then
	pass "staffd is ready in less than half of one verification ($start_ms ms, a verification $mw ms)"
else
	fail "staffd is ready in less than half of one verification" "start $start_ms ms, verification $mw ms"
fi
if [ "$mu" -ge $((mw / 2)) ] && [ "$mu" -le $((mw * 2)) ]; then
	pass "an unknown user takes as long as a wrong password ($mu ms, $mw ms)"
else
	fail "an unknown user takes as long as a wrong password" "unknown $mu ms, wrong password $mw ms"
fi
check_grep '"failed_logins": *3' "only the real user's failures are counted" ctl --json user show jdoe

done_testing
