#!/bin/bash
# make install DESTDIR= PREFIX= puts every file where it belongs with its
# mode, never overwrites the configuration, and make uninstall takes it all
# away again but the configuration.
. "$(dirname "$0")/lib.sh"

command -v make >/dev/null || { echo "1..0 # SKIP make is not installed"; exit 0; }

# mk TARGET VAR=VALUE...: the project's make on this build, not the caller's jobserver.
mk() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -s -C "$TOPDIR" O="$O" SAN="${SAN:-}" "$@" 2>&1; }

multiarch=$(cc -print-multiarch 2>/dev/null)

# expected PREFIX UNITDIR SYSUSERSDIR TMPFILESDIR: "MODE PATH" of every file installed.
expected() {
	local p=${1#/} m f
	{
		echo "755 $p/sbin/staffd"
		echo "755 $p/bin/staffctl"
		[ -f "$TOPDIR/$O/pam_practice.so" ] && echo "644 lib/$multiarch/security/pam_practice.so"
		for m in "$TOPDIR/$O"/man/*; do
			f=${m##*/}
			echo "644 $p/share/man/man${f##*.}/$f"
		done
		echo "644 $p/share/staffd/io.practice.Staff.varlink"
		for f in "$TOPDIR"/conf/pam.d/*; do
			[ -f "$f" ] && echo "644 $p/share/doc/staffd/examples/pam.d/${f##*/}"
		done
		for f in staffd.service staffd.socket; do echo "644 ${2#/}/$f"; done
		echo "644 ${3#/}/staffd.conf"
		echo "644 ${4#/}/staffd.conf"
		echo "644 etc/staffd/staffd.conf"
	} | sort
}
installed() { find "$1" ! -type d -printf '%m %P\n' | sort; }

# ---- PREFIX=/usr/local ----
D=$T/local
out=$(mk install DESTDIR="$D" PREFIX=/usr/local)
check_eq 0 "$?" "make install DESTDIR=... PREFIX=/usr/local"
want=$(expected /usr/local /usr/local/lib/systemd/system /usr/local/lib/sysusers.d /usr/local/lib/tmpfiles.d)
got=$(installed "$D")
if [ "$want" = "$got" ]; then pass "every file where it belongs, with its mode ($(printf '%s\n' "$got" | wc -l) files)"
else fail "every file where it belongs, with its mode" "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got"))"; fi
check_grep '^ExecStart=/usr/local/sbin/staffd$' "the unit starts the staffd installed with it" \
	cat "$D/usr/local/lib/systemd/system/staffd.service"
check_eq "" "$(diff <(grep -v '^ExecStart=' "$TOPDIR/conf/systemd/staffd.service") \
	<(grep -v '^ExecStart=' "$D/usr/local/lib/systemd/system/staffd.service"))" "and is otherwise the unit of conf/systemd"
check_eq "" "$(cmp "$TOPDIR/conf/staffd.conf" "$D/etc/staffd/staffd.conf" 2>&1)" "the example configuration is installed"
check_grep ': OK$' "the installed staffd accepts the installed configuration" \
	"$D/usr/local/sbin/staffd" --check-config "$D/etc/staffd/staffd.conf"

# The administrator's configuration survives another install.
echo "# changed by the administrator" >> "$D/etc/staffd/staffd.conf"
sum=$(md5sum < "$D/etc/staffd/staffd.conf")
mk install DESTDIR="$D" PREFIX=/usr/local >/dev/null
check_eq "$sum" "$(md5sum < "$D/etc/staffd/staffd.conf")" "make install again keeps the changed configuration"

out=$(mk uninstall DESTDIR="$D" PREFIX=/usr/local)
check_eq 0 "$?" "make uninstall"
check_eq "644 etc/staffd/staffd.conf" "$(installed "$D")" "uninstall leaves only the configuration"
check_grep "kept .*/etc/staffd/staffd.conf" "and says so" printf '%s' "$out"

# ---- PREFIX=/usr: systemd's own directories ----
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null); unitdir=${unitdir:-/lib/systemd/system}
sysusersdir=$(pkg-config --variable=sysusersdir systemd 2>/dev/null); sysusersdir=${sysusersdir:-/usr/lib/sysusers.d}
tmpfilesdir=$(pkg-config --variable=tmpfilesdir systemd 2>/dev/null); tmpfilesdir=${tmpfilesdir:-/usr/lib/tmpfiles.d}
D=$T/usr
mk install DESTDIR="$D" PREFIX=/usr >/dev/null
want=$(expected /usr "$unitdir" "$sysusersdir" "$tmpfilesdir")
got=$(installed "$D")
if [ "$want" = "$got" ]; then pass "PREFIX=/usr: units in $unitdir, sysusers.d and tmpfiles.d in /usr/lib"
else fail "PREFIX=/usr: units, sysusers.d and tmpfiles.d where systemd looks" "$(diff <(printf '%s\n' "$want") <(printf '%s\n' "$got"))"; fi
check_grep '^ExecStart=/usr/sbin/staffd$' "the unit starts /usr/sbin/staffd" cat "$D$unitdir/staffd.service"
mk uninstall DESTDIR="$D" PREFIX=/usr >/dev/null
check_eq "644 etc/staffd/staffd.conf" "$(installed "$D")" "PREFIX=/usr: uninstall leaves only the configuration"

done_testing
