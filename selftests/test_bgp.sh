#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Routes from a real routing daemon: BIRD 2 on the host and in vm1 (a
# network appliance) speak eBGP over tap-vm1; vm1 announces a prefix, the
# host's BIRD installs it into the main table, `fastpath sync` fast-paths
# it within a second, and when vm1 withdraws it the prefix goes back to
# the gateway. Skips (KSFT_SKIP) without bird/birdc (Debian bird2).
# Usage: test_bgp.sh [CASE...]   (default: all; see CASES)
# selftest: serial (a route reaches the map within 1 s: run.sh runs it alone)
# selftest: once (sync follows BIRD's routes as any other daemon's:
# test_sync runs that sanitized)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="announce_withdraw onprem_announce_withdraw"
HOST_AS=65001 VM1_AS=65002
HOST_BGP_IP=198.19.1.1
# What vm1 announces; vm1 answers for ANN_IP.
ANN=198.19.205.0/24 ANN_IP=198.19.205.1
# What on-prem announces over the uplink (the return path's entries); the
# on-prem namespace answers for ONP_ANN_IP.
ONP_ANN=198.18.206.0/24 ONP_ANN_IP=198.18.206.1
# Route to map: at most this many ms after the route is in the kernel.
LIMIT_MS=1000

now_ms() { echo $(($(date +%s%N) / 1000000)); }

bird_require() {
	command -v bird >/dev/null && command -v birdc >/dev/null ||
		lab_skip "bird/birdc not installed (Debian bird2; scripts/deps.sh)"
}

# bird_start NS NAME CONFIG-TEXT: BIRD in NS in the foreground (lab_bg, so
# cleanup ends it), config, socket and log under LAB_DIR/bird-NAME.*.
bird_start() {
	local conf=$LAB_DIR/bird-$2.conf
	printf '%s\n' "$3" >"$conf"
	ip netns exec "$1" bird -p -c "$conf" ||
		lab_fail "bird -p -c $conf: expected a valid config, saw exit $?"
	lab_bg ip netns exec "$1" bird -f -c "$conf" -s "$LAB_DIR/bird-$2.ctl" \
		-P "$LAB_DIR/bird-$2.pid" </dev/null >"$LAB_DIR/bird-$2.log" 2>&1
}

birdc_() {
	local name=$1
	shift
	birdc -s "$LAB_DIR/bird-$name.ctl" "$@"
}

# bgp_established NAME: the host's session NAME is up.
bgp_established() { birdc_ host show protocols "$1" | grep -q Established; }

kernel_has() { [ -n "$(hns route show "$1")" ]; }
kernel_lacks() { [ -z "$(hns route show "$1")" ]; }

# route_json PREFIX: its object in `route list --json`, empty if none.
route_json() {
	fp --json route list | tr -d ' \n' | grep -o '{[^}]*}' |
		grep -F "\"prefix\":\"$1\"" || true
}

map_has_fast() {
	local j
	j=$(route_json "$1")
	printf '%s' "$j" | grep -q '"port":"tap-vm1"' &&
		printf '%s' "$j" | grep -q '"origin":"route"'
}
map_has() { [ -n "$(route_json "$1")" ]; }
map_lacks() { [ -z "$(route_json "$1")" ]; }

# poll_ms WHAT MAX_MS CMD...: poll CMD every 10 ms (at most MAX_MS, and at
# most MAX_MS / 10 tries); print the ms it took.
poll_ms() {
	local what=$1 max=$2 t0 n
	shift 2
	t0=$(now_ms) n=$((max / 10))
	until "$@"; do
		n=$((n - 1))
		[ "$n" -gt 0 ] && [ $(($(now_ms) - t0)) -le "$max" ] ||
			lab_fail "$what: expected within $max ms, saw nothing after $(($(now_ms) - t0)) ms"
		nap 0.01
	done
	echo $(($(now_ms) - t0))
}

# bgp_peers NS NAME PEER_IP HOST_IP PREFIX: BIRD in NS (as NAME, from
# PEER_IP) announces PREFIX over eBGP to the host's BIRD (at HOST_IP),
# whose kernel protocol exports it into the main table; BGP_MS: the ms
# until the session was up (20 s at most).
bgp_peers() {
	local ns=$1 name=$2 peer=$3 host=$4 prefix=$5
	bird_start "$ns" "$name" "router id $peer;
protocol device { }
protocol static ann { ipv4; route $prefix blackhole; }
protocol bgp host {
	local $peer as $VM1_AS;
	neighbor $host as $HOST_AS;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import none; export where proto = \"ann\"; next hop self; };
}"
	bird_start "$NS_HOST" host "router id $host;
protocol device { }
protocol kernel {
	ipv4 { import none; export all; };
	learn;
}
protocol bgp $name {
	local $host as $HOST_AS;
	neighbor $peer as $VM1_AS;
	connect delay time 1; connect retry time 1; error wait time 1, 2;
	ipv4 { import all; export none; };
}"
	BGP_MS=$(poll_ms "BGP session host-$name Established" 20000 bgp_established "$name")
}

# bgp_follow PREFIX in|gone CHECK WHAT: once BIRD's change of PREFIX is in
# the host's main table (in) or gone from it, CHECK PREFIX must hold
# within LIMIT_MS, WHAT naming the map it polls; the time is logged.
bgp_follow() {
	local prefix=$1 dir=$2 check=$3 what=$4 kernel=kernel_has where=in ms
	if [ "$dir" = gone ]; then
		kernel=kernel_lacks where="gone from"
	fi
	poll_ms "$prefix $where the host's main table" 20000 "$kernel" "$prefix" >/dev/null
	ms=$(poll_ms "$prefix $where $what" 5000 "$check" "$prefix")
	log "  $prefix $dir: kernel -> map in $ms ms (poll granularity ~10 ms plus one fastpath call)"
	[ "$ms" -le "$LIMIT_MS" ] ||
		lab_fail "$prefix $dir, from the kernel to the map: expected within $LIMIT_MS ms, saw $ms ms"
}

# eBGP vm1 → host; the host's kernel protocol exports into the main table.
case_announce_withdraw() {
	local g4 g4b f0 f1 j
	bird_require
	lab_require_fp
	assert_ok "fastpath load uplink0" fp load uplink0
	hns neigh replace "$VM1_IP4" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	ip -n "$NS_VM1" addr add "$ANN_IP/32" dev lo
	lab_bg "$FP" -n "$NS_HOST" --pin-path "$PIN" sync --ports 'tap-*' \
		</dev/null >"$LAB_DIR/sync.log" 2>&1
	wait_for "neighbour entry $VM1_IP4/32 from sync" 50 map_has "$VM1_IP4/32"

	bgp_peers "$NS_VM1" vm1 "$VM1_IP4" "$HOST_BGP_IP" "$ANN"
	log "  BGP session established after $BGP_MS ms"
	bgp_follow "$ANN" in map_has_fast "route list --json as a route via tap-vm1"
	assert_match "kernel route $ANN (from BIRD)" "via $VM1_IP4 dev tap-vm1 proto bird" "$(hns route show "$ANN")"
	j=$(route_json "$ANN")
	assert_match "route list --json entry for $ANN" \
		"^\{\"prefix\":\"$ANN\",\"port\":\"tap-vm1\",\"ifindex\":[0-9]+,\"lladdr\":\"$VM1_MAC\",\"origin\":\"route\",\"excluded\":false\}$" "$j"
	assert_explain "$ANN_IP" fastpath
	g4=$(gw_fwd4) f0=$(fp_stat fastpath)
	assert_ping "$ANN_IP"
	g4b=$(gw_fwd4) f1=$(fp_stat fastpath)
	assert_delta "gateway IPv4 forwards while pinging $ANN_IP" "$g4" "$g4b" 0 0
	assert_delta "stats fastpath.packets while pinging $ANN_IP" "$f0" "$f1" 3

	# vm1 withdraws: the kernel loses the route, the map loses the entry.
	assert_ok "birdc disable ann (vm1)" birdc_ vm1 disable ann
	bgp_follow "$ANN" gone map_lacks "route list --json"
	assert_explain "$ANN_IP" gateway
}

# onprem_has PREFIX: `onprem list` has PREFIX out of uplink0 via on-prem's
# MAC, from a route (sync's).
onprem_has() {
	fp onprem list | awk -v p="$1" -v m="$OP_MAC" \
		'$1 == p && $3 == "uplink0" && $5 == m && $7 == "route" { f = 1 } END { exit !f }'
}
onprem_lacks() { ! fp onprem list | awk -v p="$1" '$1 == p { f = 1 } END { exit !f }'; }

# eBGP on-prem -> host over the uplink: the announced prefix lands in the
# host's main table via on-prem's address out of uplink0, sync mirrors it
# as an on-prem entry of the return path within a second (and registers
# tap-vm1 with the return path attached, its default), vm1's pings to it go out of the
# uplink in XDP with the host's forwarding flat; the withdrawal takes the
# entry away again.
case_onprem_announce_withdraw() {
	local h4 r0
	bird_require
	lab_require_fp
	OP_MAC=$(ns_mac "$NS_OP" op0)
	# A veth takes redirected frames only while its peer runs NAPI.
	ip netns exec "$NS_OP" ethtool -K op0 gro on >/dev/null
	assert_ok "fastpath load uplink0" fp load uplink0
	hns neigh replace "$VM1_IP4" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	ip -n "$NS_OP" addr add "$ONP_ANN_IP/32" dev lo
	lab_bg "$FP" -n "$NS_HOST" --pin-path "$PIN" sync --ports 'tap-*' \
		</dev/null >"$LAB_DIR/sync.log" 2>&1
	wait_for "neighbour entry $VM1_IP4/32 from sync" 50 map_has "$VM1_IP4/32"
	wait_for "the return path on tap-vm1 (sync registered it)" 50 xdp_on tap-vm1

	bgp_peers "$NS_OP" op "$OP_IP4" "$UP_IP4" "$ONP_ANN"
	log "  BGP session over the uplink established after $BGP_MS ms"
	bgp_follow "$ONP_ANN" in onprem_has "onprem list (via $OP_MAC, origin route)"
	assert_match "kernel route $ONP_ANN (from BIRD)" "via $OP_IP4 dev uplink0 proto bird" \
		"$(hns route show "$ONP_ANN")"
	h4=$(fwd4 "$NS_HOST") r0=$(rp_stat fastpath)
	ping_from "$NS_VM1" "$ONP_ANN_IP" || lab_fail "ping vm1 -> $ONP_ANN_IP: expected replies"
	assert_delta "host IPv4 forwards while vm1 pings $ONP_ANN_IP" "$h4" "$(fwd4 "$NS_HOST")" 0 0
	assert_delta "return fastpath.packets while vm1 pings $ONP_ANN_IP" "$r0" "$(rp_stat fastpath)" 3

	# On-prem withdraws: the kernel loses the route, the map the entry,
	# and vm1's pings go through the host again (which has no route now).
	assert_ok "birdc disable ann (on-prem)" birdc_ op disable ann
	bgp_follow "$ONP_ANN" gone onprem_lacks "onprem list"
	r0=$(rp_stat fastpath)
	ping_from "$NS_VM1" "$ONP_ANN_IP" 1 || true
	assert_delta "return fastpath.packets after the withdrawal" "$r0" "$(rp_stat fastpath)" 0 0
}

lab_main lab_up lab_down "$CASES" "$@"
