#!/bin/bash
# Forgotten passwords (a reset code mailed to the address on file, never to
# the asker, rate-limited, audited) and the optional SMS of the code word.
. "$(dirname "$0")/lib.sh"

# The SMS command gets the phone number as its argument and the text on stdin.
cat > "$T/sms" <<'EOF'
#!/bin/sh
{ printf 'to: %s\n' "$1"; cat; } > "$(dirname "$0")/sms.$$.txt"
EOF
chmod 755 "$T/sms"
EXTRA_MAIL_CONFIG="sms_command = $T/sms"
write_config
start_daemon || exit 1
setup_practice

ctl user add jdoe --email jane.doe@riverside.example --first Jane --last Doe --role Nurse --location Main \
	--cell "+1 (555) 123-4567" >/dev/null
sms=$(cat "$T"/sms.*.txt 2>/dev/null)
check_grep '^to: \+1 \(555\) 123-4567$' "the SMS command is given the cell phone number" printf '%s' "$sms"
check_grep 'maple harbor' "and the practice code word as the text" printf '%s' "$sms"
ctl user add kim --email kim@riverside.example --first Kim --last Lee --role Staff --location Main >/dev/null
check_eq 1 "$(ls "$T"/sms.*.txt | wc -l)" "no SMS for staff without a cell phone"

activate jdoe 'Harbor!Violet27x' || fail "activation"
mails_before=$(ls "$MAILDIR" | wc -l)
audit_before=$(vcall io.practice.Staff.GetStatus | jq -r .parameters.status.audit_records)
out=$(setpriv --reuid=54321 --regid=54321 --clear-groups "$STAFFCTL" forgot-password jdoe 2>&1)
check_eq 0 "$?" "anyone may ask for a reset mail (here an unrelated uid)"
mail=$(last_mail_to jane.doe@riverside.example)
code=$(code_in_mail "$mail")
check_eq $((mails_before + 1)) "$(ls "$MAILDIR" | wc -l)" "one message went out"
check_grep '^Reset code: ' "it carries a reset code to the address on file" cat "$mail"
check "the code is never shown to the asker" bash -c "! printf '%s' '$out' | grep -qF -- '$code'"
check_eq $((audit_before + 1)) "$(vcall io.practice.Staff.GetStatus | jq -r .parameters.status.audit_records)" \
	"the request is audited"
check_grep '"action":"user.forgot-password"' "as user.forgot-password" \
	vcall --more io.practice.Staff.AuditList '{"user":"jdoe","limit":1}'
check_rejected 1 'try again|retry|minutes|seconds|too soon' "a second request at once is refused" \
	ctl forgot-password jdoe
check_eq $((mails_before + 1)) "$(ls "$MAILDIR" | wc -l)" "and sends nothing"
check_grep '"result":"reset"' "the mailed code with the code word leads to a password change" \
	vcall io.practice.Staff.Authenticate \
	"$(jq -nc --arg s "$code" '{username:"jdoe",secret:$s,codeword:"maple harbor"}')"
check_rejected 1 'no such user|nosuch' "an unknown user is refused" ctl forgot-password nosuch

done_testing
