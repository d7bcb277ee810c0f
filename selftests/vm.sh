#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A QEMU guest in the lab (scripts/vm-image.sh: the Debian kernel,
# virtio-net, busybox), vm3 behind tap-vm3, a tap QEMU opens in the lab's
# host namespace: booted, driven over its second serial line and stopped
# by selftests/test_vm.sh and scripts/demo.sh. Source it after lib.sh; set
# VM_DIR after lab_up. State lives in files under $VM_DIR, since callers
# run cases in subshells.
#
# FASTPATH_VM_ACCEL: auto (default: KVM when /dev/kvm opens and a probe
# boot reaches the guest's init within FASTPATH_VM_KVM_PROBE_SECS, default
# 20; else TCG), tcg, or kvm (forced: fails if the guest does not come
# up). vhost-net is used when /dev/vhost-net opens. Both are reported.
# FASTPATH_VM_BOOT_SECS bounds a boot (default 120).

QEMU=${QEMU:-qemu-system-x86_64}
VM_IMG=${VM_IMG:-$ROOT/build/vm}
VM3_IP4=${VM3_IP4:-198.19.3.10} VM3_IP6=${VM3_IP6:-2001:db8:100:3::10}
VM3_GW4=${VM3_GW4:-198.19.3.1} VM3_GW6=${VM3_GW6:-2001:db8:100:3::1}
VM3_MAC=52:54:00:00:03:10


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
		nap 0.1
	done
}

vm_stop() {
	local p n=50
	p=$(vm_qemu_pid) || return 0
	[ -n "$p" ] || return 0
	kill "$p" 2>/dev/null || true
	while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do
		nap 0.1
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
		nap 0.1
	done
	lab_addr "$NS_HOST" tap-vm3 "$VM3_GW4/24" "$VM3_GW6/64"
}

# vm_boot: start the guest with the chosen accelerator, wait for it,
# report what ran.
vm_boot() {
	local accel=${FASTPATH_VM_ACCEL:-auto} secs=${FASTPATH_VM_BOOT_SECS:-120} note="" t0 t1
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
		nap 0.1
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

# vm_tcp_out ADDR: the guest's /tmp/rx to ADDR in on-prem's namespace
# (by the return path when ADDR has an on-prem entry, else through the
# host's stack), compared by sha256.
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

# vm_down: lab_down, after QEMU is gone: a case's subshell may have started
# it, so it is not our child and lab_down cannot wait for it.
vm_down() {
	if [ -n "${LAB_DIR:-}" ] && [ -f "$LAB_DIR/pids" ]; then
		pids_end "$LAB_DIR/pids" 50
	fi
	lab_down
}
