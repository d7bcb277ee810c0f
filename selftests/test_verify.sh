#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# End-to-end tests of `fastpath verify` in the DESIGN.md lab
# (selftests/lib.sh): the program's answers against the kernel's and the
# model's. Each disagreement is made by hand behind sync's back, found
# with its kind, and gone after sync starts again (or, for an exclusion
# the model does not have, once it is deleted).
# Usage: test_verify.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="clean link_local wrong_port mac_changed route_deleted missed exclusion_by_hand bad_input daemon daemon_many churn_command daemon_churn daemon_churn_fault"
# How long each churn case churns. Its own variable, not test_churn.sh's
# CHURN_SECS (longer in the sanitized variant, which test_churn needs for
# its CLI's slow changes): 16 s of route churn gives the daemon's figures
# (>= 10,000 probes, ~1,300 changes/s) with either build.
CHURN_SECS=${VERIFY_CHURN_SECS:-16}
BEHIND=198.19.200.0/24 BEHIND_IP=198.19.200.10

# The CLI with this lab's state directory (the model's).
fpm() { fp --state-dir "$LAB_DIR/state" "$@"; }

verify_setup() {
	lab_up
	sync_setup
	command -v python3 >/dev/null || lab_skip "missing tool: python3"
	command -v bpftool >/dev/null || lab_skip "missing tool: bpftool"
	# No --peer-mac: case_missed needs tap-vm1's link route to be no fast
	# entry (case_link_local adds a port with one).
	assert_ok "port add tap-vm1" fp port add tap-vm1
	assert_ok "port add veth-vm2" fp port add veth-vm2
	vm1_neighbours
	hns neigh replace "$VM2_IP4" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	ip -n "$NS_VM1" addr add "$BEHIND_IP/32" dev lo
	hns route add "$BEHIND" via "$VM1_IP4" dev tap-vm1
	assert_ok "sync --once" fp sync --once
}

# vjson: `verify --json`, whatever its exit status.
vjson() { fpm verify --json || true; }

# vfield JSON EXPR: a Python expression over the verify JSON (j).
vfield() {
	printf '%s' "$1" | python3 -c 'import json, sys; j = json.load(sys.stdin); print('"$2"')'
}

# assert_clean WHAT: verify finds nothing, exits 0, and had a kernel
# answer for every probe.
assert_clean() {
	local j rc=0
	j=$(fpm verify --json) || rc=$?
	assert_eq "$1: verify exit status" 0 "$rc"
	assert_eq "$1: disagreements" "0 0 0" \
		"$(vfield "$j" '*(j["disagreements"][k] for k in ("wrong_delivery", "missed_acceleration", "model_mismatch"))')"
	assert_eq "$1: probes without a kernel answer" 0 "$(vfield "$j" 'j["unknown"]')"
	assert_eq "$1: transient disagreements" 0 "$(vfield "$j" 'j["transient"]')"
	assert_gt "$1: probes" "$(vfield "$j" 'j["probes"]')" 0
}

# assert_finding JSON ADDR KIND: the findings for ADDR are of KIND.
assert_finding() {
	assert_eq "verify finding for $2" "$3" \
		"$(vfield "$1" '" ".join(sorted(set(f["kind"] for f in j["findings"] if f["address"] == "'"$2"'")))')"
}

# assert_entry_finding JSON PREFIX KIND: the findings for the addresses
# of entry PREFIX (first, last, random) are of KIND, three of them.
# The entry's first and last addresses, and a random one that may be
# either of them (verify reports an address once).
assert_entry_finding() {
	assert_eq "verify findings for entry $2 (kinds; at least first and last)" "$3 2" \
		"$(vfield "$1" '" ".join(sorted(set(f["kind"] for f in j["findings"] if f["prefix"] == "'"$2"'" and f["source"] == "entry"))) + " " + str(min(2, len([f for f in j["findings"] if f["prefix"] == "'"$2"'" and f["source"] == "entry"])))')"
}

# a. A synced lab: every probe agrees, each with a kernel answer (asked
# again where the uplink's policy rule sends it to the gateway).
case_clean() {
	local out
	assert_clean "synced lab"
	out=$(fpm verify)
	assert_match "verify summary" "^verify: uplink uplink0: [0-9]+ probes \([0-9]+ entries, 0 exclusions, 0 VNet spaces, 3 neighbours, 1000 samples\) in [0-9.]+ s: 0 wrong_delivery, 0 missed_acceleration, 0 model_mismatch \(0 transient\); 0 without a kernel answer$" "$out"
	out=$(fpm verify --sample 0 --json)
	assert_eq "samples with --sample 0" 0 "$(vfield "$out" 'j["samples"]')"
	assert_eq "on-prem source (the uplink's peer)" "$OP_IP4/32 $OP_IP6/128" \
		"$(vfield "$out" 'j["source4"], j["source6"]')"
}

# a2. A port with --peer-mac makes its connected routes fast, but never
# its link-local fe80::/64 (the kernel does not forward fe80::/10; verify
# found sync making it a fast entry, a wrong delivery).
has_ll_route() { hns -6 route show dev veth-ll | grep -q '^fe80::/64 '; }

case_link_local() {
	local fast
	# A port of its own (veth-ll): the lab's have entries, so stay ports.
	hns link add veth-ll type veth peer name veth-llp
	hns link set veth-llp up
	hns link set veth-ll up
	assert_ok "port add veth-ll --peer-mac" fp port add veth-ll --peer-mac 02:00:5e:10:00:77
	wait_for "veth-ll's fe80::/64 route" 50 has_ll_route
	assert_ok "sync --once" fp sync --once
	fast=$(routes | python3 -c '
import ipaddress, sys
ll = ipaddress.ip_network("fe80::/10")
for l in sys.stdin:
    w = l.split()
    n = ipaddress.ip_network(w[0])
    if n.version == 6 and n.subnet_of(ll) and w[1] != "null":
        print(w[0], w[1])')
	assert_eq "fast entries inside fe80::/10" "" "$fast"
	assert_clean "a port with --peer-mac"
}

# hosts6_key ADDR: fp_hosts6's key bytes for an IPv6 address.
hosts6_key() {
	python3 -c 'import ipaddress, sys; print(" ".join(str(b) for b in ipaddress.ip_address(sys.argv[1]).packed))' "$1"
}

# port_value MAP PORT KEY...: the value (bytes) of MAP's entry at KEY
# (bytes), sending to PORT.
port_value() {
	local map=$1 port=$2 ifi val
	shift 2
	# shellcheck disable=SC2068 # the key is bytes, one word each
	val=$(bpftool -j map lookup pinned "$PIN/$map" key $@ |
		python3 -c 'import json, sys; print(" ".join(str(int(b, 16)) for b in json.load(sys.stdin)["value"]))')
	ifi=$(hns -j link show "$port" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["ifindex"])')
	# fp_route.ifindex is its first four bytes, host order (little endian).
	echo "$((ifi & 255)) $((ifi >> 8 & 255)) 0 0 ${val#* * * * }"
}

# write_port MAP PORT KEY...: the entry of MAP at KEY (bytes) sends to
# PORT now, behind sync's back.
write_port() {
	local val
	val=$(port_value "$@")
	# shellcheck disable=SC2068,SC2086
	bpftool map update pinned "$PIN/$1" key ${@:3} value $val
}

# b. A wrong port written into a route entry behind sync's back (an IPv6
# host entry: the program reads fp_hosts6 itself): a wrong delivery,
# exit 1; sync's start-up reconcile repairs it.
case_wrong_port() {
	local j rc=0
	# shellcheck disable=SC2046 # the key is bytes, one word each
	write_port fp_hosts6 veth-vm2 $(hosts6_key "$VM1_IP6")
	j=$(fpm verify --json) || rc=$?
	assert_eq "verify exit status with a wrong port" 1 "$rc"
	assert_finding "$j" "$VM1_IP6" wrong_delivery
	assert_eq "program and kernel ports of $VM1_IP6" "veth-vm2 tap-vm1" \
		"$(vfield "$j" '*[(f["program"]["port"], f["kernel"]["dev"]) for f in j["findings"] if f["address"] == "'"$VM1_IP6"'"][0]')"
	assert_match "verify line" "^wrong_delivery $VM1_IP6 \(entry $VM1_IP6/128\): program fastpath -> veth-vm2 $VM1_MAC; kernel port tap-vm1 $VM1_MAC \(table main\); model none$" \
		"$(fpm verify 2>&1 | grep "^wrong_delivery $VM1_IP6 " | head -n1 || true)"
	assert_ok "sync --once (restart)" fp sync --once
	assert_clean "after sync repaired the port"
}

# c. The VM's MAC changes while sync is stopped: the kernel's neighbour
# has the new one, the map the old one.
case_mac_changed() {
	local j rc=0 new=02:00:5e:10:00:99
	ip -n "$NS_VM1" link set eth0 address "$new"
	hns neigh replace "$VM1_IP4" lladdr "$new" dev tap-vm1 nud permanent
	j=$(fpm verify --json) || rc=$?
	assert_eq "verify exit status with a stale MAC" 1 "$rc"
	assert_finding "$j" "$VM1_IP4" wrong_delivery
	assert_entry_finding "$j" "$BEHIND" wrong_delivery
	assert_eq "program and kernel MACs of $VM1_IP4" "$VM1_MAC $new" \
		"$(vfield "$j" '*[(f["program"]["dmac"], f["kernel"]["lladdr"]) for f in j["findings"] if f["address"] == "'"$VM1_IP4"'"][0]')"
	assert_ok "sync --once (restart)" fp sync --once
	assert_clean "after sync took the new MAC"
}

# d. A kernel route deleted while sync is stopped: the program still
# sends its destinations to vm1, the kernel has no route for them.
case_route_deleted() {
	local j rc=0
	hns route del "$BEHIND"
	j=$(fpm verify --json) || rc=$?
	assert_eq "verify exit status with a deleted route" 1 "$rc"
	assert_entry_finding "$j" "$BEHIND" wrong_delivery
	assert_eq "kernel answers for $BEHIND" "no_route" \
		"$(vfield "$j" '" ".join(sorted(set(f["kernel"]["kind"] for f in j["findings"] if f["prefix"] == "'"$BEHIND"'" and f["source"] == "entry")))')"
	assert_ok "sync --once (restart)" fp sync --once
	assert_clean "after sync dropped the entry"
}

# e. A host entry deleted behind sync's back: the link route's shadow
# (tap-vm1 has no --peer-mac) sends it to the gateway while the kernel
# knows the neighbour: a missed acceleration, exit 0.
case_missed() {
	local j rc=0
	# shellcheck disable=SC2046
	bpftool map delete pinned "$PIN/fp_hosts6" key $(hosts6_key "$VM1_IP6")
	j=$(fpm verify --json) || rc=$?
	assert_eq "verify exit status with a missed acceleration only" 0 "$rc"
	assert_finding "$j" "$VM1_IP6" missed_acceleration
	assert_ok "sync --once (restart)" fp sync --once
	assert_clean "after sync put the entry back"
}

model_conf() {
	cat >"$LAB_DIR/fastpath.conf" <<EOC
[gateway]
name = gw
sku = ErGw3AZ
namespace = $NS_GW

[circuit c1]
uplink = uplink0
type = direct
bandwidth = 10G
owner = contoso
region = europe

[vnet hub]
address-space = 198.19.1.0/24
address-space = 2001:db8:100:1::/64
port = tap-vm1
owner = contoso
region = europe

[connection hub-c1]
vnet = hub
circuit = c1
fastpath = on
EOC
}

# f. With a model applied, an exclusion added by hand that the model does
# not have: the program sends vm1 to the gateway, the model says fast.
case_exclusion_by_hand() {
	local j rc=0
	model_conf
	assert_ok "apply" fpm apply --config "$LAB_DIR/fastpath.conf"
	assert_ok "sync --once" fp sync --once
	assert_clean "model applied"
	assert_eq "model known" True "$(vfield "$(vjson)" 'j["model"]')"
	assert_ok "exclude add by hand" fp exclude add "$VM1_IP4/32" --class private-link
	j=$(fpm verify --json) || rc=$?
	assert_eq "verify exit status with a model mismatch only" 0 "$rc"
	assert_finding "$j" "$VM1_IP4" model_mismatch
	assert_eq "program and model of $VM1_IP4" "excluded fastpath" \
		"$(vfield "$j" '*[(f["program"]["reason"], f["model"]["reason"]) for f in j["findings"] if f["address"] == "'"$VM1_IP4"'"][0]')"
	# Not sync's to remove: the exclusion's owner deletes it.
	assert_ok "sync --once (restart)" fp sync --once
	assert_finding "$(vjson)" "$VM1_IP4" model_mismatch
	assert_ok "exclude del" fp exclude del "$VM1_IP4/32"
	assert_clean "after the exclusion went"
}

# g. Bad input: usage errors (2) and one clear line; no maps: 1.
case_bad_input() {
	local out rc
	for args in "--sample -1" "--sample 1x" "--sample" "--uplink" "--uplink a/b" \
		"--table 0" "--frob" "extra"; do
		rc=0
		# shellcheck disable=SC2086
		out=$(fp verify $args 2>&1) || rc=$?
		assert_eq "verify $args: exit status" 2 "$rc"
		assert_eq "verify $args: lines on stderr" 1 "$(printf '%s\n' "$out" | wc -l)"
	done
	rc=0
	out=$(fp verify --uplink nosuch0 2>&1) || rc=$?
	assert_eq "verify --uplink nosuch0: exit status" 1 "$rc"
	assert_eq "verify --uplink nosuch0" "verify: uplink nosuch0: no such interface" "$out"
	rc=0
	out=$("$FP" -n "$NS_HOST" --pin-path "$PIN-none" verify 2>&1) || rc=$?
	assert_eq "verify without maps: exit status" 1 "$rc"
	assert_match "verify without maps" "no fastpath maps at $PIN-none" "$out"
}

start_sync() {
	"$FP" -n "$NS_HOST" --pin-path "$PIN" --state-dir "$LAB_DIR/state" sync \
		--verify-interval "${VERIFY_INTERVAL:-1}" >>"$LAB_DIR/sync.log" 2>&1 &
	SYNC_PID=$!
	echo "$SYNC_PID" >>"$LAB_DIR/pids"
}

# vstat EXPR: a Python expression over status --json's sync.verify (v).
vstat() {
	fp --json status | python3 -c 'import json, sys; v = json.load(sys.stdin)["sync"]["verify"]; print('"$1"')'
}

runs_past() { [ "$(vstat 'v["runs"]')" -gt "$1" ]; }
wrong_found() { [ "$(vstat 'v["total"]["wrong_delivery"]')" -gt 0 ]; }

# sync_running: status says the daemon runs (its start-up reconcile done).
sync_running() { fp --json status | grep -q '"daemon":"running"'; }

# h. The daemon verifies every second: clean, then a wrong port written
# behind its back shows in status and Prometheus; a restart repairs it.
case_daemon() {
	local runs prom
	start_sync
	wait_for "a first verify run of the daemon" 50 runs_past 0
	assert_eq "daemon's last run: disagreements" "0 0 0" \
		"$(vstat '*(v["last"][k] for k in ("wrong_delivery", "missed_acceleration", "model_mismatch"))')"
	assert_eq "daemon's last run: probes" 1000 "$(vstat 'v["last_probes"]')"
	assert_match "status line" "^verify last run [0-9]+ s ago, 1000 probes: 0 wrong_delivery, 0 missed_acceleration, 0 model_mismatch \([0-9]+ transient\); [0-9]+ runs, [0-9]+ probes, 0 wrong_delivery in all$" \
		"$(fp status | grep '^verify ')"

	runs=$(vstat 'v["runs"]')
	# shellcheck disable=SC2046
	write_port fp_hosts6 veth-vm2 $(hosts6_key "$VM1_IP6")
	# Which run finds it is not fixed (the one under way may have
	# sampled before the write; a run's last suspects take their looks
	# before it ends): some run within a few counts it.
	wait_for "a wrong delivery confirmed by the daemon" 150 wrong_found
	assert_gt "daemon's runs since the write" "$(vstat 'v["runs"]')" "$runs"
	prom=$(fp stats --prometheus)
	assert_match "Prometheus: wrong deliveries" '^fastpath_verify_disagreements\{kind="wrong_delivery"\} [1-9][0-9]*$' "$prom"
	assert_match "Prometheus: time of the last run" '^fastpath_verify_last_run_timestamp_seconds [1-9][0-9]*$' "$prom"
	assert_match "sync's log names it" "^sync: verify: wrong_delivery $VM1_IP6 " "$(cat "$LAB_DIR/sync.log")"

	kill -TERM "$SYNC_PID"
	wait "$SYNC_PID" || true
	start_sync
	runs=$(vstat 'v["runs"]')
	wait_for "a verify run after the restart" 50 runs_past "$runs"
	assert_eq "daemon's last run after the restart: wrong deliveries" 0 \
		"$(vstat 'v["last"]["wrong_delivery"]')"
	assert_clean "after the daemon's restart"
}

# h2. Many wrong deliveries in one run: 100 IPv6 neighbours on tap-vm1
# (host entries: the program reads fp_hosts6 itself) sent to vm2 behind
# the daemon's back. Every one the daemon finds is looked at and counted
# once: more than 64, never more than 100 (it kept 64 suspects and 64
# confirmed ones a run: a 65th suspect was dropped, and a confirmed one
# past 64 could count again; 108 seen).
case_daemon_many() {
	local runs n val key f=$LAB_DIR/wrong.batch
	for n in $(seq 0 99); do
		printf 'neigh replace 2001:db8:100:1::2:%x lladdr %s dev tap-vm1 nud permanent\n' "$n" "$VM1_MAC"
	done >"$f"
	ip -n "$NS_HOST" -batch "$f"
	start_sync
	wait_for "a first verify run of the daemon" 50 runs_past 0
	assert_eq "daemon's first run: wrong deliveries" 0 "$(vstat 'v["last"]["wrong_delivery"]')"
	key=$(hosts6_key 2001:db8:100:1::2:0)
	# shellcheck disable=SC2086
	val=$(port_value fp_hosts6 veth-vm2 $key)
	for n in $(seq 0 99); do
		echo "map update pinned $PIN/fp_hosts6 key ${key% 0} $n value $val"
	done >"$f"
	runs=$(vstat 'v["runs"]')
	assert_ok "100 wrong ports" bpftool batch file "$f"
	# The run under way may have sampled before the writes: two more.
	wait_for "two more verify runs" 80 runs_past $((runs + 1))
	n=$(vstat 'v["last"]["wrong_delivery"]')
	log "  one run of 1,000 probes: $n wrong deliveries, $(vstat 'v["last"]["transient"]') transient"
	assert_gt "daemon's last run: wrong deliveries (more than 64)" "$n" 64
	[ "$n" -le 100 ] || lab_fail "daemon's last run: expected <= 100 wrong deliveries (one an address), saw $n"
}

# churn SECONDS [BASE]: test_soak.sh's route churn (over 1,000 changes a
# second of /32s behind vm1, in 198.18.BASE+0..63.0/24, BASE default 64);
# prints the number of changes.
churn() {
	local end=$((SECONDS + $1)) base=${2:-64} batch=0 changes=0 f=$LAB_DIR/churn.batch.${2:-64} pace
	while [ "$SECONDS" -lt "$end" ]; do
		sleep 0.2 &
		pace=$!
		awk -v b="$batch" -v via="$VM1_IP4" -v base="$base" 'BEGIN {
			for (i = 0; i < 150; i++) {
				printf "route add 198.18.%d.%d/32 via %s dev tap-vm1\n", base + b % 64, i, via
				if (b > 0)
					printf "route del 198.18.%d.%d/32\n", base + (b - 1) % 64, i
			}
		}' >"$f"
		ip -n "$NS_HOST" -force -batch "$f" 2>/dev/null || true
		changes=$((changes + $(wc -l <"$f")))
		batch=$((batch + 1))
		wait "$pace"
	done
	echo "$changes"
}

# i0. No false alarms from the command either: `fastpath verify` runs
# again and again while the daemon (not verifying) follows the soak's
# route churn; a disagreement seen while sync catches up must go away on
# its looks (counted as transient), never count as a wrong delivery.
case_churn_command() {
	local ch j runs=0 wrong=0 transient=0 probes=0 d=$CHURN_SECS end
	VERIFY_INTERVAL=0 start_sync
	wait_for "sync's start-up reconcile" 50 sync_running
	churn "$d" >"$LAB_DIR/churn.count" &
	ch=$!
	end=$((SECONDS + d - 1))
	while [ "$SECONDS" -lt "$end" ]; do
		j=$(vjson)
		runs=$((runs + 1))
		wrong=$((wrong + $(vfield "$j" 'j["disagreements"]["wrong_delivery"]')))
		transient=$((transient + $(vfield "$j" 'j["transient"]')))
		probes=$((probes + $(vfield "$j" 'j["probes"]')))
	done
	wait "$ch"
	log "  churn ${d}s: $(cat "$LAB_DIR/churn.count") route changes; $runs verify runs," \
		"$probes probes: $wrong wrong_delivery, $transient transient"
	# A run takes seconds under churn (2-4 in 16 s seen, before and after
	# the command took its three looks).
	assert_gt "verify runs under churn" "$runs" 1
	assert_eq "critical disagreements of the command under churn" 0 "$wrong"
}

# i1. Looks under churn the daemon cannot keep up with (two of the soak's
# churns, CHURN_JOBS=1 for one): a wrong port written behind the daemon's
# back (an entry the churn never touches) is confirmed, and no suspect
# goes without its looks. A look used to wait for both event sockets to
# be empty, which under such churn they never are: the sanitized daemon
# gave up on every suspect (904 of 904, 3 wrong deliveries confirmed in
# 11 runs); a look now waits for a barrier behind the route events
# pending at the look before (0 given up, 4 confirmed in 13; a re-dump
# after an overflow repairs the entry, so few runs can see it).
case_daemon_churn_fault() {
	local ch w0 t0 wrong transient gaveup d=$CHURN_SECS
	start_sync
	wait_for "a first verify run of the daemon" 50 runs_past 0
	# shellcheck disable=SC2046
	write_port fp_hosts6 veth-vm2 $(hosts6_key "$VM1_IP6")
	w0=$(vstat 'v["total"]["wrong_delivery"]') t0=$(vstat 'v["total"]["transient"]')
	churn "$d" >"$LAB_DIR/churn.count" &
	ch=$!
	if [ "${CHURN_JOBS:-2}" -gt 1 ]; then
		churn "$d" 128 >"$LAB_DIR/churn.count2" &
		wait $!
	fi
	wait "$ch"
	wrong=$(($(vstat 'v["total"]["wrong_delivery"]') - w0))
	transient=$(($(vstat 'v["total"]["transient"]') - t0))
	gaveup=$(sed -n 's/^sync: verify: \([0-9]*\) disagreements not looked at again.*/\1/p' "$LAB_DIR/sync.log" | awk '{ n += $1 } END { print n + 0 }')
	log "  churn ${d}s: $(cat "$LAB_DIR/churn.count") route changes; daemon verify: $wrong wrong_delivery confirmed, $transient transient ($gaveup never looked at again), $(vstat 'v["runs"]') runs"
	assert_gt "wrong deliveries confirmed under churn" "$wrong" 0
	assert_eq "suspects never looked at again under churn" 0 "$gaveup"
}

# i. No false alarms: the daemon verifies under the soak's route churn and
# across a sync restart (kill -9): 0 critical disagreements, >= 10,000
# probes.
case_daemon_churn() {
	local p0 w0 t0 probes wrong transient changes ch d=$CHURN_SECS
	# The sanitized build (FP=build/san/fastpath) lags the churn most:
	# its disagreements must wait for it to catch up, and go away.
	start_sync
	wait_for "a first verify run of the daemon" 50 runs_past 0
	p0=$(vstat 'v["probes"]') w0=$(vstat 'v["total"]["wrong_delivery"]')
	t0=$(vstat 'v["total"]["transient"]')
	churn "$d" >"$LAB_DIR/churn.count" &
	ch=$!
	sleep $((d / 2))
	kill -9 "$SYNC_PID"
	wait "$SYNC_PID" 2>/dev/null || true
	start_sync
	wait "$ch"
	changes=$(cat "$LAB_DIR/churn.count")
	sleep 2
	probes=$(($(vstat 'v["probes"]') - p0))
	wrong=$(($(vstat 'v["total"]["wrong_delivery"]') - w0))
	transient=$(($(vstat 'v["total"]["transient"]') - t0))
	log "  churn ${d}s: $changes route changes ($((changes / d))/s); daemon verify:" \
		"$probes probes, $wrong wrong_delivery ($transient transient)," \
		"$(vstat 'v["total"]["missed_acceleration"]') missed_acceleration," \
		"$(vstat 'v["total"]["model_mismatch"]') model_mismatch in all"
	log "  of the transient: never looked at again (no catch-up in 10 s): $(sed -n 's/^sync: verify: \([0-9]*\) disagreements not looked at again.*/\1/p' "$LAB_DIR/sync.log" | awk '{ n += $1 } END { print n + 0 }')"
	# The issue's figures (1,000 changes/s, 10,000 probes) hold for the
	# plain build; the sanitized daemon takes the CPU the churn needs on
	# two cores (590-609/s, 9,000-11,000 probes seen at load 8-13), so
	# it is held to half of each.
	local rate=1000 want=10000
	if [ -n "${ASAN_OPTIONS:-}" ]; then
		rate=500 want=5000
	fi
	[ "$changes" -ge $((rate * d * 9 / 10)) ] ||
		lab_fail "route churn: expected >= $((rate * d * 9 / 10)) changes, saw $changes"
	assert_eq "critical disagreements under churn" 0 "$wrong"
	[ "$probes" -ge "$want" ] || lab_fail "daemon verify probes under churn: expected >= $want, saw $probes"
}

lab_main verify_setup lab_down "$CASES" "$@"
