#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control-plane figures of `fastpath sync` (DESIGN.md "Performance method"):
#  - reconcile time of `sync --once` with N routes installed, cold (empty
#    maps) and warm (maps already equal), N = 100k and 1M;
#  - event latency with the daemon running on the 100k table: from sending
#    one RTM_NEWROUTE / RTM_DELROUTE (build/bench_sync_latency, its own
#    netlink socket, no fork inside the measurement) to the entry appearing
#    in / leaving the pinned fp_hosts4 (lookups of the exact key, the CPU
#    yielded between them);
#  - the same 100k routes inside a VNet connected by `fastpath apply`:
#    sync --once cold, and an apply turning fastpath off and on (retag);
#  - `fastpath verify --sample 1000` over the 100k table, the program
#    attached to uplink0 whose traffic policy routing sends to a gateway
#    link (as in the lab: two route lookups a probe), and the event
#    latency again with the daemon verifying every second.
# Everything happens in a namespace of its own; never the root namespace.
# Addresses: 198.18.0.0/15 and 2001:db8::/32 only. Routes via a permanent
# neighbour on the VM port tap-vm1, so every one is a fast entry.
#
# Usage: scripts/bench-sync.sh        (QUICK=1: only N = 100k; EVENTS=200)
# Output: a markdown table on stdout, one JSON line in build/bench/sync.json.

set -eu

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FP=${FP:-$ROOT/build/fastpath}
PROBE=${PROBE:-$ROOT/build/bench_sync_latency}
OUT_DIR=$ROOT/build/bench
QUICK=${QUICK:-0}
EVENTS=${EVENTS:-200}
GAP_MS=${GAP_MS:-20}
N_SMALL=100000
N_LARGE=1000000

ID=$$-$RANDOM
NS=fp-bench-$ID
PIN=/sys/fs/bpf/fastpath-bench-$ID
WORK=$(mktemp -d "/tmp/fp-bench-$ID.XXXXXX")
DAEMON=

GW4=198.19.1.10 GW6=2001:db8:100:1::10 PEER_MAC=02:00:00:00:01:10
# Event routes: one /24 the bulk routes leave free.
EVENT_FIRST=198.19.255.1

log() { printf '%s\n' "$*" >&2; }
die() {
	log "bench-sync: $*"
	exit 1
}

cleanup() {
	if [ -n "$DAEMON" ]; then
		kill "$DAEMON" 2>/dev/null || true
		wait "$DAEMON" 2>/dev/null || true
	fi
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$PIN" "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fp() { "$FP" -n "$NS" --pin-path "$PIN" "$@"; }

require() {
	local t
	[ "$(id -u)" -eq 0 ] || die "needs root (network namespaces, BPF)"
	for t in ip awk; do
		command -v "$t" >/dev/null || die "missing tool: $t"
	done
	[ -x "$FP" ] || die "$FP not built (make)"
	[ -x "$PROBE" ] || die "$PROBE not built (make build/bench_sync_latency)"
	if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then
		mount -t bpf bpf /sys/fs/bpf || die "cannot mount bpffs at /sys/fs/bpf"
	fi
}

# A VM port whose peer stays in the namespace (carrier needs it up).
setup_ns() {
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add tap-vm1 type veth peer name vm1-wire
	ip -n "$NS" link set vm1-wire up
	ip -n "$NS" addr add 198.19.1.1/24 dev tap-vm1
	ip -n "$NS" -6 addr add 2001:db8:100:1::1/64 dev tap-vm1 nodad
	ip -n "$NS" link set tap-vm1 up
	ip -n "$NS" neigh replace "$GW4" lladdr "$PEER_MAC" dev tap-vm1 nud permanent
	ip -n "$NS" -6 neigh replace "$GW6" lladdr "$PEER_MAC" dev tap-vm1 nud permanent
}

fresh_maps() {
	rm -rf "$PIN"
	fp port add tap-vm1 >/dev/null || die "port add tap-vm1 failed"
}

# routes_file FROM TO: `ip -batch` lines for routes FROM..TO-1. The first
# 100k are IPv4 /32s in 198.18.0.0/15 (skipping 198.19.1.0/24, the port's
# subnet, and 198.19.255.0/24, the event routes); beyond, IPv6 /128s.
routes_file() {
	awk -v from="$1" -v to="$2" -v gw4="$GW4" -v gw6="$GW6" 'BEGIN {
		for (i = from; i < to; i++) {
			if (i < 100000) {
				j = i + (i >= 65536 + 256 ? 256 : 0)
				printf "route add 198.%d.%d.%d/32 via %s dev tap-vm1\n",
					18 + int(j / 65536), int(j / 256) % 256, j % 256, gw4
			} else {
				k = i - 100000
				printf "route add 2001:db8:1:%x::%x/128 via %s dev tap-vm1\n",
					int(k / 65536), k % 65536, gw6
			}
		}
	}' >"$WORK/routes"
}

install_routes() {
	routes_file "$1" "$2"
	ip -n "$NS" -batch "$WORK/routes" || die "ip -batch: route install failed"
}

now_ns() { date +%s%N; }

# time_sync NAME: seconds (3 decimals) of one `sync --once`.
time_sync() {
	local t0 t1
	t0=$(now_ns)
	fp sync --once >"$WORK/sync-$1.log" 2>&1 ||
		die "sync --once ($1) failed: $(tail -n 3 "$WORK/sync-$1.log")"
	t1=$(now_ns)
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }'
}

# entries MAP: its entry count from `fastpath status --json`.
entries() {
	fp status --json | tr -d ' \n' |
		grep -o "\"name\":\"$1\",\"entries\":[0-9]*" | grep -o '[0-9]*$'
}

check_entries() {
	local want=$1 v4 v6
	v4=$(($(entries fp_hosts4) + $(entries fp_routes4)))
	v6=$(($(entries fp_hosts6) + $(entries fp_routes6)))
	[ $((v4 + v6)) -ge "$want" ] ||
		die "after sync: expected at least $want entries, saw $v4 + $v6"
}

bench_reconcile() {
	local n=$1
	fresh_maps
	COLD=$(time_sync "cold-$n")
	check_entries "$n"
	WARM=$(time_sync "warm-$n")
	log "  N=$n: cold ${COLD}s, warm ${WARM}s"
}

# The ExpressRoute model over the same 100k routes: sync --once with every
# entry in a connected VNet (tagged, a budget place each), and an apply
# that turns the connection's fastpath off and on (a retag of the table).
model_conf() {
	cat >"$WORK/fastpath.conf" <<CONF
[gateway]
sku = ErGw3AZ
[circuit c1]
uplink = uplink0
type = direct
bandwidth = 100G
[vnet hub]
address-space = 198.18.0.0/16
address-space = 198.19.0.0/16
port = tap-vm1
[connection hub-c1]
vnet = hub
circuit = c1
fastpath = $1
CONF
}

time_apply() {
	local t0 t1
	model_conf "$1"
	t0=$(now_ns)
	fp --state-dir "$WORK/state" apply --config "$WORK/fastpath.conf" \
		>"$WORK/apply.log" 2>&1 || die "apply failed: $(tail -n 3 "$WORK/apply.log")"
	t1=$(now_ns)
	awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }'
}

bench_model() {
	local used
	fresh_maps
	rm -rf "$WORK/state"
	ip -n "$NS" link add uplink0 type veth peer name op0 2>/dev/null || true
	ip -n "$NS" link set uplink0 up
	fp uplink add uplink0 >/dev/null || die "uplink add uplink0 failed"
	time_apply on >/dev/null
	MCOLD=$(time_sync "model-$N_SMALL")
	used=$(fp status --json | tr -d ' \n' | grep -o '"used":[0-9]*' | cut -d: -f2)
	[ "$used" -ge "$N_SMALL" ] || die "model: expected $N_SMALL budget places, saw $used"
	MOFF=$(time_apply off)
	MON=$(time_apply on)
	log "  model: sync cold ${MCOLD}s, apply off ${MOFF}s, apply on ${MON}s"
}

# bench_verify: seconds of one `verify --sample 1000` of the 100k table.
bench_verify() {
	local t0 t1 out
	ip -n "$NS" link add uplink0 type veth peer name op0 2>/dev/null || true
	ip -n "$NS" link add gw0 type veth peer name gw1
	for d in uplink0 op0 gw0 gw1; do ip -n "$NS" link set "$d" up; done
	ip -n "$NS" addr add 198.19.254.1/24 dev uplink0
	ip -n "$NS" addr add 198.19.253.1/30 dev gw0
	ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1
	ip -n "$NS" rule add iif uplink0 lookup 100 pref 100
	ip -n "$NS" route add default via 198.19.253.2 dev gw0 table 100
	fresh_maps
	fp sync --once >/dev/null 2>&1 || die "sync --once before verify failed"
	fp load uplink0 >/dev/null || die "load uplink0 failed"
	t0=$(now_ns)
	out=$(fp verify --sample 1000) || die "verify: $out"
	t1=$(now_ns)
	printf '%s\n' "$out" | grep -q ' 0 wrong_delivery, 0 missed_acceleration, 0 model_mismatch ([0-9]* transient); 0 without a kernel answer$' ||
		die "verify: expected no disagreement and every answer, saw: $(printf '%s\n' "$out" | tail -n 1)"
	VERIFY=$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f\n", d / 1e9 }')
	log "  verify: ${VERIFY}s: $(printf '%s\n' "$out" | tail -n 1)"
}

# bench_latency [SYNC ARGS]: the event latency with the daemon running.
bench_latency() {
	local n
	fresh_maps
	# verify's probes need the program on these pins (a replace).
	[ $# -eq 0 ] || fp load uplink0 >/dev/null || die "load uplink0 failed"
	"$FP" -n "$NS" --pin-path "$PIN" sync "$@" >"$WORK/daemon.log" 2>&1 &
	DAEMON=$!
	# The daemon's start-up reconcile: wait until the table is in.
	n=600
	while [ "$(entries fp_hosts4)" -lt "$N_SMALL" ]; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || die "daemon: table not programmed within 60 s"
		kill -0 "$DAEMON" || die "daemon exited: $(tail -n 3 "$WORK/daemon.log")"
		sleep 0.1
	done
	LAT=$("$PROBE" "$NS" "$PIN" "$GW4" tap-vm1 "$EVENT_FIRST" \
		$((EVENTS / 2)) "$GAP_MS") || die "latency probe failed: $LAT"
	kill "$DAEMON"
	wait "$DAEMON" || die "daemon: expected exit 0 after SIGTERM"
	DAEMON=
	log "  latency: $LAT"
}

# lat FIELD: a figure of the probe's "all" distribution.
lat() {
	printf '%s' "$LAT" | grep -o '"all":{[^}]*}' | grep -o "\"$1\":[0-9.]*" |
		cut -d: -f2
}

main() {
	local c100 w100 c1m=null w1m=null rev
	require
	mkdir -p "$OUT_DIR"
	setup_ns
	log "bench-sync: installing $N_SMALL routes"
	install_routes 0 "$N_SMALL"
	bench_reconcile "$N_SMALL"
	c100=$COLD w100=$WARM
	log "bench-sync: the same routes in a connected VNet (fastpath apply)"
	bench_model
	log "bench-sync: event latency ($EVENTS events, ${GAP_MS} ms apart)"
	bench_latency
	LAT0=$LAT
	log "bench-sync: verify of the 100k table"
	bench_verify
	log "bench-sync: event latency with the daemon verifying every second"
	bench_latency --verify-interval 1
	LATV=$LAT LAT=$LAT0
	if [ "$QUICK" != 1 ]; then
		log "bench-sync: installing $((N_LARGE - N_SMALL)) more routes"
		install_routes "$N_SMALL" "$N_LARGE"
		bench_reconcile "$N_LARGE"
		c1m=$COLD w1m=$WARM
	fi
	rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
	printf '| figure | value | goal |\n|---|---|---|\n'
	printf '| sync --once, 100k routes, cold | %s s | <= 2 s |\n' "$c100"
	printf '| sync --once, 100k routes, warm | %s s | <= 2 s |\n' "$w100"
	printf '| sync --once, 100k routes in a connected VNet, cold | %s s | |\n' "$MCOLD"
	printf '| apply, fastpath off over those 100k (retag) | %s s | |\n' "$MOFF"
	printf '| apply, fastpath on again (retag) | %s s | |\n' "$MON"
	printf '| sync --once, 1M routes, cold | %s s | <= 10 s |\n' "$c1m"
	printf '| sync --once, 1M routes, warm | %s s | <= 10 s |\n' "$w1m"
	printf '| event -> map, p50 (100k table) | %s ms | |\n' "$(lat p50_ms)"
	printf '| event -> map, p99 (100k table) | %s ms | <= 5 ms |\n' "$(lat p99_ms)"
	printf '| event -> map, max (100k table) | %s ms | |\n' "$(lat max_ms)"
	printf '| verify --sample 1000, 100k entries (two lookups each) | %s s | <= 5 s |\n' "$VERIFY"
	LAT=$LATV
	printf '| event -> map, p50, verifying every second | %s ms | |\n' "$(lat p50_ms)"
	printf '| event -> map, p99, verifying every second | %s ms | <= 5 ms |\n' "$(lat p99_ms)"
	LAT=$LAT0
	printf '{"rev":"%s","kernel":"%s","routes_100k":{"cold_s":%s,"warm_s":%s},"model_100k":{"sync_cold_s":%s,"apply_off_s":%s,"apply_on_s":%s},"routes_1m":{"cold_s":%s,"warm_s":%s},"latency":%s,"verify_100k_s":%s,"latency_verifying":%s}\n' \
		"$rev" "$(uname -r)" "$c100" "$w100" "$MCOLD" "$MOFF" "$MON" "$c1m" "$w1m" "$LAT" "$VERIFY" "$LATV" \
		>"$OUT_DIR/sync.json"
	log "bench-sync: wrote $OUT_DIR/sync.json"
}

main "$@"
