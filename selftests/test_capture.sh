#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `fastpath capture` end to end in the DESIGN.md lab (selftests/lib.sh):
# frames the fast path redirects into a tap, which tcpdump on the uplink
# cannot see, land in a pcap file as they left the program, and the
# capture switches sampling off however it ends.
# Usage: test_capture.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="fast_pcap json_lines signal_stop killed bad_input"

cap_setup() {
	lab_require_fp
	command -v tcpdump >/dev/null || lab_skip "missing tool: tcpdump (scripts/deps.sh installs it)"
	command -v bpftool >/dev/null || lab_skip "missing tool: bpftool"
	assert_ok "fastpath load uplink0" fp load uplink0
	assert_ok "port add tap-vm1" fp port add tap-vm1 --peer-mac "$VM1_MAC" --no-return
	assert_ok "route add vm1 v4" fp route add "$VM1_IP4/32" dev tap-vm1
}

# cap_kill9: SIGKILL the capture and reap it at once, before the shell
# reports the killed job on stderr.
cap_kill9() {
	kill -KILL "$CAP_PID"
	wait "$CAP_PID" 2>/dev/null || true
}

# a. Five fast-pathed echo requests in the pcap, rewritten for vm1.
case_fast_pcap() {
	local pcap=$LAB_DIR/x.pcap dump n
	cap_setup
	cap_bg --count 5 --filter fast -w "$pcap"
	ping_from "$NS_OP" "$VM1_IP4" 8 || lab_fail "ping $VM1_IP4 from on-prem: expected 8 replies, saw loss"
	cap_wait "--count 5"
	assert_eq "capture exit status" 0 "$CAP_RC"
	assert_match "capture summary on stderr" \
		"^capture: 5 packets written to $pcap, 0 lost" "$(cat "$LAB_DIR/cap.err")"
	n=$(grep -c '' "$LAB_DIR/cap.out" || true)
	assert_eq "capture text lines" 5 "$n"
	n=$(grep -c "^fast reason=fastpath in=uplink0 out=tap-vm1 len=98\$" "$LAB_DIR/cap.out" || true)
	assert_eq "lines 'fast reason=fastpath in=uplink0 out=tap-vm1 len=98'" 5 "$n"

	dump=$(tcpdump -r "$pcap" -nn -e -v 2>/dev/null) ||
		lab_fail "tcpdump -r $pcap: expected a readable pcap, saw exit $?"
	n=$(printf '%s\n' "$dump" | grep -c 'ethertype IPv4' || true)
	assert_eq "packets in $pcap" 5 "$n"
	# The frame as it left: vm1's MAC, tap-vm1's as source, TTL 64 - 1.
	n=$(printf '%s\n' "$dump" | grep -c "$(ns_mac "$NS_HOST" tap-vm1) > $VM1_MAC, ethertype IPv4" || true)
	assert_eq "packets rewritten to $VM1_MAC" 5 "$n"
	n=$(printf '%s\n' "$dump" | grep -c 'ttl 63,' || true)
	assert_eq "packets with TTL 63" 5 "$n"
	n=$(printf '%s\n' "$dump" | grep -c "$OP_IP4 > $VM1_IP4: ICMP echo request" || true)
	assert_eq "ICMP echo requests to $VM1_IP4" 5 "$n"
	assert_eq "fp_capctl deadline after the capture" 0 "$(capctl deadline_ns)"
	assert_eq "fp_capctl owner after the capture" 0 "$(capctl owner)"
}

# b. --json: one object per line; the gateway class by itself.
case_json_lines() {
	cap_setup
	cap_bg --json --count 2 --filter gateway --snaplen 64 -w "$LAB_DIR/g.pcap"
	# No route: the gateway path. The fast route to vm1 is not recorded.
	ping_from "$NS_OP" "$VM1_IP4" 2 || true
	ping_from "$NS_OP" "$VM2_IP4" 3 || lab_fail "ping $VM2_IP4: expected replies through the gateway"
	cap_wait "--count 2 --filter gateway"
	assert_eq "capture exit status" 0 "$CAP_RC"
	python3 - "$LAB_DIR/cap.out" "$VM2_IP4" <<'PY' || lab_fail "capture --json lines: $(cat "$LAB_DIR/cap.out")"
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2, f"expected 2 lines, saw {len(lines)}"
for l in lines:
    o = json.loads(l)
    want = {"class": "gateway", "reason": "miss", "in": "uplink0", "out": None,
            "len": 98, "caplen": 64}
    for k, v in want.items():
        assert o[k] == v, f"{k}: expected {v!r}, saw {o[k]!r} in {l}"
    assert o["ts_ns"] > 0
PY
	assert_match "tcpdump -r g.pcap" "$VM2_IP4: ICMP echo request" \
		"$(tcpdump -r "$LAB_DIR/g.pcap" -nn 2>/dev/null)"
}

# c. SIGTERM and SIGINT end a capture cleanly: file complete, sampling off.
case_signal_stop() {
	local sig n
	cap_setup
	for sig in TERM INT; do
		cap_bg -w "$LAB_DIR/$sig.pcap" --quiet
		ping_from "$NS_OP" "$VM1_IP4" 3 || lab_fail "ping $VM1_IP4 during capture"
		kill -"$sig" "$CAP_PID"
		cap_wait "SIG$sig"
		assert_eq "capture exit status after SIG$sig" 0 "$CAP_RC"
		assert_eq "fp_capctl deadline after SIG$sig" 0 "$(capctl deadline_ns)"
		assert_eq "stdout with --quiet" "" "$(cat "$LAB_DIR/cap.out")"
		# ARP may add frames of the pass class; the echo requests are there.
		n=$(tcpdump -r "$LAB_DIR/$sig.pcap" -nn 2>/dev/null | grep -c "> $VM1_IP4: ICMP echo request" || true)
		assert_eq "echo requests in $sig.pcap" 3 "$n"
	done
}

# d. SIGKILL: nobody switches off, the deadline ends sampling by itself,
# and a new capture (or --stop) takes over at once.
case_killed() {
	local dl now
	cap_setup
	cap_bg -w "$LAB_DIR/k.pcap"
	cap_kill9
	dl=$(capctl deadline_ns)
	now=$(python3 -c 'import time; print(time.clock_gettime_ns(time.CLOCK_MONOTONIC))')
	assert_gt "fp_capctl deadline after SIGKILL (ns)" "$dl" 0
	[ "$dl" -le $((now + 3000000000)) ] ||
		lab_fail "fp_capctl deadline after SIGKILL: expected at most 3 s ahead, saw $(((dl - now) / 1000000)) ms"
	cap_bg -w "$LAB_DIR/k2.pcap" --count 1 --filter fast
	ping_from "$NS_OP" "$VM1_IP4" 2 || true
	cap_wait "capture after a killed one"
	assert_eq "capture after a killed one: exit status" 0 "$CAP_RC"
	assert_eq "capture after a killed one: lines" 1 "$(grep -c '^fast ' "$LAB_DIR/cap.out" || true)"
	cap_bg -w "$LAB_DIR/k3.pcap"
	cap_kill9
	assert_ok "capture --stop" fp capture --stop
	assert_eq "fp_capctl deadline after --stop" 0 "$(capctl deadline_ns)"
}

# e. Usage errors exit 2, runtime errors 1, one line each.
case_bad_input() {
	cap_setup
	expect_reject "no -w" 2 capture --count 5
	expect_reject "unknown filter" 2 capture --filter fastpath -w "$LAB_DIR/x.pcap"
	expect_reject "count 0" 2 capture --count 0 -w "$LAB_DIR/x.pcap"
	expect_reject "snaplen 0" 2 capture --snaplen 0 -w "$LAB_DIR/x.pcap"
	expect_reject "snaplen 257" 2 capture --snaplen 257 -w "$LAB_DIR/x.pcap"
	expect_reject "--stop with -w" 2 capture --stop -w "$LAB_DIR/x.pcap"
	expect_reject "unwritable file" 1 capture -w "$LAB_DIR/no/such/dir/x.pcap"
	assert_eq "fp_capctl deadline after refused captures" 0 "$(capctl deadline_ns)"
	cap_bg -w "$LAB_DIR/busy.pcap" --quiet
	expect_reject "a second capture" 1 capture -w "$LAB_DIR/second.pcap"
	kill -TERM "$CAP_PID"
	cap_wait "SIGTERM"
}

lab_main lab_up lab_down "$CASES" "$@"
