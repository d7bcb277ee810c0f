#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: DESIGN.md "Performance method".
#   tier 1, cost per packet (tests/bench_pkt.c): build/bench/tier1.{json,png}
#   tier 2, packets per second end to end through the selftest lab
#           (tests/bench_e2e.c): build/bench/tier2.{json,png}, on-prem ->
#           VM and (its "return" rows) VM -> on-prem through the VM port
# Each prints a markdown table. QUICK=1: tier 1 without 1M routes, tier 2
# with 3 rounds of 0.25 s per arm. TIER=1 or TIER=2 runs one of them.
# FINE=1: tier 1 as 201 short rounds (bench_pkt --fine), whose least
# round per arm resolves 1 ns where the median of a noisy machine cannot.
# PROFILE=1 adds tier 2's BPF run time per program (slower figures), and
# goal 2's lines: each arm's median and least round; ROUNDS=N (3..15) and
# SECS=S (0.1..10) set tier 2's rounds per arm and seconds per run (e.g.
# ROUNDS=15 SECS=0.1: the least of many short rounds, as FINE=1 for tier 1);
# FAST_LOAD_ARGS="..." passes options to its fastpath arm's load (A/B).
# GUEST=0 leaves tier 2's qemu target out: a QEMU guest (selftests/vm.sh,
# KVM or TCG as it finds) behind tap-vm3, whose reader is QEMU and whose
# deliveries the guest itself counts; on by default when QEMU is there.
# VLAN=[S/]C: tier 1's frames all carry that tag (S: an 802.1ad outer
# tag) on a trunk uplink; tier 2's fastpath-vlan arm uses it (default
# 100; VLAN=none leaves that arm out).
# NAPI=softirq (default): the generator's CPU also receives, forwards and
# delivers. NAPI=threaded: uplink0's and the veth VM's NAPI as kthreads
# pinned to CPU 1 (NAPI_CPU, NAPI_VM_CPU; "none" leaves the VM's alone),
# as a NIC receives on its own CPU. Not the default: through veth it cuts
# every arm 2-5x (the generator's ring overflows, frames and their pages
# cross CPUs), so it measures the handoff, not the programs.
# Exit non-zero when a tier's own checks fail (tier 2: the fast-path arm's
# books do not balance, or an arm's frames took another path); a missed
# goal is reported, not failed.
set -eu

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/build/bench
quick=()
if [ "${QUICK:-0}" = 1 ]; then
	quick=(--quick)
fi
mkdir -p "$out"

have_gnuplot() {
	command -v gnuplot >/dev/null && return 0
	echo "bench: no gnuplot, no plot (scripts/deps.sh installs it)"
	return 1
}

tier1() {
	local vlan=()
	if [ -n "${VLAN:-}" ] && [ "$VLAN" != none ]; then
		vlan=(--vlan "$VLAN")
	fi
	"$root/build/bench_pkt" --out "$out" "${quick[@]}" "${vlan[@]}"
	# What a dependent read costs once a table outgrows the caches: the
	# floor under the large-table rows above.
	echo
	"$root/build/bench_memlat" --max-mib "$([ "${QUICK:-0}" = 1 ] && echo 64 || echo 256)"
	have_gnuplot || return 0
	# One panel per family and scenario; blocks in tier1.dat follow that
	# order. The fib arm has no exclusion figures: gnuplot's warning
	# about it is noise.
	gnuplot 2> >(grep -v 'no valid points' >&2) <<PLOT
set terminal pngcairo size 1600,800 font ",9"
set output "$out/tier1.png"
set multiplot layout 2,4 title "cost per packet (BPF\\\\_PROG\\\\_TEST\\\\_RUN), median ns, 64-byte frames"
set logscale x
set xlabel "routes installed"
set ylabel "ns/packet"
set key top left
set yrange [0:*]
set datafile missing "NaN"
names = "ipv4-host ipv4-prefix ipv4-exclusion ipv4-miss ipv6-host ipv6-prefix ipv6-exclusion ipv6-miss"
do for [i=0:7] {
	set title word(names, i + 1)
	plot "$out/tier1.dat" index i using 1:5 with linespoints title "fastpath", \
	     "" index i using 1:4 with linespoints title "fib", \
	     "" index i using 1:3 with linespoints title "limit", \
	     "" index i using 1:2 with linespoints title "empty (wrapper)"
}
unset multiplot
PLOT
	echo "plot: $out/tier1.png"
}

# napi_thread NS DEV CPU: DEV's NAPI polled by a kthread pinned to CPU.
# Kthread names hold no namespace and are cut at 15 characters, so ours
# are the napi/DEV-* threads that the switch created.
napi_thread() {
	local ns=$1 dev=$2 cpu=$3 before pid n=0
	before=$(pgrep "^napi/$dev-" | sort || true)
	ip netns exec "$ns" sh -c "echo 1 > /sys/class/net/$dev/threaded"
	for pid in $(pgrep "^napi/$dev-" | sort); do
		grep -qx "$pid" <<<"$before" && continue
		taskset -pc "$cpu" "$pid" >/dev/null
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || {
		echo "bench: $dev: no NAPI kthread appeared" >&2
		return 1
	}
}

# Tier 2 runs in the selftest lab; its trap removes the namespaces and
# pins whatever happens. The driver makes (and owns) its own tap.
# guest_up: boot the QEMU guest for tier 2's qemu target and write
# $LAB_DIR/guest-rx, the command that prints what it received of the
# generator's frames (UDP to port 9, where it has no listener: NoPorts).
# Not fatal: without QEMU, or a guest that does not boot, no qemu rows.
guest_up() {
	if ! command -v "$QEMU" >/dev/null || ! "$root/scripts/vm-image.sh" "$VM_IMG" >/dev/null; then
		echo "bench: no qemu target (QEMU or the guest image missing: scripts/deps.sh)" >&2
		return 1
	fi
	VM_DIR=$LAB_DIR/vm3
	mkdir -p "$VM_DIR"
	export VM_DIR
	if ! (vm_boot) >&2; then
		echo "bench: no qemu target (the guest did not boot)" >&2
		return 1
	fi
	# Permanent, like vm2's: no ND in the timed runs; the fib arm's MAC.
	hns neigh replace "$VM3_IP4" lladdr "$VM3_MAC" dev tap-vm3 nud permanent
	hns -6 neigh replace "$VM3_IP6" lladdr "$VM3_MAC" dev tap-vm3 nud permanent
	printf '%s\n' '#!/bin/bash' \
		". '$root/selftests/lib.sh'" ". '$root/selftests/vm.sh'" \
		"VM_DIR='$VM_DIR'" \
		"vm_cmd 10 \"awk '/^Udp: [0-9]/ { n += \\\$3 } /^Udp6NoPorts/ { n += \\\$2 } END { print n + 0 }' /proc/net/snmp /proc/net/snmp6\"" \
		>"$LAB_DIR/guest-rx"
	chmod +x "$LAB_DIR/guest-rx"
	"$LAB_DIR/guest-rx" >/dev/null
}

tier2() {
	local rc=0 extra=("${quick[@]}")
	if [ "${PROFILE:-0}" = 1 ]; then
		extra+=(--profile)
	fi
	if [ -n "${ROUNDS:-}" ]; then
		extra+=(--rounds "$ROUNDS")
	fi
	if [ -n "${SECS:-}" ]; then
		extra+=(--secs "$SECS")
	fi
	if [ -n "${FAST_LOAD_ARGS:-}" ]; then
		extra+=(--fast-load-args "$FAST_LOAD_ARGS")
	fi
	if [ -n "${VLAN:-}" ]; then
		extra+=(--vlan "$VLAN")
	fi
	# shellcheck source=selftests/lib.sh
	. "$root/selftests/lib.sh"
	# The guest's subnet: the tap target has 198.19.3.0/24 (the gateway
	# routes all of 198.19.0.0/16 and 2001:db8:100::/48 to the host).
	VM3_IP4=198.19.4.10 VM3_IP6=2001:db8:100:4::10
	VM3_GW4=198.19.4.1 VM3_GW6=2001:db8:100:4::1
	# shellcheck source=selftests/vm.sh
	. "$root/selftests/vm.sh"
	lab_require_fp
	trap vm_down EXIT
	trap 'exit 130' INT TERM
	LAB_ID=bench-$$-$RANDOM
	lab_up
	# The gateway arm has no XDP program on uplink0: frames redirected
	# into a veth need NAPI on it, which GRO gives.
	ip netns exec "$NS_HOST" ethtool -K uplink0 gro on >/dev/null
	case ${NAPI:-softirq} in
	threaded)
		# The VM's eth0 gets its NAPI now (GRO) rather than when
		# the sink attaches, so that its kthread exists to pin.
		ip netns exec "$NS_VM2" ethtool -K eth0 gro on >/dev/null
		napi_thread "$NS_HOST" uplink0 "${NAPI_CPU:-1}"
		[ "${NAPI_VM_CPU:-1}" = none ] ||
			napi_thread "$NS_VM2" eth0 "${NAPI_VM_CPU:-1}"
		extra+=(--napi threaded)
		;;
	softirq) extra+=(--napi softirq) ;;
	*)
		echo "bench: NAPI=${NAPI}: threaded or softirq" >&2
		return 1
		;;
	esac
	# Permanent neighbours: no ARP/ND in the timed runs, and the fib
	# arm's bpf_fib_lookup() finds the MAC.
	hns neigh replace "$VM2_IP4" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	hns -6 neigh replace "$VM2_IP6" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	# The return direction: vm2 sends to the on-prem network, which the
	# host routes out of uplink0 (its next hop permanent: the fib arm's
	# MAC); veth-vm2 needs NAPI for its stack arm, which has no XDP.
	lab_onprem
	ip netns exec "$NS_HOST" ethtool -K veth-vm2 gro on >/dev/null
	extra+=(--up-dst4 "$ONP_IP4" --up-dst6 "$ONP_IP6" --up-via4 "$OP_IP4" --up-via6 "$OP_IP6")
	if [ "${GUEST:-1}" != 0 ] && guest_up; then
		extra+=(--qemu-tap tap-vm3 --qemu-mac "$VM3_MAC" --qemu-dst4 "$VM3_IP4"
			--qemu-dst6 "$VM3_IP6" --qemu-rx "$LAB_DIR/guest-rx")
	fi
	"$root/build/bench_e2e" --op "$NS_OP" --host "$NS_HOST" --gw "$NS_GW" \
		--vm "$NS_VM2" --vm-mac "$VM2_MAC" --dst4 "$VM2_IP4" --dst6 "$VM2_IP6" \
		--fp "$FP" --pin-path "$PIN" --out "$out" "${extra[@]}" || rc=$?
	vm_down
	trap - EXIT
	[ "$rc" -eq 0 ] || return "$rc"
	have_gnuplot || return 0
	gnuplot <<PLOT
set terminal pngcairo size 1200,600 font ",9"
set output "$out/tier2.png"
set title "end to end, packets per second delivered (median of interleaved rounds)"
set style data histogram
set style histogram cluster gap 1
set style fill solid border -1
set boxwidth 0.9
set ylabel "Mpps"
set yrange [0:*]
set xtics rotate by -30
set key top right
plot "$out/tier2.dat" using 2:xtic(1) title "limit", "" using 6 title "floor", \
     "" using 3 title "fastpath", "" using 7 title "fastpath-vlan", \
     "" using 8 title "floor-vlan", "" using 5 title "fib", \
     "" using 4 title "gateway"
PLOT
	echo "plot: $out/tier2.png"
}

case ${TIER:-all} in
1) tier1 ;;
2) tier2 ;;
*)
	tier1
	tier2
	;;
esac
