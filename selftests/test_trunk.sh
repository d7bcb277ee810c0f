#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Trunk uplinks end to end in the DESIGN.md lab (selftests/lib.sh): circuits
# arrive on uplink0 as VLAN-tagged frames (Dot1Q, QinQ). This kernel has no
# 8021q module, so selftests/vlanframe.py writes the tagged frames from
# on-prem through an AF_PACKET socket and reads what each namespace
# receives (tags the kernel took off into the metadata included).
# Usage: test_trunk.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="dot1q_fast qinq_fast unknown_vlan gateway_port explain_status_prometheus capture_tagged"
VLANFRAME=$ROOT/selftests/vlanframe.py
N=5 # frames per burst
VM2_PL6=2001:db8:100:2::20
# Frame lengths of an echo request from vlanframe.py: 32 bytes of data.
LEN4=74

trunk_setup() {
	lab_require_fp
	command -v python3 >/dev/null || lab_skip "missing tool: python3"
	UP_MAC=$(ns_mac "$NS_HOST" uplink0)
	TAP_MAC=$(ns_mac "$NS_HOST" tap-vm1) VETH_MAC=$(ns_mac "$NS_HOST" veth-vm2)
	# No ARP or ND between op0 and uplink0 while frames are counted: the
	# not_ip counter then moves for the tagged frames alone.
	ip -n "$NS_OP" neigh replace "$UP_IP4" lladdr "$UP_MAC" dev op0 nud permanent
	ip -n "$NS_OP" -6 neigh replace "$UP_IP6" lladdr "$UP_MAC" dev op0 nud permanent
	lab_op_neigh
	assert_ok "fastpath load uplink0" fp load uplink0
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC" --no-return
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC" --no-return
	assert_ok "route add vm1 v4" fp route add "$VM1_IP4/32" dev tap-vm1
	assert_ok "route add vm1 v6" fp route add "$VM1_IP6/128" dev tap-vm1
	assert_ok "route add vm2 v4" fp route add "$VM2_IP4/32" dev veth-vm2
	assert_ok "route add vm2 v6" fp route add "$VM2_IP6/128" dev veth-vm2
}

# A second gateway link, host gwc0 ── gateway gwc1, registered as a port:
# a circuit's gateway port. vm2 gets an IPv6 address with no fast route.
gwc_setup() {
	ip -n "$NS_HOST" link add gwc0 type veth peer name gwc1 netns "$NS_GW"
	ip -n "$NS_HOST" link set gwc0 up
	ip -n "$NS_GW" link set gwc1 up
	# A veth only takes redirected frames while its peer runs NAPI.
	ip netns exec "$NS_GW" ethtool -K gwc1 gro on >/dev/null
	ip -n "$NS_VM2" -6 addr add "$VM2_PL6/64" dev eth0 nodad
	GWC0_MAC=$(ns_mac "$NS_HOST" gwc0) GWC1_MAC=$(ns_mac "$NS_GW" gwc1)
	assert_ok "port add gwc0" fp port add gwc0 --peer-mac "$GWC1_MAC" --no-return
}

# send VLAN ID "DADDR..." [ARGS...]: $N echo requests (seq 1..N) to each
# DADDR from on-prem to uplink0's MAC, tagged VLAN (vlanframe.py --vlan,
# "" for none), echo identifier ID; ARGS go to vlanframe.py send.
send() {
	local vlan=$1 id=$2 to=$3 d rc=0
	local args=(send --iface op0 --dst "$UP_MAC" --saddr "$OP_IP4"
		--saddr "$OP_IP6" --id "$id" --count "$N")
	for d in $to; do args+=(--daddr "$d"); done
	[ -z "$vlan" ] || args+=(--vlan "$vlan")
	shift 3
	ip netns exec "$NS_OP" "$PYTHON" "$VLANFRAME" "${args[@]}" "$@" || rc=$?
	[ "$rc" -eq 0 ] || lab_fail "vlanframe.py send --vlan '$vlan' to $to: expected exit 0, saw $rc"
}

# sniff NAME NS IFACE COUNT ID...: vlanframe.py sniff in the background
# (frames with those echo identifiers) into $LAB_DIR/NAME.out. It stops
# after COUNT lines (or 10 s), or (COUNT 0) half a second after `sniffed
# NAME` (or 60 s). `listening NAME...` waits until they listen.
sniff() {
	local name=$1 ns=$2 dev=$3 count=$4 id
	shift 4
	local args=(sniff --iface "$dev" --ready "$LAB_DIR/$name.ready")
	if [ "$count" -eq 0 ]; then
		args+=(--stop "$LAB_DIR/$name.stop" --grace 0.5 --timeout 60)
	else
		args+=(--count "$count" --timeout 10)
	fi
	for id in "$@"; do args+=(--id "$id"); done
	rm -f "$LAB_DIR/$name.ready" "$LAB_DIR/$name.stop"
	ip netns exec "$ns" "$PYTHON" "$VLANFRAME" "${args[@]}" \
		>"$LAB_DIR/$name.out" 2>"$LAB_DIR/$name.err" </dev/null &
	echo $! >"$LAB_DIR/$name.pid"
	echo $! >>"$LAB_DIR/pids"
}

listening() {
	local name
	for name in "$@"; do
		wait_for "sniffer $name listening" 100 test -e "$LAB_DIR/$name.ready"
	done
}

# sniffed NAME...: stop the sniffers (those of COUNT 0) and wait for them.
sniffed() {
	local name rc
	for name in "$@"; do touch "$LAB_DIR/$name.stop"; done
	for name in "$@"; do
		rc=0
		wait "$(cat "$LAB_DIR/$name.pid")" || rc=$?
		[ "$rc" -eq 0 ] || lab_fail "sniffer $name: expected exit 0, saw $rc: $(cat "$LAB_DIR/$name.err")"
	done
}

# assert_seen WHAT NAME COUNT REGEX: exactly COUNT received lines of NAME
# match REGEX (anchored after "in ").
assert_seen() {
	local n
	n=$(grep -cE "^in $4\$" "$LAB_DIR/$2.out" || true)
	[ "$n" -eq "$3" ] ||
		lab_fail "$1: expected $3 frames at $2 matching '$4', saw $n in: $(cat "$LAB_DIR/$2.out")"
}

# assert_none WHAT NAME ID...: NAME saw no frame with these identifiers.
assert_none() {
	local what=$1 name=$2 id n
	shift 2
	for id in "$@"; do
		n=$(grep -c " id=$id " "$LAB_DIR/$name.out" || true)
		[ "$n" -eq 0 ] ||
			lab_fail "$what: expected no frames of id $id at $name, saw $n: $(grep " id=$id " "$LAB_DIR/$name.out")"
	done
}

# assert_received WHAT NAME COUNT: NAME received COUNT frames in all.
assert_received() { assert_seen "$1" "$2" "$3" '.*'; }

# vlan_stat VLAN: status --json vlans[] packets of circuit VLAN ([S/]C on
# uplink0) as "FAST GATEWAY OTHER".
vlan_stat() {
	local j v
	j=$(fp status --json) || lab_fail "status --json: expected exit 0, saw $?"
	v=$(printf '%s' "$j" | "$PYTHON" -c '
import json, sys
for c in json.load(sys.stdin)["vlans"]:
    name = (str(c["s_tag"]) + "/" if c["s_tag"] else "") + str(c["vlan"])
    if c["uplink"] == "uplink0" and name == sys.argv[1]:
        print(*(c[p]["packets"] for p in ("fast", "gateway", "other")))
' "$1") || lab_fail "status --json vlans: expected a readable array, saw: $j"
	[ -n "$v" ] || lab_fail "status --json vlans: expected circuit $1 on uplink0, saw: $j"
	printf '%s\n' "$v"
}

# stat_is NAME VALUE, stat_reaches NAME VALUE, vlan_stat_is VLAN "F G O":
# for wait_for (the program runs in uplink0's NAPI, after the sender has
# returned).
stat_is() { [ "$(fp_stat "$1")" = "$2" ]; }
stat_reaches() { [ "$(fp_stat "$1")" -ge "$2" ]; }
vlan_stat_is() { [ "$(vlan_stat "$1")" = "$2" ]; }

# vlan_list: `uplink list --json` uplink0's circuits, one "[S/]C GWPORT" line each, sorted.
vlan_list() {
	local j
	j=$(fp uplink list --json) || lab_fail "uplink list --json: expected exit 0, saw $?"
	printf '%s' "$j" | "$PYTHON" -c '
import json, sys
for u in json.load(sys.stdin):
    if u["name"] == "uplink0":
        for c in u["vlans"]:
            print((str(c["s_tag"]) + "/" if c["s_tag"] else "") + str(c["vlan"]),
                  c["gateway_port"] or "pass")
' | LC_ALL=C sort || lab_fail "uplink list --json: expected uplink0 with vlans, saw: $j"
}

# fast_burst VLAN ID1 ID2 [ARGS...]: echo requests tagged VLAN to both VMs,
# IPv4 and IPv6, are fast-pathed: each VM receives its 2N untagged, to its
# MAC from its port's MAC, TTL / hop limit 63; on-prem gets all 4N replies
# (the host's stack, untagged); the gateway forwards nothing; the
# fastpath counter and the circuit's fast packets grow by 4N exactly.
fast_burst() {
	local vlan=$1 a=$2 b=$3 g4 g6 f0 v0 g4b g6b f1 v1 w
	shift 3
	w="vlan $vlan${*:+ $*}"
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath) v0=$(vlan_stat "$vlan")
	sniff vm1 "$NS_VM1" eth0 $((4 * N)) "$a"
	sniff vm2 "$NS_VM2" eth0 $((4 * N)) "$b"
	sniff op "$NS_OP" op0 $((8 * N)) "$a" "$b"
	listening vm1 vm2 op
	send "$vlan" "$a" "$VM1_IP4 $VM1_IP6" "$@"
	send "$vlan" "$b" "$VM2_IP4 $VM2_IP6" "$@"
	sniffed vm1 vm2 op
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) f1=$(fp_stat fastpath) v1=$(vlan_stat "$vlan")
	assert_received "$w: requests at vm1" vm1 $((2 * N))
	assert_seen "$w: IPv4 at vm1" vm1 "$N" \
		"dst=$VM1_MAC src=$TAP_MAC tags=none type=0x0800 ttl=63 icmp request id=$a seq=[0-9]+ $OP_IP4>$VM1_IP4"
	assert_seen "$w: IPv6 at vm1" vm1 "$N" \
		"dst=$VM1_MAC src=$TAP_MAC tags=none type=0x86dd ttl=63 icmp request id=$a seq=[0-9]+ $OP_IP6>$VM1_IP6"
	assert_received "$w: requests at vm2" vm2 $((2 * N))
	assert_seen "$w: IPv4 at vm2" vm2 "$N" \
		"dst=$VM2_MAC src=$VETH_MAC tags=none type=0x0800 ttl=63 icmp request id=$b seq=[0-9]+ $OP_IP4>$VM2_IP4"
	assert_seen "$w: IPv6 at vm2" vm2 "$N" \
		"dst=$VM2_MAC src=$VETH_MAC tags=none type=0x86dd ttl=63 icmp request id=$b seq=[0-9]+ $OP_IP6>$VM2_IP6"
	assert_received "$w: replies at op0" op $((4 * N))
	assert_seen "$w: IPv4 replies from vm1" op "$N" \
		"dst=$OP_MAC src=$UP_MAC tags=none type=0x0800 ttl=63 icmp reply id=$a seq=[0-9]+ $VM1_IP4>$OP_IP4"
	assert_seen "$w: IPv6 replies from vm1" op "$N" \
		"dst=$OP_MAC src=$UP_MAC tags=none type=0x86dd ttl=63 icmp reply id=$a seq=[0-9]+ $VM1_IP6>$OP_IP6"
	assert_seen "$w: IPv4 replies from vm2" op "$N" \
		"dst=$OP_MAC src=$UP_MAC tags=none type=0x0800 ttl=63 icmp reply id=$b seq=[0-9]+ $VM2_IP4>$OP_IP4"
	assert_seen "$w: IPv6 replies from vm2" op "$N" \
		"dst=$OP_MAC src=$UP_MAC tags=none type=0x86dd ttl=63 icmp reply id=$b seq=[0-9]+ $VM2_IP6>$OP_IP6"
	assert_delta "$w: gateway IPv4 forwards" "$g4" "$g4b" 0 0
	assert_delta "$w: gateway IPv6 forwards" "$g6" "$g6b" 0 0
	assert_delta "$w: stats fastpath.packets" "$f0" "$f1" $((4 * N)) $((4 * N))
	set -- $v0
	assert_eq "$w: status vlans[$vlan] packets (fast gateway other)" \
		"$(($1 + 4 * N)) $2 $3" "$v1"
}

# 1. Dot1Q: one 802.1Q tag names the circuit; frames reach both VMs untagged.
case_dot1q_fast() {
	trunk_setup
	assert_ok "uplink add uplink0 --vlan 100" fp uplink add uplink0 --vlan 100
	assert_eq "uplink list --json: uplink0's circuits" "100 pass" "$(vlan_list)"
	fast_burst 100 101 102
	# The untagged frames on the trunk stay fast too.
	assert_fast "$VM1_IP4" "$VM2_IP6"
}

# 2. QinQ: an outer tag (802.1ad or 802.1Q TPID) and an inner 802.1Q tag.
case_qinq_fast() {
	trunk_setup
	assert_ok "uplink add uplink0 --vlan 300/400" fp uplink add uplink0 --vlan 300/400
	assert_eq "uplink list --json: uplink0's circuits" "300/400 pass" "$(vlan_list)"
	fast_burst 300/400 201 202 --tpid 0x88a8
	fast_burst 300/400 203 204 --tpid 0x8100
}

# unknown ID VLAN COUNTER WHAT [ARGS...]: N echo requests to each of vm2's
# addresses tagged VLAN move COUNTER by exactly 2N.
unknown() {
	local id=$1 vlan=$2 counter=$3 what=$4 c0 c1
	shift 4
	c0=$(fp_stat "$counter")
	send "$vlan" "$id" "$VM2_IP4 $VM2_IP6" "$@"
	wait_for "$what: stats $counter.packets +$((2 * N))" 50 stat_reaches "$counter" $((c0 + 2 * N))
	c1=$(fp_stat "$counter")
	assert_delta "$what: stats $counter.packets" "$c0" "$c1" $((2 * N)) $((2 * N))
}

# 3. Tags that name no circuit: unknown_vlan, passed untouched, and the
# host (no VLAN device) drops them; before the uplink is a trunk: not_ip.
# None reaches vm2 or the gateway.
case_unknown_vlan() {
	local u0 g4 g6 g4b g6b
	trunk_setup
	sniff vm2 "$NS_VM2" eth0 0 301 302 303 304 305 306 307 390
	sniff gw "$NS_GW" gw1 0 301 302 303 304 305 306 307
	listening vm2 gw
	g4=$(gw_fwd4) g6=$(gw_fwd6) u0=$(fp_stat unknown_vlan)
	unknown 301 100 not_ip "vlan 100, uplink without circuits"
	unknown 302 300/400 not_ip "vlan 300/400, uplink without circuits"
	assert_eq "stats unknown_vlan.packets before any circuit" "$u0" "$(fp_stat unknown_vlan)"
	assert_ok "uplink add uplink0 --vlan 100" fp uplink add uplink0 --vlan 100
	assert_ok "uplink add uplink0 --vlan 300/400" fp uplink add uplink0 --vlan 300/400
	assert_match "uplink list: uplink0 is a trunk" '^uplink0 ifindex [0-9]+ gateway pass trunk$' \
		"$(fp uplink list)"
	unknown 303 101 unknown_vlan "vlan 101 (no such circuit)"
	unknown 304 300 unknown_vlan "an S-tag alone (88a8:300)" --tpid 0x88a8
	unknown 305 400/300 unknown_vlan "tags swapped (400/300)"
	unknown 306 300/400/5 unknown_vlan "a third tag (300/400/5)"
	unknown 307 300/400 not_ip "outer TPID 0x9100 (300/400)" --tpid 0x9100
	g4b=$(gw_fwd4) g6b=$(gw_fwd6)
	assert_delta "gateway IPv4 forwards of unknown tags" "$g4" "$g4b" 0 0
	assert_delta "gateway IPv6 forwards of unknown tags" "$g6" "$g6b" 0 0
	# A priority tag (VID 0) names no circuit either: unknown_vlan, passed
	# with its tag. The kernel takes a VID 0 frame as untagged, so the
	# host routes it (table 100: the gateway) and vm2 gets it that way.
	u0=$(fp_stat unknown_vlan)
	send 0 390 "$VM2_IP4"
	wait_for "priority tag: $N echo requests at vm2" 50 \
		sh -c "[ \$(grep -c '^in .* id=390 ' '$LAB_DIR/vm2.out') -ge $N ]"
	sniffed vm2 gw
	g4b=$(gw_fwd4)
	assert_delta "priority tag: stats unknown_vlan.packets" "$u0" "$(fp_stat unknown_vlan)" "$N" "$N"
	assert_delta "priority tag: gateway IPv4 forwards (the host routed them)" "$g4" "$g4b" "$N" "$N"
	assert_seen "priority tag: at vm2 through the gateway" vm2 "$N" \
		"dst=$VM2_MAC src=$VETH_MAC tags=none type=0x0800 ttl=61 icmp request id=390 seq=[0-9]+ $OP_IP4>$VM2_IP4"
	assert_none "unknown tags" vm2 301 302 303 304 305 306 307
	assert_none "unknown tags" gw 301 302 303 304 305 306 307
	# The circuits are untouched by all this, and work.
	assert_eq "status vlans[100] packets (fast gateway other)" "0 0 0" "$(vlan_stat 100)"
	assert_eq "status vlans[300/400] packets (fast gateway other)" "0 0 0" "$(vlan_stat 300/400)"
	fast_burst 100 391 392
}

# 4. A circuit's gateway port: its misses and exclusions leave untagged for
# gwc1 and the gateway routes them to vm2; a circuit without one passes
# them with their tags, and the host drops them.
case_gateway_port() {
	local m0 x0 g4 g6 v0 m1 x1 g4b g6b v1 w
	trunk_setup
	gwc_setup
	assert_ok "exclude add vm2 v4" fp exclude add "$VM2_IP4/32" --class private-link
	assert_ok "exclude add vm2 v6" fp exclude add "$VM2_IP6/128" --class private-link
	assert_ok "uplink add uplink0 --vlan 200 --gateway-port gwc0" \
		fp uplink add uplink0 --vlan 200 --gateway-port gwc0
	assert_eq "uplink list --json: uplink0's circuits" "200 gwc0" "$(vlan_list)"

	m0=$(fp_stat miss) x0=$(fp_stat excluded) g4=$(gw_fwd4) g6=$(gw_fwd6)
	v0=$(vlan_stat 200)
	sniff gwc "$NS_GW" gwc1 $((4 * N)) 401 402
	sniff vm2 "$NS_VM2" eth0 $((8 * N)) 401 402
	sniff op "$NS_OP" op0 $((8 * N)) 401 402
	listening gwc vm2 op
	send 200 401 "$VM2_PL4 $VM2_PL6"
	send 200 402 "$VM2_IP4 $VM2_IP6"
	sniffed gwc vm2 op
	m1=$(fp_stat miss) x1=$(fp_stat excluded) g4b=$(gw_fwd4) g6b=$(gw_fwd6)
	v1=$(vlan_stat 200)
	w="vlan 200 --gateway-port gwc0"
	assert_received "$w: frames at gwc1" gwc $((4 * N))
	assert_seen "$w: IPv4 misses at gwc1" gwc "$N" \
		"dst=$GWC1_MAC src=$GWC0_MAC tags=none type=0x0800 ttl=63 icmp request id=401 seq=[0-9]+ $OP_IP4>$VM2_PL4"
	assert_seen "$w: IPv6 misses at gwc1" gwc "$N" \
		"dst=$GWC1_MAC src=$GWC0_MAC tags=none type=0x86dd ttl=63 icmp request id=401 seq=[0-9]+ $OP_IP6>$VM2_PL6"
	assert_seen "$w: IPv4 exclusions at gwc1" gwc "$N" \
		"dst=$GWC1_MAC src=$GWC0_MAC tags=none type=0x0800 ttl=63 icmp request id=402 seq=[0-9]+ $OP_IP4>$VM2_IP4"
	assert_seen "$w: IPv6 exclusions at gwc1" gwc "$N" \
		"dst=$GWC1_MAC src=$GWC0_MAC tags=none type=0x86dd ttl=63 icmp request id=402 seq=[0-9]+ $OP_IP6>$VM2_IP6"
	# On through the gateway and the host: TTL 64 - 3.
	assert_received "$w: requests at vm2" vm2 $((4 * N))
	assert_seen "$w: at vm2 through the gateway" vm2 $((4 * N)) \
		"dst=$VM2_MAC src=$VETH_MAC tags=none type=0x(0800|86dd) ttl=61 icmp request id=40[12] seq=[0-9]+ [0-9a-f.:]+>[0-9a-f.:]+"
	assert_received "$w: replies at op0" op $((4 * N))
	assert_delta "$w: stats miss.packets" "$m0" "$m1" $((2 * N)) $((2 * N))
	assert_delta "$w: stats excluded.packets" "$x0" "$x1" $((2 * N)) $((2 * N))
	assert_delta "$w: gateway IPv4 forwards" "$g4" "$g4b" $((2 * N)) $((2 * N))
	assert_delta "$w: gateway IPv6 forwards" "$g6" "$g6b" $((2 * N)) $((2 * N))
	assert_eq "$w: status vlans[200] packets (fast gateway other)" "0 $((4 * N)) 0" "$v1"

	# No gateway port (the uplink has none either): a tagged miss is passed
	# with its tags, and the host, which has no VLAN device, drops it.
	assert_ok "uplink add uplink0 --vlan 100" fp uplink add uplink0 --vlan 100
	m0=$(fp_stat miss) g4=$(gw_fwd4) g6=$(gw_fwd6)
	sniff gwc "$NS_GW" gwc1 0 403
	sniff gw "$NS_GW" gw1 0 403
	sniff vm2 "$NS_VM2" eth0 0 403
	listening gwc gw vm2
	send 100 403 "$VM2_PL4 $VM2_PL6"
	w="vlan 100 without a gateway port"
	wait_for "$w: stats miss.packets +$((2 * N))" 50 stat_reaches miss $((m0 + 2 * N))
	sniffed gwc gw vm2
	m1=$(fp_stat miss) g4b=$(gw_fwd4) g6b=$(gw_fwd6) v1=$(vlan_stat 100)
	assert_delta "$w: stats miss.packets" "$m0" "$m1" $((2 * N)) $((2 * N))
	assert_eq "$w: status vlans[100] packets (fast gateway other)" "0 $((2 * N)) 0" "$v1"
	assert_received "$w: frames at gwc1" gwc 0
	assert_received "$w: frames at gw1" gw 0
	assert_received "$w: frames at vm2" vm2 0
	assert_delta "$w: gateway IPv4 forwards" "$g4" "$g4b" 0 0
	assert_delta "$w: gateway IPv6 forwards" "$g6" "$g6b" 0 0

	# sync: a circuit's gateway port is no VM port, as an uplink's is not:
	# the host's routes through it stay off the fast path.
	lab_addr "$NS_HOST" gwc0 198.18.1.5/30
	lab_addr "$NS_GW" gwc1 198.18.1.6/30
	hns neigh replace 198.18.1.6 lladdr "$GWC1_MAC" dev gwc0 nud permanent
	hns route add 198.19.77.0/24 via 198.18.1.6 dev gwc0
	assert_ok "sync --once" fp sync --once
	assert_route 198.19.2.0/24 veth-vm2 "$VM2_MAC" route
	assert_eq "route list: entries through the gateway port gwc0 after sync" "" \
		"$(routes | awk '$2 == "gwc0"')"
}

# explain_json ADDR VLAN: `explain ADDR --uplink uplink0 --vlan VLAN --json`
# as "verdict reason port vlan dmac smac".
explain_json() {
	local j
	j=$(fp explain "$1" --uplink uplink0 --vlan "$2" --json) ||
		lab_fail "explain $1 --vlan $2 --json: expected exit 0, saw $?"
	printf '%s' "$j" | "$PYTHON" -c '
import json, sys
j = json.load(sys.stdin)
print(*(j[k] for k in ("verdict", "reason", "port", "vlan", "dmac", "smac")))
' || lab_fail "explain $1 --vlan $2 --json: expected an object, saw: $j"
}

# 5. explain --vlan, uplink list, status, Prometheus; del; bad input.
case_explain_status_prometheus() {
	local prom st before u0 u1 n0 n1 f c
	trunk_setup
	gwc_setup
	assert_ok "uplink add --vlan 100" fp uplink add uplink0 --vlan 100
	assert_ok "uplink add --vlan 300/400" fp uplink add uplink0 --vlan 300/400
	assert_ok "uplink add --vlan 200 --gateway-port gwc0" \
		fp uplink add uplink0 --vlan 200 --gateway-port gwc0
	assert_eq "uplink list --json: uplink0's circuits" \
		"$(printf '%s\n' "100 pass" "200 gwc0" "300/400 pass")" "$(vlan_list)"
	assert_match "uplink list: the circuit lines" \
		"^  vlan 300/400 circuit 0 gateway pass$" "$(fp uplink list)"

	assert_eq "explain $VM2_IP4 --vlan 100" \
		"fastpath fastpath veth-vm2 100 $VM2_MAC $VETH_MAC" "$(explain_json "$VM2_IP4" 100)"
	assert_eq "explain $VM1_IP6 --vlan 300/400" \
		"fastpath fastpath tap-vm1 300/400 $VM1_MAC $TAP_MAC" "$(explain_json "$VM1_IP6" 300/400)"
	assert_eq "explain $VM2_PL4 --vlan 200 (a miss, gateway port gwc0)" \
		"gateway miss gwc0 200 $GWC1_MAC $GWC0_MAC" "$(explain_json "$VM2_PL4" 200)"
	assert_match "explain $VM2_IP4 --vlan 101" "^pass unknown_vlan None 101 " \
		"$(explain_json "$VM2_IP4" 101)"
	assert_match "explain $VM2_IP4 --vlan 101 (text)" \
		"^$VM2_IP4: pass \(reason unknown_vlan\) on uplink uplink0 vlan 101$" \
		"$(fp explain "$VM2_IP4" --uplink uplink0 --vlan 101)"
	# Probes are not counted.
	assert_eq "status vlans[100] packets after explain" "0 0 0" "$(vlan_stat 100)"

	# N fast frames on 100, N misses on 200 (to gwc0): status and Prometheus.
	send 100 501 "$VM2_IP4"
	send 200 502 "$VM2_PL4"
	wait_for "status vlans[100] packets $N 0 0" 50 vlan_stat_is 100 "$N 0 0"
	wait_for "status vlans[200] packets 0 $N 0" 50 vlan_stat_is 200 "0 $N 0"
	st=$(fp status)
	assert_match "status: vlan 100" "^vlan 100 on uplink0: gateway pass, packets fast $N gateway 0 other 0$" "$st"
	assert_match "status: vlan 200" "^vlan 200 on uplink0: gateway gwc0, packets fast 0 gateway $N other 0$" "$st"
	assert_match "status: vlan 300/400" "^vlan 300/400 on uplink0: gateway pass, packets fast 0 gateway 0 other 0$" "$st"
	prom=$(fp stats --prometheus) || lab_fail "stats --prometheus: expected exit 0"
	for c in 100 200 300/400; do
		for f in fast gateway other; do
			n0=$(printf '%s\n' "$prom" | grep -c "^fastpath_vlan_packets_total{uplink=\"uplink0\",vlan=\"$c\",circuit=\"0\",path=\"$f\"} [0-9]*\$" || true)
			assert_eq "prometheus fastpath_vlan_packets_total for vlan $c path $f" 1 "$n0"
		done
	done
	assert_eq "prometheus fastpath_vlan_packets_total samples" 9 \
		"$(printf '%s\n' "$prom" | grep -c '^fastpath_vlan_packets_total{' || true)"
	assert_eq "prometheus fastpath_vlan_bytes_total samples" 9 \
		"$(printf '%s\n' "$prom" | grep -c '^fastpath_vlan_bytes_total{' || true)"
	assert_match "prometheus vlan 100 fast" \
		"^fastpath_vlan_packets_total\{uplink=\"uplink0\",vlan=\"100\",circuit=\"0\",path=\"fast\"\} $N\$" "$prom"
	assert_match "prometheus vlan 200 gateway" \
		"^fastpath_vlan_packets_total\{uplink=\"uplink0\",vlan=\"200\",circuit=\"0\",path=\"gateway\"\} $N\$" "$prom"
	assert_match "prometheus HELP" "^# TYPE fastpath_vlan_packets_total counter$" "$prom"

	# Bad input: usage errors (2) name the value; refusals (1) the interface.
	before=$(fp uplink list --json)
	expect_reject_says "VID 4095" 2 "4095" uplink add uplink0 --vlan 4095
	expect_reject_says "VID 0" 2 "--vlan 0" uplink add uplink0 --vlan 0
	expect_reject_says "S-tag 4095" 2 "4095/5" uplink add uplink0 --vlan 4095/5
	expect_reject_says "three tags" 2 "1/2/3" uplink add uplink0 --vlan 1/2/3
	expect_reject_says "not a number" 2 "abc" uplink add uplink0 --vlan abc
	expect_reject_says "--vlan on list" 2 "vlan" uplink list --vlan 100
	expect_reject_says "not an uplink" 1 "gw0" uplink add gw0 --vlan 5
	expect_reject_says "no such interface" 1 "nosuch0" uplink add nosuch0 --vlan 5
	expect_reject_says "gateway port that is no port" 1 "gw0" uplink add uplink0 --vlan 5 --gateway-port gw0
	expect_reject_says "del of a circuit never added" 1 "vlan 5" uplink del uplink0 --vlan 5
	expect_reject_says "port del of a circuit's gateway port" 1 "gwc0" port del gwc0
	expect_reject_says "explain --vlan 4095" 2 "4095" explain "$VM2_IP4" --uplink uplink0 --vlan 4095
	assert_eq "uplink list --json after refused commands" "$before" "$(fp uplink list --json)"

	# del: the circuit goes from the list; its frames are unknown_vlan
	# while others remain, not_ip once the uplink is no trunk.
	assert_ok "uplink del --vlan 100" fp uplink del uplink0 --vlan 100
	assert_eq "uplink list --json after del 100" \
		"$(printf '%s\n' "200 gwc0" "300/400 pass")" "$(vlan_list)"
	u0=$(fp_stat unknown_vlan)
	send 100 503 "$VM2_IP4"
	wait_for "stats unknown_vlan.packets +$N after del 100" 50 stat_reaches unknown_vlan $((u0 + N))
	assert_eq "stats unknown_vlan.packets after del 100" $((u0 + N)) "$(fp_stat unknown_vlan)"
	assert_ok "uplink del --vlan 300/400" fp uplink del uplink0 --vlan 300/400
	assert_ok "uplink del --vlan 200" fp uplink del uplink0 --vlan 200
	assert_eq "uplink list --json after the last del" "" "$(vlan_list)"
	assert_match "uplink list: no trunk" '^uplink0 ifindex [0-9]+ gateway pass$' "$(fp uplink list)"
	assert_eq "status --json vlans after the last del" "[]" \
		"$(fp status --json | "$PYTHON" -c 'import json, sys; print(json.dumps(json.load(sys.stdin)["vlans"]))')"
	u0=$(fp_stat unknown_vlan) n0=$(fp_stat not_ip)
	send 100 504 "$VM2_IP4"
	send 300/400 504 "$VM2_IP4"
	wait_for "stats not_ip.packets +$((2 * N)) with no trunk" 50 stat_reaches not_ip $((n0 + 2 * N))
	u1=$(fp_stat unknown_vlan) n1=$(fp_stat not_ip)
	assert_delta "stats not_ip.packets with no trunk" "$n0" "$n1" $((2 * N)) $((2 * N))
	assert_delta "stats unknown_vlan.packets with no trunk" "$u0" "$u1" 0 0
	assert_eq "prometheus fastpath_vlan samples with no trunk" 0 \
		"$(fp stats --prometheus | grep -c '^fastpath_vlan_' || true)"
}

# cap_done WHAT: the capture (with --count) exits 0 within 10 s.
cap_done() {
	local rc=0
	wait_for "$1: capture to exit" 100 sh -c "! kill -0 $CAP_PID"
	wait "$CAP_PID" || rc=$?
	assert_eq "$1: capture exit status ($(cat "$LAB_DIR/cap.err"))" 0 "$rc"
}

# count_lines TEXT REGEX
count_lines() { printf '%s\n' "$1" | grep -cE -- "$2" || true; }

# 6. capture: a gateway frame is recorded with the tags it came with (and
# its rewritten MACs), a fast one as it leaves: untagged.
case_capture_tagged() {
	local dump
	trunk_setup
	command -v tcpdump >/dev/null || lab_skip "missing tool: tcpdump (scripts/deps.sh installs it)"
	command -v bpftool >/dev/null || lab_skip "missing tool: bpftool"
	gwc_setup
	assert_ok "uplink add --vlan 100" fp uplink add uplink0 --vlan 100
	assert_ok "uplink add --vlan 200 --gateway-port gwc0" \
		fp uplink add uplink0 --vlan 200 --gateway-port gwc0
	assert_ok "uplink add --vlan 300/400 --gateway-port gwc0" \
		fp uplink add uplink0 --vlan 300/400 --gateway-port gwc0

	cap_bg --filter gateway --count $((2 * N)) -w "$LAB_DIR/g.pcap"
	send 100 601 "$VM2_IP4" # fast: not recorded
	send 200 602 "$VM2_PL4"
	send 300/400 603 "$VM2_PL4"
	cap_done "--filter gateway"
	assert_eq "capture lines 'gateway reason=miss in=uplink0 out=gwc0 len=$((LEN4 + 4)) vlan=200'" "$N" \
		"$(grep -c "^gateway reason=miss in=uplink0 out=gwc0 len=$((LEN4 + 4)) vlan=200\$" "$LAB_DIR/cap.out" || true)"
	assert_eq "capture lines 'gateway reason=miss in=uplink0 out=gwc0 len=$((LEN4 + 8)) vlan=300/400'" "$N" \
		"$(grep -c "^gateway reason=miss in=uplink0 out=gwc0 len=$((LEN4 + 8)) vlan=300/400\$" "$LAB_DIR/cap.out" || true)"
	dump=$(tcpdump -r "$LAB_DIR/g.pcap" -nn -e -v 2>/dev/null) ||
		lab_fail "tcpdump -r g.pcap: expected a readable pcap, saw exit $?"
	dump=$(printf '%s\n' "$dump" | paste -d' ' - -) # -v: two lines a packet
	assert_eq "g.pcap: vlan 200 misses, MACs rewritten for gwc1, TTL 63" "$N" "$(count_lines "$dump" \
		"^[0-9:.]+ $GWC0_MAC > $GWC1_MAC, ethertype 802\.1Q \(0x8100\), length $((LEN4 + 4)): vlan 200, p 0, ethertype IPv4 \(0x0800\), .*ttl 63,.* $OP_IP4 > $VM2_PL4: ICMP echo request, id 602,")"
	assert_eq "g.pcap: 300/400 misses with both tags" "$N" "$(count_lines "$dump" \
		"^[0-9:.]+ $GWC0_MAC > $GWC1_MAC, ethertype 802\.1Q-QinQ \(0x88a8\), length $((LEN4 + 8)): vlan 300, p 0, ethertype 802\.1Q \(0x8100\), vlan 400, p 0, ethertype IPv4 \(0x0800\), .*ttl 63,.* $OP_IP4 > $VM2_PL4: ICMP echo request, id 603,")"
	assert_eq "g.pcap: packets" $((2 * N)) "$(count_lines "$dump" 'ICMP echo request')"

	cap_bg --filter fast --count "$N" -w "$LAB_DIR/f.pcap"
	send 200 604 "$VM2_PL4" # gateway: not recorded
	send 100 605 "$VM2_IP4"
	cap_done "--filter fast"
	assert_eq "capture lines 'fast reason=fastpath in=uplink0 out=veth-vm2 len=$LEN4'" "$N" \
		"$(grep -c "^fast reason=fastpath in=uplink0 out=veth-vm2 len=$LEN4\$" "$LAB_DIR/cap.out" || true)"
	dump=$(tcpdump -r "$LAB_DIR/f.pcap" -nn -e -v 2>/dev/null) ||
		lab_fail "tcpdump -r f.pcap: expected a readable pcap, saw exit $?"
	dump=$(printf '%s\n' "$dump" | paste -d' ' - -)
	assert_eq "f.pcap: vlan 100 fast frames untagged, as they left for vm2" "$N" "$(count_lines "$dump" \
		"^[0-9:.]+ $VETH_MAC > $VM2_MAC, ethertype IPv4 \(0x0800\), length $LEN4: .*ttl 63,.* $OP_IP4 > $VM2_IP4: ICMP echo request, id 605,")"
	assert_eq "f.pcap: tagged frames" 0 "$(count_lines "$dump" 'vlan [0-9]')"
	assert_eq "fp_capctl deadline after the captures" 0 "$(capctl deadline_ns)"
}

lab_main lab_up lab_down "$CASES" "$@"
