# shellcheck shell=bash
# Sourced by the system tests: a container booting Debian 12 with systemd as
# PID 1 (systemd-nspawn on a fresh overlay of the cached root file system),
# commands entered with nsenter, TAP helpers, and a cleanup that stops the
# container, unmounts and removes what the run made on every exit path.
#
# tests/system/run sets STAFF_SYSTEM_ROOT (the cached root file system) and
# STAFF_SYSTEM_DEBS (the .debs built from this checkout) and runs the tests.
set -u

: "${STAFF_SYSTEM_ROOT:?STAFF_SYSTEM_ROOT must name the root file system (tests/system/run sets it)}"
: "${STAFF_SYSTEM_DEBS:?STAFF_SYSTEM_DEBS must name the directory of the built .debs}"
TOPDIR=${TOPDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

# A machine name of its own: other runs (and other tests) boot beside it.
BOX=staffd-$$-$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
BOX_DIR=$(mktemp -d /var/tmp/staffd-box.XXXXXX) || exit 1
# Who owns this box: a run killed outright leaves it to box_sweep_stale.
echo $$ > "$BOX_DIR/owner"
BOOT_TIMEOUT=${STAFF_SYSTEM_BOOT_TIMEOUT:-120}
BOX_NSPAWN_PID=
BOX_LEADER=
BOX_CGROUPS=
# What a boot measured: its state, and PID 1's time from start to the end of
# the start-up jobs (when is-system-running turns "running").
BOX_STATE=
BOX_BOOT_MS=
# nspawn keeps its state in /run/systemd/nspawn: leave /run as it was.
NSPAWN_RUN_EXISTED=no
[ -d /run/systemd/nspawn ] && NSPAWN_RUN_EXISTED=yes
RUN_SYSTEMD_EXISTED=no
[ -d /run/systemd ] && RUN_SYSTEMD_EXISTED=yes

tests_run=0
tests_failed=0

# ---- TAP ----
pass() { tests_run=$((tests_run + 1)); echo "ok $tests_run - $1"; }
fail() {
	tests_run=$((tests_run + 1)); tests_failed=$((tests_failed + 1))
	echo "not ok $tests_run - $1"
	[ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/#   /' | tail -30
	return 0
}
# Measurements: shown by prove without -v too.
note() { printf '# %s\n' "$@" >&2; }
# check DESC CMD...: CMD exits 0.
check() { local desc=$1 out; shift; if out=$("$@" 2>&1); then pass "$desc"; else fail "$desc" "exit $?: $out"; fi; }
check_eq() { if [ "$1" = "$2" ]; then pass "$3"; else fail "$3" "wanted [$1], got [$2]"; fi; }
# check_grep REGEX DESC CMD...: CMD's output matches REGEX.
check_grep() {
	local re=$1 desc=$2 out; shift 2
	out=$("$@" 2>&1)
	if printf '%s' "$out" | grep -Eq -- "$re"; then pass "$desc"; else fail "$desc" "no /$re/ in: $out"; fi
}
# at_most A B: A <= B, decimals.
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }
# median N...: the middle value (the lower one of an even count).
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now_ms() { date +%s%3N; }
done_testing() {
	echo "1..$tests_run"
	[ "$tests_failed" -eq 0 ]
	exit $?
}
# bail_out REASON: the rest cannot run (the box did not boot).
bail_out() { echo "Bail out! $1"; exit 1; }

# ---- the container ----

# The cgroups nspawn runs in. Without a systemd on the host, nspawn makes
# "payload" and "supervisor" below its own cgroup: each box gets a cgroup of
# its own, in the named systemd hierarchy and the unified one (hybrid hosts)
# or in the unified hierarchy alone (cgroup v2 hosts).
box_cgroup_dirs() {
	if [ -f /sys/fs/cgroup/cgroup.procs ]; then
		echo "/sys/fs/cgroup/$BOX"
		return
	fi
	[ -d /sys/fs/cgroup/systemd ] && echo "/sys/fs/cgroup/systemd/$BOX"
	[ -d /sys/fs/cgroup/unified ] && echo "/sys/fs/cgroup/unified/$BOX"
	return 0
}

nspawn_alive() { [ -n "$BOX_NSPAWN_PID" ] && kill -0 "$BOX_NSPAWN_PID" 2>/dev/null; }

# The host pid of the container's PID 1: nspawn's child whose pid in its
# own namespace is 1.
box_find_leader() {
	local p
	nspawn_alive || return 1
	for p in $(pgrep -P "$BOX_NSPAWN_PID"); do
		if awk '/^NSpid:/ { exit !($NF == 1) }' "/proc/$p/status" 2>/dev/null; then
			BOX_LEADER=$p
			return 0
		fi
	done
	return 1
}

# in_box CMD...: runs CMD in every namespace of the container, as root, with
# a clean environment; its exit status is passed back.
in_box() {
	[ -n "$BOX_LEADER" ] || { echo "the container is not running" >&2; return 125; }
	nsenter -t "$BOX_LEADER" -a -- /usr/bin/env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 HOME=/root TERM=dumb SYSTEMD_PAGER= SYSTEMD_COLORS=0 "$@"
}
# box_sh SCRIPT [ARG...]: a bash script inside.
box_sh() { local s=$1; shift; in_box /bin/bash -c "$s" bash "$@"; }
# box_unit CMD...: CMD inside as a transient service of the container's
# systemd, in a cgroup of its own, as logind expects of a process that
# opens a session (nsenter'd processes live in a cgroup of the host).
box_unit() { in_box systemd-run --quiet --wait --pipe --collect --service-type=exec "$@"; }
# box_put FILE PATH: copies a host file into the running container.
box_put() { cat "$1" | in_box /bin/sh -c 'cat > "$1"' sh "$2"; }

# box_boot [keep]: boots the container on a fresh overlay of the root file
# system, or on the one of the previous boot with "keep" (a reboot). Waits
# until the start-up jobs are done; sets BOX_STATE and BOX_BOOT_MS. Returns 1
# when it did not settle within BOOT_TIMEOUT seconds.
box_boot() {
	local keep=${1:-} args d deadline
	nspawn_alive && { echo "box_boot: the container is running" >&2; return 1; }
	if [ "$keep" != keep ]; then
		rm -rf "$BOX_DIR/upper" "$BOX_DIR/work"
	fi
	mkdir -p "$BOX_DIR/upper" "$BOX_DIR/work" "$BOX_DIR/root"
	mount -t overlay "$BOX" -o "lowerdir=$STAFF_SYSTEM_ROOT,upperdir=$BOX_DIR/upper,workdir=$BOX_DIR/work" \
		"$BOX_DIR/root" || return 1
	echo "$BOX" > "$BOX_DIR/root/etc/hostname"
	if [ "$keep" != keep ]; then
		mkdir -p "$BOX_DIR/root/root/debs"
		cp "$STAFF_SYSTEM_DEBS"/*.deb "$BOX_DIR/root/root/debs/"
	fi
	# --keep-unit and --register=no: no systemd and no machined on the host.
	# Private network: loopback only. bpf() allowed so that IPAddressDeny= of
	# staffd.service is enforced (and rated) as on a real machine.
	args=(--quiet --register=no --keep-unit --console=read-only --machine="$BOX" --hostname="$BOX"
		--directory="$BOX_DIR/root" --private-network --system-call-filter=bpf --boot)
	BOX_CGROUPS=$(box_cgroup_dirs | tr '\n' ' ')
	BOX_STATE=
	BOX_BOOT_MS=
	BOX_LEADER=
	SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 setsid /bin/sh -c '
		for d in $0; do mkdir -p "$d" && echo $$ > "$d/cgroup.procs" || exit 1; done
		exec systemd-nspawn "$@"' "$BOX_CGROUPS" "${args[@]}" \
		>> "$BOX_DIR/console.log" 2>&1 < /dev/null &
	BOX_NSPAWN_PID=$!
	echo "$BOX_NSPAWN_PID $BOX_CGROUPS" > "$BOX_DIR/nspawn"
	deadline=$(($(date +%s) + BOOT_TIMEOUT))
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if ! nspawn_alive; then
			echo "systemd-nspawn exited during the boot:" >&2
			tail -20 "$BOX_DIR/console.log" | sed 's/^/  /' >&2
			BOX_NSPAWN_PID=
			return 1
		fi
		if [ -n "$BOX_LEADER" ] || box_find_leader; then
			BOX_STATE=$(in_box timeout 5 systemctl is-system-running --wait 2>/dev/null)
			case $BOX_STATE in running | degraded) break ;; esac
		fi
		sleep 0.2
	done
	case $BOX_STATE in
	running | degraded) ;;
	*) echo "the boot did not settle within ${BOOT_TIMEOUT}s (state '$BOX_STATE')" >&2; return 1 ;;
	esac
	d=$(in_box systemctl show -P UserspaceTimestampMonotonic -P FinishTimestampMonotonic --value | paste -sd' ')
	BOX_BOOT_MS=$(echo "$d" | awk '{ if ($2 > $1) printf "%d", ($2 - $1) / 1000 }')
	return 0
}

# box_shutdown: an orderly poweroff (SIGTERM to nspawn), SIGKILL after 60 s;
# then the overlay is unmounted and the cgroups removed.
box_shutdown() {
	local d p
	if nspawn_alive; then
		kill -TERM "$BOX_NSPAWN_PID"
		for _ in $(seq 1 300); do nspawn_alive || break; sleep 0.2; done
		if nspawn_alive; then
			echo "# the container did not power off within 60 s: SIGKILL" >&2
			kill -KILL "$BOX_NSPAWN_PID"
		fi
		wait "$BOX_NSPAWN_PID" 2>/dev/null
	fi
	BOX_NSPAWN_PID=
	BOX_LEADER=
	# Anything left in the box's cgroups (a killed nspawn leaves its payload).
	for d in $BOX_CGROUPS; do
		[ -d "$d" ] || continue
		for _ in 1 2 3 4 5; do
			p=$(find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null)
			[ -z "$p" ] && break
			# shellcheck disable=SC2086
			kill -KILL $p 2>/dev/null
			sleep 0.2
		done
		find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$d" ] && echo "# cgroup $d was not removed" >&2
	done
	if mountpoint -q "$BOX_DIR/root" 2>/dev/null; then
		umount "$BOX_DIR/root" 2>/dev/null || umount -l "$BOX_DIR/root"
	fi
	rmdir "/run/systemd/nspawn/propagate/$BOX" "/run/systemd/nspawn/unix-export/$BOX" 2>/dev/null
	if [ "$NSPAWN_RUN_EXISTED" = no ]; then
		rmdir /run/systemd/nspawn/propagate /run/systemd/nspawn/unix-export /run/systemd/nspawn/locks \
			/run/systemd/nspawn 2>/dev/null
	fi
	[ "$RUN_SYSTEMD_EXISTED" = yes ] || rmdir /run/systemd 2>/dev/null
	return 0
}

# box_reboot: power off and boot again on the same overlay.
box_reboot() { box_shutdown && box_boot keep; }

box_cleanup() {
	box_shutdown
	rm -rf "$BOX_DIR"
}

# box_sweep_stale: stops and removes the boxes of runs that were killed
# before their cleanup ran (their owner is gone).
box_sweep_stale() {
	local d owner pid cgs
	for d in /var/tmp/staffd-box.*; do
		[ -d "$d" ] && [ "$d" != "$BOX_DIR" ] || continue
		owner=$(cat "$d/owner" 2>/dev/null) || continue
		kill -0 "$owner" 2>/dev/null && continue
		echo "# removing the box of an earlier run (pid $owner): $d" >&2
		read -r pid cgs < "$d/nspawn" 2>/dev/null
		(
			BOX_DIR=$d BOX=$(cat "$d/upper/etc/hostname" 2>/dev/null) BOX_CGROUPS=${cgs:-}
			BOX_NSPAWN_PID=
			[ -n "${pid:-}" ] && grep -qx systemd-nspawn "/proc/$pid/comm" 2>/dev/null && BOX_NSPAWN_PID=$pid
			box_shutdown
		)
		rm -rf "$d"
	done
	return 0
}
trap box_cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- inside ----

# box_failed_units: the failed units, one per line (none: empty).
box_failed_units() { in_box systemctl list-units --failed --plain --no-legend | awk '{ print $1 }'; }

# box_install: the built packages, offline, from the copies made at boot.
box_install() {
	box_sh 'cd /root/debs && DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 \
		--no-install-recommends ./staffd_*.deb ./libpam-practice_*.deb'
}

# box_ms CMD...: runs CMD inside and prints how long it took in ms, then its
# exit status; the time is taken inside, so entering the box is not counted.
box_ms() {
	in_box /bin/bash -c 's=$(date +%s%N); "$@" >/dev/null 2>&1; rc=$?; e=$(date +%s%N); echo "$(((e - s) / 1000000)) $rc"' bash "$@"
}
