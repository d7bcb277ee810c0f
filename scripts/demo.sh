#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: build the selftest lab (on-prem with a network behind it,
# host, gateway, two VMs), show the gateway path, switch the fast path on,
# show it again in both directions (on-prem -> VM through the uplink's
# program, VM -> on-prem through fastpath_port on the VM ports), and
# compare iperf3 throughput on both paths, download and upload; then boot
# a real VM (a QEMU guest with virtio-net behind tap-vm3, selftests/vm.sh)
# and show the fast path into it and back. KEEP=1 leaves the lab up to
# explore. GUEST=0 leaves the guest out.

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

# iperf_mbps FROM TO ADDR: receiver-side TCP Mbit/s from namespace FROM
# to ADDR in namespace TO. From on-prem it sends from the on-prem
# network's ONP_IP4, so that the VM's ACKs have an on-prem entry (the
# return path) once the fast path is on.
iperf_mbps() {
	local from=$1 to=$2 addr=$3 bind=()
	[ "$from" != "$NS_OP" ] || bind=(-B "$ONP_IP4")
	lab_bg ip netns exec "$to" timeout $((SECS + 10)) iperf3 -s -1 -B "$addr" -p 5301 \
		>"$LAB_DIR/iperf3-server.log" 2>&1
	wait_for "iperf3 server on $addr" 50 sh -c \
		"ip netns exec '$to' ss -Hltn 'sport = :5301' | grep -q ."
	ip netns exec "$from" timeout $((SECS + 10)) iperf3 -c "$addr" "${bind[@]}" -p 5301 -t "$SECS" -f m |
		awk '/receiver/ { for (i = 2; i <= NF; i++) if ($i == "Mbits/sec") print $(i - 1) }'
}

# upload_fast FROM: iperf3 from namespace FROM to on-prem's ONP_IP4 with the
# return path on; prints "MBIT FAST ALL PARTIAL": the port program's fast
# verdicts, every frame it saw meanwhile (the share of the upload that
# went fast) and its csum_partial verdicts.
upload_fast() {
	local t0 f0 c0 mbit
	t0=$(rp_total) f0=$(rp_stat fastpath) c0=$(rp_stat csum_partial)
	mbit=$(iperf_mbps "$1" "$NS_OP" "$ONP_IP4")
	echo "$mbit $(($(rp_stat fastpath) - f0)) $(($(rp_total) - t0)) $(($(rp_stat csum_partial) - c0))"
}

share() { awk -v f="$1" -v a="$2" 'BEGIN { printf "%.1f %%", a ? 100 * f / a : 0 }'; }

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

# The host's own forwarding (the return direction's slow path) and the
# port program's verdicts.
ret_counters() {
	echo "host forwarded: IPv4 $(host_fwd4), IPv6 $(host_fwd6);" \
		"fastpath_port: fastpath $(rp_stat fastpath), csum_partial $(rp_stat csum_partial), all $(rp_total)"
}

ret_pings() {
	local vm ns a
	for vm in vm1 vm2; do
		ns=$NS_VM1
		[ "$vm" = vm1 ] || ns=$NS_VM2
		for a in "$ONP_IP4" "$ONP_IP6"; do
			printf '%s -> %-16s ' "$vm" "$a"
			ip netns exec "$ns" ping -c 3 -i 0.2 -W 1 -q "$a" | tail -n 2 | tr '\n' ' '
			echo
		done
	done
}

# The return direction: pings from both VMs and byte-exact TCP from vm1
# (its tap is written by tapwire: finished checksums) to the on-prem
# network, with the host's and the gateway's forwarding flat.
return_path() {
	say "return path: VM -> on-prem through fastpath_port on the VM ports"
	fp onprem list
	ret_counters
	assert_flat "pings VM -> on-prem" ret_pings
	assert_flat "TCP vm1 -> on-prem" tcp_flow "$NS_VM1" "$NS_OP" "$ONP_IP4" 4
	echo "4 MB over TCP from vm1 to on-prem's $ONP_IP4: sha256 matches, host and gateway forwarded nothing"
	assert_flat "TCP vm1 -> on-prem" tcp_flow "$NS_VM1" "$NS_OP" "$ONP_IP6" 4
	echo "4 MB over TCP from vm1 to on-prem's $ONP_IP6: sha256 matches, host and gateway forwarded nothing"
	ret_counters
	counters
	fp stats
}

# The fast path into a real guest: QEMU reads and writes tap-vm3 with
# virtio-net's vnet header, and the guest's offloads are on. Everything
# here runs in a subshell: a guest that does not come up ends this part
# with its reason, not the demo.
guest() {
	local a t0 f0 c0
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
		# Mirrored by sync in production; the demo's VMs are static.
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
		echo "and back: the guest uploads to on-prem's $ONP_IP4 through fastpath_port on tap-vm3"
		t0=$(rp_total) f0=$(rp_stat fastpath) c0=$(rp_stat csum_partial)
		vm_tcp_out "$ONP_IP4" && echo "4 MB over TCP from the guest to $ONP_IP4: sha256 matches"
		f0=$(($(rp_stat fastpath) - f0)) t0=$(($(rp_total) - t0)) c0=$(($(rp_stat csum_partial) - c0))
		echo "the guest's upload: $f0 of $t0 frames fast ($(share "$f0" "$t0")), $c0 csum_partial (to the host's stack)"
		ret_counters
		# virtio-net feature bits the guest driver took (virtio spec
		# 5.1.3): 0 CSUM (it sends partial checksums), 7/8 GUEST_TSO4/6,
		# 11/12 HOST_TSO4/6 (it may send TSO segments).
		a=$(vm_cmd 10 'cat /sys/bus/virtio/devices/virtio0/features')
		echo "the guest's virtio-net offloads: csum=${a:0:1} host_tso4=${a:11:1} host_tso6=${a:12:1} guest_tso4=${a:7:1} guest_tso6=${a:8:1}"
	) || echo "the guest part ended early (above: why); the rest of the demo stands"
}

main() {
	local gw1 gw2 fp1 fp2 st1 st2 up1 up2
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
	lab_onprem
	echo "on-prem network $ONP_NET4 $ONP_NET6 behind op0: the host routes it via $OP_IP4 / $OP_IP6 out of uplink0"

	say "gateway path (no fast path): every inbound packet crosses the gateway"
	pings
	counters
	echo "iperf3 -t $SECS through the gateway ..."
	gw1=$(iperf_mbps "$NS_OP" "$NS_VM1" "$VM1_IP4")
	gw2=$(iperf_mbps "$NS_OP" "$NS_VM2" "$VM2_IP4")
	echo "iperf3 -t $SECS VM -> on-prem through the host's stack (no XDP on the VM ports yet) ..."
	st1=$(iperf_mbps "$NS_VM1" "$NS_OP" "$ONP_IP4")
	st2=$(iperf_mbps "$NS_VM2" "$NS_OP" "$ONP_IP4")

	say "loading the fast path on uplink0"
	fp load uplink0
	fp port add tap-vm1 --peer-mac "$VM1_MAC"
	fp port add veth-vm2 --peer-mac "$VM2_MAC"
	fp route add "$VM1_IP4/32" dev tap-vm1
	fp route add "$VM1_IP6/128" dev tap-vm1
	fp route add 198.19.2.0/24 dev veth-vm2
	fp route add 2001:db8:100:2::/64 dev veth-vm2
	fp onprem add "$ONP_NET4" via "$OP_IP4" dev uplink0
	fp onprem add "$ONP_NET6" via "$OP_IP6" dev uplink0
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
	fp1=$(iperf_mbps "$NS_OP" "$NS_VM1" "$VM1_IP4")
	fp2=$(iperf_mbps "$NS_OP" "$NS_VM2" "$VM2_IP4")
	counters
	return_path
	echo "iperf3 -t $SECS VM -> on-prem through the return path ..."
	up1=$(upload_fast "$NS_VM1")
	up2=$(upload_fast "$NS_VM2")
	ret_counters

	say "throughput, TCP (Mbit/s), gateway or host stack vs fast path, one run"
	awk -v a="$gw1" -v b="$fp1" -v c="$gw2" -v d="$fp2" -v e="$st1" -v u1="$up1" \
		-v g="$st2" -v u2="$up2" 'BEGIN {
		split(u1, f, " "); split(u2, h, " ")
		printf "%-32s %9s %9s %6s  %s\n", "", "slow path", "fastpath", "ratio",
			"upload: fast share (fast / all port frames; csum_partial)"
		printf "%-32s %9s %9s %6.2f\n", "download on-prem -> vm1 (tap)", a, b, (a > 0 ? b / a : 0)
		printf "%-32s %9s %9s %6.2f\n", "download on-prem -> vm2 (veth)", c, d, (c > 0 ? d / c : 0)
		printf "%-32s %9s %9s %6.2f  %.1f %% (%d / %d; %d)\n", "upload vm1 (tap) -> on-prem", e, f[1],
			(e > 0 ? f[1] / e : 0), (f[3] > 0 ? 100 * f[2] / f[3] : 0), f[2], f[3], f[4]
		printf "%-32s %9s %9s %6.2f  %.1f %% (%d / %d; %d)\n", "upload vm2 (veth) -> on-prem", g, h[1],
			(g > 0 ? h[1] / g : 0), (h[3] > 0 ? 100 * h[2] / h[3] : 0), h[2], h[3], h[4] }'
	echo "slow path: download through the gateway, upload forwarded by the host's stack;"
	echo "fast path: the uplink's program in, fastpath_port on the VM port out (the downloads' ACKs too)."
	echo "vm2's veth sends with checksum offload on: fastpath_port finishes the partial checksums"
	echo "(csum_partial counts any it cannot). Any XDP program on veth-vm2 turns vm2's TSO off, so"
	echo "vm2 segments its upload itself and every MTU-sized frame is forwarded one by one, where the"
	echo "host's stack, with no XDP there, forwards 64 KB TSO frames: the veth upload's ratio is that."
	echo "(vm1's tap is served by a userspace copy loop, which bounds both paths)"
	[ "$GUEST" = 0 ] || guest
}

main "$@"
