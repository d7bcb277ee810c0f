#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: build the selftest lab (on-prem, host, gateway, two VMs),
# show the gateway path, switch the fast path on, show it again, and compare
# iperf3 throughput on both paths. KEEP=1 leaves the lab up to explore.

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../selftests/lib.sh"
KEEP=${KEEP:-0}
SECS=3

cleanup() {
	local rc=$?
	if [ "$KEEP" = 1 ] && [ -n "${LAB_DIR:-}" ]; then
		explore
	else
		lab_down
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
}

main "$@"
