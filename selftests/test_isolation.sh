#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Namespaces and pins: one network namespace's maps are never another's
# (per-namespace default pin path; a shared --pin-path is refused naming
# both namespaces; a deleted namespace's pins are refused, naming the
# command that clears them), a pin directory or pin that is not root's
# alone is refused, a pin set with a map missing is reported damaged and
# never completed, read-only commands create nothing, a pin path off
# bpffs is named as such and left alone, read-only commands answer while
# a writer holds the pin set's lock, and concurrent first commands on
# a fresh pin path all succeed. Two host namespaces of veths, no traffic.
# Usage: test_isolation.sh [CASE...]

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="default_per_netns shared_pin_refused gone_netns_refused untrusted_dir damaged_set readonly_creates_nothing readonly_unlocked not_bpffs first_use_race"

# iso_ns NAME IFACE...: a namespace with a veth pair per IFACE (peer p-IFACE).
iso_ns() {
	local ns=$1 i
	shift
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	for i in "$@"; do
		ip -n "$ns" link add "$i" type veth peer name "p-$i"
		ip -n "$ns" link set "$i" up
		ip -n "$ns" link set "p-$i" up
	done
}

iso_up() {
	local id=$$-$CASE_N
	NS_B=fp-isoB-$id NS_C=fp-isoC-$id
	PIN=/sys/fs/bpf/fastpath-test-iso-$id
	LAB_DIR=$(mktemp -d "/tmp/fp-lab-$id.XXXXXX")
	export NS_B NS_C PIN LAB_DIR FP
	lab_require_fp
	[ "$(id -u)" -eq 0 ] || lab_skip "needs root"
	lab_bpffs
	iso_ns "$NS_B" uplink0 tap-vm1 tap-vm2
	iso_ns "$NS_C" uplink0 tap-vm1
}

iso_down() {
	ip netns del "$NS_B" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	case ${PIN:-} in /sys/fs/bpf/fastpath-test-iso-*) rm -rf "$PIN" "$PIN"-* ;; esac
	[ -z "${LAB_DIR:-}" ] || rm -rf "$LAB_DIR"
}

# fpn NS ARGS...: the CLI in namespace NS on the test's pin path.
fpn() {
	local ns=$1
	shift
	"$FP" -n "$ns" --pin-path "$PIN" "$@"
}

# b_setup: namespace B loaded on the shared pin path with a port and a route.
b_setup() {
	assert_ok "-n B load uplink0" fpn "$NS_B" load uplink0
	assert_ok "-n B port add tap-vm1" fpn "$NS_B" port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "-n B route add" fpn "$NS_B" route add 198.19.1.0/24 dev tap-vm1
}

explain_verdict() {
	"$FP" -n "$1" --pin-path "$2" --json explain "$3" | tr -d ' \n' |
		grep -o '"verdict":"[a-z]*"'
}

# Without --pin-path, each -n NAME gets its own pin set: C's load, ports,
# routes and unload leave B's alone; and without --state-dir its own
# model state: B's applied connection is not C's. In a private mount
# namespace with a bpffs and a /var/lib of its own, so that the default
# paths touch nothing outside.
case_default_per_netns() {
	command -v unshare >/dev/null || lab_skip "no unshare"
	unshare -m --propagation private bash "${BASH_SOURCE[0]}" \
		--private-bpffs default_per_netns_inner
}

default_per_netns_inner() {
	local j
	mount -t tmpfs -o mode=755 tmpfs /var/lib || lab_skip "cannot mount a private /var/lib"
	assert_ok "-n B load" "$FP" -n "$NS_B" load uplink0
	assert_ok "-n B port add" "$FP" -n "$NS_B" port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "-n B route add" "$FP" -n "$NS_B" route add 198.19.1.0/24 dev tap-vm1
	assert_ok "-n C load" "$FP" -n "$NS_C" load uplink0
	assert_ok "-n C port add" "$FP" -n "$NS_C" port add tap-vm1 --peer-mac 02:00:00:00:02:10
	assert_ok "-n C route add" "$FP" -n "$NS_C" route add 198.19.2.0/24 dev tap-vm1
	j=$("$FP" -n "$NS_B" --json route list | tr -d ' \n')
	assert_match "B's routes: its own" '"prefix":"198.19.1.0/24"' "$j"
	assert_eq "B's routes: C's 198.19.2.0/24 absent" "" "$(printf '%s' "$j" | grep -o 198.19.2.0 || true)"
	j=$("$FP" -n "$NS_C" --json route list | tr -d ' \n')
	assert_match "C's routes: its own" '"prefix":"198.19.2.0/24"' "$j"
	assert_eq "C's routes: B's 198.19.1.0/24 absent" "" "$(printf '%s' "$j" | grep -o 198.19.1.0 || true)"
	assert_eq "B's explain 198.19.1.10" '"verdict":"fastpath"' \
		"$(explain_verdict "$NS_B" "/sys/fs/bpf/fastpath@$NS_B" 198.19.1.10)"
	[ -e "/sys/fs/bpf/fastpath@$NS_B/fp_ports" ] ||
		lab_fail "B's default pin path: expected /sys/fs/bpf/fastpath@$NS_B, saw: $(ls /sys/fs/bpf)"
	cat >"$LAB_DIR/b.conf" <<-EOF
		[gateway]
		name = gw
		sku = ErGw3AZ
		[circuit er-b]
		uplink = uplink0
		type = direct
		bandwidth = 10G
		[vnet vnet-b]
		address-space = 198.19.4.0/24
		port = tap-vm2
		[connection conn-b]
		vnet = vnet-b
		circuit = er-b
		fastpath = on
	EOF
	assert_ok "-n B apply" "$FP" -n "$NS_B" apply --config "$LAB_DIR/b.conf"
	assert_match "B's connections" '"conn-b"' "$("$FP" -n "$NS_B" --json connection list)"
	assert_eq "C's connections" "[]" "$("$FP" -n "$NS_C" --json connection list | tr -d ' \n')"
	[ -e "/var/lib/fastpath@$NS_B/state.json" ] ||
		lab_fail "B's default state dir: expected /var/lib/fastpath@$NS_B, saw: $(ls /var/lib)"
	assert_ok "-n C unload uplink0" "$FP" -n "$NS_C" unload uplink0
	assert_match "B's uplinks after C's unload" '"uplink0"' \
		"$("$FP" -n "$NS_B" --json uplink list)"
	assert_ok "-n B unload --all" "$FP" -n "$NS_B" unload --all
	assert_ok "-n C unload --all" "$FP" -n "$NS_C" unload --all
}

# One --pin-path for two namespaces: every command from the second is
# refused in one line naming both, and B's maps stay as they were.
case_shared_pin_refused() {
	local before ups err cmd
	b_setup
	before=$(fpn "$NS_B" --json route list; fpn "$NS_B" --json port list)
	ups=$(fpn "$NS_B" --json uplink list)
	for cmd in "load uplink0" "port add tap-vm1" "route add 198.19.2.0/24 dev tap-vm1" \
		"route list" "status" "stats" "explain 198.19.1.10" "unload uplink0" "unload --all" \
		"sync --once"; do
		# shellcheck disable=SC2086 # the command's words
		err=$(expect_exit "-n C $cmd" 1 fpn "$NS_C" $cmd)
		assert_match "-n C $cmd: names B's namespace" "$NS_B" "$err"
		assert_match "-n C $cmd: names C's namespace" "$NS_C" "$err"
	done
	assert_eq "B's routes and ports after C's commands" "$before" \
		"$(fpn "$NS_B" --json route list; fpn "$NS_B" --json port list)"
	assert_eq "B's uplinks after C's commands" "$ups" "$(fpn "$NS_B" --json uplink list)"
	assert_eq "B's explain 198.19.1.10" '"verdict":"fastpath"' \
		"$(explain_verdict "$NS_B" "$PIN" 198.19.1.10)"
}

# A deleted namespace's pins are never reused by a new namespace of the
# same name (interfaces in another order): refused, naming unload --all,
# which clears them; then the new namespace starts clean.
case_gone_netns_refused() {
	local err
	b_setup
	ip netns del "$NS_B"
	iso_ns "$NS_B" tap-vm2 tap-vm1 uplink0
	err=$(expect_exit "load in the new $NS_B" 1 fpn "$NS_B" load uplink0)
	assert_match "load in the new $NS_B" \
		"^$PIN: .*no longer exists.*'fastpath -n $NS_B --pin-path $PIN unload --all'" "$err"
	assert_eq "route list in the new $NS_B" "$err" \
		"$(expect_exit "route list in the new $NS_B" 1 fpn "$NS_B" route list)"
	expect_exit "port add in the new $NS_B" 1 fpn "$NS_B" port add tap-vm2 >/dev/null
	assert_ok "unload --all" fpn "$NS_B" unload --all
	assert_ok "load after unload --all" fpn "$NS_B" load uplink0
	assert_ok "port add tap-vm2 after unload --all" fpn "$NS_B" port add tap-vm2
	assert_eq "routes of the new pin set" "[]" "$(fpn "$NS_B" --json route list)"
}

# A pin directory (or its parent, or a pin) that another user owns or may
# write is refused in one line; nothing is created in it.
case_untrusted_dir() {
	local err
	mkdir -m 777 "$PIN"
	chown nobody "$PIN"
	err=$(expect_exit "pin dir owned by nobody" 1 fpn "$NS_B" port add tap-vm1)
	assert_match "pin dir owned by nobody" "^$PIN: .*owned by uid 65534" "$err"
	chown root "$PIN"
	err=$(expect_exit "pin dir mode 0777" 1 fpn "$NS_B" port add tap-vm1)
	assert_match "pin dir mode 0777" "^$PIN: .*writable by group or others" "$err"
	assert_eq "what the refused commands left in $PIN" "" "$(ls -A "$PIN")"
	chmod 755 "$PIN"
	assert_ok "port add in a root-owned 0755 pin dir" fpn "$NS_B" port add tap-vm1
	chown nobody "$PIN/fp_ports"
	err=$(expect_exit "fp_ports owned by nobody" 1 fpn "$NS_B" port list)
	assert_match "fp_ports owned by nobody" "^$PIN/fp_ports: .*owned by uid 65534" "$err"
	chown root "$PIN/fp_ports"
	chmod 622 "$PIN/fp_routes4"
	err=$(expect_exit "fp_routes4 mode 0622" 1 fpn "$NS_B" route add 198.19.1.0/24 dev tap-vm1)
	assert_match "fp_routes4 mode 0622" "^$PIN/fp_routes4: .*writable by group or others" "$err"
	chmod 600 "$PIN/fp_routes4"
	assert_ok "port list once the pins are root's" fpn "$NS_B" port list
	# A parent another user may rename things in.
	mkdir -m 755 "$PIN-parent"
	chown nobody "$PIN-parent"
	err=$(expect_exit "parent owned by nobody" 1 "$FP" -n "$NS_B" --pin-path "$PIN-parent/fp" port add tap-vm1)
	assert_match "parent owned by nobody" "^$PIN-parent: .*owned by uid 65534" "$err"
	[ ! -e "$PIN-parent/fp" ] || lab_fail "$PIN-parent/fp: expected not created, saw it"
}

# A map missing beside live ones: every command says the pin set is
# damaged and names unload --all; none re-creates the map.
case_damaged_set() {
	local err
	b_setup
	rm "$PIN/fp_ports"
	err=$(expect_exit "port add with fp_ports gone" 1 fpn "$NS_B" port add tap-vm2)
	assert_match "port add with fp_ports gone" \
		"^$PIN: pin set damaged: fp_ports missing.*'fastpath -n $NS_B --pin-path $PIN unload --all'" "$err"
	[ ! -e "$PIN/fp_ports" ] || lab_fail "fp_ports: expected not re-created, saw it"
	assert_eq "route list with fp_ports gone" "$err" \
		"$(expect_exit "route list with fp_ports gone" 1 fpn "$NS_B" route list)"
	expect_exit "load with fp_ports gone" 1 fpn "$NS_B" load uplink0 >/dev/null
	[ ! -e "$PIN/fp_ports" ] || lab_fail "fp_ports: expected not re-created, saw it"
	assert_ok "unload --all" fpn "$NS_B" unload --all
	assert_ok "load after unload --all" fpn "$NS_B" load uplink0
}

# Read-only commands on a pin path with no maps: exit 1 with one line,
# and nothing created (not even the directory, nor the state directory).
case_readonly_creates_nothing() {
	local cmd err want
	want="no fastpath maps at $PIN (not loaded? see --pin-path)"
	for cmd in "route list" "port list" "exclude list" "uplink list" "stats" \
		"stats --prometheus" "status" "explain 198.19.1.10" \
		"capture -w $LAB_DIR/c.pcap --count 1" "capture --stop" \
		"--state-dir $LAB_DIR/state connection list"; do
		# shellcheck disable=SC2086 # the command's words
		err=$(expect_exit "$cmd" 1 timeout 10 "$FP" -n "$NS_B" --pin-path "$PIN" $cmd)
		assert_eq "$cmd: message" "$want" "$err"
		[ ! -e "$PIN" ] || lab_fail "$cmd: expected nothing at $PIN, saw: $(ls -A "$PIN")"
		[ ! -e "$LAB_DIR/state" ] ||
			lab_fail "$cmd: expected no $LAB_DIR/state, saw: $(ls -A "$LAB_DIR/state")"
	done
	mkdir -m 700 "$PIN"
	err=$(expect_exit "route list in an empty dir" 1 fpn "$NS_B" route list)
	assert_eq "route list in an empty dir: message" "$want" "$err"
	assert_eq "what route list left in $PIN" "" "$(ls -A "$PIN")"
}

# Read-only commands take no lock: while another process holds the pin
# directory's flock (as a writer's batch does), they answer, with what
# they answered before; a writer still waits for the lock.
case_readonly_unlocked() {
	local cmd before holder rc=0
	b_setup
	before=$(fpn "$NS_B" --json route list; fpn "$NS_B" --json port list)
	# One process that holds it and goes when killed: flock(1) on a
	# command would leave its child holding the lock.
	(
		exec 9<"$PIN"
		flock -x 9
		exec sleep 30
	) &
	holder=$!
	# The holder has the lock once a non-blocking try fails.
	for _ in $(seq 50); do
		flock -n -s "$PIN" true || break
		nap 0.1
	done
	for cmd in "route list" "port list" "exclude list" "uplink list" "stats" \
		"stats --prometheus" "status" "explain 198.19.1.10" \
		"--state-dir $LAB_DIR/state connection list"; do
		# shellcheck disable=SC2086 # the command's words
		assert_ok "$cmd while the pin directory is locked" \
			timeout 10 "$FP" -n "$NS_B" --pin-path "$PIN" $cmd
	done
	assert_eq "routes and ports while locked" "$before" \
		"$(fpn "$NS_B" --json route list; fpn "$NS_B" --json port list)"
	assert_eq "explain 198.19.1.10 while locked" '"verdict":"fastpath"' \
		"$(explain_verdict "$NS_B" "$PIN" 198.19.1.10)"
	timeout 2 "$FP" -n "$NS_B" --pin-path "$PIN" route add 198.19.2.0/24 dev tap-vm1 ||
		rc=$?
	assert_eq "route add while locked: exit code (timeout's: it waits)" 124 "$rc"
	kill "$holder"
	wait "$holder" || true
	assert_ok "route add once unlocked" fpn "$NS_B" route add 198.19.2.0/24 dev tap-vm1
}

# A pin path off bpffs is named as such and left as it was.
case_not_bpffs() {
	local err d=$LAB_DIR/pins
	err=$(expect_exit "port add --pin-path $d" 1 "$FP" -n "$NS_B" --pin-path "$d" port add tap-vm1)
	assert_match "port add --pin-path $d" "^$d: not on a bpffs" "$err"
	[ ! -e "$d" ] || lab_fail "$d: expected not created, saw it"
	mkdir -m 700 "$d"
	err=$(expect_exit "load --pin-path $d" 1 "$FP" -n "$NS_B" --pin-path "$d" load uplink0)
	assert_match "load --pin-path $d" "^$d: not on a bpffs" "$err"
	err=$(expect_exit "route list --pin-path $d" 1 "$FP" -n "$NS_B" --pin-path "$d" route list)
	assert_match "route list --pin-path $d" "^$d: not on a bpffs" "$err"
	assert_eq "what was left in $d" "" "$(ls -A "$d")"
}

# 8 first commands at once on a fresh pin path, several rounds: all
# succeed and all their entries are there.
case_first_use_race() {
	local r i p pids rc n pin
	for r in 1 2 3 4 5 6; do
		pin=$PIN-r$r
		pids=
		for i in 1 2 3 4 5 6 7 8; do
			"$FP" -n "$NS_B" --pin-path "$pin" exclude add "198.19.$i.0/24" \
				>"$LAB_DIR/out.$r.$i" 2>&1 &
			pids="$pids $!"
		done
		i=0 rc=
		for p in $pids; do
			i=$((i + 1))
			wait "$p" && rc="$rc 0" || rc="$rc $?"
		done
		i=0
		for p in $rc; do
			i=$((i + 1))
			assert_eq "round $r, exclude add 198.19.$i.0/24: exit code ($(cat "$LAB_DIR/out.$r.$i"))" 0 "$p"
		done
		n=$("$FP" -n "$NS_B" --pin-path "$pin" --json exclude list | grep -o '"prefix"' | wc -l)
		assert_eq "round $r: exclusions" 8 "$n"
		assert_ok "round $r: unload --all" "$FP" -n "$NS_B" --pin-path "$pin" unload --all
	done
}

# Re-entered by case_default_per_netns in its own mount namespace.
if [ "${1:-}" = --private-bpffs ]; then
	mount -t bpf -o mode=1777 bpf /sys/fs/bpf || lab_skip "cannot mount a private bpffs"
	"$2"
	exit
fi

lab_main iso_up iso_down "$CASES" "$@"
