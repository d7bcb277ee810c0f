#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the fast path in the DESIGN.md lab (selftests/lib.sh).
# Each case gets a fresh lab, torn down by its own trap even on failure.
# Usage: test_fastpath.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="gateway_path fastpath compressed_plies exclusion ttl_one too_big runt_frame stats_live unload ip_link_attach bad_input gateway_port wide_routes wide_routes_sync"
# Where iproute2 pins LIBBPF_PIN_BY_NAME maps of an XDP object: xdp/globals
# on iproute2 6.1 (its own directory there), tc/globals on others.
IP_PIN_DIRS="/sys/fs/bpf/xdp/globals /sys/fs/bpf/tc/globals"

# Ports for both VMs and one fast route per VM and family.
fast_ports_routes() {
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC"
	assert_ok "route add vm1 v4" fp route add "$VM1_IP4/32" dev tap-vm1
	assert_ok "route add vm1 v6" fp route add "$VM1_IP6/128" dev tap-vm1
	assert_ok "route add vm2 v4" fp route add 198.19.2.0/24 dev veth-vm2
	assert_ok "route add vm2 v6" fp route add 2001:db8:100:2::/64 dev veth-vm2
}

fast_setup() {
	lab_require_fp
	assert_ok "fastpath load uplink0" fp load uplink0
	fast_ports_routes
}

# a. Without the fast path every inbound packet crosses the gateway.
case_gateway_path() {
	local g4 g6 g4b g6b
	g4=$(gw_fwd4) g6=$(gw_fwd6)
	assert_ping "$VM1_IP4" "$VM2_IP4" "$VM1_IP6" "$VM2_IP6"
	g4b=$(gw_fwd4) g6b=$(gw_fwd6)
	assert_delta "gateway IPv4 forwards" "$g4" "$g4b" 6
	assert_delta "gateway IPv6 forwards" "$g6" "$g6b" 6
	tcp_check "$NS_VM1" "$VM1_IP4" 1
}

# b. Fast path to a tap and a veth, IPv4 and IPv6, ping and TCP.
case_fastpath() {
	local g4 g6 f0 g4b g6b f1
	fast_setup
	assert_fast "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	tcp_check "$NS_VM1" "$VM1_IP4" 4
	tcp_check "$NS_VM1" "$VM1_IP6" 4
	tcp_check "$NS_VM2" "$VM2_IP4" 4
	tcp_check "$NS_VM2" "$VM2_IP6" 4
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) f1=$(fp_stat fastpath)
	assert_delta "gateway IPv4 forwards during TCP" "$g4" "$g4b" 0 0
	assert_delta "gateway IPv6 forwards during TCP" "$g6" "$g6b" 0 0
	# 16 MB in segments of at most 1448 bytes.
	assert_delta "stats fastpath.packets during TCP" "$f0" "$f1" 11000
}

# b2. The same over compressed last plies (maps/fastpath.h), forced from
# the first ply on: status counts the nodes, packets take them.
case_compressed_plies() {
	local st
	export FASTPATH_CPLY_MIN=0
	fast_setup
	st=$(fp status --json | tr -d ' \n')
	assert_match "status --json: fp_cidx4 names compressed nodes" \
		'"name":"fp_cidx4","entries":[1-9]' "$st"
	assert_match "status --json: fp_cpool4 words in use" \
		'"name":"fp_cpool4","entries":[1-9]' "$st"
	assert_fast "$VM1_IP4" "$VM2_IP4"
	tcp_check "$NS_VM1" "$VM1_IP4" 4
	tcp_check "$NS_VM2" "$VM2_IP4" 4
	unset FASTPATH_CPLY_MIN
}

# c. An exclusion sends its prefix to the gateway; the rest stays fast.
case_exclusion() {
	local g4 x0 g4b x1 list
	fast_setup
	assert_ok "exclude add" fp exclude add "$VM2_PL4/32" --class private-link
	list=$(fp exclude list --json)
	assert_match "exclude list --json" "\"$VM2_PL4/32\".*\"private-link\"" "$(printf '%s' "$list" | tr -d '\n')"
	g4=$(gw_fwd4) x0=$(fp_stat excluded)
	assert_ping "$VM2_PL4"
	g4b=$(gw_fwd4) x1=$(fp_stat excluded)
	assert_delta "gateway IPv4 forwards to excluded $VM2_PL4" "$g4" "$g4b" 3
	assert_delta "stats excluded.packets" "$x0" "$x1" 3
	assert_fast "$VM2_IP4"
}

# d. TTL / hop limit 1 is passed to the kernel, which answers.
case_ttl_one() {
	local t0 t1 out
	fast_setup
	t0=$(fp_stat ttl_expired)
	out=$(ip netns exec "$NS_OP" ping -c 1 -W 1 -t 1 "$VM1_IP4" 2>&1) || true
	assert_match "ping -t 1 $VM1_IP4" "From $UP_IP4 .*Time to live exceeded" "$out"
	out=$(ip netns exec "$NS_OP" ping -6 -c 1 -W 1 -t 1 "$VM1_IP6" 2>&1) || true
	assert_match "ping -6 -t 1 $VM1_IP6" "From $UP_IP6 .*Time exceeded" "$out"
	t1=$(fp_stat ttl_expired)
	assert_delta "stats ttl_expired.packets" "$t0" "$t1" 2
}

# Larger than the port's MTU: passed to the kernel, which answers on-prem
# with frag-needed / packet-too-big, as the gateway path would.
case_too_big() {
	local b0 b1 out
	lab_require_fp
	ip -n "$NS_HOST" link set dev tap-vm1 mtu 1400
	ip -n "$NS_VM1" link set dev eth0 mtu 1400
	fast_setup
	assert_match "port list mtu" '"name":"tap-vm1"[^}]*"mtu":1400' "$(fp --json port list)"
	b0=$(fp_stat too_big)
	out=$(ip netns exec "$NS_OP" ping -c 1 -W 2 -Mdo -s 1420 "$VM1_IP4" 2>&1) || true
	assert_match "ping -Mdo -s 1420 $VM1_IP4" "Frag needed and DF set \(mtu = 1400\)" "$out"
	out=$(ip netns exec "$NS_OP" ping -6 -c 1 -W 2 -Mdo -s 1420 "$VM1_IP6" 2>&1) || true
	assert_match "ping -6 -Mdo -s 1420 $VM1_IP6" "Packet too big: mtu=1400" "$out"
	b1=$(fp_stat too_big)
	assert_delta "stats too_big.packets" "$b0" "$b1" 2
	# Just below the MTU it stays fast.
	assert_ok "ping -s 1372 $VM1_IP4" ip netns exec "$NS_OP" ping -c 1 -W 2 -Mdo -s 1372 "$VM1_IP4"
}

# Runts through an AF_PACKET socket on the on-prem side. The kernel will
# not send an Ethernet frame shorter than its 14-byte header (EINVAL), so
# nothing shorter can reach XDP here; a header-only IPv4 frame does, and is
# dropped and counted as malformed, and the fast path goes on working.
case_runt_frame() {
	local m0 m1 rc=0
	fast_setup
	m0=$(fp_stat malformed)
	ip netns exec "$NS_OP" "$PYTHON" -c '
import errno, socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("op0", 0))
hdr = bytes.fromhex(sys.argv[1].replace(":", "")) + bytes.fromhex("020000000001")
try:
    s.send(hdr + b"\x08")
    sys.exit(3)
except OSError as e:
    if e.errno != errno.EINVAL:
        raise
s.send(hdr + b"\x08\x00")
' "$(ns_mac "$NS_HOST" uplink0)" || rc=$?
	[ "$rc" -ne 3 ] || lab_fail "13-byte frame: expected EINVAL from the kernel, saw it sent"
	[ "$rc" -eq 0 ] || lab_fail "AF_PACKET runts: expected exit 0, saw $rc"
	for _ in $(seq 20); do
		m1=$(fp_stat malformed)
		[ "$m1" -le "$m0" ] || break
		nap 0.1
	done
	assert_delta "stats malformed.packets after a 14-byte frame" "$m0" "$m1" 1 1
	assert_fast "$VM1_IP4"
}

# stats --interval: a live rate per reason while traffic flows; and the
# Prometheus textfile, rewritten atomically, with the same counters.
case_stats_live() {
	local out prom=$LAB_DIR/fastpath.prom pid n
	fast_setup
	"$FP" -n "$NS_HOST" --pin-path "$PIN" stats --interval 0.5 >"$LAB_DIR/rates" 2>&1 &
	pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	ip netns exec "$NS_OP" ping -q -c 20 -i 0.05 "$VM1_IP4" >/dev/null 2>&1 || true
	sleep 0.6
	kill -INT "$pid"
	wait "$pid" || lab_fail "stats --interval after SIGINT: expected exit 0"
	out=$(cat "$LAB_DIR/rates")
	assert_match "stats --interval rates" "^fastpath +[0-9]+ pps +[0-9]+ bit/s" "$out"
	assert_ok "stats --prometheus --output" fp stats --prometheus --output "$prom"
	[ ! -e "$prom.tmp" ] || lab_fail "prometheus textfile: expected no $prom.tmp left, saw one"
	n=$(awk '/^fastpath_packets_total\{reason="fastpath"\}/ { print $2 }' "$prom")
	assert_eq "prometheus fastpath packets" "$(fp_stat fastpath)" "$n"
	assert_eq "prometheus samples" "$(($(fp stats --json | grep -o '"packets"' | wc -l) * 2))" \
		"$(grep '^fastpath_[a-z_]*_total{' "$prom" | grep -vc '^fastpath_verify_')"
}

# e. Unload gives the traffic back to the gateway.
case_unload() {
	local g4 g6 g4b g6b
	fast_setup
	assert_fast "$VM1_IP4" "$VM2_IP6"
	assert_ok "fastpath unload uplink0" fp unload uplink0
	if ip -n "$NS_HOST" -d link show dev uplink0 | grep -q 'prog/xdp'; then
		lab_fail "after unload: expected no XDP on uplink0, saw $(ip -n "$NS_HOST" -d link show dev uplink0 | grep prog/xdp)"
	fi
	g4=$(gw_fwd4) g6=$(gw_fwd6)
	assert_ping "$VM1_IP4" "$VM2_IP4" "$VM1_IP6" "$VM2_IP6"
	g4b=$(gw_fwd4) g6b=$(gw_fwd6)
	assert_delta "gateway IPv4 forwards after unload" "$g4" "$g4b" 6
	assert_delta "gateway IPv6 forwards after unload" "$g6" "$g6b" 6
}

ip_link_cleanup() {
	local d
	nsenter --net="/run/netns/$NS_HOST" ip link set dev uplink0 xdp off 2>/dev/null || true
	for d in $IP_PIN_DIRS; do rm -f "$d"/fp_*; done
}

# f. `ip link ... xdp obj` attach, maps filled through iproute2's pins.
case_ip_link_attach() {
	local out d
	lab_require_fp
	command -v nsenter >/dev/null || lab_skip "missing tool: nsenter"
	# iproute2's pin directories are shared: one lab at a time, and
	# never over someone else's maps.
	exec 9>/run/lock/fastpath-ip-globals.lock
	flock -w 60 9 || lab_skip "iproute2 pin directory busy (lock held by another run)"
	for d in $IP_PIN_DIRS; do
		if compgen -G "$d/fp_*" >/dev/null; then
			lab_skip "$d already holds fp_* maps (another user, or a stale run: remove them)"
		fi
	done
	trap 'ip_link_cleanup; lab_down' EXIT
	out=$(nsenter --net="/run/netns/$NS_HOST" ip link set dev uplink0 xdp \
		obj "$FP_OBJ" sec xdp 2>&1) ||
		lab_fail "ip link set uplink0 xdp obj: expected exit 0, saw $?: $out"
	PIN=
	for d in $IP_PIN_DIRS; do
		if [ -e "$d/fp_routes4" ]; then
			PIN=$d
			break
		fi
	done
	[ -n "$PIN" ] || lab_fail "ip link attach: expected fp_* maps pinned in one of $IP_PIN_DIRS, saw none"
	assert_ok "uplink add uplink0 (maps in $PIN)" fp uplink add uplink0
	fast_ports_routes
	assert_fast "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"
}

# g. Bad input is refused with a clear error and changes nothing.
case_bad_input() {
	local before after
	fast_setup
	before=$(fp route list --json)
	assert_match "route list --json before" "\"$VM1_IP4/32\"" "$before"
	# Refused operations on well-formed arguments: runtime errors (1).
	expect_reject "route to an interface that is no port" 1 route add 198.19.9.0/24 dev gw0
	expect_reject "route to a missing interface" 1 route add 198.19.9.0/24 dev nosuch0
	expect_reject "duplicate route" 1 route add "$VM1_IP4/32" dev tap-vm1
	expect_reject "port add of a missing interface" 1 port add nosuch0
	# Malformed arguments: usage errors (2), whatever the command.
	expect_reject "malformed IPv4 address" 2 route add 198.19.1.300/32 dev tap-vm1
	expect_reject "IPv4 prefix length 33" 2 route add 198.19.1.0/33 dev tap-vm1
	expect_reject "IPv6 prefix length 129" 2 route add 2001:db8:100:1::/129 dev tap-vm1
	expect_reject "prefix length with a leading zero" 2 route add 198.19.9.0/024 dev tap-vm1
	expect_reject "host bits set" 2 route add 198.19.9.1/24 dev tap-vm1
	expect_reject "malformed lladdr" 2 route add 198.19.9.0/24 dev tap-vm1 lladdr 02:00:00:00:00
	expect_reject "multicast lladdr" 2 route add 198.19.9.0/24 dev tap-vm1 lladdr 01:00:5e:00:00:01
	expect_reject "malformed exclusion" 2 exclude add 198.19.9.0/33
	expect_reject "unknown class" 2 exclude add 198.19.9.0/24 --class nosuch
	expect_reject "route del of a malformed prefix" 2 route del 198.19.9.0/024
	expect_reject "malformed --peer-mac" 2 port add tap-vm1 --peer-mac 02:00:00:00:00:0g
	expect_reject "explain a malformed address" 2 explain 198.19.1
	expect_reject "route without dev" 2 route add 198.19.9.0/24
	expect_reject "--peer-mac twice" 2 port add veth-vm2 --peer-mac "$VM2_MAC" --peer-mac 02:00:00:00:00:02
	expect_reject "--class twice" 2 exclude add 198.19.9.0/24 --class peering --class udr
	expect_reject "--pin-path twice" 2 --pin-path "$PIN" route list
	expect_reject "--interval ' 1'" 2 stats --interval " 1"
	expect_reject "--interval 0x1" 2 stats --interval 0x1
	expect_reject "--table 0x1" 2 sync --once --table 0x1
	expect_reject "--table ' 1'" 2 sync --once --table " 1"
	expect_reject "--count 0x1" 2 capture -w "$LAB_DIR/x.pcap" --count 0x1
	expect_reject "--mode bogus" 2 load uplink0 --mode bogus
	expect_reject "16-character port name" 2 port add abcdefghijklmnop
	expect_reject "16-character route dev" 2 route add 198.19.9.0/24 dev abcdefghijklmnop
	expect_reject "16-character uplink" 2 load abcdefghijklmnop
	assert_match "16-character name: the reason" "name too long \(15 at most\)" \
		"$(fp port add abcdefghijklmnop 2>&1)"
	after=$(fp route list --json)
	assert_eq "route list --json after rejected commands" "$before" "$after"
	assert_match "port list after rejected commands" "\"peer_mac\": *\"$VM2_MAC\"" \
		"$(fp port list --json | tr -d '\n')"
	[ ! -e "$LAB_DIR/x.pcap" ] || lab_fail "capture with a malformed --count: expected no file, saw $LAB_DIR/x.pcap"
}

# h. With a gateway port, misses and exclusions are redirected to the
# gateway (the host no longer routes them there itself) and fast routes stay fast.
case_gateway_port() {
	local g4 g6 h4 h6 m0 x0 g4b g6b h4b h6b m1 x1
	lab_require_fp
	assert_ok "port add gw0" fp port add gw0 --peer-mac "$GW1_MAC"
	assert_ok "load uplink0 --gateway-port gw0" fp load uplink0 --gateway-port gw0
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC"
	assert_ok "route add vm2 v4" fp route add 198.19.2.0/24 dev veth-vm2
	assert_ok "route add vm2 v6" fp route add 2001:db8:100:2::/64 dev veth-vm2
	assert_ok "exclude add" fp exclude add "$VM2_PL4/32" --class private-link

	g4=$(gw_fwd4) g6=$(gw_fwd6) h4=$(fwd4 "$NS_HOST") h6=$(fwd6 "$NS_HOST")
	m0=$(fp_stat miss) x0=$(fp_stat excluded)
	assert_ping "$VM1_IP4" "$VM1_IP6" "$VM2_PL4"
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) h4b=$(fwd4 "$NS_HOST") h6b=$(fwd6 "$NS_HOST")
	m1=$(fp_stat miss) x1=$(fp_stat excluded)
	assert_delta "gateway IPv4 forwards (miss + excluded)" "$g4" "$g4b" 6
	assert_delta "gateway IPv6 forwards (miss)" "$g6" "$g6b" 3
	assert_delta "stats miss.packets" "$m0" "$m1" 6
	assert_delta "stats excluded.packets" "$x0" "$x1" 3
	# Routed by the host, each ping is forwarded 3 times there (uplink0 to
	# gw0, gw0 to the VM, the reply); redirected to the gateway, twice.
	assert_delta "host IPv4 forwards (2 per gateway-carried ping)" "$h4" "$h4b" 0 $((2 * (g4b - g4)))
	assert_delta "host IPv6 forwards (2 per gateway-carried ping)" "$h6" "$h6b" 0 $((2 * (g6b - g6)))
	assert_fast "$VM2_IP4" "$VM2_IP6"
}

# assert_spoofed: a VM's own address (vm1's) arriving on the uplink is
# dropped as spoofed: on-prem takes it and pings vm2 from it.
assert_spoofed() {
	local s0 s1
	ip -n "$NS_OP" addr add "$VM1_IP4/32" dev op0
	s0=$(fp_stat spoofed)
	if ip netns exec "$NS_OP" ping -q -c 3 -i 0.2 -W 1 -I "$VM1_IP4" \
		"$VM2_IP4" >/dev/null 2>&1; then
		lab_fail "ping $VM2_IP4 from vm1's address on-prem: expected loss, saw replies"
	fi
	s1=$(fp_stat spoofed)
	ip -n "$NS_OP" addr del "$VM1_IP4/32" dev op0
	assert_delta "stats spoofed.packets" "$s0" "$s1" 3 3
}

# i. A default route and an NVA's wide route (a /15 here, a 10.0.0.0/8 in
# a real network) through a port: on-prem's sources lie inside them, yet
# are no VM's own address, so on-prem keeps its fast path to the VMs;
# vm1's own address (a host entry) arriving on the uplink is still spoofed.
case_wide_routes() {
	fast_setup
	assert_ok "route add default v4" fp route add 0.0.0.0/0 dev veth-vm2
	assert_ok "route add default v6" fp route add ::/0 dev veth-vm2
	assert_fast "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"
	assert_spoofed
	assert_ok "route del default v4" fp route del 0.0.0.0/0
	assert_ok "route del default v6" fp route del ::/0
	assert_ok "route add nva v4" fp route add 198.18.0.0/15 dev veth-vm2
	assert_ok "route add nva v6" fp route add 2001:db8::/32 dev veth-vm2
	assert_fast "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"
	assert_spoofed
}

# j. The same wide routes as the host routes them, followed by sync: the
# uplink's own subnet is a shadow under them, so the host's own uplink
# address answers on-prem too, and the VMs stay fast.
case_wide_routes_sync() {
	lab_require_fp
	assert_ok "fastpath load uplink0" fp load uplink0
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC"
	hns neigh replace "$VM1_IP4" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	hns -6 neigh replace "$VM1_IP6" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	hns neigh replace "$VM2_IP4" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	hns -6 neigh replace "$VM2_IP6" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	hns route add default via "$VM2_IP4" dev veth-vm2
	hns -6 route add default via "$VM2_IP6" dev veth-vm2
	assert_ok "sync --once (default route)" fp sync --once
	assert_route 0.0.0.0/0 veth-vm2 "$VM2_MAC" route
	assert_ping "$UP_IP4" "$UP_IP6"
	assert_fast "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"
	assert_spoofed
	hns route del default
	hns -6 route del default
	hns route add 198.18.0.0/15 via "$VM2_IP4" dev veth-vm2
	hns -6 route add 2001:db8::/32 via "$VM2_IP6" dev veth-vm2
	assert_ok "sync --once (nva route)" fp sync --once
	assert_route 198.18.0.0/15 veth-vm2 "$VM2_MAC" route
	assert_ping "$UP_IP4" "$UP_IP6"
	assert_fast "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM2_IP6"
	assert_spoofed
}

lab_main lab_up lab_down "$CASES" "$@"
