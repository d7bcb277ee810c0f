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
# The guest and its accelerator: selftests/vm.sh.

# selftest: once (the guest's loader commands are test_fastpath's and
# test_sync's, which run sanitized: a sanitized run here would boot the
# guest again for no other code)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=selftests/vm.sh
. "$(dirname "${BASH_SOURCE[0]}")/vm.sh"

CASES="boot fastpath tcp upload too_big mac_change shutdown restart"
VM3_MAC2=52:54:00:00:03:11

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
# guest → on-prem's own addresses (connected to uplink0: no on-prem entry)
# through the host stack.
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

# The guest uploads to the on-prem network through the return path
# (fastpath_port on tap-vm3, attached by port add): virtio-net sends with
# its checksum and segmentation offloads on: fastpath_port finishes the
# partial checksums of what it forwards, and a TSO segment bigger than
# the uplink's MTU goes to the host's stack (too_big), which segments
# it. Byte-exact either way, the gateway flat, the host forwarding no
# more than the frames the program handed it (and at least any it could
# not finish, csum_partial); the fast share is reported: fast verdicts /
# every frame the program saw.
case_upload() {
	local t0 f0 c0 h0 g4 g6 all fast part fwd
	lab_onprem
	assert_ok "onprem add v4" fp onprem add "$ONP_NET4" via "$OP_IP4" dev uplink0
	assert_ok "onprem add v6" fp onprem add "$ONP_NET6" via "$OP_IP6" dev uplink0
	t0=$(rp_total) f0=$(rp_stat fastpath) c0=$(rp_stat csum_partial)
	h0=$(($(host_fwd4) + $(host_fwd6))) g4=$(gw_fwd4) g6=$(gw_fwd6)
	vm_tcp_out "$ONP_IP4"
	vm_tcp_out "$ONP_IP6"
	all=$(($(rp_total) - t0)) fast=$(($(rp_stat fastpath) - f0))
	part=$(($(rp_stat csum_partial) - c0)) fwd=$(($(host_fwd4) + $(host_fwd6) - h0))
	log "  guest upload, 2 x 4 MB: fastpath $fast of $all frames on tap-vm3" \
		"($(awk -v f="$fast" -v a="$all" 'BEGIN { printf "%.1f", a ? 100 * f / a : 0 }') % fast)," \
		"csum_partial $part, host forwarded $fwd"
	# 8 MB cannot take fewer frames than 64 KB GSO segments give.
	assert_gt "frames fastpath_port saw during the guest's upload" "$all" 127
	assert_delta "gateway IPv4 forwards during the guest's upload" "$g4" "$(gw_fwd4)" 0 0
	assert_delta "gateway IPv6 forwards during the guest's upload" "$g6" "$(gw_fwd6)" 0 0
	[ "$fwd" -le $((all - fast)) ] ||
		lab_fail "host forwards during the guest's upload: expected at most the $((all - fast)) frames fastpath_port passed, saw $fwd"
	[ "$fwd" -ge "$part" ] ||
		lab_fail "host forwards during the guest's upload: expected at least the $part csum_partial frames, saw $fwd"
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

