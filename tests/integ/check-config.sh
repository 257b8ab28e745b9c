#!/bin/bash
# staffd --check-config: every bad key or value reported with its line number,
# the exit status, both ways of naming the file; every key documented in
# conf/staffd.conf and staffd.conf(5).
. "$(dirname "$0")/lib.sh"

good=$TOPDIR/conf/staffd.conf
check_grep "^$good: OK\$" "staffd --check-config FILE accepts the shipped file" "$STAFFD" --check-config "$good"
check_exit 0 "and exits 0" "$STAFFD" --check-config "$good"
check_exit 0 "staffd --config FILE --check-config does the same" "$STAFFD" --config "$good" --check-config
check_exit 2 "more than one file is a usage error" "$STAFFD" --check-config "$good" "$good"

cat > "$T/bad.conf" <<'EOF'
# line 1
[daemon]
state_dir = relative/path
colour = blue
user = 1staffd

[mail]
activation_ttl = 2w
mail_from =
[password]
min_length = 3
min_length = 12
[hashing]
memlimit = 1G0
[nonsense]
whatever = 1
stray line
EOF
out=$("$STAFFD" --check-config "$T/bad.conf" 2>&1)
rc=$?
check_eq 1 "$rc" "a file with problems: exit 1"
expect() { # LINE TEXT
	if printf '%s\n' "$out" | grep -qF -- "$T/bad.conf:$1: $2"; then pass "line $1: $2"; else fail "line $1: $2" "$out"; fi
}
expect 3 "[daemon] state_dir: must be an absolute path"
expect 4 "[daemon] colour: unknown key"
expect 5 "[daemon] user: must be a user name"
expect 8 "[mail] activation_ttl: must be a duration from 5m to 30d"
expect 9 "[mail] mail_from: must be one non-empty line"
expect 11 "[password] min_length: must be a number from 4 to 1024"
expect 12 "[password] min_length: duplicate key (first set on line 11)"
expect 14 "[hashing] memlimit: must be a size from 8M to"
expect 15 "[nonsense]: unknown section"
expect 17 "malformed line"
check_grep "bad.conf: 10 problems$" "and the count, once every line is read" printf '%s' "$out"
check_eq 11 "$(printf '%s\n' "$out" | wc -l)" "one line per problem, nothing else"

# The daemon refuses to start with such a file, reporting the same problems.
"$STAFFD" --config "$T/bad.conf" > "$T/start.log" 2>&1
check_eq 1 "$?" "staffd refuses to start with it"
check_grep "bad.conf:4: \\[daemon\\] colour: unknown key" "naming the line" cat "$T/start.log"

check_exit 1 "a missing file: exit 1" "$STAFFD" --check-config "$T/none.conf"
check_grep "none.conf: No such file" "saying so" "$STAFFD" --check-config "$T/none.conf"

# Every key: in conf/staffd.conf with its default (test-config checks the
# values), and described in staffd.conf(5).
keys=$(sed -n 's/^#\([a-z_]*\) =.*/\1/p' "$good")
check_eq 37 "$(printf '%s\n' "$keys" | wc -l)" "conf/staffd.conf shows all 37 keys"
missing=
for k in $keys; do grep -q "^\\*$k =\\*\\|, \\*$k =\\*" "$TOPDIR/docs/man/staffd.conf.5.scd" || missing="$missing $k"; done
check_eq "" "$missing" "staffd.conf(5) describes every key"

done_testing
