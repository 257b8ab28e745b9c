#!/bin/bash
# Logging: plain "staffd: ..." lines on standard error when no journal is
# connected; with JOURNAL_STREAM naming its standard error (as systemd sets
# it), structured journal entries: a MESSAGE_ID per kind of event and the
# STAFF_* fields. Shown against a journal socket of the test's own (in a
# private mount namespace), and against the real journal when one runs.
. "$(dirname "$0")/lib.sh"
. "$TOPDIR/tests/tools/sd-helpers.sh"

write_config

# ---- no journal: stderr ----
start_daemon || exit 1
setup_practice
stop_daemon
check_grep '^staffd: audit #1: root practice.init amy: ok$' "without a journal an audit record is a line on stderr" cat "$T/staffd.log"
check_grep '^staffd: serving ' "and so are the other messages" cat "$T/staffd.log"

# JOURNAL_STREAM that names something other than stderr (a journal stream
# inherited by a child of a logged service): still stderr.
: > "$T/staffd.log"
JOURNAL_STREAM=1:1 start_daemon || exit 1
vcall io.practice.Staff.LocationAdd '{"name":"North"}' >/dev/null
stop_daemon
check_grep '^staffd: audit #3: root location.add North: ok$' "a JOURNAL_STREAM that is not its stderr is ignored" cat "$T/staffd.log"

# journal_entries FILE ACTION: the entries (paragraphs) whose STAFF_ACTION is ACTION.
journal_entries() { awk -v a="STAFF_ACTION=$2" 'BEGIN { RS = "" } index($0 "\n", a "\n") { print; print "" }' "$1"; }

# ---- a journal socket of our own ----
private_journal() {
	[ "$(id -u)" -eq 0 ] && [ -d /run/systemd ] && command -v unshare >/dev/null &&
		unshare --mount --propagation private true 2>/dev/null
}
if private_journal; then
	: > "$T/stderr"
	stream=$(stat -c '%d:%i' "$T/stderr")
	# In the namespace a tmpfs hides the real /run/systemd; /tmp is shared,
	# so the socket and the output are visible from here.
	unshare --mount --propagation private bash -c '
		mount -t tmpfs -o mode=0755 tmpfs /run/systemd || exit 1
		mkdir /run/systemd/journal
		"$1" /run/systemd/journal/socket > "$2/journal.out" 2>&1 &
		echo $! > "$2/journal-listener.pid"
		for _ in $(seq 1 100); do [ -S /run/systemd/journal/socket ] && break; sleep 0.02; done
		JOURNAL_STREAM=$3 exec "$4" --config "$2/staffd.conf"
	' journal "$NOTIFY_LISTEN" "$T" "$stream" "$STAFFD" 2>> "$T/stderr" &
	STAFFD_PID=$!
	for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	EXTRA_PIDS="$EXTRA_PIDS $(cat "$T/journal-listener.pid" 2>/dev/null)"
	vcall io.practice.Staff.LocationAdd '{"name":"South"}' >/dev/null
	check_grep '"parameters"' "a user is invited" \
		vcall io.practice.Staff.UserAdd '{"user":{"username":"jdoe","email":"jane.doe@riverside.example","first_name":"Jane","last_name":"Doe","role":"Staff"}}'
	stop_daemon

	entry=$(journal_entries "$T/journal.out" location.add)
	check_grep '^MESSAGE=audit #[0-9]+: root location.add South: ok$' "the journal gets the audit record as MESSAGE" printf '%s' "$entry"
	check_grep '^MESSAGE_ID=[0-9a-f]{32}$' "with a MESSAGE_ID" printf '%s' "$entry"
	check_grep '^STAFF_USER=South$' "STAFF_USER names the target" printf '%s' "$entry"
	check_grep '^STAFF_RESULT=ok$' "STAFF_RESULT the outcome" printf '%s' "$entry"
	check_grep '^STAFF_ACTOR=root$' "STAFF_ACTOR who did it" printf '%s' "$entry"
	check_grep '^PRIORITY=5$' "at priority notice" printf '%s' "$entry"
	check_grep '^SYSLOG_IDENTIFIER=staffd$' "as staffd" printf '%s' "$entry"
	user=$(journal_entries "$T/journal.out" user.add)
	check_grep '^STAFF_USER=jdoe$' "an invitation is logged with its user" printf '%s' "$user"
	loc_id=$(printf '%s' "$entry" | sed -n 's/^MESSAGE_ID=//p')
	user_id=$(printf '%s' "$user" | sed -n 's/^MESSAGE_ID=//p')
	if [ -n "$loc_id" ] && [ -n "$user_id" ] && [ "$loc_id" != "$user_id" ]; then
		pass "each kind of event has its own MESSAGE_ID"
	else
		fail "each kind of event has its own MESSAGE_ID" "location.add [$loc_id], user.add [$user_id]"
	fi
	check_grep '^MESSAGE=stopping on signal 15$' "other messages go to the journal too" cat "$T/journal.out"
	check_eq "" "$(grep '^staffd: ' "$T/stderr")" "and nothing to stderr"
	code=$(code_in_mail "$(last_mail_to jane.doe@riverside.example)")
	if [ -n "$code" ] && ! grep -qiF -e "$code" -e "maple harbor" "$T/journal.out"; then
		pass "neither the code word nor the activation code is in the journal"
	else
		fail "neither the code word nor the activation code is in the journal" "code [$code]"
	fi
else
	pass "journal entries on a private journal socket # SKIP needs root, /run/systemd and unshare --mount"
fi

# ---- the real journal ----
if [ -S /run/systemd/journal/socket ] && command -v journalctl >/dev/null && journalctl -q -n 0 >/dev/null 2>&1; then
	since=$(date '+%Y-%m-%d %H:%M:%S')
	marker=jt$$
	: > "$T/stderr"
	stream=$(stat -c '%d:%i' "$T/stderr")
	JOURNAL_STREAM=$stream "$STAFFD" --config "$T/staffd.conf" 2>> "$T/stderr" &
	STAFFD_PID=$!
	for _ in $(seq 1 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
	vcall io.practice.Staff.LocationAdd "{\"name\":\"$marker\"}" >/dev/null
	stop_daemon
	json=""
	for _ in $(seq 1 50); do
		json=$(journalctl -o json --since "$since" SYSLOG_IDENTIFIER=staffd STAFF_USER="$marker" 2>/dev/null | head -1)
		[ -n "$json" ] && break
		sleep 0.1
	done
	check_grep '"MESSAGE_ID":"[0-9a-f]{32}"' "journalctl -o json finds the event with its MESSAGE_ID" printf '%s' "$json"
	check_eq "location.add/$marker/ok" "$(printf '%s' "$json" | jq -r '"\(.STAFF_ACTION)/\(.STAFF_USER)/\(.STAFF_RESULT)"')" \
		"and STAFF_ACTION, STAFF_USER, STAFF_RESULT"
else
	pass "entries in the system journal # SKIP no systemd-journald on this machine (no /run/systemd/journal/socket)"
fi

done_testing
