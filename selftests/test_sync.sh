#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of `fastpath sync` in the DESIGN.md lab (selftests/lib.sh):
# the maps follow the host's neighbours, routes and links.
# Usage: test_sync.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="neighbour route_shadow port_down daemon return_opts"
# A prefix behind vm1 (vm1 answers for its first address) and a more
# specific part of it that the host sends to the gateway.
BEHIND=198.19.200.0/24 BEHIND_IP=198.19.200.10
MORE=198.19.200.128/25 MORE_IP=198.19.200.130

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
	assert_ok "route add static" fp route add 198.19.210.0/24 dev tap-vm1 lladdr "$VM1_MAC"
	hns route del "$BEHIND"
	assert_ok "sync --once after route del" fp sync --once
	assert_no_route "$BEHIND"
	assert_route 198.19.210.0/24 tap-vm1 "$VM1_MAC" static
	# Back in the host's table but not synced: the slow path carries it.
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

# d. Following events: ports by glob (with the return path, by default),
# a new route appears within 3 s, a link event that changes nothing sync
# reads (sync's own attach, a new queue length) costs no full pass, one
# that does (an MTU) does; a link going down clears its entries, SIGTERM
# exits 0 and keeps the maps.
case_daemon() {
	local pid rc=0 ports full0 full1
	sync_setup
	vm1_neighbours
	"$FP" -n "$NS_HOST" --pin-path "$PIN" sync --ports 'tap-*' &
	pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	wait_for "neighbour entry $VM1_IP4/32 from sync" 30 has_route "$VM1_IP4/32"
	ports=$(fp port list --json)
	assert_match "port list --json (registered by sync)" '"name":"tap-vm1"' "$(printf '%s' "$ports" | tr -d ' ')"
	assert_route "$VM1_IP6/128" tap-vm1 "$VM1_MAC" neighbour
	xdp_on tap-vm1 || lab_fail "tap-vm1: expected the return path attached by sync (the default), saw no XDP program"

	# The attach's own link events are read by now (they came before the
	# marker's route event): the start-up pass was the only full one.
	mark 1 tap-vm1 "$VM1_IP4"
	assert_eq "full passes after start-up and the return path's attach" 1 "$(sync_counter full_syncs)"
	full0=$(sync_counter full_syncs)
	hns link set tap-vm1 txqueuelen 2000
	mark 2 tap-vm1 "$VM1_IP4"
	assert_eq "full passes after a queue length change" "$full0" "$(sync_counter full_syncs)"
	hns link set tap-vm1 mtu 1400
	mark 3 tap-vm1 "$VM1_IP4"
	full1=$(sync_counter full_syncs)
	[ "$full1" -gt "$full0" ] ||
		lab_fail "full passes after an MTU change: expected more than $full0, saw $full1"
	hns link set tap-vm1 mtu 1500

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

	assert_match "status: sync daemon" '"daemon":"running","pid":'"$pid" "$(fp --json status)"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq "sync exit status after SIGTERM" 0 "$rc"
	assert_match "status after SIGTERM" '"daemon":"stopped"' "$(fp --json status)"
	assert_route "$BEHIND" tap-vm1 "$VM1_MAC" route
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
	assert_fast "$VM1_IP4"
}

# e. --no-return registers ports without the return path, --return (the
# default, kept for old command lines) with it; both at once is a usage
# error that changes nothing.
case_return_opts() {
	local rc=0
	sync_setup
	vm1_neighbours
	fp sync --once --ports 'tap-*' --return --no-return 2>"$LAB_DIR/err" || rc=$?
	assert_eq "sync --return --no-return: exit status" 2 "$rc"
	assert_match "sync --return --no-return: stderr" "contradict" "$(cat "$LAB_DIR/err")"
	assert_eq "ports after the usage error" "[]" "$(fp --json port list | tr -d ' \n')"
	assert_ok "sync --once --no-return" fp sync --once --ports 'tap-*' --no-return
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
	xdp_on tap-vm1 && lab_fail "tap-vm1: expected no XDP program with --no-return, saw one"
	# A glob that no longer matches: sync drops its port (and detaches).
	assert_ok "sync --once --ports 'none-*'" fp sync --once --ports 'none-*'
	assert_no_route "$VM1_IP4/32"
	assert_ok "sync --once --return" fp sync --once --ports 'tap-*' --return
	xdp_on tap-vm1 || lab_fail "tap-vm1: expected the return path with --return, saw no XDP program"
	assert_ok "sync --once --ports 'none-*' (drops tap-vm1 again)" fp sync --once --ports 'none-*'
	xdp_on tap-vm1 && lab_fail "tap-vm1: expected no XDP program once sync dropped the port, saw one"
	assert_ok "sync --once (default)" fp sync --once --ports 'tap-*'
	xdp_on tap-vm1 || lab_fail "tap-vm1: expected the return path by default, saw no XDP program"
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
}

lab_main lab_up lab_down "$CASES" "$@"
