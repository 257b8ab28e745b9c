#!/bin/bash
# The Debian packages, end to end on this machine: dpkg-buildpackage builds
# staffd and libpam-practice, apt-get installs them, staffd runs from the
# installed files and answers the installed staffctl, and apt-get purge
# leaves nothing behind. Slow, needs root and changes the system while it
# runs, so it runs only with STAFF_PACKAGE_TEST=1 ("make package-test").
# Build dependencies it installs, it removes again.
set -u

if [ "${STAFF_PACKAGE_TEST:-}" != 1 ]; then
	echo "1..0 # SKIP slow and changes the system while it runs: make package-test (STAFF_PACKAGE_TEST=1)"
	exit 0
fi
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
[ "$(id -u)" -eq 0 ] || skip_all "needs root (apt-get install, apt-get purge)"
command -v apt-get >/dev/null || skip_all "not a Debian system (no apt-get)"
for p in staffd libpam-practice; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed\|config-files' &&
		skip_all "$p is installed on this machine: this test will not replace it"
done

TOPDIR=$(cd "$(dirname "$0")/../.." && pwd)
T=$(mktemp -d /tmp/staffd-package.XXXXXX)
chmod 755 "$T"
export DEBIAN_FRONTEND=noninteractive
APT="apt-get -y -q -o Dpkg::Use-Pty=0 --no-install-recommends"
# Keep in step with Build-Depends in debian/control (checked below).
BUILD_DEPS="debhelper dpkg-dev fakeroot pkg-config scdoc systemd liblmdb-dev libsodium-dev libjansson-dev
libsystemd-dev libzxcvbn-dev libpam0g-dev"
# The login stacks, and pam-auth-update's record of the profiles it knows.
PAM_STACKS="/etc/pam.d/common-auth /etc/pam.d/common-account /etc/pam.d/common-password /etc/pam.d/common-session
/etc/pam.d/common-session-noninteractive"
PAM_STATE="/var/lib/pam/seen /var/lib/pam/auth /var/lib/pam/account /var/lib/pam/password /var/lib/pam/session"
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
ADDED_PKGS=
USER_EXISTED=no
DAEMON_PID=

tests_run=0
tests_failed=0
pass() { tests_run=$((tests_run + 1)); echo "ok $tests_run - $1"; }
fail() {
	tests_run=$((tests_run + 1)); tests_failed=$((tests_failed + 1))
	echo "not ok $tests_run - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /' | tail -25
	return 0
}
check() { local desc=$1 out; shift; if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "exit $?: $out"; fi; }
check_eq() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "wanted [$1], got [$2]"; fi; }
check_grep() { local re=$1 desc=$2 out; shift 2; out=$("$@" 2>&1); if printf '%s' "$out" | grep -Eq -- "$re"; then pass "$desc"; else fail "$desc" "no /$re/ in: $out"; fi; }

# apt_add PKG...: installs what is missing, remembering every package that
# came with it (dependencies included) so that cleanup removes exactly those.
apt_add() {
	local new
	new=$($APT install -s "$@" 2>/dev/null | sed -n 's/^Inst \([^ ]*\) .*/\1/p')
	[ -z "$new" ] && return 0
	$APT install "$@" > "$T/apt.log" 2>&1 || { cat "$T/apt.log" >&2; return 1; }
	ADDED_PKGS="$ADDED_PKGS $new"
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

cleanup() {
	local p installed=
	stop_daemon
	for p in staffd libpam-practice; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'installed\|config-files' && installed="$installed $p"
	done
	# shellcheck disable=SC2086
	[ -n "$installed" ] && $APT purge $installed > /dev/null 2>&1
	if [ "$USER_EXISTED" = no ] && getent passwd staffd >/dev/null; then
		userdel staffd 2>/dev/null
		getent group staffd >/dev/null && groupdel staffd 2>/dev/null
	fi
	# Only what this test installed: the packages it added and nothing else.
	installed=
	for p in $ADDED_PKGS; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' && installed="$installed $p"
	done
	# shellcheck disable=SC2086
	[ -n "$installed" ] && $APT purge $installed > /dev/null 2>&1
	[ "$MARK_EXISTED" = yes ] || rm -f /run/systemd/systemd-units-load
	# The postinst's systemd-tmpfiles makes /run/systemd/userdb for its link.
	[ "$USERDB_DIR_EXISTED" = yes ] || rmdir /run/systemd/userdb 2>/dev/null
	rm -rf "$T"
}
# systemd-analyze marks /run/systemd as a manager would: leave it as it was.
MARK_EXISTED=no
[ -e /run/systemd/systemd-units-load ] && MARK_EXISTED=yes
USERDB_DIR_EXISTED=no
[ -d /run/systemd/userdb ] && USERDB_DIR_EXISTED=yes
trap cleanup EXIT INT TERM

# The staffd user is shared with tests/integ/privdrop.sh: one at a time.
exec 9> /tmp/staffd-test-sysuser.lock
flock -w 600 9 || { echo "Bail out! the staffd user is in use by another test"; exit 1; }
getent passwd staffd >/dev/null && USER_EXISTED=yes
for f in $PAM_STACKS; do [ -f "$f" ] && md5sum "$f"; done > "$T/pam.before"
for f in $PAM_STATE; do [ -f "$f" ] && md5sum "$f"; done > "$T/pam-state.before"

# ---- build ----
# shellcheck disable=SC2086
if apt_add $BUILD_DEPS; then pass "the build dependencies are installed"; else fail "the build dependencies are installed"; fi
mkdir "$T/src"
tar -C "$TOPDIR" --exclude='./build*' --exclude=./run --exclude=./.git --exclude=./debian/build -cf - . |
	tar -C "$T/src" -xf -
check "dpkg-checkbuilddeps: debian/control asks for nothing more" sh -c "cd '$T/src' && dpkg-checkbuilddeps"
(cd "$T/src" && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b) > "$T/build.log" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then pass "dpkg-buildpackage -us -uc -b"; else fail "dpkg-buildpackage -us -uc -b" "$(tail -25 "$T/build.log")"; fi
staffd_deb=$(ls "$T"/staffd_*.deb 2>/dev/null)
pam_deb=$(ls "$T"/libpam-practice_*.deb 2>/dev/null)
[ -f "$staffd_deb" ] && [ -f "$pam_deb" ] || { fail "both packages were built" "$(ls "$T")"; echo "1..$tests_run"; exit 1; }
pass "it builds staffd and libpam-practice"
# debian/rules empties dh_auto_test: neither it nor the test runner shows up.
if ! grep -Eq 'dh_auto_test|tests/run|prove |All tests successful' "$T/build.log"; then
	pass "the package build does not run the test suite"
else
	fail "the package build does not run the test suite" "$(grep -E 'dh_auto_test|tests/run|prove ' "$T/build.log")"
fi

contents() { dpkg-deb -c "$1" | awk '{ print $1 " " $6 }' | sed 's| \./| /|'; }
list=$(contents "$staffd_deb")
for f in /usr/sbin/staffd /usr/bin/staffctl /etc/staffd/staffd.conf /lib/systemd/system/staffd.service \
	/lib/systemd/system/staffd.socket /usr/lib/sysusers.d/staffd.conf \
	/usr/lib/tmpfiles.d/staffd.conf /usr/share/man/man8/staffd.8.gz /usr/share/man/man8/staffctl.8.gz \
	/usr/share/man/man5/staffd.conf.5.gz; do
	check_grep " $f\$" "staffd ships $f" printf '%s' "$list"
done
check_eq /etc/staffd/staffd.conf "$(dpkg-deb --ctrl-tarfile "$staffd_deb" | tar -xOf - ./conffiles)" "the configuration is its conffile"
list=$(contents "$pam_deb")
check_grep "^-rw-r--r-- /lib/$MULTIARCH/security/pam_practice.so\$" "libpam-practice ships the module in the multiarch security directory" printf '%s' "$list"
check_grep ' /usr/share/pam-configs/practice$' "and a pam-auth-update profile" printf '%s' "$list"
check_grep '^Default: no$' "that is off by default" sh -c "dpkg-deb --fsys-tarfile '$pam_deb' | tar -xOf - ./usr/share/pam-configs/practice"
check_eq "" "$(contents "$staffd_deb" | grep pam_practice)" "the daemon package carries no PAM module"

# ---- install ----
if apt_add "$staffd_deb" "$pam_deb"; then pass "apt-get install ./staffd.deb ./libpam-practice.deb"
else fail "apt-get install ./staffd.deb ./libpam-practice.deb" "$(tail -20 "$T/apt.log")"; fi
check_grep 'install ok installed' "staffd is installed" dpkg-query -W -f='${Status}' staffd
check_grep 'install ok installed' "libpam-practice is installed" dpkg-query -W -f='${Status}' libpam-practice
check_grep '^staffd:x:[0-9]+:[0-9]+:[^:]*:/var/lib/staffd:/usr/sbin/nologin$' "the postinst created the system user staffd" getent passwd staffd
check_eq "700 staffd staffd" "$(stat -c '%a %U %G' /var/lib/staffd 2>&1)" "and /var/lib/staffd, 0700, owned by staffd"
check_eq "lrwxrwxrwx" "$(stat -c '%A' /etc/systemd/system/sockets.target.wants/staffd.socket 2>&1)" "staffd.socket is enabled"
check_eq "lrwxrwxrwx" "$(stat -c '%A' /etc/systemd/system/multi-user.target.wants/staffd.service 2>&1)" "staffd.service is enabled for boot"
check_eq /run/staffd/userdb/io.practice.staff "$(readlink /run/systemd/userdb/io.practice.staff 2>&1)" \
	"the postinst links /run/systemd/userdb/io.practice.staff to staffd's userdb socket"
for f in $PAM_STACKS; do [ -f "$f" ] && md5sum "$f"; done > "$T/pam.after"
check_eq "$(cat "$T/pam.before")" "$(cat "$T/pam.after")" "installing the PAM module changes no login stack"
check_eq "" "$(grep -l pam_practice $PAM_STACKS 2>/dev/null)" "pam_practice is in none of them"
check_grep ': OK$' "the installed staffd accepts the installed configuration" /usr/sbin/staffd --check-config /etc/staffd/staffd.conf

if command -v systemd-analyze >/dev/null; then
	out=$(cd /lib/systemd/system && systemd-analyze verify staffd.service staffd.socket 2>&1)
	check_eq "" "$(printf '%s' "$out" | grep -v "nss-systemd(8)")" "systemd-analyze verify is clean on the installed units"
	check "and rates the installed service 2.0 or lower" systemd-analyze security --offline=true --threshold=20 /lib/systemd/system/staffd.service
fi

# ---- run it ----
if [ -d /run/systemd/system ]; then
	# systemd runs this machine: as an administrator would.
	check "systemctl start staffd.socket" systemctl start staffd.socket
	check "staffctl status answers through the socket" staffctl status
	check_eq staffd "$(ps -o user= -p "$(systemctl show -p MainPID --value staffd.service)")" "staffd.service runs as staffd"
	check "systemctl reload staffd" systemctl reload staffd.service
	check "systemctl stop staffd" systemctl stop staffd.service staffd.socket
else
	# No systemd: started as root from the installed files, it drops to staffd.
	mkdir -p "$T/run"
	chown staffd:staffd "$T/run"
	cat > "$T/staffd.conf" <<EOF
[daemon]
state_dir = $T/state
socket = $T/run/staffd.sock
userdb_socket =
user = staffd
[hashing]
opslimit = 1
memlimit = 8M
EOF
	/usr/sbin/staffd --config "$T/staffd.conf" > "$T/staffd.log" 2>&1 &
	DAEMON_PID=$!
	for _ in $(seq 1 100); do grep -q 'running as user staffd' "$T/staffd.log" && break; sleep 0.05; done
	export STAFFD_SOCKET=$T/run/staffd.sock
	check "/usr/sbin/staffd runs" kill -0 "$DAEMON_PID"
	check_eq staffd "$(ps -o user= -p "$DAEMON_PID" | tr -d ' ')" "as the staffd user"
	check "staffctl init" staffctl init --practice "Riverside Family Clinic" --admin amy \
		--email amy@riverside.example --first Amy --last Admin --codeword "maple harbor"
	check "staffctl location add" staffctl location add Main --address "12 River St"
	check_grep 'Riverside Family Clinic' "staffctl status shows the practice" staffctl status
	check_grep '"username": *"amy"' "staffctl --json user show amy" staffctl --json user show amy
	stop_daemon
fi

# ---- purge ----
check "apt-get purge staffd libpam-practice" $APT purge staffd libpam-practice
for p in staffd libpam-practice; do
	check_eq "" "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -v 'not-installed')" "$p is gone, configuration included"
done
left=
for f in /usr/sbin/staffd /usr/bin/staffctl "/lib/$MULTIARCH/security/pam_practice.so" /etc/staffd \
	/lib/systemd/system/staffd.service /lib/systemd/system/staffd.socket \
	/usr/lib/sysusers.d/staffd.conf /usr/lib/tmpfiles.d/staffd.conf /usr/share/pam-configs/practice \
	/usr/share/staffd /usr/share/doc/staffd /usr/share/doc/libpam-practice /var/lib/staffd \
	/etc/systemd/system/sockets.target.wants/staffd.socket /etc/systemd/system/multi-user.target.wants/staffd.service \
	/run/systemd/userdb/io.practice.staff /run/staffd; do
	[ -e "$f" ] || [ -L "$f" ] && left="$left $f"
done
check_eq "" "$left" "no file is left behind"
check_eq "" "$(find /etc/systemd /var/lib/systemd/deb-systemd-helper-enabled -name 'staffd*' 2>/dev/null)" "no unit link or enablement state is left"
for f in $PAM_STACKS; do [ -f "$f" ] && md5sum "$f"; done > "$T/pam.after"
check_eq "$(cat "$T/pam.before")" "$(cat "$T/pam.after")" "the login stacks are as they were"
for f in $PAM_STATE; do [ -f "$f" ] && md5sum "$f"; done > "$T/pam-state.after"
check_eq "$(cat "$T/pam-state.before")" "$(cat "$T/pam-state.after")" "and so is pam-auth-update's state"
# Debian keeps system users on purge (files they owned may remain); this
# test removes the one it caused.
if [ "$USER_EXISTED" = no ]; then
	check_grep '^staffd:' "the purge keeps the staffd system user" getent passwd staffd
fi

echo "1..$tests_run"
[ "$tests_failed" -eq 0 ]
