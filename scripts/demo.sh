#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: build the selftest lab (on-prem, host, gateway, two VMs),
# show the gateway path, switch the fast path on, show it again, and compare
# iperf3 throughput on both paths; then boot a real VM (a QEMU guest with
# virtio-net behind tap-vm3, selftests/vm.sh) and show the fast path into
# it. KEEP=1 leaves the lab up to explore. GUEST=0 leaves the guest out.

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib.sh"
# shellcheck source=selftests/vm.sh
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/vm.sh"
KEEP=${KEEP:-0}
GUEST=${GUEST:-1}
SECS=3

cleanup() {
	local rc=$?
	if [ "$KEEP" = 1 ] && [ -n "${LAB_DIR:-}" ]; then
		explore
	else
		vm_down
	fi
	exit "$rc"
}

explore() {
	local p
	# Only the processes still running: the rest's pids may be reused.
	while read -r p; do
		if kill -0 "$p" 2>/dev/null; then echo "$p"; fi
	done <"$LAB_DIR/pids" >"$LAB_DIR/pids.live"
	mv "$LAB_DIR/pids.live" "$LAB_DIR/pids"
	cat <<EOF

The lab is still up (KEEP=1). Namespaces:
  on-prem $NS_OP   host $NS_HOST   gateway $NS_GW   VMs $NS_VM1 $NS_VM2
Explore:
  $FP -n $NS_HOST --pin-path $PIN route list
  $FP -n $NS_HOST --pin-path $PIN stats
  $FP -n $NS_HOST --pin-path $PIN explain $VM1_IP4
  bpftool map dump pinned $PIN/fp_routes4
  ip netns exec $NS_OP ping $VM1_IP4
Tear down (ends pid $(tr '\n' ' ' <"$LAB_DIR/pids")and deletes the namespaces):
  bash -c '. $ROOT/selftests/lib.sh; lab_reap $LAB_ID'
EOF
}

say() { printf '\n== %s\n' "$*"; }

# iperf_mbps NS ADDR: receiver-side TCP Mbit/s from on-prem to ADDR in NS.
iperf_mbps() {
	local ns=$1 addr=$2
	lab_bg ip netns exec "$ns" timeout $((SECS + 10)) iperf3 -s -1 -B "$addr" -p 5301 \
		>"$LAB_DIR/iperf3-server.log" 2>&1
	wait_for "iperf3 server on $addr" 50 sh -c \
		"ip netns exec '$ns' ss -Hltn 'sport = :5301' | grep -q ."
	ip netns exec "$NS_OP" timeout $((SECS + 10)) iperf3 -c "$addr" -p 5301 -t "$SECS" -f m |
		awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }'
}

pings() {
	local a
	for a in "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"; do
		printf '%-20s ' "$a"
		ip netns exec "$NS_OP" ping -c 3 -i 0.2 -W 1 -q "$a" | tail -n 2 | tr '\n' ' '
		echo
	done
}

counters() {
	echo "gateway forwarded: IPv4 $(gw_fwd4), IPv6 $(gw_fwd6)"
}

# The fast path into a real guest: QEMU reads and writes tap-vm3 with
# virtio-net's vnet header, and the guest's offloads are on. Everything
# here runs in a subshell: a guest that does not come up ends this part
# with its reason, not the demo.
guest() {
	local a
	say "a real VM: a QEMU guest with virtio-net behind tap-vm3"
	if ! command -v "$QEMU" >/dev/null || ! command -v busybox >/dev/null ||
		! "$ROOT/scripts/vm-image.sh" "$VM_IMG" >/dev/null; then
		echo "no guest: QEMU, busybox-static or linux-image-amd64 missing (scripts/deps.sh installs them)"
		return 0
	fi
	VM_DIR=$LAB_DIR/vm3
	mkdir -p "$VM_DIR"
	export VM_DIR
	(
		set -eu
		echo "booting vm3 ($VM3_IP4 $VM3_IP6, $VM3_MAC) ..."
		vm_boot
		echo "through the gateway first:"
		counters
		for a in "$VM3_IP4" "$VM3_IP6"; do
			printf '%-20s ' "$a"
			ip netns exec "$NS_OP" ping -c 3 -i 0.2 -W 2 -q "$a" | tail -n 2 | tr '\n' ' '
			echo
		done
		counters
		fp port add tap-vm3 --peer-mac "$VM3_MAC"
		fp route add "$VM3_IP4/32" dev tap-vm3
		fp route add "$VM3_IP6/128" dev tap-vm3
		fp explain "$VM3_IP4" || true
		echo "fast path into the guest: the gateway's counters stay where they were"
		for a in "$VM3_IP4" "$VM3_IP6"; do
			printf '%-20s ' "$a"
			ip netns exec "$NS_OP" ping -c 3 -i 0.2 -W 2 -q "$a" | tail -n 2 | tr '\n' ' '
			echo
		done
		vm_tcp_in "$VM3_IP4" 4 && echo "4 MB over TCP to the guest's $VM3_IP4: sha256 matches (computed in the guest)"
		vm_tcp_in "$VM3_IP6" 4 && echo "4 MB over TCP to the guest's $VM3_IP6: sha256 matches (computed in the guest)"
		counters
		# virtio-net feature bits the guest driver took (virtio spec
		# 5.1.3): 0 CSUM (it sends partial checksums), 7/8 GUEST_TSO4/6,
		# 11/12 HOST_TSO4/6 (it may send TSO segments).
		a=$(vm_cmd 10 'cat /sys/bus/virtio/devices/virtio0/features')
		echo "the guest's virtio-net offloads: csum=${a:0:1} host_tso4=${a:11:1} host_tso6=${a:12:1} guest_tso4=${a:7:1} guest_tso6=${a:8:1}"
	) || echo "the guest part ended early (above: why); the rest of the demo stands"
}

main() {
	local gw1 gw2 fp1 fp2
	command -v iperf3 >/dev/null || lab_fail "iperf3 is not installed (scripts/deps.sh)"
	if [ ! -x "$FP" ] || [ ! -f "$FP_OBJ" ]; then
		lab_fail "$FP or $FP_OBJ missing: run make first"
	fi
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	say "building the lab"
	lab_up
	echo "on-prem $NS_OP ($OP_IP4) -> host $NS_HOST uplink0 -> gateway $NS_GW -> host -> VMs"
	echo "vm1 $NS_VM1 behind tap-vm1: $VM1_IP4 $VM1_IP6 ($VM1_MAC)"
	echo "vm2 $NS_VM2 behind veth-vm2: $VM2_IP4 $VM2_IP6 ($VM2_MAC)"

	say "gateway path (no fast path): every inbound packet crosses the gateway"
	pings
	counters
	echo "iperf3 -t $SECS through the gateway ..."
	gw1=$(iperf_mbps "$NS_VM1" "$VM1_IP4")
	gw2=$(iperf_mbps "$NS_VM2" "$VM2_IP4")

	say "loading the fast path on uplink0"
	fp load uplink0
	fp port add tap-vm1 --peer-mac "$VM1_MAC"
	fp port add veth-vm2 --peer-mac "$VM2_MAC"
	fp route add "$VM1_IP4/32" dev tap-vm1
	fp route add "$VM1_IP6/128" dev tap-vm1
	fp route add 198.19.2.0/24 dev veth-vm2
	fp route add 2001:db8:100:2::/64 dev veth-vm2
	fp port list
	fp route list
	fp explain "$VM1_IP4" || true

	say "fast path: the gateway's counters stay where they were"
	counters
	pings
	tcp_check "$NS_VM1" "$VM1_IP4" 4 && echo "4 MB over TCP to $VM1_IP4: sha256 matches"
	tcp_check "$NS_VM2" "$VM2_IP6" 4 && echo "4 MB over TCP to $VM2_IP6: sha256 matches"
	counters
	fp stats
	echo "iperf3 -t $SECS through the fast path ..."
	fp1=$(iperf_mbps "$NS_VM1" "$VM1_IP4")
	fp2=$(iperf_mbps "$NS_VM2" "$VM2_IP4")
	counters

	say "throughput, TCP on-prem -> VM (Mbit/s)"
	awk -v a="$gw1" -v b="$fp1" -v c="$gw2" -v d="$fp2" 'BEGIN {
		printf "%-22s %10s %10s %7s\n", "", "gateway", "fastpath", "ratio"
		printf "%-22s %10s %10s %7.2f\n", "vm1 (tap + tapwire)", a, b, (a > 0 ? b / a : 0)
		printf "%-22s %10s %10s %7.2f\n", "vm2 (veth)", c, d, (c > 0 ? d / c : 0) }'
	echo "(vm1's tap is served by a userspace copy loop, which bounds both paths)"
	[ "$GUEST" = 0 ] || guest
}

main "$@"
