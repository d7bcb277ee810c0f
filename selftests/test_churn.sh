#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Route churn is hitless: a sequenced UDP flow from on-prem to six addresses
# of vm1 (three IPv4, three IPv6, round robin) runs while fast-path routes
# and exclusions around those addresses come and go, one CLI change at a
# time, in a seeded random order. The changes are the ones a multibit trie
# (16-8-8 for IPv4, a stride trie for IPv6, leaves written in place) finds
# hardest: a more specific route arriving inside a covered range (a leaf
# splits into a sub-table) and leaving again (it collapses), a shorter
# prefix added over and removed from under longer ones, routes to vm2 for
# the flow's *neighbours* (a split next to a live entry) and exclusions
# covering flow destinations (those packets go by the gateway instead).
#
# Whatever the table holds at any instant, each flow destination reaches
# vm1, by the fast path or by the gateway. So: every sequence number must
# arrive at vm1 exactly once, none of the flow's frames may reach vm2, and
# both paths must have carried part of the flow (stats fastpath, and the
# gateway namespace's forward counters), their sum being exactly the packets
# sent. The op log is replayed afterwards to show each kind of change really
# happened with the flow running, and the loader's final route and exclusion
# lists must match it.
#
# Limits: a stress test, not a proof. Changes come one CLI process at a
# time (some 15-25 a second here), each table state sees a few dozen
# packets, and a wrong entry shows only while it is the one that wins for a
# flow destination (a live exclusion or a more specific route hides it).
#
# CHURN_SECS (default 20) and CHURN_OPS (default 4000) bound the churn,
# CHURN_RATE the flow in packets/s (default 1500), CHURN_SEED its order.
# Usage: test_churn.sh [CASE...]
# selftest: serial (the flow must arrive whole: run.sh runs it alone)
# selftest: once (the trie's random changes run sanitized in test_trie,
# make sanitize-unit; the route and exclude commands in test_fastpath and
# test_model)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="churn"
CHURN_SECS=${CHURN_SECS:-20}
CHURN_OPS=${CHURN_OPS:-4000}
CHURN_RATE=${CHURN_RATE:-1500}
CHURN_SEED=${CHURN_SEED:-$(((RANDOM << 15) | RANDOM))}
SEQFLOW="$ROOT/selftests/seqflow.py"
FLOW_PORT=9000

# The flow's destinations, all on vm1's eth0, inside the prefixes the lab's
# gateway routes back to the host and the host routes to tap-vm1.
DST4=("$VM1_IP4" 198.19.1.21 198.19.1.130)
DST6=("$VM1_IP6" 2001:db8:100:1::21 2001:db8:100:1:8000::130)

# What the churn toggles: "route PREFIX PORT" or "exclude PREFIX". Routes to
# tap-vm1 cover a destination; routes to veth-vm2 cover none (checked before
# the flow starts); exclusions cover one or more.
ITEMS=(
	# IPv4 to vm1: /32 /28 /24 /20 /16 (the 16-8-8 levels and between).
	"route 198.19.1.10/32 tap-vm1"
	"route 198.19.1.21/32 tap-vm1"
	"route 198.19.1.130/32 tap-vm1"
	"route 198.19.1.0/28 tap-vm1"
	"route 198.19.1.16/28 tap-vm1"
	"route 198.19.1.128/28 tap-vm1"
	"route 198.19.1.0/24 tap-vm1"
	"route 198.19.0.0/20 tap-vm1"
	"route 198.19.0.0/16 tap-vm1"
	# IPv4 to vm2: neighbours of the destinations, and neighbouring /24s.
	"route 198.19.1.11/32 veth-vm2"
	"route 198.19.1.8/31 veth-vm2"
	"route 198.19.1.20/32 veth-vm2"
	"route 198.19.1.22/31 veth-vm2"
	"route 198.19.1.24/29 veth-vm2"
	"route 198.19.1.32/27 veth-vm2"
	"route 198.19.1.64/26 veth-vm2"
	"route 198.19.1.131/32 veth-vm2"
	"route 198.19.1.132/30 veth-vm2"
	"route 198.19.1.144/28 veth-vm2"
	"route 198.19.0.0/24 veth-vm2"
	"route 198.19.3.0/24 veth-vm2"
	# IPv4 exclusions.
	"exclude 198.19.1.10/32"
	"exclude 198.19.1.16/28"
	"exclude 198.19.1.128/25"
	# IPv6 to vm1: /128 /124 /96 /64 /56 /48.
	"route 2001:db8:100:1::10/128 tap-vm1"
	"route 2001:db8:100:1::21/128 tap-vm1"
	"route 2001:db8:100:1:8000::130/128 tap-vm1"
	"route 2001:db8:100:1::10/124 tap-vm1"
	"route 2001:db8:100:1::20/124 tap-vm1"
	"route 2001:db8:100:1:8000::/96 tap-vm1"
	"route 2001:db8:100:1::/64 tap-vm1"
	"route 2001:db8:100::/56 tap-vm1"
	"route 2001:db8:100::/48 tap-vm1"
	# IPv6 to vm2: neighbours, and neighbouring /64s and /56s.
	"route 2001:db8:100:1::11/128 veth-vm2"
	"route 2001:db8:100:1::/124 veth-vm2"
	"route 2001:db8:100:1::22/127 veth-vm2"
	"route 2001:db8:100:1::100/120 veth-vm2"
	"route 2001:db8:100:1:8000::131/128 veth-vm2"
	"route 2001:db8:100:1:8000::1:0/112 veth-vm2"
	"route 2001:db8:100:1:4000::/66 veth-vm2"
	"route 2001:db8:100::/64 veth-vm2"
	"route 2001:db8:100:2::/64 veth-vm2"
	"route 2001:db8:100:100::/56 veth-vm2"
	# IPv6 exclusions.
	"exclude 2001:db8:100:1::10/128"
	"exclude 2001:db8:100:1::20/124"
	"exclude 2001:db8:100:1:8000::/65"
)
# Exclusion classes the churn cycles through (udr is never applied).
CLASSES=(other private-link basic-lb peering)

# check_items: the test's premise, before any traffic.
check_items() {
	local out
	out=$(printf '%s\n' "${ITEMS[@]}" | "$PYTHON" -c '
import ipaddress, sys
dst = [ipaddress.ip_address(a) for a in sys.argv[1:]]
for line in sys.stdin:
    kind, pfx, *port = line.split()
    net = ipaddress.ip_network(pfx)
    hits = [a for a in dst if a.version == net.version and a in net]
    if port == ["veth-vm2"] and hits:
        print("%s to veth-vm2 covers flow destination %s" % (pfx, hits[0]))
    elif port != ["veth-vm2"] and not hits:
        print("%s %s covers no flow destination" % (kind, pfx))
' "${DST4[@]}" "${DST6[@]}") || lab_fail "checking the churn items: python3 failed"
	[ -z "$out" ] || lab_fail "the churn items: $out"
}

churn_setup() {
	local a
	lab_up
	lab_require_fp
	command -v python3 >/dev/null || lab_skip "missing tool: python3"
	check_items
	assert_ok "fastpath load uplink0" fp load uplink0
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC"
	for a in "${DST4[@]}"; do
		[ "$a" = "$VM1_IP4" ] || lab_addr "$NS_VM1" eth0 "$a/24"
		hns neigh replace "$a" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	done
	for a in "${DST6[@]}"; do
		[ "$a" = "$VM1_IP6" ] || lab_addr "$NS_VM1" eth0 "$a/64"
		hns -6 neigh replace "$a" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	done
	# No fast-path route yet: each destination answers by the gateway.
	for a in "${DST4[@]}" "${DST6[@]}"; do
		ping_from "$NS_OP" "$a" 1 || lab_fail "ping $a from on-prem by the gateway: expected a reply, saw none"
	done
}

# churn: toggle random items (add when absent, del when present) until
# CHURN_OPS changes or CHURN_SECS seconds; every change must succeed. Sets
# CHURN_DONE; logs "add|del route|exclude PREFIX [PORT]" to $LAB_DIR/ops.
churn() {
	local end=$((SECONDS + CHURN_SECS)) i kind pfx port op
	local -a on=() args
	RANDOM=$CHURN_SEED
	CHURN_DONE=0
	: >"$LAB_DIR/ops"
	while [ "$CHURN_DONE" -lt "$CHURN_OPS" ] && [ "$SECONDS" -lt "$end" ]; do
		i=$((RANDOM % ${#ITEMS[@]}))
		read -r kind pfx port <<<"${ITEMS[$i]}"
		op=add
		[ "${on[$i]:-0}" -eq 0 ] || op=del
		case $kind/$op in
		route/add) args=(route add "$pfx" dev "$port") ;;
		exclude/add) args=(exclude add "$pfx" --class "${CLASSES[RANDOM % ${#CLASSES[@]}]}") ;;
		*) args=("$kind" del "$pfx") ;;
		esac
		fp "${args[@]}" >"$LAB_DIR/op.out" 2>&1 ||
			lab_fail "churn change $CHURN_DONE: expected 'fastpath ${args[*]}' to exit 0, saw: $(cat "$LAB_DIR/op.out")"
		echo "$op $kind $pfx ${port:-}" >>"$LAB_DIR/ops"
		on[i]=$((1 - ${on[$i]:-0}))
		CHURN_DONE=$((CHURN_DONE + 1))
	done
}

# replay_ops: per family, how many changes of each kind the op log holds
# (judged against what was installed just before each), then the routes
# and exclusions that should be installed now, as "route PREFIX PORT" /
# "exclude PREFIX" lines after a "final" line.
replay_ops() {
	"$PYTHON" - "$LAB_DIR/ops" <<'EOF'
import ipaddress, sys
kinds = ("split", "collapse", "cover", "uncover", "vm2_split",
         "exclude_add", "exclude_del")
count = {4: dict.fromkeys(kinds, 0), 6: dict.fromkeys(kinds, 0)}
routes, excl = {}, set()
for line in open(sys.argv[1]):
    op, kind, pfx, *port = line.split()
    net = ipaddress.ip_network(pfx)
    c = count[net.version]
    if kind == "exclude":
        c["exclude_" + op] += 1
        (excl.add if op == "add" else excl.discard)(net)
        continue
    if op == "del":
        del routes[net]
    others = [n for n in routes if n.version == net.version]
    inside = any(net != n and net.subnet_of(n) for n in others)
    over = any(net != n and n.subnet_of(net) for n in others)
    if inside:
        c["split" if op == "add" else "collapse"] += 1
    if over:
        c["cover" if op == "add" else "uncover"] += 1
    if op == "add":
        if port == ["veth-vm2"] and any(
                net.subnet_of(n) for n in others if routes[n] == "tap-vm1"):
            c["vm2_split"] += 1
        routes[net] = port[0]
for v in (4, 6):
    print("v%d" % v, *("%s=%d" % (k, count[v][k]) for k in kinds))
print("final")
for n in sorted(routes, key=str):
    print("route", n, routes[n])
for n in sorted(excl, key=str):
    print("exclude", n)
EOF
}

# loader_state: the loader's routes and exclusions, in replay_ops's form.
loader_state() {
	{ fp --json route list && echo && fp --json exclude list; } | "$PYTHON" -c '
import ipaddress, json, sys
docs = sys.stdin.read().strip().split("\n\n", 1)
routes, excl = json.loads(docs[0]), json.loads(docs[1])
out = ["route %s %s" % (ipaddress.ip_network(e["prefix"]), e["port"])
       for e in routes if e["port"] is not None]
out += ["exclude %s" % ipaddress.ip_network(e["prefix"]) for e in excl]
print("\n".join(sorted(out)))
'
}

# json_get FILE KEY...: the values of KEYs in a JSON object file, a list
# as its items joined by commas ("none" when empty).
json_get() {
	"$PYTHON" -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(*(",".join(map(str, r[k])) or "none" if isinstance(r[k], list)
        else r[k] for k in sys.argv[2:]))' "$@"
}

stats_line() {
	local j n
	j=$(fp stats --json) || lab_fail "fastpath stats --json: expected exit 0, saw $?"
	for n in fastpath miss excluded malformed redirect_error; do
		printf '%s ' "$(json_counter "$j" "$n")"
	done
	printf '%s %s\n' "$(gw_fwd4)" "$(gw_fwd6)"
}

gw_moved() { [ "$(gw_fwd4)" -gt "$1" ]; }

case_churn() {
	local d=$((CHURN_SECS + 1)) dsts tx rxp snp s0 s1 sent rx gaps dups miss vm2 seqs
	local fast gwp xdp_miss xdp_excl bad g4 g6 want have kinds k fam line
	local -a a b
	dsts=$(printf '%s,' "${DST4[@]}" "${DST6[@]}")
	dsts=${dsts%,}
	echo "# seed $CHURN_SEED, ${#ITEMS[@]} items, flow $CHURN_RATE/s to $dsts"

	# Both listen until told (SIGTERM) once the flow has drained; the
	# time given is only a bound.
	ip netns exec "$NS_VM1" "$PYTHON" "$SEQFLOW" recv "$FLOW_PORT" $((d + 30)) "$LAB_DIR/rx.json" &
	rxp=$!
	ip netns exec "$NS_VM2" "$PYTHON" "$SEQFLOW" sniff eth0 "$FLOW_PORT" $((d + 30)) "$LAB_DIR/vm2.json" &
	snp=$!
	echo "$rxp $snp" | tr ' ' '\n' >>"$LAB_DIR/pids"
	wait_for "the receiver on vm1" 50 sh -c \
		"ip netns exec '$NS_VM1' ss -Hlun 'sport = :$FLOW_PORT' | grep -q ."
	wait_for "the sniffer on vm2" 50 ip netns exec "$NS_VM2" \
		awk 'END { exit NR < 2 }' /proc/net/packet
	s0=$(stats_line)
	ip netns exec "$NS_OP" "$PYTHON" "$SEQFLOW" send "$dsts" "$FLOW_PORT" "$CHURN_RATE" "$d" >"$LAB_DIR/tx" &
	tx=$!
	echo "$tx" >>"$LAB_DIR/pids"
	# No route yet: the flow's first packets cross the gateway.
	read -ra a <<<"$s0"
	wait_for "the flow's first packets at the gateway" 100 gw_moved "${a[5]}"
	churn
	wait "$tx" || lab_fail "the flow's sender: expected exit 0, saw $?"
	sleep 1 # the last packets' way through the gateway
	kill -TERM "$rxp" "$snp"
	wait "$rxp" || lab_fail "the receiver on vm1: expected exit 0, saw $?"
	wait "$snp" || lab_fail "the sniffer on vm2: expected exit 0, saw $?"
	test -s "$LAB_DIR/rx.json" || lab_fail "the receiver's summary: expected a file, saw none"
	test -s "$LAB_DIR/vm2.json" || lab_fail "the sniffer's summary: expected a file, saw none"
	s1=$(stats_line)

	sent=$(cat "$LAB_DIR/tx")
	read -r rx gaps dups miss <<<"$(json_get "$LAB_DIR/rx.json" received gaps duplicates missing)"
	read -r vm2 seqs <<<"$(json_get "$LAB_DIR/vm2.json" frames seqs)"
	read -ra b <<<"$s1"
	fast=$((b[0] - a[0])) xdp_miss=$((b[1] - a[1])) xdp_excl=$((b[2] - a[2]))
	bad=$((b[3] - a[3] + b[4] - a[4])) g4=$((b[5] - a[5])) g6=$((b[6] - a[6]))
	gwp=$((g4 + g6))

	echo "# sent $sent, received at vm1 $rx (gaps $gaps, duplicates $dups, first missing $miss), frames at vm2 $vm2"
	echo "# via fast path $fast, via gateway $gwp (IPv4 $g4, IPv6 $g6; XDP miss $xdp_miss, excluded $xdp_excl)"
	echo "# churn: $CHURN_DONE changes in about $CHURN_SECS s"
	replay_ops >"$LAB_DIR/replay"
	kinds=$(sed '/^final$/,$d' "$LAB_DIR/replay")
	printf '%s\n' "$kinds" | sed 's/^/# /'

	[ "$vm2" -eq 0 ] || lab_fail "frames of the flow that reached vm2: expected 0, saw $vm2 (first seqs: $seqs)"
	assert_eq "received, gaps, duplicates at vm1 of $sent sent (first missing: $miss, seq N goes to destination N % $((${#DST4[@]} + ${#DST6[@]})) of $dsts)" \
		"$sent 0 0" "$rx $gaps $dups"
	assert_eq "malformed + redirect_error drops during the churn" 0 "$bad"
	assert_gt "stats fastpath.packets during the churn" "$fast" 0
	assert_gt "stats miss + excluded packets during the churn" $((xdp_miss + xdp_excl)) 0
	assert_gt "gateway IPv4 forwards during the churn" "$g4" 0
	assert_gt "gateway IPv6 forwards during the churn" "$g6" 0
	assert_eq "flow packets by the fast path + by the gateway" "$sent" $((fast + gwp))
	while read -r fam line; do
		for k in $line; do
			assert_gt "IPv${fam#v} churn changes of kind ${k%=*}" "${k#*=}" 0
		done
	done <<<"$kinds"
	want=$(sed '1,/^final$/d' "$LAB_DIR/replay" | LC_ALL=C sort)
	have=$(loader_state | LC_ALL=C sort)
	assert_eq "the loader's routes and exclusions after the churn" "$want" "$have"
}

lab_main churn_setup lab_down "$CASES" "$@"
