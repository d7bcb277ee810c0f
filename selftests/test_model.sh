#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ExpressRoute model through real traffic (issue 6): two circuits on
# two uplinks and three VNets; connections, authorizations, revoke,
# fastpath off, connection del, the IP budget, and applies that fail or
# die half-way. Each case gets a fresh lab (selftests/lib.sh) plus:
#
#   fp-op-S   op1 198.18.2.2/24 ── veth ── uplink1 198.18.2.1/24 (host)
#   fp-vm3-S  eth0 198.19.3.10/24 ── veth ── veth-vm3 (host)
#
# circuit c1 = uplink0 (Direct 10G, owner contoso), c2 = uplink1
# (provider 1G, owner fabrikam); vnet hub = vm1 (tap, peering spoke),
# spoke = vm2 (veth), v3 = vm3 (veth, owner fabrikam).
# Usage: test_model.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="connections profile authorization fastpath_off connection_del budget atomic_apply killed_at_every_step apply_under_traffic spoke_connection check_writes_nothing check_offline trunk_port vnet_sources"
VM3_IP4=198.19.3.10
OP1_IP4=198.18.2.2 UP1_IP4=198.18.2.1

# The CLI with this lab's state directory.
fpm() { fp --state-dir "$LAB_DIR/state" "$@"; }

# conf [C1_EXTRA] [HUB_C1_FASTPATH] [EXTRA_SECTIONS] [SPOKE_EXTRA]: the
# lab's config.
conf() {
	cat >"$LAB_DIR/fastpath.conf" <<EOF
# The lab's deployment (selftests/test_model.sh).
[gateway]
name = gw
sku = ErGw3AZ
namespace = $NS_GW

[circuit c1]
uplink = uplink0
type = direct        ; a 10G ExpressRoute Direct port
bandwidth = 10G
owner = contoso
region = europe
${1:-}

[circuit c2]
uplink = uplink1
type = provider
bandwidth = 1G
owner = fabrikam
region = europe

[vnet hub]
address-space = 198.19.1.0/24
address-space = 2001:db8:100:1::/64
port = tap-vm1
owner = contoso
region = europe
peering = spoke

[vnet spoke]
address-space = 198.19.2.0/24
address-space = 2001:db8:100:2::/64
port = veth-vm2
owner = contoso
${4:-}

[vnet v3]
address-space = 198.19.3.0/24
port = veth-vm3
owner = fabrikam

[connection hub-c1]
vnet = hub
circuit = c1
fastpath = ${2:-on}

[connection v3-c2]
vnet = v3
circuit = c2
fastpath = on
${3:-}
EOF
}

apply_ok() {
	assert_ok "fastpath apply ($1)" fpm apply --config "$LAB_DIR/fastpath.conf"
}

model_setup() {
	lab_up
	lab_require_fp
	command -v python3 >/dev/null || lab_skip "missing tool: python3"
	ip -n "$NS_HOST" link add uplink1 type veth peer name op1 netns "$NS_OP"
	lab_addr "$NS_HOST" uplink1 "$UP1_IP4/24"
	lab_addr "$NS_OP" op1 "$OP1_IP4/24"
	ip netns exec "$NS_OP" ethtool -K op1 tx off tso off gso off >/dev/null
	# ping -I op1 picks this route; everything else leaves by op0.
	ip -n "$NS_OP" route add default via "$UP1_IP4" dev op1 metric 500
	ip -n "$NS_HOST" rule add iif uplink1 lookup "$LAB_TABLE" pref 101
	NS_VM3=fp-vm3-$LAB_ID
	lab_ns "$NS_VM3"
	ip -n "$NS_HOST" link add veth-vm3 type veth peer name eth0 netns "$NS_VM3"
	lab_addr "$NS_HOST" veth-vm3 198.19.3.1/24
	lab_addr "$NS_VM3" eth0 "$VM3_IP4/24"
	ip netns exec "$NS_VM3" ethtool -K eth0 gro on >/dev/null
	ip -n "$NS_VM3" route add default via 198.19.3.1
	ip -n "$NS_GW" route add 198.18.2.0/24 via 198.18.1.1
	VM3_MAC=$(ns_mac "$NS_VM3" eth0)
	assert_ok "fastpath load uplink0" fp load uplink0
	assert_ok "fastpath load uplink1" fp load uplink1
	conf
}

# The VMs' fast routes, once apply registered their ports.
model_routes() {
	assert_ok "route vm1" fp route add "$VM1_IP4/32" dev tap-vm1 lladdr "$VM1_MAC"
	assert_ok "route vm1 v6" fp route add "$VM1_IP6/128" dev tap-vm1 lladdr "$VM1_MAC"
	assert_ok "route vm2" fp route add "$VM2_IP4/32" dev veth-vm2 lladdr "$VM2_MAC"
	assert_ok "route vm3" fp route add "$VM3_IP4/32" dev veth-vm3 lladdr "$VM3_MAC"
}

# reason ADDR UPLINK: the reason `explain` gives on that uplink.
# reason ADDR UPLINK [VLAN]: explain's reason, for a frame tagged VLAN if given.
reason() {
	fp explain "$1" --uplink "$2" ${3:+--vlan "$3"} --json |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["reason"])'
}

# conn_count NAME VNET PATH: packets of a connection's path (fast|gateway).
conn_count() {
	fpm connection list --json | python3 -c '
import json, sys
name, vnet, path = sys.argv[1:]
for c in json.load(sys.stdin):
    if c["name"] == name and c["vnet"] == vnet:
        print(c[path]["packets"]); break
else:
    print("none")' "$1" "$2" "$3"
}

# ping_via op0|op1 ADDR: 3 pings from on-prem over that circuit.
ping_via() {
	local dev=$1 addr=$2
	ip netns exec "$NS_OP" ping -q -c 3 -i 0.2 -W 1 -w 5 -I "$dev" "$addr" \
		>/dev/null 2>&1 || lab_fail "ping $addr via $dev: expected 3 replies, saw loss"
}

# expect_path PATH DEV ADDR REASON: pings over DEV reach ADDR by PATH
# (fast: the gateway forwards nothing; gateway: it forwards them all),
# and explain on the circuit's uplink gives REASON.
expect_path() {
	local path=$1 dev=$2 addr=$3 want=$4 up g0 g1 fam=4
	up=uplink${dev#op}
	case $addr in *:*) fam=6 ;; esac
	assert_eq "explain $addr on $up" "$want" "$(reason "$addr" "$up")"
	g0=$(fwd$fam "$NS_GW")
	ping_via "$dev" "$addr"
	g1=$(fwd$fam "$NS_GW")
	if [ "$path" = fast ]; then
		assert_delta "gateway forwards, pings to $addr via $dev" "$g0" "$g1" 0 0
	else
		assert_delta "gateway forwards, pings to $addr via $dev" "$g0" "$g1" 3
	fi
}

# a. Connections decide per circuit; a spoke's traffic is a peering
#    exclusion under profile 2020; counters per connection and path.
case_connections() {
	local f0 f1
	apply_ok "two circuits, three VNets"
	model_routes
	f0=$(conn_count hub-c1 hub fast)
	expect_path fast op0 "$VM1_IP4" fastpath
	expect_path fast op0 "$VM1_IP6" fastpath
	f1=$(conn_count hub-c1 hub fast)
	assert_delta "connection hub-c1 fast packets" "$f0" "$f1" 6
	expect_path gateway op0 "$VM2_IP4" excluded
	expect_path gateway op0 "$VM3_IP4" conn_off
	expect_path fast op1 "$VM3_IP4" fastpath
	expect_path gateway op1 "$VM1_IP4" conn_off
	assert_gt "connection v3-c2 fast packets" "$(conn_count v3-c2 v3 fast)" 2
	assert_gt "connection hub-c1 (spoke, via peering) gateway packets" \
		"$(conn_count hub-c1 spoke gateway)" 2
	assert_match "stats --prometheus, per connection and path" \
		"fastpath_connection_packets_total\{connection=\"v3-c2\",vnet=\"v3\",circuit=\"c2\",path=\"fast\"\} [1-9]" \
		"$(fpm stats --prometheus)"
	tcp_check "$NS_VM1" "$VM1_IP4" 1
}

# b. Profile direct-2025 accelerates the peering on the Direct circuit.
case_profile() {
	apply_ok "profile 2020"
	model_routes
	expect_path gateway op0 "$VM2_IP4" excluded
	conf "profile = direct-2025"
	apply_ok "profile direct-2025"
	expect_path fast op0 "$VM2_IP4" fastpath
	expect_path fast op0 "$VM1_IP4" fastpath
	assert_gt "connection hub-c1 (spoke, via peering) fast packets" \
		"$(conn_count hub-c1 spoke fast)" 2
}

# c. An authorization key redeems one connection; revoking it deletes it.
case_authorization() {
	local key out rc=0 sum
	apply_ok "base"
	model_routes
	# hub (contoso) on c2 (fabrikam) needs a key.
	conf "" on $'[connection hub-c2]\nvnet = hub\ncircuit = c2'
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) || rc=$?
	assert_eq "apply without a key: exit code" 1 "$rc"
	assert_match "apply without a key" "fastpath.conf:[0-9]+: error: connection hub-c2: .*needs an authorization key" "$out"
	key=$(fpm authorization create c2 hub-auth)
	assert_match "authorization key" '^[0-9a-f]{8}-[0-9a-f]{4}-4' "$key"
	conf "" on $'[connection hub-c2]\nvnet = hub\ncircuit = c2\nauthorization = '"$key"
	apply_ok "hub-c2 with its key"
	expect_path fast op1 "$VM1_IP4" fastpath
	assert_match "authorization list" "hub-auth +$key hub-c2" "$(fpm authorization list)"
	# The same key for a second connection: refused, nothing changes.
	sum=$(sha256sum <"$LAB_DIR/state/state.json")
	conf "" on $'[connection hub-c2]\nvnet = hub\ncircuit = c2\nauthorization = '"$key"$'\n[connection spoke-c2]\nvnet = spoke\ncircuit = c2\nauthorization = '"$key"
	rc=0
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) || rc=$?
	assert_eq "apply with a key used twice: exit code" 1 "$rc"
	assert_match "apply with a key used twice" "error: connection spoke-c2: authorization hub-auth is also connection hub-c2's" "$out"
	assert_eq "state after a refused apply" "$sum" "$(sha256sum <"$LAB_DIR/state/state.json")"
	expect_path fast op1 "$VM1_IP4" fastpath
	# Revoke: the connection made with it goes, its traffic to the gateway.
	out=$(fpm authorization revoke c2 hub-auth) || lab_fail "authorization revoke: expected exit 0"
	assert_match "revoke output" "connection hub-c2 deleted" "$out"
	assert_eq "hub-c2 after revoke" none "$(conn_count hub-c2 hub fast)"
	expect_path gateway op1 "$VM1_IP4" conn_off
	expect_path fast op0 "$VM1_IP4" fastpath
	conf "" on $'[connection hub-c2]\nvnet = hub\ncircuit = c2\nauthorization = '"$key"
	rc=0
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) || rc=$?
	assert_eq "apply with a revoked key: exit code" 1 "$rc"
	assert_match "apply with a revoked key" "error: connection hub-c2: authorization key $key is not one of circuit c2's" "$out"
}

# d. fastpath off sends the VNet's traffic to the gateway; the rest stays.
case_fastpath_off() {
	local g0
	apply_ok "fastpath on"
	model_routes
	expect_path fast op0 "$VM1_IP4" fastpath
	conf "" off
	apply_ok "hub-c1 fastpath off"
	g0=$(conn_count hub-c1 hub gateway)
	expect_path gateway op0 "$VM1_IP4" conn_off
	expect_path gateway op0 "$VM1_IP6" conn_off
	assert_delta "connection hub-c1 gateway packets" "$g0" "$(conn_count hub-c1 hub gateway)" 6
	expect_path fast op1 "$VM3_IP4" fastpath
	tcp_check "$NS_VM1" "$VM1_IP4" 1
}

# e. connection del unlinks the VNet: its prefixes leave the fast path.
case_connection_del() {
	apply_ok "base"
	model_routes
	expect_path fast op1 "$VM3_IP4" fastpath
	assert_ok "connection del v3-c2" fpm connection del v3-c2
	assert_eq "v3-c2 after connection del" none "$(conn_count v3-c2 v3 fast)"
	expect_path gateway op1 "$VM3_IP4" conn_off
	expect_path fast op0 "$VM1_IP4" fastpath
	assert_eq "connection del of an unknown connection: exit code" 1 \
		"$(fpm connection del nosuch >/dev/null 2>&1; echo $?)"
}

# f. Past the port's IP budget new routes go to the gateway, with a
#    warning at 80 % and a counter; a freed place goes to a waiting one.
case_budget() {
	local out o0
	conf "ip-budget = 2"
	apply_ok "ip-budget 2"
	out=$(fp route add 198.19.1.50/32 dev tap-vm1 lladdr "$VM1_MAC" 2>&1)
	assert_eq "first route: no warning" "" "$out"
	out=$(fp route add 198.19.1.51/32 dev tap-vm1 lladdr "$VM1_MAC" 2>&1)
	assert_match "second route: warning at 80 %" "budget 80% used \(2 of 2\)" "$out"
	out=$(fp route add "$VM1_IP4/32" dev tap-vm1 lladdr "$VM1_MAC" 2>&1)
	assert_match "third route: budget used up" "budget of 2 used up: new routes go through the gateway" "$out"
	o0=$(fp_stat over_budget)
	expect_path gateway op0 "$VM1_IP4" over_budget
	assert_delta "stats over_budget.packets" "$o0" "$(fp_stat over_budget)" 3
	assert_match "status" "circuit 1 on uplink0: ip budget 2/2 \(100%\), 1 over budget" "$(fp status)"
	# Not on c2: hub has no connection there, the budget is c1's only.
	assert_ok "route del 198.19.1.50/32" fp route del 198.19.1.50/32
	expect_path fast op0 "$VM1_IP4" fastpath
	assert_match "status after a place freed" "ip budget 2/2 \(100%\), 0 over budget" "$(fp status)"
	# A bigger budget takes everything.
	conf "ip-budget = 100"
	apply_ok "ip-budget 100"
	assert_match "status, budget 100" "ip budget 2/100 \(2%\), 0 over budget" "$(fp status)"
}

# Everything the model put into the maps, for before/after comparisons:
# a digest of each map's entries, sorted. A hash map's dump order is not
# its content: a record rewritten as it was moves to the head of its
# bucket, which shows whenever two keys share one (the hash seed is
# random per map).
maps_dump() {
	python3 - "$PIN" <<'PY'
import hashlib, json, subprocess, sys
for m in ("fp_uplinks fp_circuits fp_vnets4 fp_vnets6 fp_excl4 fp_hosts4 "
          "fp_hosts6 fp_conns fp_ports fp_vlans").split():
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", f"{sys.argv[1]}/{m}"],
                         check=True, capture_output=True, text=True).stdout
    rows = sorted(json.dumps(e, sort_keys=True) for e in json.loads(out))
    print(m, hashlib.sha256("\n".join(rows).encode()).hexdigest())
PY
}

# g. A failed apply leaves maps and state as they were; one that died
#    half-way is finished by the next.
case_atomic_apply() {
	local before sum rc=0
	command -v bpftool >/dev/null || lab_skip "missing tool: bpftool"
	apply_ok "base"
	model_routes
	before=$(maps_dump)
	sum=$(sha256sum <"$LAB_DIR/state/state.json")
	conf "profile = direct-2025" off
	FASTPATH_APPLY_FAIL_AFTER=3 fpm apply --config "$LAB_DIR/fastpath.conf" 2>"$LAB_DIR/err" || rc=$?
	assert_eq "apply failing at step 4: exit code" 1 "$rc"
	assert_match "apply failing at step 4" "undoing 3 step" "$(cat "$LAB_DIR/err")"
	assert_eq "maps after a failed apply" "$before" "$(maps_dump)"
	assert_eq "state after a failed apply" "$sum" "$(sha256sum <"$LAB_DIR/state/state.json")"
	[ ! -e "$LAB_DIR/state/state.json.pending" ] || lab_fail "pending file after a failed apply: expected none, saw one"
	expect_path fast op0 "$VM1_IP4" fastpath
	# Killed half-way: no undo, the pending file stays.
	rc=0
	FASTPATH_APPLY_DIE_AFTER=3 fpm apply --config "$LAB_DIR/fastpath.conf" 2>/dev/null || rc=$?
	assert_eq "apply killed at step 4: exit code" 137 "$rc"
	[ -e "$LAB_DIR/state/state.json.pending" ] || lab_fail "pending file after a killed apply: expected one, saw none"
	assert_match "next apply" "interrupted; this one finishes it" \
		"$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1)"
	[ ! -e "$LAB_DIR/state/state.json.pending" ] || lab_fail "pending file after the next apply: expected none, saw one"
	expect_path gateway op0 "$VM1_IP4" conn_off
	# The spoke rides on hub-c1, now off; peering itself is accelerated.
	expect_path gateway op0 "$VM2_IP4" conn_off
	expect_path fast op1 "$VM3_IP4" fastpath
	# The same config once more changes nothing.
	before=$(maps_dump)
	apply_ok "the same config again"
	assert_eq "maps after applying the same config" "$before" "$(maps_dump)"
}

# The maps as a set, whatever order their writes took: every map the
# model and the routes live in (not the compiled table, whose slots
# depend on history, nor counters), entries sorted, an array's untouched
# (all zero) slots left out; fp_upv only at the uplinks' slots (65536 of
# them take seconds to dump). Then the CLI's lists.
canon() {
	python3 - "$PIN" <<'PY'
import json, subprocess, sys
pin = sys.argv[1]
def dump(m):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "pinned", f"{pin}/{m}"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)
def show(m, entries):
    print("#", m)
    for e in sorted(json.dumps(e.get("formatted", e), sort_keys=True)
                    for e in entries if any(int(b, 16) for b in e["value"])):
        print(e)
ups = dump("fp_uplinks")
show("fp_uplinks", ups)
upv = []
for e in ups:
    out = subprocess.run(["bpftool", "-j", "map", "lookup", "pinned", f"{pin}/fp_upv",
                          "key", "hex"] + [b[2:] for b in e["key"]],
                         check=True, capture_output=True, text=True).stdout
    upv.append(json.loads(out))
show("fp_upv", upv)
for m in ("fp_circuits fp_vnets4 fp_vnets6 fp_excl4 fp_excl6 fp_hosts4 "
          "fp_hosts6 fp_routes4 fp_routes6 fp_conns fp_ports fp_vlans").split():
    show(m, dump(m))
PY
	echo "# lists"
	fp route list | sort
	fp exclude list | sort
	fp port list | sort
}

# What the data path does with the addresses the two configs touch.
explain_all() {
	local a up
	for up in uplink0 uplink1; do
		for a in "$VM1_IP4" "$VM1_IP6" "$VM2_IP4" "$VM3_IP4" 198.19.4.10 \
			198.19.4.130 198.19.5.10 198.19.5.20; do
			echo "$up $a $(fp explain "$a" --uplink "$up" --json)"
		done
	done
}

# conf_ab A|B: A has VNet v4 at 198.19.5.0/24 (a basic-lb exclusion, fast
# on c1); B moves it to 198.19.4.0/24 with a private-link exclusion and a
# new port, turns its connection and hub-c1 off, and changes c1's profile
# and budget: steps of every kind, added, changed and removed.
conf_ab() {
	local v4
	if [ "$1" = A ]; then
		v4=$'[vnet v4]\naddress-space = 198.19.5.0/24\nexclude = basic-lb 198.19.5.0/26\nowner = contoso\n[connection v4-c1]\nvnet = v4\ncircuit = c1\nfastpath = on'
		conf "" on "$v4"
	else
		v4=$'[vnet v4]\naddress-space = 198.19.4.0/24\nexclude = private-link 198.19.4.128/25\nport = veth-vm4\nowner = contoso\n[connection v4-c1]\nvnet = v4\ncircuit = c1\nfastpath = off'
		conf $'profile = direct-2025\nip-budget = 50000' off "$v4"
	fi
}

# h. An apply killed before any one of its steps, then finished by the next
#    apply, leaves the maps as a clean apply does, and the data path
#    answers alike: the next apply must not take what the killed one only
#    meant to write for written. Also when the finishing apply is itself
#    killed or fails, and the config changed in between.
case_killed_at_every_step() {
	local ref ref_x k rc out a
	command -v bpftool >/dev/null || lab_skip "missing tool: bpftool"
	ip -n "$NS_HOST" link add veth-vm4 type veth peer name veth-vm4p
	ip -n "$NS_HOST" link set veth-vm4 up
	ip -n "$NS_HOST" link set veth-vm4p up
	conf_ab A
	apply_ok "config A"
	model_routes
	for a in 198.19.4.10 198.19.4.130 198.19.5.10 198.19.5.20; do
		assert_ok "route $a" fp route add "$a/32" dev veth-vm2 lladdr "$VM2_MAC"
	done
	conf_ab B
	apply_ok "config B, clean"
	ref=$(canon) ref_x=$(explain_all)
	assert_match "explain in B's new space, connection off" '"reason": *"conn_off"' \
		"$(fp explain 198.19.4.10 --uplink uplink0 --json)"
	for k in $(seq 0 100); do
		conf_ab A
		apply_ok "back to config A (before a kill at step $((k + 1)))"
		conf_ab B
		rc=0
		FASTPATH_APPLY_DIE_AFTER=$k fpm apply --config "$LAB_DIR/fastpath.conf" >/dev/null 2>&1 || rc=$?
		if [ "$rc" -eq 0 ]; then
			break # k is past the last step: a clean apply
		fi
		assert_eq "apply killed before step $((k + 1)): exit code" 137 "$rc"
		out=$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) ||
			lab_fail "apply after a kill before step $((k + 1)): expected exit 0, saw: $out"
		assert_match "apply after a kill before step $((k + 1))" "interrupted; this one finishes it" "$out"
		[ ! -e "$LAB_DIR/state/state.json.pending" ] ||
			lab_fail "pending file after the apply that finished a kill before step $((k + 1)): expected none, saw one"
		[ "$(canon)" = "$ref" ] ||
			lab_fail "maps after a kill before step $((k + 1)) and the next apply: expected those of a clean apply, saw: $(diff <(echo "$ref") <(canon) | head -20)"
		[ "$(explain_all)" = "$ref_x" ] ||
			lab_fail "explain after a kill before step $((k + 1)) and the next apply: expected a clean apply's answers, saw: $(diff <(echo "$ref_x") <(explain_all) | head -20)"
		out=$(fpm apply --check --config "$LAB_DIR/fastpath.conf" 2>/dev/null | grep -E '^([-+~] |circuit )' || true)
		assert_eq "apply --check after a kill before step $((k + 1)) and the next apply: steps left" "" "$out"
	done
	[ "$rc" -eq 0 ] || lab_fail "steps from config A to B: expected at most 100, saw more"
	[ "$k" -gt 5 ] || lab_fail "steps from config A to B: expected more than 5, saw $k"
	[ "$(canon)" = "$ref" ] || lab_fail "maps after a clean apply of B again: expected the first one's"
	log "  killed before each of $k steps: the next apply finished each like a clean one"
	# B killed before its last step; the apply of A that would finish
	# it killed before its first, the next one failing: the apply after
	# them still takes away all that B put there.
	conf_ab A
	apply_ok "config A, clean"
	ref=$(canon) ref_x=$(explain_all)
	conf_ab B
	rc=0
	FASTPATH_APPLY_DIE_AFTER=$((k - 1)) fpm apply --config "$LAB_DIR/fastpath.conf" >/dev/null 2>&1 || rc=$?
	assert_eq "apply of B killed before its last step: exit code" 137 "$rc"
	conf_ab A
	rc=0
	FASTPATH_APPLY_DIE_AFTER=0 fpm apply --config "$LAB_DIR/fastpath.conf" >/dev/null 2>&1 || rc=$?
	assert_eq "apply of A finishing it, killed before its first step: exit code" 137 "$rc"
	rc=0
	out=$(FASTPATH_APPLY_FAIL_AFTER=1 fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) || rc=$?
	assert_eq "apply of A finishing both, failing at step 2: exit code" 1 "$rc"
	assert_match "apply of A finishing both, failing at step 2" "interrupted apply is still to be finished" "$out"
	apply_ok "config A after two kills and a failure"
	[ "$(canon)" = "$ref" ] ||
		lab_fail "maps after two kills, a failure and an apply of A: expected those of a clean apply of A, saw: $(diff <(echo "$ref") <(canon) | head -20)"
	[ "$(explain_all)" = "$ref_x" ] ||
		lab_fail "explain after two kills, a failure and an apply of A: expected a clean apply's answers, saw: $(diff <(echo "$ref_x") <(explain_all) | head -20)"
}

# i. Applies that change other objects leave a running flow alone: a
#    sequenced UDP flow to vm1 over c1 while c1's budget, a new VNet and
#    its connection come and go, six times: nothing lost, all fast.
case_apply_under_traffic() {
	local d=4 rate=500 sent f0 g0 i rx
	local extra=$'[vnet v4]\naddress-space = 198.19.4.0/24\nowner = contoso\n[connection v4-c1]\nvnet = v4\ncircuit = c1\nfastpath = off'
	apply_ok "base"
	model_routes
	f0=$(conn_count hub-c1 hub fast) g0=$(conn_count hub-c1 hub gateway)
	ip netns exec "$NS_VM1" "$PYTHON" "$ROOT/selftests/seqflow.py" recv 9000 $((d + 3)) "$LAB_DIR/rx.json" &
	echo $! >>"$LAB_DIR/pids"
	sleep 0.5
	ip netns exec "$NS_OP" "$PYTHON" "$ROOT/selftests/seqflow.py" send "$VM1_IP4" 9000 "$rate" "$d" >"$LAB_DIR/tx" &
	echo $! >>"$LAB_DIR/pids"
	for i in 1 2 3; do
		sleep 0.3
		conf "ip-budget = 50000" on "$extra"
		apply_ok "budget and a new VNet ($i)"
		sleep 0.3
		conf
		apply_ok "back to the base ($i)"
	done
	wait_for "the flow's end" 100 test -s "$LAB_DIR/tx"
	wait_for "the receiver's summary" 100 test -s "$LAB_DIR/rx.json"
	sent=$(cat "$LAB_DIR/tx")
	rx=$(python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["received"], r["gaps"], r["duplicates"])' "$LAB_DIR/rx.json")
	assert_eq "received, gaps, duplicates of $sent sent during six applies" "$sent 0 0" "$rx"
	assert_delta "connection hub-c1 fast packets during the applies" "$f0" "$(conn_count hub-c1 hub fast)" "$sent"
	assert_delta "connection hub-c1 gateway packets during the applies" "$g0" "$(conn_count hub-c1 hub gateway)" 0 0
}

# i. A spoke with a connection of its own (FastPath's peering workaround)
#    is fast on that connection's circuit and still a peering exclusion
#    where it rides on its hub; under direct-2025 a Private Link endpoint
#    is fast only in the VNet the circuit connects, not in a spoke reached
#    through its hub. explain agrees with where the packets go.
case_spoke_connection() {
	local key pl="exclude = private-link $VM2_PL4/32"
	apply_ok "base"
	model_routes
	assert_ok "route vm2 private link" fp route add "$VM2_PL4/32" dev veth-vm2 lladdr "$VM2_MAC"
	expect_path gateway op1 "$VM2_IP4" excluded
	key=$(fpm authorization create c2 spoke-auth)
	conf "" on $'[connection spoke-c2]\nvnet = spoke\ncircuit = c2\nauthorization = '"$key"
	apply_ok "spoke-c2, the spoke's own connection"
	expect_path fast op1 "$VM2_IP4" fastpath
	expect_path gateway op0 "$VM2_IP4" excluded
	assert_gt "connection spoke-c2 fast packets" "$(conn_count spoke-c2 spoke fast)" 2
	conf "profile = direct-2025" on "" "$pl"
	apply_ok "direct-2025 on c1, a private link in the spoke"
	expect_path fast op0 "$VM2_IP4" fastpath
	expect_path gateway op0 "$VM2_PL4" excluded
	conf "profile = direct-2025" on $'[connection spoke-c1]\nvnet = spoke\ncircuit = c1' "$pl"
	apply_ok "spoke-c1, the spoke's own connection on c1"
	expect_path fast op0 "$VM2_PL4" fastpath
	expect_path fast op0 "$VM2_IP4" fastpath
	assert_gt "connection spoke-c1 fast packets" "$(conn_count spoke-c1 spoke fast)" 2
}

# j. apply --check writes nothing: no state directory, no lock, before
#    the first apply or after it; the check reads the state it finds.
case_check_writes_nothing() {
	local out before rc
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" --check 2>&1) ||
		lab_fail "apply --check: expected exit 0, saw: $out"
	assert_match "apply --check" "valid \(0 warning\(s\)\); nothing changed" "$out"
	[ ! -e "$LAB_DIR/state" ] ||
		lab_fail "apply --check: expected no state directory, saw: $(ls -la "$LAB_DIR/state")"
	apply_ok "the lab's config"
	before=$(ls -l --time-style=+%s.%N "$LAB_DIR/state")
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" --check 2>&1) ||
		lab_fail "apply --check after apply: expected exit 0, saw: $out"
	# The state was read: nothing left to do.
	assert_eq "apply --check after apply: steps" "" "$(printf '%s\n' "$out" | grep '^[+~-] ' || true)"
	assert_eq "state directory after apply --check" "$before" \
		"$(ls -l --time-style=+%s.%N "$LAB_DIR/state")"
	rm -f "$LAB_DIR/state/state.lock"
	assert_ok "apply --check without a lock" fpm apply --config "$LAB_DIR/fastpath.conf" --check
	[ ! -e "$LAB_DIR/state/state.lock" ] || lab_fail "apply --check: expected no state.lock, saw one"
	# After a killed apply the check finishes nothing: the next apply does.
	conf "" off
	rc=0
	FASTPATH_APPLY_DIE_AFTER=0 fpm apply --config "$LAB_DIR/fastpath.conf" 2>/dev/null || rc=$?
	assert_eq "apply killed before its first step: exit code" 137 "$rc"
	before=$(ls -l --time-style=+%s.%N "$LAB_DIR/state")
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" --check 2>&1) ||
		lab_fail "apply --check after a killed apply: expected exit 0, saw: $out"
	assert_match "apply --check after a killed apply" "interrupted; the next apply finishes it" "$out"
	assert_eq "state directory after apply --check" "$before" \
		"$(ls -l --time-style=+%s.%N "$LAB_DIR/state")"
	assert_match "the next apply" "interrupted; this one finishes it" \
		"$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1)"
}

# k. apply --check --offline validates a config on a machine without its
#    interfaces or state (here: the root namespace, no -n): every other
#    rule holds, each check skipped is a note, nothing is written.
case_check_offline() {
	local out rc bad
	out=$("$FP" --state-dir "$LAB_DIR/off" apply --config "$LAB_DIR/fastpath.conf" \
		--check --offline 2>&1) || lab_fail "apply --check --offline: expected exit 0, saw: $out"
	assert_match "offline verdict" "valid offline \(0 warning\(s\), 5 check\(s\) skipped" "$out"
	assert_match "offline: uplink0 not checked" \
		"fastpath.conf:[0-9]+: note: circuit c1: uplink uplink0: not checked offline" "$out"
	assert_match "offline: veth-vm3 not checked" "note: vnet v3: port veth-vm3: not checked offline" "$out"
	# The plan says the families a VNet has: v3 is IPv4 only.
	assert_match "offline plan" "^\+ connection v3-c2: vnet v3 - circuit c2: fastpath ipv4$" "$out"
	[ ! -e "$LAB_DIR/off" ] || lab_fail "apply --check --offline: expected no state directory"
	# Without the host, the same config is refused online.
	rc=0
	out=$("$FP" --state-dir "$LAB_DIR/off" apply --config "$LAB_DIR/fastpath.conf" --check 2>&1) || rc=$?
	assert_eq "apply --check in the root namespace: exit" 1 "$rc"
	assert_match "apply --check in the root namespace" "uplink uplink0: no such interface" "$out"
	# A rule that needs no host still holds offline.
	conf "bandwidth = 100M"
	rc=0
	out=$("$FP" apply --config "$LAB_DIR/fastpath.conf" --check --offline 2>&1) || rc=$?
	assert_eq "offline, a 100M Direct circuit: exit" 1 "$rc"
	assert_match "offline, a 100M Direct circuit" "error: circuit c1: .*100M" "$out"
	# --offline is a kind of check.
	rc=0
	"$FP" apply --config "$LAB_DIR/fastpath.conf" --offline >/dev/null 2>&1 || rc=$?
	assert_eq "apply --offline without --check: exit" 2 "$rc"
	# Messages: a long name says so; bytes that are not UTF-8 are escaped.
	bad=$(printf '[vnet %s]\n[circuit c\377\033]\n' "$(printf 'v%.0s' $(seq 64))")
	printf '%s\n' "$bad" >"$LAB_DIR/bad.conf"
	rc=0
	out=$("$FP" apply --config "$LAB_DIR/bad.conf" --check --offline 2>&1) || rc=$?
	assert_eq "bad names: exit" 1 "$rc"
	assert_match "a 64-character name" ":1: error: .*name too long \(64 characters; 63 at most\)" "$out"
	assert_match "bytes escaped" ':2: error: \[circuit c\\xff\\x1b\]' "$out"
	if printf '%s' "$out" | LC_ALL=C grep -q $'[\x80-\xff\x1b]'; then
		lab_fail "bad names: expected no raw byte, saw: $out"
	fi
}

# The lab's config with c1 on ExpressRoute Direct port p1 (Dot1Q, VLAN
# 10) on uplink0 instead of untagged on it.
conf_port() {
	conf "" on "[port p1]
uplink = uplink0
speed = 10G
encapsulation = dot1q"
	# c1's uplink (the first), not the port's.
	sed -i '0,/^uplink = uplink0$/s//port = p1\nvlan = 10/' "$LAB_DIR/fastpath.conf"
	grep -q '^port = p1$' "$LAB_DIR/fastpath.conf" ||
		lab_fail "conf_port: expected c1 on port p1, saw: $(cat "$LAB_DIR/fastpath.conf")"
}

# state_circuit NAME: a circuit of the applied plan in state.json, as
# "uplink port stag vlan budget".
state_circuit() {
	python3 - "$LAB_DIR/state/state.json" "$1" <<'PY'
import json, sys
for c in json.load(open(sys.argv[1]))["applied"]["circuits"]:
    if c["name"] == sys.argv[2]:
        print(c["uplink"], c["port"] or "-", c["stag"], c["vlan"], c["budget"])
PY
}

# fail_each_step WHAT: apply the config failing before step 1, 2, ...:
# each failure leaves the maps as they were, until one succeeds.
fail_each_step() {
	local before n=0 rc
	before=$(maps_dump)
	while rc=0 && FASTPATH_APPLY_FAIL_AFTER=$n fpm apply \
		--config "$LAB_DIR/fastpath.conf" 2>/dev/null || rc=$?; [ "$rc" -ne 0 ]; do
		assert_eq "apply, $1, failing at step $((n + 1)): exit" 1 "$rc"
		assert_eq "maps after apply, $1, failed at step $((n + 1))" \
			"$before" "$(maps_dump)"
		n=$((n + 1))
		[ "$n" -lt 30 ] || lab_fail "apply, $1: expected to succeed within 30 steps"
	done
	[ "$n" -gt 0 ] || lab_fail "apply, $1: expected at least one step"
}

# l. A circuit on a [port] (a VLAN trunk): applied as the trunk's tagged
#    circuit (VLAN 10 is c1's, with c1's connections), its uplink's
#    untagged record no circuit's; a tag change moves the record, and back
#    untagged it is c1's again with no tagged circuit left.
case_trunk_port() {
	local out rc
	apply_ok "c1 untagged on uplink0"
	model_routes
	assert_eq "explain vm3 on uplink0, c1 untagged" conn_off "$(reason "$VM3_IP4" uplink0)"
	conf_port
	# Failing at any step, on a port and back, leaves the maps as they were.
	if command -v bpftool >/dev/null; then
		fail_each_step "c1 onto port p1"
		conf
		fail_each_step "c1 back untagged"
		conf_port
	fi
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" --check 2>&1) ||
		lab_fail "apply --check, c1 on a port: expected exit 0, saw: $out"
	assert_match "apply --check, c1 on a port: uplink0 leaves c1" \
		"^- circuit c1 \(1\) off uplink uplink0$" "$out"
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) ||
		lab_fail "apply, c1 on a port: expected exit 0, saw: $out"
	assert_eq "state: c1" "uplink0 p1 0 10 100000" "$(state_circuit c1)"
	assert_match "uplink list: c1 as VLAN 10 of uplink0" \
		"^  vlan 10 circuit 1 gateway pass$" "$(fp uplink list)"
	# Tagged 10, the frames are c1's: hub connected, v3 not.
	assert_eq "explain vm1 on uplink0 vlan 10" fastpath "$(reason "$VM1_IP4" uplink0 10)"
	assert_eq "explain vm3 on uplink0 vlan 10" conn_off "$(reason "$VM3_IP4" uplink0 10)"
	assert_eq "explain vm1 on uplink0 vlan 11" unknown_vlan "$(reason "$VM1_IP4" uplink0 11)"
	assert_eq "state: c2" "uplink1 - 0 0 25000" "$(state_circuit c2)"
	rc=$(reason "$VM3_IP4" uplink0)
	[ "$rc" != conn_off ] ||
		lab_fail "explain vm3 on uplink0, c1 on a port: expected the uplink outside the model, saw conn_off"
	expect_path fast op1 "$VM3_IP4" fastpath
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" --check 2>&1)
	assert_eq "apply --check once applied: steps" "" "$(printf '%s\n' "$out" | grep '^[+~-] ' || true)"
	# Another VLAN: the old record goes, the new one is c1's.
	sed -i 's/^vlan = 10$/vlan = 12/' "$LAB_DIR/fastpath.conf"
	out=$(fpm apply --config "$LAB_DIR/fastpath.conf" 2>&1) ||
		lab_fail "apply, c1 to VLAN 12: expected exit 0, saw: $out"
	assert_eq "explain vm3 on uplink0 vlan 12" conn_off "$(reason "$VM3_IP4" uplink0 12)"
	assert_eq "explain vm1 on uplink0 vlan 10, moved" unknown_vlan "$(reason "$VM1_IP4" uplink0 10)"
	conf
	apply_ok "c1 untagged again"
	assert_eq "uplink list, c1 untagged: no tagged circuit" "" \
		"$(fp uplink list | grep '^  vlan' || true)"
	assert_eq "explain vm3 on uplink0, c1 untagged again" conn_off "$(reason "$VM3_IP4" uplink0)"
	assert_eq "state: c1 untagged" "uplink0 - 0 0 100000" "$(state_circuit c1)"
	# Offline, the port's uplink is a note like any interface.
	conf_port
	out=$("$FP" --state-dir "$LAB_DIR/off" apply --config "$LAB_DIR/fastpath.conf" \
		--check --offline 2>&1) || lab_fail "apply --check --offline with a port: expected exit 0, saw: $out"
	assert_match "offline with a port" "note: port p1: uplink uplink0: not checked offline" "$out"
	assert_match "offline plan with a port" "^\+ circuit c1 \(1\) on uplink0: ip budget 100000$" "$out"
}

# m. The return path judges a source that no entry names by the VNet
#    behind the VM's port: apply binds tap-vm1 to hub and veth-vm2 to
#    spoke (their fp_ports records carry the VNet), so vm1 sending from
#    hub's address space is its own, from spoke's is spoofed. A port that
#    leaves its VNet loses the binding (its sources are the host's stack's
#    to judge again); one that apply registered is unregistered and its
#    return path detached.
case_vnet_sources() {
	local out
	# veth-vm2 registered by hand first, tap-vm1 by apply: both get the
	# return path, and apply binds both.
	assert_ok "port add veth-vm2" fp port add veth-vm2
	apply_ok "hub, spoke, v3"
	assert_match "apply registered tap-vm1 with the return path" "^tap-vm1 .* return vnet [0-9]+$" \
		"$(fp port list | grep '^tap-vm1 ')"
	assert_eq "tap-vm1 registered by apply: its return path attached" "prog/xdp" \
		"$(ip -n "$NS_HOST" -d link show dev tap-vm1 | grep -o 'prog/xdp' | head -1)"
	assert_ok "onprem add" fp onprem add "$ONP_NET4" via "$OP_IP4" dev uplink0 lladdr "$OP_MAC"
	assert_eq "tap-vm1 from hub's space" "fastpath fastpath" "$(from_port tap-vm1 198.19.1.77)"
	assert_eq "tap-vm1 from spoke's space" "drop spoofed" "$(from_port tap-vm1 198.19.2.77)"
	assert_eq "tap-vm1 from no VNet's space" "pass unknown_source" "$(from_port tap-vm1 198.18.9.9)"
	assert_eq "veth-vm2 from hub's space" "drop spoofed" "$(from_port veth-vm2 198.19.1.77)"
	assert_eq "the VNets behind tap-vm1 and veth-vm2 (fp_ports)" "hub spoke" \
		"$(port_vnet tap-vm1) $(port_vnet veth-vm2)"
	# Registered anew, a port gets the applied model's VNet at once.
	assert_ok "port del veth-vm2" fpm port del veth-vm2
	assert_ok "port add veth-vm2 again" fpm port add veth-vm2
	assert_eq "the VNet behind veth-vm2, registered again" "spoke" "$(port_vnet veth-vm2)"
	assert_eq "veth-vm2 registered again: from hub's space" "drop spoofed" "$(from_port veth-vm2 198.19.1.77)"
	# Registered by sync (--ports), the same; then by hand again.
	assert_ok "port del veth-vm2, for sync" fpm port del veth-vm2
	assert_ok "sync --once --ports veth-vm2" fpm sync --once --ports veth-vm2
	assert_match "veth-vm2 registered by sync" "^veth-vm2 ifindex" "$(fp port list)"
	assert_eq "the VNet behind veth-vm2, registered by sync" "spoke" "$(port_vnet veth-vm2)"
	assert_ok "port del veth-vm2, sync's" fpm port del veth-vm2
	assert_ok "port add veth-vm2, by hand" fpm port add veth-vm2
	# tap-vm1 to spoke: unbound before the address spaces change, bound
	# again after them, so none of its sources is spoofed on the way.
	sed -i '/^port = tap-vm1$/d; s/^port = veth-vm2$/&\nport = tap-vm1/' "$LAB_DIR/fastpath.conf"
	out=$(fpm apply --check --config "$LAB_DIR/fastpath.conf" 2>&1) ||
		lab_fail "apply --check, tap-vm1 to spoke: expected exit 0, saw: $out"
	assert_eq "apply --check, tap-vm1 to spoke: its steps" \
		"~ port tap-vm1: vnet $(vnet_id hub) -> 0
~ port tap-vm1: vnet 0 -> $(vnet_id spoke)" "$(printf '%s\n' "$out" | grep '^~ port')"
	apply_ok "tap-vm1 to spoke"
	assert_eq "tap-vm1 in spoke: from hub's space" "drop spoofed" "$(from_port tap-vm1 198.19.1.77)"
	assert_eq "the VNet behind tap-vm1, moved" "spoke" "$(port_vnet tap-vm1)"
	sed -i '/^port = tap-vm1$/d; /^port = veth-vm2$/d' "$LAB_DIR/fastpath.conf"
	apply_ok "tap-vm1 and veth-vm2 out of their VNets"
	assert_eq "veth-vm2 out of spoke: from spoke's space" "pass unknown_source" \
		"$(from_port veth-vm2 198.19.2.77)"
	assert_eq "veth-vm2 out of spoke: from hub's space" "pass unknown_source" \
		"$(from_port veth-vm2 198.19.1.77)"
	assert_eq "the VNets behind tap-vm1 and veth-vm2, both out" "unregistered none" \
		"$(port_vnet tap-vm1) $(port_vnet veth-vm2)"
	assert_eq "tap-vm1 unregistered by apply: its return path detached" "" \
		"$(ip -n "$NS_HOST" -d link show dev tap-vm1 | grep -o 'prog/xdp' || true)"
}

# from_port PORT SRC: the return path's verdict and reason for a frame
# from the VM on PORT with source SRC to the on-prem network.
from_port() {
	local j
	j=$(fp --json explain --from "$1" --src "$2" "$ONP_IP4") ||
		lab_fail "explain --from $1 --src $2: expected exit 0, saw $?"
	printf '%s' "$j" | python3 -c '
import json, sys
j = json.load(sys.stdin)
print(j["verdict"], j["reason"])'
}

# vnet_id NAME: the VNet's id in the state.
vnet_id() {
	python3 -c '
import json, sys
print(json.load(open(sys.argv[2]))["vnet_ids"][sys.argv[1]])' "$1" "$LAB_DIR/state/state.json"
}

# port_vnet IFACE: the name of the VNet behind the port (fp_ports' vnet,
# by the state's ids), "none" for 0.
port_vnet() {
	local ifindex
	ifindex=$(ip netns exec "$NS_HOST" cat "/sys/class/net/$1/ifindex") ||
		lab_fail "ifindex of $1: no such interface"
	bpftool --json map dump pinned "$PIN/fp_ports" | python3 -c '
import json, sys
ifindex, state = int(sys.argv[1]), sys.argv[2]
ids = json.load(open(state))["vnet_ids"]
for e in json.load(sys.stdin):
    e = e.get("formatted", e)
    if e["key"] == ifindex:
        v = e["value"]["vnet"]
        print(next((n for n, i in ids.items() if i == v), "none") if v else "none")
        break
else:
    print("unregistered")' "$ifindex" "$LAB_DIR/state/state.json"
}

model_down() { lab_down; }

lab_main model_setup model_down "$CASES" "$@"
