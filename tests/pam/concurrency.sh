#!/bin/bash
# Sign-ins at the same moment: twenty wrong passwords at once are counted
# exactly to the lock and no success slips through; right ones all pass.
. "$(dirname "$0")/common.sh"
start_daemon || exit 1
setup_practice || exit 1
# Every attempt queues for a hash on the workers, those refused for the lock
# too, so the last of twenty may wait for nineteen: on a loaded machine (and
# under the sanitizer) longer than the module's default 5 s. What is checked
# here is the count, not the time.
service login timeout=60000
add_active busy >/dev/null
add_active conc >/dev/null

# run_parallel N USER PASSWORD-PREFIX: N drivers at once; outputs in $T/par-USER-I.
run_parallel() {
	local n=$1 user=$2 prefix=$3 i pids=()
	for i in $(seq 1 "$n"); do
		answers "$prefix$([ "$prefix" = "$PW" ] || echo "-$i")" | drive login "$user" auth > "$T/par-$user-$i" &
		pids+=($!)
	done
	wait "${pids[@]}"
}

run_parallel 10 busy "$PW"
check_eq 10 "$(cat "$T"/par-busy-* | grep -cFx auth=PAM_SUCCESS)" "ten right passwords at once all succeed"
check_eq 0 "$(field busy failed_logins)" "and count nothing"

run_parallel 20 conc "Wrong-Guess"
all=$(cat "$T"/par-conc-*)
check_eq 20 "$(count_lines "$all" auth=PAM_AUTH_ERR)" "twenty wrong passwords at once: all refused"
check_eq 0 "$(count_lines "$all" auth=PAM_SUCCESS)" "none of them succeeded"
check_eq "true/5" "$(field conc locked)/$(field conc failed_logins)" "the account is locked with exactly 5 failures counted"
check_eq 4 "$(count_lines "$all" "ERROR: $MSG_FAILURE")" "exactly four were told a plain failure"
check_eq 16 "$(count_lines "$all" "ERROR: $MSG_LOCKED")" "the fifth and the fifteen after it were told of the lock"
audit=$(vcall --more io.practice.Staff.AuditList '{"user":"conc"}' | jq -r '.parameters.record | select(.action == "login") | .result')
check_eq 4 "$(count_lines "$audit" failed)" "the audit trail has four counted failures"
check_eq 20 "$(printf '%s\n' "$audit" | grep -cv '^ok$')" "every attempt is in the audit trail"

out=$(answers "$PW" | drive login conc auth acct)
expect_exact "then the right password: still locked" "$out" "$P_PASSWORD" "ERROR: $MSG_LOCKED" "auth=PAM_AUTH_ERR"
check_eq "null/5" "$(field conc last_login)/$(field conc failed_logins)" "no login slipped through, and the count stayed at 5"

pam_done_testing
