#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of the return path (VM -> on-prem, fastpath_port on the
# VM ports) in the DESIGN.md lab (selftests/lib.sh), with an on-prem
# network behind op0: 198.18.5.0/24 and 2001:db8:5::/64, routed by the
# host via 198.18.0.2 / 2001:db8::2 out of uplink0. Forwarded by XDP in
# both directions, the host's and the gateway's forwarding counters stay
# flat. Each case gets a fresh lab, torn down by its own trap.
# Usage: test_return.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="attach ping udp tcp spoofed pass_verdicts offload_share sync explain_from capture_both"

# The on-prem network, its routes on the host, the next hops resolved,
# the fast path loaded, both VMs' ports and own addresses, the on-prem
# prefixes for the return path.
ret_setup() {
	lab_up
	lab_require_fp
	lab_onprem
	assert_ok "fastpath load uplink0" fp load uplink0
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC"
	assert_ok "route add vm1 v4" fp route add "$VM1_IP4/32" dev tap-vm1
	assert_ok "route add vm1 v6" fp route add "$VM1_IP6/128" dev tap-vm1
	assert_ok "route add vm2 v4" fp route add "$VM2_IP4/32" dev veth-vm2
	assert_ok "route add vm2 v6" fp route add "$VM2_IP6/128" dev veth-vm2
	assert_ok "onprem add v4" fp onprem add "$ONP_NET4" via "$OP_IP4" dev uplink0
	assert_ok "onprem add v6" fp onprem add "$ONP_NET6" via "$OP_IP6" dev uplink0
}

# port add attaches fastpath_port, --no-return does not, port del and
# unload --all detach; onprem list shows the entries, route list does
# not; onprem's refusals.
case_attach() {
	local l
	xdp_on tap-vm1 || lab_fail "tap-vm1: expected an XDP program after port add"
	xdp_on veth-vm2 || lab_fail "veth-vm2: expected an XDP program after port add"
	l=$(fp port list)
	assert_match "port list marks the return path" "^tap-vm1 .* return$" "$l"
	assert_match "port list marks the uplink's egress record" "^uplink0 .* uplink-egress$" "$l"
	l=$(fp onprem list)
	assert_match "onprem list v4" "^$ONP_NET4 dev uplink0 lladdr $OP_MAC origin static$" "$l"
	assert_match "onprem list v6" "^$ONP_NET6 dev uplink0 lladdr $OP_MAC origin static$" "$l"
	l=$(fp --json route list)
	case $l in *198.18.5.*) lab_fail "route list: expected no on-prem entry, saw: $l" ;; esac
	expect_code "onprem add again" 1 fp onprem add "$ONP_NET4" via "$OP_IP4" dev uplink0
	expect_code "onprem add via a VM port" 1 fp onprem add 198.18.6.0/24 via "$OP_IP4" dev tap-vm1
	expect_code "onprem add unresolved" 1 fp onprem add 198.18.6.0/24 via 198.18.0.99 dev uplink0
	expect_code "onprem add bad prefix" 2 fp onprem add 198.18.6.1/24 via "$OP_IP4" dev uplink0
	expect_code "onprem add mixed families" 2 fp onprem add 198.18.6.0/24 via "$OP_IP6" dev uplink0
	expect_code "onprem del of a VM route" 1 fp onprem del "$VM1_IP4/32"
	assert_ok "route del vm2 v4" fp route del "$VM2_IP4/32"
	assert_ok "route del vm2 v6" fp route del "$VM2_IP6/128"
	assert_ok "port del veth-vm2" fp port del veth-vm2
	xdp_on veth-vm2 && lab_fail "veth-vm2: expected no XDP program after port del"
	assert_ok "port add veth-vm2 --no-return" fp port add veth-vm2 --no-return
	xdp_on veth-vm2 && lab_fail "veth-vm2: expected no XDP program with --no-return"
	assert_ok "onprem del v4" fp onprem del "$ONP_NET4"
	expect_code "onprem del again" 1 fp onprem del "$ONP_NET4"
	l=$(fp unload --all)
	assert_match "unload --all names the port" "^tap-vm1: fastpath_port id [0-9]+ detached$" "$l"
	xdp_on tap-vm1 && lab_fail "tap-vm1: expected no XDP program after unload --all"
	return 0
}

# expect_code WHAT CODE CMD...: CMD exits with CODE.
expect_code() {
	local what=$1 want=$2 rc=0
	shift 2
	"$@" >/dev/null 2>&1 || rc=$?
	assert_eq "$what: exit status" "$want" "$rc"
}

ping_all() {
	local ns a
	for ns in "$NS_VM1" "$NS_VM2"; do
		for a in "$ONP_IP4" "$ONP_IP6"; do
			ping_from "$ns" "$a" || lab_fail "ping $a from $ns: expected 3 replies, saw loss"
		done
	done
}

# Ping from both VMs to on-prem: requests leave by the return path,
# replies come in by the fast path; neither the host nor the gateway
# forwards a packet.
case_ping() {
	local r0 f0
	r0=$(rp_stat fastpath) f0=$(fp_stat fastpath)
	assert_flat "pings VM <-> on-prem" ping_all
	assert_delta "return fastpath.packets during pings" "$r0" "$(rp_stat fastpath)" 12
	assert_delta "uplink fastpath.packets during pings" "$f0" "$(fp_stat fastpath)" 12
}

# udp_echo NS ADDR: one datagram from NS to an echo on on-prem ADDR and
# its answer back.
udp_echo() {
	local ns=$1 addr=$2 lis con out
	lis=UDP4-RECVFROM:7007,fork con=UDP4:$addr:7007
	case $addr in *:*) lis=UDP6-RECVFROM:7007,fork con=UDP6:[$addr]:7007 ;; esac
	out=$(printf 'return-path %s\n' "$addr" |
		ip netns exec "$ns" timeout 5 socat -t 2 - "$con") ||
		lab_fail "UDP to $addr from $ns: expected an answer, saw exit $?"
	assert_eq "UDP echo from $addr to $ns" "return-path $addr" "$out"
}

udp_all() {
	udp_echo "$NS_VM1" "$ONP_IP4"
	udp_echo "$NS_VM1" "$ONP_IP6"
	udp_echo "$NS_VM2" "$ONP_IP4"
	udp_echo "$NS_VM2" "$ONP_IP6"
}

# UDP both ways. vm2's veth sends with checksum offload on; here it is
# off, so that every datagram can take the fast path (case offload_share
# has it on).
case_udp() {
	local r0
	ip netns exec "$NS_VM2" ethtool -K eth0 tx off >/dev/null
	lab_bg ip netns exec "$NS_OP" socat "UDP4-RECVFROM:7007,bind=$ONP_IP4,fork" EXEC:cat
	lab_bg ip netns exec "$NS_OP" socat "UDP6-RECVFROM:7007,bind=[$ONP_IP6],fork" EXEC:cat
	wait_for "UDP echo on on-prem" 50 sh -c \
		"ip netns exec '$NS_OP' ss -Huln 'sport = :7007' | grep -c . | grep -q 2"
	r0=$(rp_stat fastpath)
	assert_flat "UDP VM <-> on-prem" udp_all
	assert_delta "return fastpath.packets during UDP" "$r0" "$(rp_stat fastpath)" 4
}

tcp_vm1() {
	tcp_flow "$NS_VM1" "$NS_OP" "$ONP_IP4" 4
	tcp_flow "$NS_VM1" "$NS_OP" "$ONP_IP6" 4
	tcp_flow "$NS_OP" "$NS_VM1" "$VM1_IP4" 4 "$ONP_IP4"
	tcp_flow "$NS_OP" "$NS_VM1" "$VM1_IP6" 4 "$ONP_IP6"
}

# TCP both ways between vm1 (a tap: its frames carry finished checksums)
# and on-prem: uploads and downloads, every segment and ACK in XDP. A
# finished checksum that equals the pseudo-header sum (1 in 65,536
# segments) looks partial to the program, which "finishes" it into the
# same bytes: nothing goes to the host.
case_tcp() {
	local r0 r1 c0 h4 h6 g4 g6
	r0=$(rp_stat fastpath) c0=$(rp_stat csum_partial)
	h4=$(host_fwd4) h6=$(host_fwd6) g4=$(gw_fwd4) g6=$(gw_fwd6)
	tcp_vm1
	r1=$(rp_stat fastpath)
	assert_delta "host IPv4 forwards during TCP vm1 <-> on-prem" "$h4" "$(host_fwd4)" 0 0
	assert_delta "host IPv6 forwards during TCP vm1 <-> on-prem" "$h6" "$(host_fwd6)" 0 0
	assert_delta "csum_partial during TCP from a tap" "$c0" "$(rp_stat csum_partial)" 0 0
	assert_delta "gateway IPv4 forwards during TCP" "$g4" "$(gw_fwd4)" 0 0
	assert_delta "gateway IPv6 forwards during TCP" "$g6" "$(gw_fwd6)" 0 0
	# 8 MB up in segments of at most 1448 bytes, and the downloads' ACKs.
	assert_delta "return fastpath.packets during TCP" "$r0" "$r1" 5800
}

# A VM sending from another VM's address or an on-prem one is dropped
# and counted; from an address nobody has, the host's stack decides.
case_spoofed() {
	local s0 u0 h4
	ip -n "$NS_VM1" addr add "$VM2_IP4/32" dev eth0
	ip -n "$NS_VM1" addr add 198.18.5.77/32 dev eth0
	ip -n "$NS_VM1" addr add 198.18.9.9/32 dev eth0
	s0=$(rp_stat spoofed) u0=$(rp_stat unknown_source) h4=$(host_fwd4)
	ip netns exec "$NS_VM1" ping -q -c 3 -i 0.2 -W 1 -I "$VM2_IP4" "$ONP_IP4" >/dev/null 2>&1 &&
		lab_fail "ping from vm1 as vm2: expected no reply"
	ip netns exec "$NS_VM1" ping -q -c 3 -i 0.2 -W 1 -I 198.18.5.77 "$ONP_IP4" >/dev/null 2>&1 &&
		lab_fail "ping from vm1 as on-prem 198.18.5.77: expected no reply"
	assert_delta "return spoofed.packets" "$s0" "$(rp_stat spoofed)" 6 6
	assert_delta "host IPv4 forwards of spoofed packets" "$h4" "$(host_fwd4)" 0 0
	ip netns exec "$NS_VM1" ping -q -c 1 -W 1 -I 198.18.9.9 "$ONP_IP4" >/dev/null 2>&1 || true
	assert_delta "return unknown_source.packets" "$u0" "$(rp_stat unknown_source)" 1
	# Its own address still goes.
	ping_from "$NS_VM1" "$ONP_IP4" || lab_fail "ping from vm1's own address: expected replies"
}

# What the return path must not handle reaches the host untouched and
# counted: TTL 1 (the host answers time-exceeded), a destination with
# no on-prem entry (another VM: the host routes it), ARP.
case_pass_verdicts() {
	local t0 m0 n0
	t0=$(rp_stat ttl_expired) m0=$(rp_stat miss) n0=$(rp_stat not_ip)
	ip netns exec "$NS_VM1" ping -q -c 1 -t 1 -W 1 "$ONP_IP4" >/dev/null 2>&1 || true
	assert_delta "return ttl_expired.packets" "$t0" "$(rp_stat ttl_expired)" 1
	ping_from "$NS_VM1" "$VM2_IP4" || lab_fail "ping vm1 -> vm2: expected replies (through the host)"
	assert_delta "return miss.packets (VM to VM)" "$m0" "$(rp_stat miss)" 6
	ip -n "$NS_VM1" neigh flush dev eth0
	ping_from "$NS_VM1" "$ONP_IP4" 1 || lab_fail "ping after a neighbour flush: expected a reply"
	assert_delta "return not_ip.packets (ARP)" "$n0" "$(rp_stat not_ip)" 1
}

# vm2 (a veth) uploads with its offloads on, as a VM's are by default:
# native XDP on the host's end turns the VM side's GSO off, and its
# checksums stay partial. The port program finishes them, so the whole
# upload goes fast, byte-exact (tcp_flow compares the data), with the
# host's forwarding flat. The share is reported.
case_offload_share() {
	local r0 c0 h4 h6 fast fwd
	ip netns exec "$NS_VM2" ethtool -k eth0 |
		grep -E '^(tx-checksumming|tcp-segmentation-offload|generic-segmentation-offload):' >&2
	ip netns exec "$NS_VM2" ethtool -k eth0 | grep -q '^tx-checksumming: on' ||
		lab_fail "vm2's eth0: expected tx checksum offload on (the default)"
	r0=$(rp_stat fastpath) c0=$(rp_stat csum_partial)
	h4=$(host_fwd4) h6=$(host_fwd6)
	tcp_flow "$NS_VM2" "$NS_OP" "$ONP_IP4" 8
	tcp_flow "$NS_VM2" "$NS_OP" "$ONP_IP6" 8
	fast=$(($(rp_stat fastpath) - r0))
	fwd=$(($(host_fwd4) - h4 + $(host_fwd6) - h6))
	log "  vm2 (veth, offloads on) 2 x 8 MB upload: fastpath $fast frames, host forwarded $fwd ($((100 * fast / (fast + fwd))) % fast)"
	assert_delta "return csum_partial.packets with offloads on" "$c0" "$(rp_stat csum_partial)" 0 0
	assert_eq "host forwards of the uploads (offloads on)" 0 "$fwd"
	# 2 x 8 MB in segments of at most 1448 bytes, and the ACKs back.
	assert_gt "return fastpath.packets of the uploads" "$fast" 11600
}

# onprem_line PREFIX: its line in `onprem list`, empty if none.
onprem_line() { fp onprem list | awk -v p="$1" '$1 == p'; }

# sync mirrors the host's routes out of the uplink via a next hop, with
# the next hop's MAC from the neighbour table, and follows both.
case_sync() {
	local other=02:00:00:00:55:55
	assert_ok "onprem del v4" fp onprem del "$ONP_NET4"
	assert_ok "onprem del v6" fp onprem del "$ONP_NET6"
	assert_ok "sync --once" fp sync --once
	assert_eq "onprem list v4 after sync" \
		"$ONP_NET4 dev uplink0 lladdr $OP_MAC origin route" "$(onprem_line "$ONP_NET4")"
	assert_eq "onprem list v6 after sync" \
		"$ONP_NET6 dev uplink0 lladdr $OP_MAC origin route" "$(onprem_line "$ONP_NET6")"
	case $(fp --json route list) in *198.18.0.2*|*'"uplink0"'*)
		lab_fail "route list: expected no entry through uplink0, saw: $(fp --json route list)" ;;
	esac
	assert_flat "pings VM <-> on-prem (entries from sync)" ping_all
	hns neigh replace "$OP_IP4" lladdr "$other" dev uplink0 nud permanent
	assert_ok "sync --once (next hop's MAC changed)" fp sync --once
	assert_eq "onprem list v4 follows the neighbour" \
		"$ONP_NET4 dev uplink0 lladdr $other origin route" "$(onprem_line "$ONP_NET4")"
	hns neigh replace "$OP_IP4" lladdr "$OP_MAC" dev uplink0 nud permanent
	hns route del "$ONP_NET4"
	assert_ok "sync --once (route gone)" fp sync --once
	assert_eq "onprem list v4 after the route went" "" "$(onprem_line "$ONP_NET4")"
	ping_from "$NS_VM1" "$ONP_IP4" && lab_fail "ping without the host's route: expected loss"
	return 0
}

# explain_json ARGS...: `explain --json ARGS` as "verdict reason source
# from port uplink dmac smac" (null fields as -).
explain_json() {
	local j
	j=$(fp --json explain "$@") || lab_fail "explain --json $*: expected exit 0, saw $?"
	printf '%s' "$j" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(" ".join(str(j[k]) if j[k] is not None else "-" for k in
      ("verdict", "reason", "source", "from", "port", "uplink", "dmac", "smac")))'
}

# explain --from PORT ADDRESS: fastpath_port's answer for a frame from the
# VM on PORT (from its own address, or --src), against the live maps and
# uncounted; what it cannot answer is refused in one line naming why.
case_explain_from() {
	local up_mac r0 s0 l
	up_mac=$(ns_mac "$NS_HOST" uplink0)
	r0=$(rp_stat fastpath) s0=$(rp_stat spoofed)
	l=$(fp explain --from tap-vm1 "$ONP_IP4") || lab_fail "explain --from tap-vm1: expected exit 0"
	assert_eq "explain --from tap-vm1 $ONP_IP4" \
		"$ONP_IP4 from $VM1_IP4: fastpath (reason fastpath) on port tap-vm1 -> uplink uplink0 dmac $OP_MAC smac $up_mac" "$l"
	assert_eq "explain --json --from veth-vm2 $ONP_IP6" \
		"fastpath fastpath $VM2_IP6 veth-vm2 veth-vm2 uplink0 $OP_MAC $up_mac" \
		"$(explain_json --from veth-vm2 "$ONP_IP6")"
	assert_eq "explain --from tap-vm1 --src (vm2's address)" \
		"drop spoofed $VM2_IP4 tap-vm1 tap-vm1 -" \
		"$(explain_json --from tap-vm1 --src "$VM2_IP4" "$ONP_IP4" | cut -d' ' -f1-6)"
	assert_eq "explain --from tap-vm1 --src (an on-prem address)" \
		"drop spoofed" "$(explain_json --from tap-vm1 --src 198.18.5.77 "$ONP_IP4" | cut -d' ' -f1-2)"
	assert_eq "explain --from tap-vm1 --src (nobody's address)" \
		"pass unknown_source" "$(explain_json --from tap-vm1 --src 198.18.9.9 "$ONP_IP4" | cut -d' ' -f1-2)"
	assert_eq "explain --from tap-vm1 to vm2 (no on-prem entry)" \
		"stack miss" "$(explain_json --from tap-vm1 "$VM2_IP4" | cut -d' ' -f1-2)"
	# The verdict follows the maps: the on-prem entry gone, a miss.
	assert_ok "onprem del v4" fp onprem del "$ONP_NET4"
	assert_eq "explain --from tap-vm1 after onprem del" \
		"stack miss" "$(explain_json --from tap-vm1 "$ONP_IP4" | cut -d' ' -f1-2)"
	assert_delta "return fastpath.packets after the probes" "$r0" "$(rp_stat fastpath)" 0 0
	assert_delta "return spoofed.packets after the probes" "$s0" "$(rp_stat spoofed)" 0 0
	expect_reject_says "no such port" 1 "port nosuch0: no such interface" \
		explain --from nosuch0 "$ONP_IP4"
	expect_reject_says "the uplink as a port" 1 "port uplink0: an uplink" \
		explain --from uplink0 "$ONP_IP4"
	expect_reject_says "not a port" 1 "port gw0: not a fastpath port" \
		explain --from gw0 "$ONP_IP4"
	expect_reject_says "bad address" 2 "not an IPv4 or IPv6 address" \
		explain --from tap-vm1 198.18.5.300
	expect_reject_says "--src of the other family" 2 "--src $VM1_IP6: not an IPv4 address" \
		explain --from tap-vm1 --src "$VM1_IP6" "$ONP_IP4"
	expect_reject_says "--src without --from" 2 "--src goes with --from" \
		explain --src "$VM1_IP4" "$ONP_IP4"
	expect_reject_says "--from with --uplink" 2 "--uplink and --vlan" \
		explain --from tap-vm1 --uplink uplink0 "$ONP_IP4"
	assert_ok "route del vm1 v6" fp route del "$VM1_IP6/128"
	expect_reject_says "no address of the VM's" 1 "port tap-vm1: no IPv6 entry names the VM's address; give one with --src" \
		explain --from tap-vm1 "$ONP_IP6"
	assert_ok "route del vm2 v4" fp route del "$VM2_IP4/32"
	assert_ok "route del vm2 v6" fp route del "$VM2_IP6/128"
	assert_ok "port del veth-vm2" fp port del veth-vm2
	assert_ok "port add veth-vm2 --no-return" fp port add veth-vm2 --no-return
	expect_reject_says "a port without the return path" 1 "port veth-vm2: the return path is off" \
		explain --from veth-vm2 "$ONP_IP4"
}

# One capture sees both directions in one ring: on-prem -> VM judged by
# the uplink's program, VM -> on-prem by the port's, each record saying
# which ("prog"); the return path's drops are there too.
case_capture_both() {
	local pcap=$LAB_DIR/both.pcap
	cap_bg -w "$pcap" --quiet
	kill -TERM "$CAP_PID"
	cap_wait "an empty capture"
	cap_bg --json -w "$pcap"
	ping_from "$NS_VM1" "$ONP_IP4" || lab_fail "ping $ONP_IP4 from vm1 during capture: expected replies"
	# From on-prem's network (198.18.0.2, op0's own, has no on-prem entry).
	ip netns exec "$NS_OP" ping -q -c 3 -i 0.2 -W 1 -w 5 -I "$ONP_IP4" "$VM1_IP4" >/dev/null 2>&1 ||
		lab_fail "ping $VM1_IP4 from on-prem $ONP_IP4 during capture: expected replies"
	ip -n "$NS_VM1" addr add 198.18.5.77/32 dev eth0
	ip netns exec "$NS_VM1" ping -q -c 3 -i 0.2 -W 1 -I 198.18.5.77 "$ONP_IP4" >/dev/null 2>&1 &&
		lab_fail "ping from vm1 as on-prem 198.18.5.77: expected no reply"
	kill -TERM "$CAP_PID"
	cap_wait "SIGTERM"
	assert_eq "capture exit status" 0 "$CAP_RC"
	python3 - "$LAB_DIR/cap.out" <<'PY' || lab_fail "capture --json of both directions: $(cat "$LAB_DIR/cap.out")"
import collections, json, sys
seen = collections.Counter()
for line in open(sys.argv[1]):
    r = json.loads(line)
    seen[(r["prog"], r["class"], r["reason"], r["in"], r["out"])] += 1
want = {
    # echo requests and replies, 3 + 3 each way
    ("port", "fast", "fastpath", "tap-vm1", "uplink0"): 6,
    ("uplink", "fast", "fastpath", "uplink0", "tap-vm1"): 6,
    # vm1 posing as on-prem
    ("port", "drop", "spoofed", "tap-vm1", None): 3,
}
bad = [f"{k}: expected {n}, saw {seen[k]}" for k, n in want.items() if seen[k] != n]
other = [k for k in seen if k[1] in ("fast", "drop") and k not in want]
if bad or other:
    sys.exit("; ".join(bad + [f"unexpected {k} x{seen[k]}" for k in other]))
PY
	# The pcap holds the frames as they left: 15 and whatever was passed.
	[ "$(stat -c %s "$pcap")" -gt $((24 + 15 * 16)) ] ||
		lab_fail "$pcap: expected at least 15 records, saw $(stat -c %s "$pcap") bytes"
}

lab_main ret_setup lab_down "$CASES" "$@"
