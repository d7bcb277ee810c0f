#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# load/unload/status/explain and the command-line contract, on one host
# namespace with veths (no traffic): someone else's program is refused
# unless --force, a reload replaces our program and keeps the maps, bad
# input exits 1 or 2 with one line and changes nothing.
# Usage: test_load.sh [CASE...]

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="foreign_refused reload_keeps_maps skb_mode explain_json explain_other_pins load_json exit_codes netns_missing pin_permissions coexist_dispatcher layout_mismatch unload_all direct_helpers"
FOREIGN_OBJ=${FOREIGN_OBJ:-$ROOT/build/xdp_foreign.bpf.o}
LAYOUT=$(awk '$2 == "FP_LAYOUT_VERSION" { print $3 }' "$ROOT/maps/fastpath.h")

mini_up() {
	local id=$$-$CASE_N
	NS_HOST=fp-ld-$id
	PIN=/sys/fs/bpf/fastpath-test-ld-$id
	lab_require_fp
	[ -f "$FOREIGN_OBJ" ] || lab_skip "$FOREIGN_OBJ not built"
	lab_bpffs
	ip netns add "$NS_HOST"
	ip -n "$NS_HOST" link add uplink0 type veth peer name op0
	ip -n "$NS_HOST" link add tap-vm1 type veth peer name vm1
	for i in lo uplink0 op0 tap-vm1 vm1; do ip -n "$NS_HOST" link set "$i" up; done
}

mini_down() {
	ip netns del "$NS_HOST" 2>/dev/null || true
	rm -rf "$PIN"
}

# xdp_prog_id: the id of the program attached to uplink0, or 0.
xdp_prog_id() {
	local id
	id=$(ip -n "$NS_HOST" -d link show dev uplink0 | grep -o 'prog/xdp id [0-9]*' |
		awk '{ print $3 }')
	echo "${id:-0}"
}

xdp_prog_name() {
	local id
	id=$(xdp_prog_id)
	[ "$id" != 0 ] || { echo none; return; }
	bpftool prog show id "$id" | head -n1 | awk '{ print $4 }'
}

case_foreign_refused() {
	local id err
	nsenter --net="/run/netns/$NS_HOST" ip link set dev uplink0 xdp \
		obj "$FOREIGN_OBJ" sec xdp
	id=$(xdp_prog_id)
	assert_gt "foreign program id" "$id" 0
	err=$(expect_exit "load over a foreign program" 1 fp load uplink0)
	assert_match "error names the program" "foreign_pass" "$err"
	assert_eq "foreign program still attached" "$id" "$(xdp_prog_id)"
	err=$(expect_exit "unload of a foreign program" 1 fp unload uplink0)
	assert_match "unload names the program" "foreign_pass" "$err"
	assert_eq "foreign program still attached after unload" "$id" "$(xdp_prog_id)"
	assert_ok "load --force" fp load uplink0 --force
	assert_eq "attached program" fastpath_xdp "$(xdp_prog_name)"
	assert_match "status names the attach kind" \
		'"attach":"(single-program|dispatcher)"' "$(fp --json status)"
}

# upv_flags IFACE: the flags of IFACE's fp_upv slot (the program's view).
upv_flags() {
	local i
	i=$(ip netns exec "$NS_HOST" cat "/sys/class/net/$1/ifindex")
	bpftool -j map lookup pinned "$PIN/fp_upv" key \
		$((i & 255)) $((i >> 8 & 255)) $((i >> 16 & 255)) $((i >> 24)) |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["formatted"]["value"]["flags"])'
}

case_reload_keeps_maps() {
	local id1 id2 before after
	assert_ok "load" fp load uplink0
	assert_ok "port add" fp port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "route add" fp route add 198.19.1.0/24 dev tap-vm1
	assert_ok "route add v6" fp route add 2001:db8:100:1::/64 dev tap-vm1
	assert_ok "exclude add" fp exclude add 198.19.1.20/32 --class basic-lb
	id1=$(xdp_prog_id)
	before=$(fp --json route list; fp --json exclude list; fp --json port list)
	assert_ok "load again" fp load uplink0
	id2=$(xdp_prog_id)
	after=$(fp --json route list; fp --json exclude list; fp --json port list)
	[ "$id1" != "$id2" ] || lab_fail "reload: expected a new program id, saw $id2 again"
	assert_eq "maps after reload" "$before" "$after"
	assert_eq "uplink0's fp_upv slot while loaded (FP_UPLINK_F_ON)" \
		2147483648 "$(upv_flags uplink0)"
	assert_match "explain after reload" '"verdict":"fastpath"' \
		"$(fp --json explain 198.19.1.10)"
	assert_ok "unload" fp unload uplink0
	assert_eq "program after unload" 0 "$(xdp_prog_id)"
	assert_eq "maps after unload" "$before" \
		"$(fp --json route list; fp --json exclude list; fp --json port list)"
	assert_match "uplink list after unload" '^\[\]$' "$(fp --json uplink list)"
	assert_eq "uplink0's fp_upv slot after unload" 0 "$(upv_flags uplink0)"
}

case_skb_mode() {
	assert_ok "load --mode skb" fp load uplink0 --mode skb
	assert_match "status mode" '"mode":"skb"' "$(fp --json status)"
	ip -n "$NS_HOST" -d link show dev uplink0 | grep -q 'xdpgeneric' ||
		lab_fail "expected xdpgeneric on uplink0, saw: $(ip -n "$NS_HOST" link show dev uplink0)"
	# Native over generic: a mode change is a detach and a fresh attach.
	assert_ok "load --mode native" fp load uplink0 --mode native
	assert_match "status mode" '"mode":"native"' "$(fp --json status)"
}

case_explain_json() {
	local j
	assert_ok "load" fp load uplink0
	assert_ok "port add" fp port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "route add" fp route add 198.19.1.10/32 dev tap-vm1
	assert_ok "exclude add" fp exclude add 198.19.1.0/24 --class peering
	j=$(fp --json explain 198.19.1.10)
	# The exclusion wins over the longer route.
	assert_match "explain excluded" '"verdict":"gateway","reason":"excluded"' "$j"
	assert_ok "exclude del" fp exclude del 198.19.1.0/24
	j=$(fp --json explain 198.19.1.10)
	assert_match "explain fastpath" '"verdict":"fastpath","reason":"fastpath"' "$j"
	assert_match "explain port" '"port":"tap-vm1"' "$j"
	assert_match "explain dmac" '"dmac":"02:00:00:00:01:10"' "$j"
	assert_match "explain miss" '"reason":"miss"' "$(fp --json explain 198.19.9.9)"
	assert_match "explain v6 miss" '"reason":"miss"' "$(fp --json explain 2001:db8:9::1)"
	# Probes are not traffic: the counters stay at zero.
	assert_eq "fastpath counter after explain" 0 "$(fp_stat fastpath)"
	assert_eq "miss counter after explain" 0 "$(fp_stat miss)"
}

# explain through a pin path the attached program does not use: the
# program answers from its own maps, and explain says which answered.
case_explain_other_pins() {
	local other="$PIN-other" j err out
	assert_ok "load" fp load uplink0
	assert_ok "port add" fp port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "route add" fp route add 198.19.1.10/32 dev tap-vm1
	j=$(fp --json explain 198.19.1.10)
	assert_match "explain through the program's pins" \
		'"maps":\{"pin_path":"[^"]*","answered_from":"pin_path"' "$j"
	# A second pin set that knows uplink0 but holds no route.
	assert_ok "uplink add in $other" "$FP" -n "$NS_HOST" --pin-path "$other" uplink add uplink0
	out=$(mktemp)
	err=$("$FP" -n "$NS_HOST" --pin-path "$other" --json explain 198.19.1.10 2>&1 >"$out") ||
		{ rm -rf "$other" "$out"; lab_fail "explain through $other: expected exit 0, saw $?: $err"; }
	j=$(cat "$out")
	rm -rf "$other" "$out"
	assert_match "explain through $other: the answer" '"verdict":"fastpath"' "$j"
	assert_match "explain through $other: which maps answered" \
		"\"maps\":\\{\"pin_path\":\"$other\",\"answered_from\":\"program\"" "$j"
	assert_match "explain through $other: the warning" \
		"does not use the maps at $other: this answer comes from its own maps" "$err"
}

# JSON goes through json-c: an interface name with a quote and a backslash
# (both allowed by the kernel) comes back as that name, in valid JSON.
case_load_json() {
	local name='up"x\1' j got
	ip -n "$NS_HOST" link add "$name" type veth peer name upq0
	ip -n "$NS_HOST" link set "$name" up
	ip -n "$NS_HOST" link set upq0 up
	j=$(fp --json load "$name") || lab_fail "load --json '$name': expected exit 0, saw $?"
	got=$(printf '%s' "$j" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["uplink"], j["mode"], j["attach"], j["prog_id"] > 0)' 2>&1) ||
		lab_fail "load --json '$name': expected valid JSON, saw: $j ($got)"
	assert_match "load --json '$name'" "^up\"x\\\\1 native (single-program|dispatcher) True\$" "$got"
	got=$(fp --json status | python3 -c '
import json, sys
print(json.load(sys.stdin) is not None)' 2>&1) ||
		lab_fail "status --json with '$name' loaded: expected valid JSON, saw: $got"
	assert_ok "unload '$name'" fp unload "$name"
}

case_exit_codes() {
	local before
	assert_ok "port add" fp port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "route add" fp route add 198.19.1.0/24 dev tap-vm1
	before=$(fp --json route list)
	expect_exit "unknown command" 2 fp bogus >/dev/null
	expect_exit "route add without dev" 2 fp route add 198.19.2.0/24 >/dev/null
	expect_exit "load without iface" 2 fp load >/dev/null
	expect_exit "load bad mode" 2 fp load uplink0 --mode turbo >/dev/null
	expect_exit "unknown option" 2 fp route list --frobnicate >/dev/null
	assert_match "duplicate route" "198.19.1.0/24.*already exists" \
		"$(expect_exit "duplicate route" 1 fp route add 198.19.1.0/24 dev tap-vm1)"
	assert_match "unregistered port" "port vm9 is not registered" \
		"$(expect_exit "route to unregistered port" 1 fp route add 198.19.3.0/24 dev vm9)"
	assert_match "malformed prefix" "198.19.300.0/24" \
		"$(expect_exit "malformed prefix" 2 fp route add 198.19.300.0/24 dev tap-vm1)"
	assert_match "malformed mac" "lladdr 02:zz" \
		"$(expect_exit "malformed mac" 2 fp route add 198.19.4.0/24 dev tap-vm1 lladdr 02:zz:00:00:00:00)"
	assert_match "unknown interface" "nosuch0: no such interface" \
		"$(expect_exit "port add unknown interface" 1 fp port add nosuch0)"
	assert_match "load unknown interface" "nosuch0: no such interface" \
		"$(expect_exit "load unknown interface" 1 fp load nosuch0)"
	assert_eq "routes after refused commands" "$before" "$(fp --json route list)"
	assert_eq "no program attached after refused load" 0 "$(xdp_prog_id)"
}

case_netns_missing() {
	local err
	err=$(expect_exit "-n missing namespace" 1 "$FP" -n "fp-nosuch-$$" --pin-path "$PIN" route list)
	assert_match "names the namespace" "fp-nosuch-$$" "$err"
}

# The pins are root's alone: directory 0700, maps 0600, and another user
# can neither open a map for writing nor look into the directory.
case_pin_permissions() {
	local f out rc=0
	command -v setpriv >/dev/null || lab_skip "no setpriv"
	assert_ok "port add" fp port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_eq "pin directory mode" "700 root" "$(stat -c '%a %U' "$PIN")"
	for f in "$PIN"/fp_*; do
		assert_eq "$f mode" "600 root" "$(stat -c '%a %U' "$f")"
	done
	out=$(setpriv --reuid=nobody --regid=nogroup --clear-groups \
		bpftool map update pinned "$PIN/fp_routes4" \
		key 32 0 0 0 198 19 1 0 value 0 0 0 0 0 0 0 0 0 0 0 0 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || lab_fail "nobody updating fp_routes4: expected a refusal, saw success"
	assert_match "nobody's error" "ermission denied|Operation not permitted" "$out"
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		sh -c "exec 3>>'$PIN/fp_routes4'" 2>/dev/null &&
		lab_fail "nobody opening $PIN/fp_routes4 for writing: expected EACCES, saw success"
	assert_eq "routes after nobody's attempts" "[]" "$(fp --json route list)"
}

# With libxdp's dispatcher (a kernel that allows extension programs) the
# fast path shares the uplink with another program; where the kernel
# refuses them, libxdp falls back to one program and this case says so.
case_coexist_dispatcher() {
	local out
	command -v xdp-loader >/dev/null || lab_skip "no xdp-loader"
	out=$(nsenter --net="/run/netns/$NS_HOST" xdp-loader load -m native uplink0 \
		"$FOREIGN_OBJ" 2>&1) || lab_skip "xdp-loader cannot load a program here: $out"
	if ! nsenter --net="/run/netns/$NS_HOST" xdp-loader status uplink0 2>/dev/null |
		grep -q xdp_dispatcher; then
		lab_skip "the kernel refuses extension programs (libxdp fell back to a single program); coexistence needs the dispatcher"
	fi
	assert_ok "load beside a dispatcher program" fp load uplink0
	assert_match "status attach kind" '"attach":"dispatcher"' "$(fp --json status)"
	nsenter --net="/run/netns/$NS_HOST" xdp-loader status uplink0 | grep -q foreign_pass ||
		lab_fail "the other program: expected it still in the dispatcher"
}

# A pin set of another layout (here faked by rewriting or removing
# fp_layout; test_upgrade.sh uses a real older build) is refused in one
# line naming the pin path, both layouts and `unload --all`, which clears
# it whatever its layout; nothing changes before that.
case_layout_mismatch() {
	local id before err v
	assert_ok "load" fp load uplink0
	assert_ok "port add" fp port add tap-vm1 --peer-mac 02:00:00:00:01:10
	assert_ok "route add" fp route add 198.19.1.0/24 dev tap-vm1
	assert_match "fp_layout" "\"value\":$LAYOUT" \
		"$(bpftool --json map dump pinned "$PIN/fp_layout")"
	id=$(xdp_prog_id)
	before=$(ls -A "$PIN"; bpftool map dump pinned "$PIN/fp_routes4")
	for v in $((LAYOUT + 1)) 1; do
		if [ "$v" = 1 ]; then
			rm "$PIN/fp_layout" # as pinned by a build before fp_layout
			before=$(ls -A "$PIN"; bpftool map dump pinned "$PIN/fp_routes4")
		else
			bpftool map update pinned "$PIN/fp_layout" key 0 0 0 0 value "$v" 0 0 0
		fi
		err=$(expect_exit "load over layout $v" 1 fp load uplink0)
		assert_match "load over layout $v" \
			"^$PIN: pinned maps are layout $v, this build uses layout $LAYOUT: .*'fastpath -n $NS_HOST --pin-path $PIN unload --all'" \
			"$err"
		assert_eq "route list over layout $v" "$err" \
			"$(expect_exit "route list over layout $v" 1 fp route list)"
		assert_eq "status over layout $v" "$err" \
			"$(expect_exit "status over layout $v" 1 fp status)"
		assert_eq "program after refusals" "$id" "$(xdp_prog_id)"
		assert_eq "pins after refusals" "$before" \
			"$(ls -A "$PIN"; bpftool map dump pinned "$PIN/fp_routes4")"
	done
	assert_ok "unload --all" fp unload --all
	assert_eq "program after unload --all" 0 "$(xdp_prog_id)"
	[ ! -e "$PIN" ] || lab_fail "pin path after unload --all: expected gone, saw: $(ls -A "$PIN")"
	assert_ok "load after unload --all" fp load uplink0
	assert_eq "routes of the new pin set" "[]" "$(fp --json route list)"
}

# unload --all: nothing pinned is no error; someone else's program and
# pins beside ours stay; a usage error for IFACE with --all.
case_unload_all() {
	local j
	assert_ok "unload --all with nothing pinned" fp unload --all
	expect_exit "unload IFACE --all" 2 fp unload uplink0 --all >/dev/null
	expect_exit "unload without IFACE" 2 fp unload >/dev/null
	assert_ok "load" fp load uplink0
	nsenter --net="/run/netns/$NS_HOST" ip link set dev tap-vm1 xdp \
		obj "$FOREIGN_OBJ" sec xdp
	touch "$PIN/not-ours" 2>/dev/null || mkdir "$PIN/not-ours"
	j=$(fp --json unload --all)
	assert_match "unload --all --json" \
		"^\{\"pin_path\":\"$PIN\",\"detached\":\[\"uplink0\"\],\"removed\":[0-9]+\}$" "$j"
	assert_eq "program after unload --all" 0 "$(xdp_prog_id)"
	assert_eq "what is left under the pin path" not-ours "$(ls -A "$PIN")"
	ip -n "$NS_HOST" -d link show dev tap-vm1 | grep -q 'prog/xdp id' ||
		lab_fail "foreign program on tap-vm1: expected still attached"
}

# The verifier calls a map's own helper (dev_map_redirect, an inlined
# array read) only where one call site sees one map; a site reached with
# two maps gets the generic helper, an indirect call through the map's
# ops, ~8 ns a packet here. clang merges look-alike calls on different
# maps, so check what the kernel made of the attached program.
case_direct_helpers() {
	local id xl generic
	assert_ok "load" fp load uplink0
	id=$(xdp_prog_id)
	xl=$(bpftool prog dump xlated id "$id")
	grep -q 'call dev_map_redirect' <<<"$xl" ||
		lab_fail "xlated program of id $id: expected direct dev_map_redirect calls, saw none"
	generic=$(grep -E 'call (bpf_xdp_redirect_map|bpf_map_lookup_elem|bpf_map_update_elem)#' <<<"$xl" || true)
	[ -z "$generic" ] ||
		lab_fail "xlated program of id $id: generic map helper calls (a call site sees two maps): $generic"
}

lab_main mini_up mini_down "$CASES" "$@"
