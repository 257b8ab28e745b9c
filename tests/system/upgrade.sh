#!/bin/bash
# An upgrade from packages with staffd-userdb.socket (a socket unit that
# stalled every start of staffd) removes that unit cleanly: stopped, its
# enablement and state gone, its socket file replaced by the link to the
# socket staffd binds itself, staffd.service enabled for boot in its place;
# staffd then starts at once and the next boot does not wait.
. "$(dirname "$0")/lib.sh"

[ -n "${STAFF_SYSTEM_OLD_DEBS:-}" ] ||
	{ echo "1..0 # SKIP no packages to upgrade from (tests/system/run builds them from git history)"; exit 0; }
UPGRADE_MAX_MS=30000	# dpkg -i, restarting staffd included: far below a 45 s stall
INIT_MAX_MS=2000

box_boot || bail_out "the container did not boot"
mkdir -p "$BOX_DIR/root/root/old"
cp "$STAFF_SYSTEM_OLD_DEBS"/staffd_*.deb "$STAFF_SYSTEM_OLD_DEBS"/libpam-practice_*.deb "$BOX_DIR/root/root/old/"

out=$(box_sh 'cd /root/old && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
	--no-install-recommends ./staffd_*.deb ./libpam-practice_*.deb' 2>&1) ||
	bail_out "the old packages did not install: $(printf '%s' "$out" | tail -5)"
before=$( (in_box systemctl is-enabled staffd-userdb.socket; in_box systemctl is-active staffd-userdb.socket) 2>&1 | paste -sd' ')
check_eq "enabled active" "$before" \
	"before: the old packages listen on the userdb socket through staffd-userdb.socket"

read -r ms rc <<< "$(box_ms sh -c 'cd /root/debs && DEBIAN_FRONTEND=noninteractive dpkg -i ./staffd_*.deb ./libpam-practice_*.deb')"
note "dpkg -i of the new packages over the old: $ms ms"
if [ "$rc" -eq 0 ] && [ "$ms" -le "$UPGRADE_MAX_MS" ]; then
	pass "the upgrade installs in $ms ms"
else
	fail "the upgrade installs within $UPGRADE_MAX_MS ms" "exit $rc after $ms ms"
fi
check_eq inactive "$(in_box systemctl is-active staffd-userdb.socket)" "staffd-userdb.socket is stopped"
check_eq "" "$(in_box systemctl list-unit-files --no-legend 'staffd-userdb*')" "and gone"
check_eq "" "$(in_box find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled -name 'staffd-userdb*')" \
	"with no enablement link or state left"
check_eq /run/staffd/userdb/io.practice.staff "$(in_box readlink /run/systemd/userdb/io.practice.staff)" \
	"its socket file is now the link to staffd's own userdb socket"
check_eq "enabled active" "$( (in_box systemctl is-enabled staffd.service; in_box systemctl is-active staffd.service) | paste -sd' ')" \
	"staffd.service is enabled for boot, and running"

read -r ms rc <<< "$(box_ms staffctl init --practice "Riverside Family Clinic" --admin amy \
	--email amy@riverside.example --first Amy --last Admin --codeword "maple harbor")"
if [ "$rc" -le 1 ] && [ "$ms" -le "$INIT_MAX_MS" ]; then pass "staffctl init answers in $ms ms"
else fail "staffctl init answers within $INIT_MAX_MS ms" "exit $rc after $ms ms"; fi
check_grep '^amy:x:' "staff resolve" in_box getent passwd amy
check_eq running "$(in_box systemctl is-system-running)" "systemctl is-system-running: running"
check_eq "" "$(box_failed_units)" "no failed units"

box_reboot || bail_out "the container did not boot again"
note "the boot after the upgrade: $BOX_BOOT_MS ms"
check_eq running "$BOX_STATE" "the upgraded system boots to 'running'"
if [ "$BOX_BOOT_MS" -le "$UPGRADE_MAX_MS" ]; then pass "without waiting on a lookup ($BOX_BOOT_MS ms)"
else fail "without waiting on a lookup" "$BOX_BOOT_MS ms"; fi
check_grep '^amy:x:' "and staff resolve after the boot" in_box getent passwd amy

done_testing
