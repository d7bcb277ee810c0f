#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of `fastpath sync` in the DESIGN.md lab (selftests/lib.sh):
# the maps follow the host's neighbours, routes and links.
# Usage: test_sync.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="neighbour route_shadow port_down daemon"
# A prefix behind vm1 (vm1 answers for its first address) and a more
# specific part of it that the host sends to the gateway.
BEHIND=198.20.0.0/24 BEHIND_IP=198.20.0.10
MORE=198.20.0.128/25 MORE_IP=198.20.0.130

hns() { ip -n "$NS_HOST" "$@"; }

sync_setup() {
	lab_require_fp
	assert_ok "fastpath load uplink0" fp load uplink0
}

# Neighbours for vm1 that sync must find (not learned from traffic, so the
# test does not depend on ARP timing).
vm1_neighbours() {
	hns neigh replace "$VM1_IP4" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	hns -6 neigh replace "$VM1_IP6" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
}

# route_line PREFIX: its line of `route list`, empty if none.
route_line() {
	fp route list | awk -v p="$1" '$1 == p' || true
}

# assert_route PREFIX PORT LLADDR ORIGIN: exactly this entry in route list --json.
assert_route() {
	local j
	local port=\"$2\" mac=\"$3\"
	# A shadow (no port) sends its prefix to the gateway: port and lladdr null.
	[ "$2" != null ] || port=null mac=null
	j=$(fp route list --json | tr -d ' \n')
	assert_match "route list --json entry for $1" \
		"\{\"prefix\":\"$1\",\"port\":$port,\"ifindex\":[0-9]+,\"lladdr\":$mac,\"origin\":\"$4\"\}" "$j"
}

assert_no_route() {
	local l
	l=$(route_line "$1")
	assert_eq "route list entry for $1" "" "$l"
}

assert_explain() {
	local j
	j=$(fp explain "$1" --json | tr -d ' \n')
	assert_match "explain $1 verdict" "\"verdict\":\"$2\"" "$j"
}

# assert_fast ADDR...: as in test_fastpath.sh, the gateway forwards nothing.
assert_fast() {
	local g4 g6 f0 g4b g6b f1
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	assert_ping "$@"
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) f1=$(fp_stat fastpath)
	assert_delta "gateway IPv4 forwards while pinging $*" "$g4" "$g4b" 0 0
	assert_delta "gateway IPv6 forwards while pinging $*" "$g6" "$g6b" 0 0
	assert_delta "stats fastpath.packets while pinging $*" "$f0" "$f1" $((3 * $#))
}

# a. Neighbours on a VM port become host entries; FAILED or deleted ones go.
case_neighbour() {
	local g4 g4b
	sync_setup
	assert_ok "port add tap-vm1" fp port add tap-vm1
	vm1_neighbours
	assert_ok "sync --once" fp sync --once
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
	assert_route "$VM1_IP6/128" tap-vm1 "$VM1_MAC" neighbour
	assert_fast "$VM1_IP4" "$VM1_IP6"

	hns neigh replace "$VM1_IP4" lladdr "$VM1_MAC" dev tap-vm1 nud failed
	hns -6 neigh del "$VM1_IP6" dev tap-vm1
	assert_ok "sync --once after FAILED / deleted" fp sync --once
	assert_no_route "$VM1_IP4/32"
	assert_no_route "$VM1_IP6/128"
	g4=$(gw_fwd4)
	assert_ping "$VM1_IP4"
	g4b=$(gw_fwd4)
	assert_delta "gateway IPv4 forwards after the neighbour failed" "$g4" "$g4b" 3
}

# b. A route via vm1 is a prefix entry with vm1's MAC; a more specific
# route to the gateway shadows part of it.
case_route_shadow() {
	local g4 g4b
	sync_setup
	assert_ok "port add tap-vm1" fp port add tap-vm1
	vm1_neighbours
	ip -n "$NS_VM1" addr add "$BEHIND_IP/32" dev lo
	hns route add "$BEHIND" via "$VM1_IP4" dev tap-vm1
	hns route add "$MORE" via 198.18.1.2 dev gw0
	assert_ok "sync --once" fp sync --once
	assert_route "$BEHIND" tap-vm1 "$VM1_MAC" route
	assert_route "$MORE" null null route
	assert_explain "$BEHIND_IP" fastpath
	assert_explain "$MORE_IP" gateway
	assert_fast "$BEHIND_IP"

	# The gateway's route goes: the shadow goes with it.
	hns route del "$MORE"
	assert_ok "sync --once after route del" fp sync --once
	assert_no_route "$MORE"
	assert_explain "$MORE_IP" fastpath
	# Static entries are never touched by sync.
	assert_ok "route add static" fp route add 198.21.0.0/24 dev tap-vm1 lladdr "$VM1_MAC"
	hns route del "$BEHIND"
	assert_ok "sync --once after route del" fp sync --once
	assert_no_route "$BEHIND"
	assert_route 198.21.0.0/24 tap-vm1 "$VM1_MAC" static
	# Back in the host's table but not synced: the slow path carries it.
	ip -n "$NS_GW" route add 198.20.0.0/16 via 198.18.1.1
	hns route add "$BEHIND" via "$VM1_IP4" dev tap-vm1
	g4=$(gw_fwd4)
	assert_ping "$BEHIND_IP"
	g4b=$(gw_fwd4)
	assert_delta "gateway IPv4 forwards after the route went" "$g4" "$g4b" 3
}

# c. A port that goes down loses all its entries.
case_port_down() {
	sync_setup
	assert_ok "port add tap-vm1" fp port add tap-vm1
	vm1_neighbours
	hns route add "$BEHIND" via "$VM1_IP4" dev tap-vm1
	assert_ok "sync --once" fp sync --once
	assert_route "$BEHIND" tap-vm1 "$VM1_MAC" route
	hns link set tap-vm1 down
	assert_ok "sync --once after link down" fp sync --once
	assert_no_route "$VM1_IP4/32"
	assert_no_route "$VM1_IP6/128"
	assert_no_route "$BEHIND"
	hns link set tap-vm1 up
	vm1_neighbours
	hns route replace "$BEHIND" via "$VM1_IP4" dev tap-vm1
	assert_ok "sync --once after link up" fp sync --once
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
	assert_route "$BEHIND" tap-vm1 "$VM1_MAC" route
}

has_route() { [ -n "$(route_line "$1")" ]; }
no_route() { [ -z "$(route_line "$1")" ]; }

# d. Following events: ports by glob, a new route appears within 3 s, a
# link going down clears its entries, SIGTERM exits 0 and keeps the maps.
case_daemon() {
	local pid rc=0 ports
	sync_setup
	vm1_neighbours
	"$FP" -n "$NS_HOST" --pin-path "$PIN" sync --ports 'tap-*' &
	pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	wait_for "neighbour entry $VM1_IP4/32 from sync" 30 has_route "$VM1_IP4/32"
	ports=$(fp port list --json)
	assert_match "port list --json (registered by sync)" '"name":"tap-vm1"' "$(printf '%s' "$ports" | tr -d ' ')"
	assert_route "$VM1_IP6/128" tap-vm1 "$VM1_MAC" neighbour

	hns route add "$BEHIND" via "$VM1_IP4" dev tap-vm1
	wait_for "route entry $BEHIND from sync" 30 has_route "$BEHIND"
	assert_route "$BEHIND" tap-vm1 "$VM1_MAC" route
	hns route add "$MORE" via 198.18.1.2 dev gw0
	wait_for "shadow entry $MORE from sync" 30 has_route "$MORE"
	assert_route "$MORE" null null route

	# IPv4 drops routes of a downed link without RTM_DELROUTE.
	hns link set tap-vm1 down
	wait_for "entries of tap-vm1 gone after link down" 30 no_route "$BEHIND"
	assert_no_route "$VM1_IP4/32"
	assert_no_route "$MORE"
	hns link set tap-vm1 up
	vm1_neighbours
	hns route replace "$BEHIND" via "$VM1_IP4" dev tap-vm1
	wait_for "route entry $BEHIND back after link up" 30 has_route "$BEHIND"

	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq "sync exit status after SIGTERM" 0 "$rc"
	assert_route "$BEHIND" tap-vm1 "$VM1_MAC" route
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
	assert_fast "$VM1_IP4"
}

lab_main lab_up lab_down "$CASES" "$@"
