#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Soak: sequence-numbered UDP flows through the fast path (IPv4 to vm1's
# tap, IPv6 to vm2's veth) at a fixed rate while routes of other prefixes
# churn at >= 1,000 changes/s, the sync daemon is killed (-9) and started
# again, and the program is replaced by `fastpath load` (atomic replace).
# Nothing of the flows may be lost, duplicated or detour via the gateway.
#
# SOAK_SECS (default 10; `make soak` runs 60), SOAK_RATE packets/s per flow
# (default 500). Usage: test_soak.sh [CASE...]
# selftest: serial (the flows must arrive whole: run.sh runs it alone)
# selftest: once (sync killed and started again, and the program
# replaced, run sanitized in test_sync_robust and test_load)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="soak"
SOAK_SECS=${SOAK_SECS:-10}
SOAK_RATE=${SOAK_RATE:-500}
SEQFLOW="$ROOT/selftests/seqflow.py"

start_sync() {
	"$FP" -n "$NS_HOST" --pin-path "$PIN" sync >>"$LAB_DIR/sync.log" 2>&1 &
	SYNC_PID=$!
	echo "$SYNC_PID" >>"$LAB_DIR/pids"
}

has_entry() { fp route list | awk -v p="$1" '$1 == p { f = 1 } END { exit !f }'; }

# churn SECONDS: over 1,000 route changes a second (adds of one batch of
# /32s behind vm1, deletes of the batch before), in 300-change batches five
# times a second, each slot 0.2 s from the start of the last (a slow batch
# under a sanitizer build does not stretch the period); prints the number
# of changes made.
churn() {
	local end=$((SECONDS + $1)) batch=0 changes=0 f=$LAB_DIR/churn.batch pace
	while [ "$SECONDS" -lt "$end" ]; do
		sleep 0.2 &
		pace=$!
		awk -v b="$batch" -v via="$VM1_IP4" 'BEGIN {
			for (i = 0; i < 150; i++) {
				printf "route add 198.18.%d.%d/32 via %s dev tap-vm1\n", 64 + b % 64, i, via
				if (b > 0)
					printf "route del 198.18.%d.%d/32\n", 64 + (b - 1) % 64, i
			}
		}' >"$f"
		ip -n "$NS_HOST" -force -batch "$f" 2>/dev/null || true
		changes=$((changes + $(wc -l <"$f")))
		batch=$((batch + 1))
		wait "$pace"
	done
	echo "$changes"
}

json_field() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }

case_soak() {
	local id0 id1 g4 g6 g4b g6b f0 f1 sent4 sent6 changes d=$SOAK_SECS
	lab_require_fp
	command -v python3 >/dev/null || lab_skip "no python3"
	assert_ok "load" fp load uplink0
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "port add veth-vm2" fp port add veth-vm2 --peer-mac "$VM2_MAC"
	hns neigh replace "$VM1_IP4" lladdr "$VM1_MAC" dev tap-vm1 nud permanent
	hns -6 neigh replace "$VM2_IP6" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	start_sync
	wait_for "sync: neighbour entry for vm1" 50 has_entry "$VM1_IP4/32"
	wait_for "sync: neighbour entry for vm2" 50 has_entry "$VM2_IP6/128"

	ip netns exec "$NS_VM1" "$PYTHON" "$SEQFLOW" recv 9000 $((d + 4)) "$LAB_DIR/rx4.json" &
	echo $! >>"$LAB_DIR/pids"
	ip netns exec "$NS_VM2" "$PYTHON" "$SEQFLOW" recv 9000 $((d + 4)) "$LAB_DIR/rx6.json" &
	echo $! >>"$LAB_DIR/pids"
	sleep 0.5
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	id0=$(ip -n "$NS_HOST" -d link show dev uplink0 | grep -o 'prog/xdp id [0-9]*')

	ip netns exec "$NS_OP" "$PYTHON" "$SEQFLOW" send "$VM1_IP4" 9000 "$SOAK_RATE" "$d" >"$LAB_DIR/tx4" &
	local tx4=$!
	ip netns exec "$NS_OP" "$PYTHON" "$SEQFLOW" send "$VM2_IP6" 9000 "$SOAK_RATE" "$d" >"$LAB_DIR/tx6" &
	local tx6=$!
	churn "$d" >"$LAB_DIR/churn.count" &
	local ch=$!

	sleep "$(awk -v d="$d" 'BEGIN { print d / 3 }')"
	kill -9 "$SYNC_PID"
	wait "$SYNC_PID" 2>/dev/null || true
	start_sync
	sleep "$(awk -v d="$d" 'BEGIN { print d / 3 }')"
	assert_ok "load again (atomic replace) under traffic" fp load uplink0

	wait "$tx4" "$tx6" "$ch"
	sleep 4.5
	sent4=$(cat "$LAB_DIR/tx4") sent6=$(cat "$LAB_DIR/tx6")
	changes=$(cat "$LAB_DIR/churn.count")
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) f1=$(fp_stat fastpath)
	id1=$(ip -n "$NS_HOST" -d link show dev uplink0 | grep -o 'prog/xdp id [0-9]*')

	log "  soak ${d}s: sent v4 $sent4 v6 $sent6; received v4 $(json_field "$LAB_DIR/rx4.json" received)" \
		"v6 $(json_field "$LAB_DIR/rx6.json" received); route changes $changes ($((changes / d))/s);" \
		"fastpath packets +$((f1 - f0)); program $id0 -> $id1"
	[ "$id0" != "$id1" ] || lab_fail "program after load: expected a new id, saw $id1 still"
	[ "$changes" -ge $((1000 * d * 9 / 10)) ] ||
		lab_fail "route churn: expected >= $((1000 * d * 9 / 10)) changes, saw $changes"
	assert_eq "IPv4 flow received" "$sent4" "$(json_field "$LAB_DIR/rx4.json" received)"
	assert_eq "IPv6 flow received" "$sent6" "$(json_field "$LAB_DIR/rx6.json" received)"
	assert_eq "IPv4 flow sequence gaps" 0 "$(json_field "$LAB_DIR/rx4.json" gaps)"
	assert_eq "IPv6 flow sequence gaps" 0 "$(json_field "$LAB_DIR/rx6.json" gaps)"
	assert_eq "IPv4 flow duplicates" 0 "$(json_field "$LAB_DIR/rx4.json" duplicates)"
	assert_eq "IPv6 flow duplicates" 0 "$(json_field "$LAB_DIR/rx6.json" duplicates)"
	assert_delta "gateway IPv4 forwards during the soak" "$g4" "$g4b" 0 0
	assert_delta "gateway IPv6 forwards during the soak" "$g6" "$g6b" 0 0
	assert_delta "stats fastpath.packets during the soak" "$f0" "$f1" $((sent4 + sent6))
}

lab_main lab_up lab_down "$CASES" "$@"
