#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fast path into a real VM: a QEMU guest (scripts/vm-image.sh: the
# Debian kernel, virtio-net, busybox) behind tap-vm3, a tap QEMU opens in
# the lab's host namespace. Booting takes ~20 s under TCG, so unlike the
# other selftests all cases share one lab and one guest and run in order,
# each building on the state the previous ones left (naming a case runs
# every case up to it). Each case still runs in a subshell and prints
# PASS/FAIL; if the guest does not boot, the rest are reported not run.
# Usage: test_vm.sh [CASE...]   (default: all; see CASES)
#
# FASTPATH_VM_ACCEL: tcg (default), kvm (forced: fails if the guest does
# not come up) or auto (KVM when /dev/kvm opens and a probe boot reaches
# the guest's init within FASTPATH_VM_KVM_PROBE_SECS, default 20; else
# TCG). vhost-net is used when /dev/vhost-net opens. Both are reported.
# FASTPATH_VM_BOOT_SECS bounds a boot (default 120).

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="boot fastpath tcp too_big mac_change shutdown restart"
QEMU=${QEMU:-qemu-system-x86_64}
VM_IMG=${VM_IMG:-$ROOT/build/vm}
VM3_IP4=198.19.3.10 VM3_IP6=2001:db8:100:3::10
VM3_GW4=198.19.3.1 VM3_GW6=2001:db8:100:3::1
VM3_MAC=52:54:00:00:03:10 VM3_MAC2=52:54:00:00:03:11

# ---- the guest ------------------------------------------------------------
# State lives in files under $VM_DIR, since cases run in subshells.

vm_require() {
	[ "$(id -u)" -eq 0 ] || lab_skip "needs root"
	command -v "$QEMU" >/dev/null || lab_skip "no $QEMU (run scripts/deps.sh as root: qemu-system-x86)"
	command -v busybox >/dev/null || lab_skip "no busybox (run scripts/deps.sh as root: busybox-static)"
	dpkg-query -W -f='${Status}\n' linux-image-amd64 2>/dev/null | grep -q 'ok installed' ||
		lab_skip "no linux-image-amd64 (run scripts/deps.sh as root)"
	"$ROOT/scripts/vm-image.sh" "$VM_IMG" >/dev/null ||
		lab_fail "scripts/vm-image.sh: expected a guest image, saw exit $?"
}

# dev_opens DEV: DEV is a character device that opens read-write (checked
# first: a redirection would create a missing file).
dev_opens() {
	[ -c "$1" ] && { : <>"$1"; } 2>/dev/null
}

vm_qemu_pid() { cat "$VM_DIR/qemu.pid" 2>/dev/null; }
vm_alive() {
	local p
	p=$(vm_qemu_pid) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null
}

# vm_start ACCEL: start QEMU (in the host namespace, so its tap is there)
# and the reader of the guest's command line; returns at once.
vm_start() {
	local accel=$1 d=$VM_DIR vhost=off
	rm -f "$d/console.log" "$d/ctl.log" "$d/qemu.log" "$d/ctl.in" "$d/ctl.out"
	mkfifo "$d/ctl.in" "$d/ctl.out"
	: >"$d/ctl.log"
	if dev_opens /dev/vhost-net; then vhost=on; fi
	lab_bg ip netns exec "$NS_HOST" "$QEMU" -accel "$accel" -m 256 -smp 1 \
		-no-user-config -nodefaults -display none -no-reboot \
		-kernel "$VM_IMG/vmlinuz" -initrd "$VM_IMG/initrd.cpio.gz" \
		-append "console=ttyS0 panic=-1 quiet fp.ip4=$VM3_IP4/24 fp.gw4=$VM3_GW4 fp.ip6=$VM3_IP6/64 fp.gw6=$VM3_GW6" \
		-serial "file:$d/console.log" -serial "pipe:$d/ctl" \
		-netdev "tap,id=n0,ifname=tap-vm3,script=no,downscript=no,vhost=$vhost" \
		-device "virtio-net-pci,netdev=n0,mac=$VM3_MAC" </dev/null >"$d/qemu.log" 2>&1
	echo $! >"$d/qemu.pid"
	# QEMU opens both FIFOs read-write, so this open does not hang.
	lab_bg cat "$d/ctl.out" >>"$d/ctl.log"
	echo "accel=$accel vhost=$vhost" >"$d/accel"
	date +%s.%N >"$d/started"
}

# vm_wait_ready SECS: 0 once the guest printed its readiness line.
vm_wait_ready() {
	local n=$(($1 * 10))
	while ! grep -q '^FASTPATH-VM-READY' "$VM_DIR/console.log" 2>/dev/null; do
		vm_alive || return 1
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.1
	done
}

vm_stop() {
	local p n=50
	p=$(vm_qemu_pid) || return 0
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
	rm -f "$VM_DIR/qemu.pid"
}

# The host's side of tap-vm3, as a hypervisor's ifup script would set it.
vm_host_tap() {
	local n=100
	while ! hns link show dev tap-vm3 >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] && vm_alive ||
			lab_fail "tap-vm3 in the host namespace: expected within 10 s, saw none; QEMU: $(cat "$VM_DIR/qemu.log")"
		sleep 0.1
	done
	lab_addr "$NS_HOST" tap-vm3 "$VM3_GW4/24" "$VM3_GW6/64"
}

# vm_boot: start the guest with the chosen accelerator, wait for it,
# report what ran.
vm_boot() {
	local accel=${FASTPATH_VM_ACCEL:-tcg} secs=${FASTPATH_VM_BOOT_SECS:-120} note="" t0 t1
	case $accel in
	tcg) ;;
	kvm)
		dev_opens /dev/kvm ||
			lab_fail "FASTPATH_VM_ACCEL=kvm: expected /dev/kvm to open read-write, saw it does not"
		;;
	auto)
		accel=tcg note=" (auto: /dev/kvm does not open)"
		if dev_opens /dev/kvm; then
			vm_start kvm
			vm_host_tap
			if vm_wait_ready "${FASTPATH_VM_KVM_PROBE_SECS:-20}"; then
				accel=kvm note=" (auto: KVM probe boot reached init)"
			else
				note=" (auto: KVM probe boot did not reach init in ${FASTPATH_VM_KVM_PROBE_SECS:-20} s)"
				vm_stop
				wait_for "tap-vm3 gone after the KVM probe" 50 sh -c "! ip -n '$NS_HOST' link show dev tap-vm3"
			fi
		fi
		;;
	*) lab_fail "FASTPATH_VM_ACCEL=$accel: expected tcg, kvm or auto" ;;
	esac
	if ! vm_alive; then
		vm_start "$accel"
		vm_host_tap
	fi
	vm_wait_ready "$secs" ||
		lab_fail "guest boot ($accel): expected FASTPATH-VM-READY within $secs s, saw: $(tail -c 2000 "$VM_DIR/console.log" "$VM_DIR/qemu.log" 2>&1)"
	t0=$(cat "$VM_DIR/started") t1=$(date +%s.%N)
	echo "# vm3: $(cat "$VM_DIR/accel")$note, booted in $(printf '%.1f' "$(echo "$t1 - $t0" | bc)") s," \
		"$("$QEMU" --version | head -n1), guest: $(grep -o 'kernel=[^ ]*' "$VM_DIR/console.log")"
}

# vm_send CMD...: send one command line to the guest; VM_ID names it.
vm_send() {
	VM_ID=$(date +%s%N)
	vm_alive || lab_fail "guest command '$*': expected a running guest, saw none"
	printf '%s %s\n' "$VM_ID" "$*" | timeout 5 tee "$VM_DIR/ctl.in" >/dev/null ||
		lab_fail "guest command '$*': expected to write it, saw a blocked line"
}

# vm_wait ID SECS: print the output of command ID; its exit status.
vm_wait() {
	local id=$1 n=$(($2 * 10)) rc
	while ! grep -q "^FPCTL-END $id " "$VM_DIR/ctl.log"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || lab_fail "guest command $id: expected an answer within $2 s, saw: $(tail -c 500 "$VM_DIR/ctl.log")"
		sleep 0.1
	done
	awk -v id="$id" '$1 == "FPCTL-END" && $2 == id { exit }
		f { print } $1 == "FPCTL-BEGIN" && $2 == id { f = 1 }' "$VM_DIR/ctl.log"
	rc=$(awk -v id="$id" '$1 == "FPCTL-END" && $2 == id { print $3 }' "$VM_DIR/ctl.log")
	return "$rc"
}

# vm_cmd SECS CMD...: run CMD in the guest, print its output, its status.
vm_cmd() {
	local t=$1
	shift
	vm_send "$@"
	vm_wait "$VM_ID" "$t"
}

tcp_src() {
	local src=$LAB_DIR/tcp-src
	if [ "$(stat -c %s "$src" 2>/dev/null)" != $(($1 << 20)) ]; then
		head -c $(($1 << 20)) /dev/urandom >"$src"
	fi
	printf '%s\n' "$src"
}

# vm_tcp_in ADDR MB: MB bytes from on-prem to the guest's ADDR, compared by
# sha256 on both ends (the guest keeps them in /tmp/rx).
vm_tcp_in() {
	local addr=$1 src con id out sum
	src=$(tcp_src "$2")
	con=TCP4:$addr:5201
	case $addr in *:*) con=TCP6:[$addr]:5201 ;; esac
	vm_send "nc -l -p 5201 >/tmp/rx; sha256sum </tmp/rx"
	id=$VM_ID
	# The listener may not be up yet: socat retries a refused connect.
	ip netns exec "$NS_OP" timeout 30 socat -u "FILE:$src" "$con,retry=100,interval=0.1" ||
		lab_fail "TCP to the guest's $addr: expected the sender to finish, saw exit $?"
	out=$(vm_wait "$id" 30) || lab_fail "TCP to the guest's $addr: expected the receiver to finish, saw: $out"
	sum=$(sha256sum <"$src" | cut -d' ' -f1)
	assert_eq "sha256 of $2 MB sent over TCP to the guest's $addr" "$sum" "${out%% *}"
}

# vm_tcp_out ADDR: the guest's /tmp/rx back to on-prem's ADDR (through the
# host stack: the return path is not fast), compared by sha256.
vm_tcp_out() {
	local addr=$1 dst=$LAB_DIR/tcp-back lis=TCP4-LISTEN:5202,reuseaddr pid out
	case $addr in *:*) lis=TCP6-LISTEN:5202,reuseaddr ;; esac
	rm -f "$dst"
	ip netns exec "$NS_OP" timeout 30 socat -u "$lis" "CREATE:$dst" &
	pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	wait_for "listener on $addr:5202" 50 sh -c \
		"ip netns exec '$NS_OP' ss -Hltn 'sport = :5202' | grep -q ."
	out=$(vm_cmd 30 "nc $addr 5202 </tmp/rx") ||
		lab_fail "TCP from the guest to $addr: expected the sender to finish, saw: $out"
	wait "$pid" || lab_fail "TCP from the guest to $addr: expected the receiver to finish, saw exit $?"
	assert_eq "sha256 of the guest's /tmp/rx received at $addr" \
		"$(vm_cmd 10 "sha256sum </tmp/rx" | cut -d' ' -f1)" "$(sha256sum <"$dst" | cut -d' ' -f1)"
}

vm3_static_on() {
	assert_ok "port add tap-vm3" fp port add tap-vm3 --peer-mac "$VM3_MAC"
	assert_ok "route add vm3 v4" fp route add "$VM3_IP4/32" dev tap-vm3
	assert_ok "route add vm3 v6" fp route add "$VM3_IP6/128" dev tap-vm3
}

vm3_static_off() {
	assert_ok "route del vm3 v4" fp route del "$VM3_IP4/32"
	assert_ok "route del vm3 v6" fp route del "$VM3_IP6/128"
	assert_ok "port del tap-vm3" fp port del tap-vm3
}

# vm3_mtu N: tap and guest NIC to MTU N, the static port re-added (a
# port's MTU is read when it is added).
vm3_mtu() {
	vm3_static_off
	hns link set dev tap-vm3 mtu "$1"
	vm_cmd 10 "ip link set eth0 mtu $1" >/dev/null || lab_fail "guest: ip link set eth0 mtu $1"
	vm3_static_on
}

route_has() { route_line "$1" | grep -q -- "$2"; }

# ---- cases ----------------------------------------------------------------

# The guest boots and answers the host and, through the gateway, on-prem.
case_boot() {
	local g4 g6
	vm_boot
	ping_from "$NS_HOST" "$VM3_IP4" || lab_fail "ping $VM3_IP4 from the host: expected 3 replies, saw loss"
	ping_from "$NS_HOST" "$VM3_IP6" || lab_fail "ping $VM3_IP6 from the host: expected 3 replies, saw loss"
	g4=$(gw_fwd4) g6=$(gw_fwd6)
	assert_ping "$VM3_IP4" "$VM3_IP6"
	assert_delta "gateway IPv4 forwards to the guest (no fast path yet)" "$g4" "$(gw_fwd4)" 3
	assert_delta "gateway IPv6 forwards to the guest (no fast path yet)" "$g6" "$(gw_fwd6)" 3
	assert_match "guest command line" '^hello 0$' "$(vm_cmd 10 'echo hello $((1 - 1))')"
}

# Static port and routes: pings from on-prem are fast-pathed into the guest.
case_fastpath() {
	lab_require_fp
	assert_ok "fastpath load uplink0" fp load uplink0
	vm3_static_on
	assert_explain "$VM3_IP4" fastpath
	assert_explain "$VM3_IP6" fastpath
	assert_fast "$VM3_IP4" "$VM3_IP6"
}

# Byte-exact TCP: on-prem → guest through the fast path (gateway flat),
# guest → on-prem through the host stack.
case_tcp() {
	local g4 g6 f0
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	vm_tcp_in "$VM3_IP4" 4
	vm_tcp_in "$VM3_IP6" 4
	assert_delta "gateway IPv4 forwards during TCP to the guest" "$g4" "$(gw_fwd4)" 0 0
	assert_delta "gateway IPv6 forwards during TCP to the guest" "$g6" "$(gw_fwd6)" 0 0
	# 8 MB in segments of at most 1448 bytes.
	assert_delta "stats fastpath.packets during TCP to the guest" "$f0" "$(fp_stat fastpath)" 5700
	vm_tcp_out "$OP_IP4"
	vm_tcp_out "$OP_IP6"
}

# Larger than the guest port's MTU: too_big, and on-prem hears frag-needed
# / packet-too-big from the host; what fits stays fast.
case_too_big() {
	local b0 out
	vm3_mtu 1400
	assert_match "port list mtu" '"name":"tap-vm3"[^}]*"mtu":1400' "$(fp --json port list | tr -d ' \n')"
	b0=$(fp_stat too_big)
	out=$(ip netns exec "$NS_OP" ping -c 1 -W 2 -Mdo -s 1420 "$VM3_IP4" 2>&1) || true
	assert_match "ping -Mdo -s 1420 $VM3_IP4" "Frag needed and DF set \(mtu = 1400\)" "$out"
	out=$(ip netns exec "$NS_OP" ping -6 -c 1 -W 2 -Mdo -s 1420 "$VM3_IP6" 2>&1) || true
	assert_match "ping -6 -Mdo -s 1420 $VM3_IP6" "Packet too big: mtu=1400" "$out"
	assert_delta "stats too_big.packets" "$b0" "$(fp_stat too_big)" 2
	ping_from "$NS_OP" "$VM3_IP4" 3 || lab_fail "ping $VM3_IP4 at MTU 1400: expected replies"
	ip netns exec "$NS_OP" ping -q -c 2 -W 2 -Mdo -s 1372 "$VM3_IP4" >/dev/null ||
		lab_fail "ping -Mdo -s 1372 $VM3_IP4 (1400 bytes): expected replies"
	assert_fast "$VM3_IP4" "$VM3_IP6"
	vm3_mtu 1500
}

# sync follows the guest: entries from the host's neighbours; the guest
# changes its MAC (it announces it: arp_notify, ndisc_notify), the host's
# neighbours and then sync's entries follow, and it stays fast.
case_mac_change() {
	local pid
	vm3_static_off
	"$FP" -n "$NS_HOST" --pin-path "$PIN" sync --ports 'tap-*' </dev/null >"$LAB_DIR/sync.log" 2>&1 &
	pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	# The host's neighbour entries from case boot may have aged: refresh.
	ping_from "$NS_HOST" "$VM3_IP4" 1 || true
	ping_from "$NS_HOST" "$VM3_IP6" 1 || true
	wait_for "sync: neighbour entry $VM3_IP4/32" 50 route_has "$VM3_IP4/32" "$VM3_MAC"
	wait_for "sync: neighbour entry $VM3_IP6/128" 50 route_has "$VM3_IP6/128" "$VM3_MAC"
	assert_route "$VM3_IP4/32" tap-vm3 "$VM3_MAC" neighbour
	assert_route "$VM3_IP6/128" tap-vm3 "$VM3_MAC" neighbour
	assert_fast "$VM3_IP4" "$VM3_IP6"

	vm_cmd 10 "ip link set dev eth0 address $VM3_MAC2" >/dev/null ||
		lab_fail "guest: ip link set dev eth0 address $VM3_MAC2"
	wait_for "sync: $VM3_IP4/32 with the new MAC" 100 route_has "$VM3_IP4/32" "$VM3_MAC2"
	wait_for "sync: $VM3_IP6/128 with the new MAC" 100 route_has "$VM3_IP6/128" "$VM3_MAC2"
	assert_route "$VM3_IP4/32" tap-vm3 "$VM3_MAC2" neighbour
	assert_route "$VM3_IP6/128" tap-vm3 "$VM3_MAC2" neighbour
	assert_fast "$VM3_IP4" "$VM3_IP6"
	kill -0 "$pid" || lab_fail "sync daemon: expected running, saw it gone: $(cat "$LAB_DIR/sync.log")"
}

# The guest powers off, QEMU exits, tap-vm3 goes: sync removes the port and
# its entries, and traffic to the guest takes the gateway path and is
# answered (unreachable) instead of vanishing into a dead port.
case_shutdown() {
	local g4 g6 f0 out
	vm_send "poweroff -f"
	wait_for "QEMU exits after poweroff" 100 sh -c "! kill -0 $(vm_qemu_pid)"
	wait_for "tap-vm3 gone" 50 sh -c "! ip -n '$NS_HOST' link show dev tap-vm3"
	wait_for "sync: $VM3_IP4/32 gone" 50 no_route "$VM3_IP4/32"
	wait_for "sync: $VM3_IP6/128 gone" 50 no_route "$VM3_IP6/128"
	out=$(fp --json port list | tr -d ' \n')
	case $out in *'"tap-vm3"'*) lab_fail "port list after tap-vm3 went: expected no tap-vm3, saw $out" ;; esac
	assert_explain "$VM3_IP4" gateway
	assert_explain "$VM3_IP6" gateway
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	out=$(ip netns exec "$NS_OP" ping -c 1 -W 2 "$VM3_IP4" 2>&1) || true
	assert_match "ping $VM3_IP4 with the guest gone" "Unreachable" "$out"
	out=$(ip netns exec "$NS_OP" ping -6 -c 1 -W 2 "$VM3_IP6" 2>&1) || true
	assert_match "ping -6 $VM3_IP6 with the guest gone" "unreachable" "$out"
	assert_delta "gateway IPv4 forwards to the gone guest" "$g4" "$(gw_fwd4)" 1
	assert_delta "gateway IPv6 forwards to the gone guest" "$g6" "$(gw_fwd6)" 1
	assert_delta "stats fastpath.packets to the gone guest" "$f0" "$(fp_stat fastpath)" 0 0
}

# A new guest on a tap of the same name: sync registers it, the host learns
# its neighbours from the first (slow-path) packets, and it is fast again.
case_restart() {
	local accel
	accel=$(sed 's/^accel=\([a-z]*\).*/\1/' "$VM_DIR/accel")
	FASTPATH_VM_ACCEL=$accel vm_boot
	ping_from "$NS_OP" "$VM3_IP4" 5 || lab_fail "ping $VM3_IP4 after restart: expected replies"
	ping_from "$NS_OP" "$VM3_IP6" 5 || lab_fail "ping $VM3_IP6 after restart: expected replies"
	wait_for "sync: $VM3_IP4/32 after restart" 50 route_has "$VM3_IP4/32" "$VM3_MAC"
	wait_for "sync: $VM3_IP6/128 after restart" 50 route_has "$VM3_IP6/128" "$VM3_MAC"
	assert_route "$VM3_IP4/32" tap-vm3 "$VM3_MAC" neighbour
	assert_route "$VM3_IP6/128" tap-vm3 "$VM3_MAC" neighbour
	assert_fast "$VM3_IP4" "$VM3_IP6"
	vm_tcp_in "$VM3_IP4" 4
}

# ---- one lab, one guest, cases in order -----------------------------------

vm_down() {
	local p n
	if [ -n "${LAB_DIR:-}" ] && [ -f "$LAB_DIR/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null || true; done <"$LAB_DIR/pids"
		# QEMU may have been started by a case's subshell: not our child.
		while read -r p; do
			n=50
			while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do
				sleep 0.1
				n=$((n - 1))
			done
		done <"$LAB_DIR/pids"
	fi
	lab_down
}

vm_main() {
	local c last="" run="" rc failed=0 dead="" t0 tc
	for c in "$@"; do
		case " $CASES " in *" $c "*) ;; *)
			echo "unknown case: $c (cases: $CASES)" >&2
			exit 2
			;;
		esac
	done
	for c in $CASES; do
		case " $* " in *" $c "*) last=$c ;; esac
	done
	for c in $CASES; do
		run="$run $c"
		[ "$c" != "$last" ] || break
	done
	vm_require
	trap vm_down EXIT
	trap 'exit 130' INT TERM
	t0=$(date +%s)
	lab_up
	VM_DIR=$LAB_DIR/vm3
	mkdir -p "$VM_DIR"
	export VM_DIR
	for c in $run; do
		echo "== $c"
		if [ -n "$dead" ]; then
			echo "FAIL: $c (not run: $dead failed)"
			failed=$((failed + 1))
			continue
		fi
		tc=$(date +%s)
		set +e
		(
			set -eu
			trap 'exit 130' INT TERM
			"case_$c"
		)
		rc=$?
		set -e
		echo "# $c: $(($(date +%s) - tc)) s"
		case $rc in
		0) echo "PASS: $c" ;;
		"$KSFT_SKIP") echo "SKIP: $c" ;;
		130) exit 130 ;;
		*)
			echo "FAIL: $c"
			failed=$((failed + 1))
			[ "$c" != boot ] || dead=boot
			;;
		esac
	done
	echo "# test_vm.sh: $(($(date +%s) - t0)) s"
	[ "$failed" -eq 0 ]
}

vm_main "$@"
