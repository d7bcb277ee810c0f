#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Robustness of `fastpath sync` in the DESIGN.md lab (selftests/lib.sh):
# a restart under traffic, churn while sync is stopped (event overflow), a
# device name and ifindex reused by a new device, ports that come and go.
# Usage: test_sync_robust.sh [CASE...]   (default: all; see CASES)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="restart_no_interruption churn_while_stopped ifindex_reuse interface_churn valgrind_sync map_full static_room hosts_full overflow overflow_stale_links failed_pass"
# Ports made and deleted by interface_churn (issue 5 asks 1,000).
CHURN_PORTS=${CHURN_PORTS:-1000}
# A prefix behind vm1 (vm1 answers for its first address), one behind vm2.
BEHIND1=198.19.200.0/24 BEHIND1_IP=198.19.200.10
BEHIND2=198.19.201.0/24 BEHIND2_IP=198.19.201.10

# sync_exit RC: the case's EXIT trap once sync runs: sync's log on a
# failure, and a stopped sync continued (it would never see lab_down's
# SIGTERM otherwise), then lab_down.
sync_exit() {
	[ "$1" -eq 0 ] || [ "$1" -eq "$KSFT_SKIP" ] || sync_log
	kill -CONT "$SYNC_PID" 2>/dev/null || true
	lab_down
}

# sync_start: the sync daemon in the background (lab_bg, so the
# lab's cleanup ends it); its pid in SYNC_PID, its output in sync.log.
# SYNC_WRAP: a command sync runs under (valgrind_sync uses valgrind);
# SYNC_ARGS: more options for sync (e.g. SYNC_ARGS=--no-return).
sync_start() {
	trap 'sync_exit $?' EXIT
	# shellcheck disable=SC2086 # SYNC_WRAP is a command line, SYNC_ARGS words
	lab_bg ${SYNC_WRAP:-} "$FP" -v -n "$NS_HOST" --pin-path "$PIN" sync --ports 'tap-*' ${SYNC_ARGS:-} \
		</dev/null >>"$LAB_DIR/sync.log" 2>&1
	SYNC_PID=$(tail -n1 "$LAB_DIR/pids")
}

# sync_log: what sync said (without libbpf's -v detail), on stderr.
sync_log() {
	log "  sync's log:"
	grep -v '^libbpf: ' "$LAB_DIR/sync.log" | tail -n 20 >&2 || true
}

# ping_stream NS ADDR COUNT OUT: a bounded fast ping in the background
# (not in a command substitution: it must stay our child); pid in PING_PID.
ping_stream() {
	lab_bg ip netns exec "$1" ping -n -i 0.01 -W 1 -c "$3" -w 30 "$2" \
		</dev/null >"$4" 2>&1
	PING_PID=$(tail -n1 "$LAB_DIR/pids")
}

# ping_received OUT: replies counted in a ping summary.
ping_received() {
	sed -n 's/.* \([0-9]*\) received.*/\1/p' "$1"
}

proc_state() { awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null; }
is_stopped() { [ "$(proc_state "$1")" = T ]; }

# a. kill -9 of sync and a new sync under a ping stream: no loss, nothing
# through the gateway, the entries unchanged.
case_restart_no_interruption() {
	local n=400 p4 p6 g4 g6 f0 g4b g6b f1 before after r4 r6
	sync_setup
	vm1_neighbours
	ip -n "$NS_VM1" addr add "$BEHIND1_IP/32" dev lo
	hns route add "$BEHIND1" via "$VM1_IP4" dev tap-vm1
	sync_start
	wait_for "route entry $BEHIND1 from sync" 50 has_route "$BEHIND1"
	wait_for "neighbour entry $VM1_IP6/128 from sync" 50 has_route "$VM1_IP6/128"
	before=$(routes)
	assert_match "entries before the restart" "^$VM1_IP4/32 tap-vm1 " "$before"

	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	ping_stream "$NS_OP" "$BEHIND1_IP" "$n" "$LAB_DIR/ping4"
	p4=$PING_PID
	ping_stream "$NS_OP" "$VM1_IP6" "$n" "$LAB_DIR/ping6"
	p6=$PING_PID
	sleep 1
	kill -KILL "$SYNC_PID"
	wait "$SYNC_PID" 2>/dev/null || true
	# A killed daemon cannot say goodbye: status sees it gone.
	assert_match "status after kill -9" '"daemon":"stale"' "$(fp --json status)"
	sync_start
	# The new sync follows events (so its start-up reconcile is done).
	mark 1 tap-vm1 "$VM1_IP4"
	hns route del "${MARK%.0/24}.1/32"
	wait_for "marker route gone" 50 no_route "${MARK%.0/24}.1/32"
	wait "$p4" || true
	wait "$p6" || true
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) f1=$(fp_stat fastpath)
	r4=$(ping_received "$LAB_DIR/ping4") r6=$(ping_received "$LAB_DIR/ping6")
	if [ "$r4" != "$n" ] || [ "$r6" != "$n" ]; then
		grep -hv -e 'bytes from' "$LAB_DIR/ping4" "$LAB_DIR/ping6" >&2 || true
	fi
	log "  pings answered across the restart: IPv4 $r4/$n, IPv6 $r6/$n"
	assert_eq "IPv4 echo replies across kill -9 and restart of sync" "$n" "$r4"
	assert_eq "IPv6 echo replies across kill -9 and restart of sync" "$n" "$r6"
	assert_delta "gateway IPv4 forwards during the restart" "$g4" "$g4b" 0 0
	assert_delta "gateway IPv6 forwards during the restart" "$g6" "$g6b" 0 0
	assert_delta "stats fastpath.packets during the restart" "$f0" "$f1" $((2 * n))
	after=$(routes)
	if [ "$before" != "$after" ]; then
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") | head -n 10 >&2 || true
		lab_fail "route list --json after the restart: expected the same entries as before, saw the differences above"
	fi
}

# expected_state: what sync must show for tap-vm1 given the kernel's main
# table and neighbours, as "PREFIX PORT LLADDR ORIGIN" lines, sorted. Only
# routes via vm1 and vm1's neighbours exist in this case (no shadows).
expected_state() {
	{
		hns -4 route show table main | awk -v mac="$VM1_MAC" \
			'$2 == "via" && $3 == "'"$VM1_IP4"'" && $4 == "dev" && $5 == "tap-vm1" {
				p = $1; if (p !~ /\//) p = p "/32"; print p, "tap-vm1", mac, "route" }'
		hns neigh show dev tap-vm1 nud permanent
		hns neigh show dev tap-vm1 nud reachable
		hns neigh show dev tap-vm1 nud stale
		hns neigh show dev tap-vm1 nud delay
		hns neigh show dev tap-vm1 nud probe
	} | awk '$2 == "tap-vm1" { print; next }
		$2 == "lladdr" && $1 !~ /^fe80:/ {
			print $1 ($1 ~ /:/ ? "/128" : "/32"), "tap-vm1", $3, "neighbour" }' |
		LC_ALL=C sort -u
}

# actual_state: sync's non-static entries in the same form.
actual_state() {
	routes | awk '$5 != "static" { print $1, $2, $4, $5 }' | LC_ALL=C sort -u
}

states_equal() {
	expected_state >"$LAB_DIR/expected"
	actual_state >"$LAB_DIR/actual"
	cmp -s "$LAB_DIR/expected" "$LAB_DIR/actual"
}

# b. 20,000 route changes while sync is stopped; after SIGCONT the maps
# equal the kernel's state (the event socket may overflow: sync re-dumps).
case_churn_while_stopped() {
	local b=$LAB_DIR/churn.batch x y t0 t1 i n ms
	sync_setup
	vm1_neighbours
	sync_start
	wait_for "neighbour entry $VM1_IP4/32 from sync" 50 has_route "$VM1_IP4/32"
	# 10,000 adds in 198.18.64.0/18, 5,000 of them deleted again, 5,000
	# adds in 198.18.128.0/18: 20,000 changes.
	for x in $(seq 0 39); do
		for y in $(seq 0 249); do
			echo "route add 198.18.$((64 + x)).$y/32 via $VM1_IP4 dev tap-vm1"
		done
	done >"$b"
	for x in $(seq 0 39); do
		for y in $(seq 0 2 249); do
			echo "route del 198.18.$((64 + x)).$y/32 via $VM1_IP4 dev tap-vm1"
		done
	done >>"$b"
	for x in $(seq 0 19); do
		for y in $(seq 0 249); do
			echo "route add 198.18.$((128 + x)).$y/32 via $VM1_IP4 dev tap-vm1"
		done
	done >>"$b"
	assert_eq "route changes in the batch" 20000 "$(wc -l <"$b")"

	kill -STOP "$SYNC_PID"
	wait_for "sync stopped" 50 is_stopped "$SYNC_PID"
	hns -batch "$b" || { kill -CONT "$SYNC_PID"; lab_fail "ip -batch of 20,000 route changes: expected exit 0"; }
	n=$(hns -4 route show table main | grep -c " via $VM1_IP4 dev tap-vm1" || true)
	assert_eq "kernel routes via vm1 after the churn" 10000 "$n"
	t0=$(date +%s%N)
	kill -CONT "$SYNC_PID"
	# Poll every 0.5 s, at most 60 s.
	i=120
	until states_equal; do
		i=$((i - 1))
		if [ "$i" -le 0 ]; then
			log "  expected (kernel) vs actual (sync), first differences:"
			LC_ALL=C comm -3 "$LAB_DIR/expected" "$LAB_DIR/actual" |
				sed 's/^\t/    sync only:   /; t; s/^/    kernel only: /' | head -n 10 >&2
			lab_fail "sync after SIGCONT: expected its entries to equal the kernel's $(wc -l <"$LAB_DIR/expected") within 60 s, saw $(wc -l <"$LAB_DIR/actual") entries, $(LC_ALL=C comm -3 "$LAB_DIR/expected" "$LAB_DIR/actual" | wc -l) differing"
		fi
		sleep 0.5
	done
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	n=$(wc -l <"$LAB_DIR/expected")
	log "  converged to $n entries ${ms} ms after SIGCONT$(grep -q 'events lost' "$LAB_DIR/sync.log" && echo ', after an event overflow (re-dump)')"
	kill -0 "$SYNC_PID" || lab_fail "sync after the churn: expected it running, saw it gone: $(tail -n3 "$LAB_DIR/sync.log")"
	assert_eq "entries after the churn (10,000 routes + 2 neighbours)" 10002 "$n"
	# And it still follows events.
	mark 1 tap-vm1 "$VM1_IP4"
	assert_explain 198.18.147.249 fastpath
	assert_explain 198.18.64.0 gateway
}

no_link() { ! ip -n "$1" link show dev "$2" >/dev/null 2>&1; }

# no_entries_on IFINDEX DEV PREFIX...: a new DEV under an old ifindex
# inherits nothing: no entry points at it, none of PREFIX is in the map.
no_entries_on() {
	local i=$1 dev=$2 p
	shift 2
	assert_eq "entries on the new $dev (ifindex $i) before the kernel gives it any" \
		"" "$(entries_on "$i")"
	for p in "$@"; do assert_no_route "$p"; done
}

# vm_link NS DEV N: VM N's addresses again, on a new link DEV <-> NS's eth0
# (the host .1, the VM .10 of 198.19.N.0/24 and 2001:db8:100:N::/64).
vm_link() {
	local ns=$1 dev=$2 n=$3
	lab_addr "$NS_HOST" "$dev" "198.19.$n.1/24" "2001:db8:100:$n::1/64"
	lab_addr "$ns" eth0 "198.19.$n.10/24" "2001:db8:100:$n::10/64"
	ip netns exec "$ns" ethtool -K eth0 gro on >/dev/null
	ip -n "$ns" route add default via "198.19.$n.1"
	ip -n "$ns" -6 route add default via "2001:db8:100:$n::1"
}

# entries_on IFINDEX: route-list lines whose ifindex is IFINDEX.
entries_on() { routes | awk -v i="$1" '$3 == i'; }

# c. A device deleted and a new one made with the same name and the same
# ifindex: it inherits none of the old device's entries, until the kernel
# gives it new ones. veth-vm2 is registered with `port add`; tap-vm1 by
# sync's --ports glob.
case_ifindex_reuse() {
	local i2 i1 tw mac2 mac1
	sync_setup
	assert_ok "port add veth-vm2" fp port add veth-vm2
	vm1_neighbours
	hns neigh replace "$VM2_IP4" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	hns -6 neigh replace "$VM2_IP6" lladdr "$VM2_MAC" dev veth-vm2 nud permanent
	hns route add "$BEHIND1" via "$VM1_IP4" dev tap-vm1
	hns route add "$BEHIND2" via "$VM2_IP4" dev veth-vm2
	sync_start
	wait_for "route entry $BEHIND2 from sync" 50 has_route "$BEHIND2"
	wait_for "route entry $BEHIND1 from sync" 50 has_route "$BEHIND1"
	i2=$(hns -o link show dev veth-vm2 | cut -d: -f1)
	i1=$(hns -o link show dev tap-vm1 | cut -d: -f1)
	assert_route "$BEHIND2" veth-vm2 "$VM2_MAC" route
	assert_route "$VM2_IP6/128" veth-vm2 "$VM2_MAC" neighbour
	assert_route "$BEHIND1" tap-vm1 "$VM1_MAC" route

	# veth-vm2 goes; a new veth-vm2 with the same ifindex comes at once.
	hns link del veth-vm2
	hns link add veth-vm2 index "$i2" type veth peer name eth0 netns "$NS_VM2"
	assert_eq "ifindex of the new veth-vm2" "$i2" "$(hns -o link show dev veth-vm2 | cut -d: -f1)"
	hns link set veth-vm2 up
	ip -n "$NS_VM2" link set eth0 up
	mark 1 tap-vm1 "$VM1_IP4"
	no_entries_on "$i2" veth-vm2 "$BEHIND2" "$VM2_IP4/32" "$VM2_IP6/128"
	assert_explain "$BEHIND2_IP" gateway
	assert_explain "$VM2_IP4" gateway

	# The kernel gives it new state: sync follows, with the new MAC.
	mac2=$(ns_mac "$NS_VM2" eth0)
	vm_link "$NS_VM2" veth-vm2 2
	hns neigh replace "$VM2_IP4" lladdr "$mac2" dev veth-vm2 nud permanent
	hns route add "$BEHIND2" via "$VM2_IP4" dev veth-vm2
	wait_for "route entry $BEHIND2 on the new veth-vm2" 50 has_route "$BEHIND2"
	assert_route "$BEHIND2" veth-vm2 "$mac2" route
	assert_route "$VM2_IP4/32" veth-vm2 "$mac2" neighbour

	# tap-vm1 goes with its wire; a veth tap-vm1 with the same ifindex comes.
	tw=$(head -n1 "$LAB_DIR/pids")
	assert_eq "process behind tap-vm1" tapwire "$(cat "/proc/$tw/comm" 2>/dev/null)"
	kill "$tw"
	wait "$tw" 2>/dev/null || true
	wait_for "tap-vm1 gone with tapwire" 50 no_link "$NS_HOST" tap-vm1
	wait_for "vm1's eth0 gone with tapwire" 50 no_link "$NS_VM1" eth0
	hns link add tap-vm1 index "$i1" type veth peer name eth0 netns "$NS_VM1"
	hns link set tap-vm1 up
	ip -n "$NS_VM1" link set eth0 up
	mark 2 veth-vm2 "$VM2_IP4"
	no_entries_on "$i1" tap-vm1 "$BEHIND1" "$VM1_IP4/32" "$VM1_IP6/128"
	assert_explain "$VM1_IP4" gateway
	assert_explain "$BEHIND1_IP" gateway

	mac1=$(ns_mac "$NS_VM1" eth0)
	vm_link "$NS_VM1" tap-vm1 1
	hns neigh replace "$VM1_IP4" lladdr "$mac1" dev tap-vm1 nud permanent
	hns -6 neigh replace "$VM1_IP6" lladdr "$mac1" dev tap-vm1 nud permanent
	wait_for "neighbour entry $VM1_IP6/128 on the new tap-vm1" 50 has_route "$VM1_IP6/128"
	assert_route "$VM1_IP4/32" tap-vm1 "$mac1" neighbour
	assert_route "$VM1_IP6/128" tap-vm1 "$mac1" neighbour
	assert_no_route "$BEHIND1"
	# The new entries work: the new devices are redirect targets.
	assert_explain "$VM2_IP4" fastpath
	assert_explain "$VM1_IP4" fastpath
}

# port_names: the names in `port list --json`, sorted.
port_names() {
	fp --json port list | tr -d ' \n' | grep -o '"name":"[^"]*"' | LC_ALL=C sort || true
}

entry_count() { routes | wc -l; }
entry_count_is() { [ "$(entry_count)" -eq "$1" ]; }

# d. 50 veth ports tap-cN, each with a neighbour and a route, appear and go
# while sync --ports 'tap-*' runs: at the peak sync has them all, at the
# end the entries and ports are the baseline again.
# Port i's addresses (i up to 1,000, all in 198.18.0.0/15): a /30 link in
# 198.18.192.0/18 (.1 the host, .2 the VM) and a /28 behind the VM in
# 198.18.64.0/18.
# port_vars I: port I's host address (P_HOST1), VM address (P_HOST2),
# prefix behind the VM (P_BEHIND) and MAC (P_MAC), in variables: a
# subshell per address made writing 1,000 ports' batch take minutes.
port_vars() {
	local net=198.18.$((192 + $1 / 64)) last=$((4 * ($1 % 64)))
	P_HOST1=$net.$((last + 1)) P_HOST2=$net.$((last + 2))
	P_BEHIND=198.18.$((64 + $1 / 16)).$((16 * ($1 % 16)))/28
	printf -v P_MAC '02:fc:00:00:%02x:%02x' $(($1 / 256)) $(($1 % 256))
}
# port_host I K (K 1 or 2), port_behind I, port_mac I: the same, printed.
port_host() {
	port_vars "$1"
	if [ "$2" = 1 ]; then echo "$P_HOST1"; else echo "$P_HOST2"; fi
}
port_behind() { port_vars "$1" && echo "$P_BEHIND"; }
port_mac() { port_vars "$1" && echo "$P_MAC"; }

case_interface_churn() {
	local n=${1:-$CHURN_PORTS} b=$LAB_DIR/ports.batch i base ports0 ports1 seen t0 t1 t2
	sync_setup
	vm1_neighbours
	sync_start
	wait_for "neighbour entry $VM1_IP6/128 from sync" 50 has_route "$VM1_IP6/128"
	base=$(entry_count) ports0=$(port_names)
	: >"$b"
	# The ports are link group 77 and go all at once ("link del group"):
	# one by one, the kernel took ~34 ms a veth pair (a grace period
	# each), 70 s of the case, and sync saw the same events more slowly.
	for i in $(seq 1 "$n"); do
		port_vars "$i"
		printf '%s\n' \
			"link add tap-c$i group 77 type veth peer name pc-$i address $P_MAC" \
			"link set pc-$i up" "link set tap-c$i up" \
			"addr add $P_HOST1/30 dev tap-c$i" \
			"neigh replace $P_HOST2 lladdr $P_MAC dev tap-c$i nud permanent" \
			"route add $P_BEHIND via $P_HOST2 dev tap-c$i" >>"$b"
	done
	t0=$(date +%s%N)
	hns -batch "$b"
	t1=$(date +%s%N)
	i=$((100 + n / 5))
	until entry_count_is $((base + 2 * n)); do
		i=$((i - 1))
		[ "$i" -gt 0 ] || lab_fail "entries with $n tap-cN ports: expected $((base + 2 * n)) in time, saw $(entry_count)"
		nap 0.1
	done
	assert_route "$(port_behind "$n")" "tap-c$n" "$(port_mac "$n")" route
	assert_route "$(port_host "$n" 2)/32" "tap-c$n" "$(port_mac "$n")" neighbour
	seen=$(port_names | grep -c '"name":"tap-c' || true)
	assert_eq "ports tap-cN registered by sync" "$n" "$seen"
	# The return path (sync's default, unless SYNC_ARGS says --no-return)
	# on each of them.
	seen=$(hns -d -o link show | grep ': tap-c[0-9]*@' | grep -c 'prog/xdp id' || true)
	case " ${SYNC_ARGS:-} " in
	*" --no-return "*) assert_eq "ports tap-cN with an XDP program (--no-return)" 0 "$seen" ;;
	*) assert_eq "ports tap-cN with the return path attached" "$n" "$seen" ;;
	esac
	t2=$(date +%s%N)
	log "  $n ports made in $(((t1 - t0) / 1000000)) ms, all in the maps $(((t2 - t1) / 1000000)) ms later; $(sync_counter full_syncs) full passes so far"

	# All go; then the same again, each port gone as soon as it came.
	hns link del group 77
	t0=$(date +%s%N)
	hns -batch "$b"
	hns link del group 77
	t1=$(date +%s%N)
	log "  $n ports deleted in $(((t0 - t2) / 1000000)) ms, made and deleted again in $(((t1 - t0) / 1000000)) ms"
	mark 1 tap-vm1 "$VM1_IP4"
	hns route del "${MARK%.0/24}.1/32"
	i=$((100 + n / 5))
	until entry_count_is "$base"; do
		i=$((i - 1))
		[ "$i" -gt 0 ] || lab_fail "entries after the tap-cN ports went: expected the baseline $base in time, saw $(entry_count): $(routes | grep -v -e "^$VM1_IP4/" -e "^$VM1_IP6/" | head -n 5)"
		nap 0.1
	done
	# Sync drops its ports once no entry points at them: a pass later.
	i=$((100 + n / 5))
	until [ "$(port_names)" = "$ports0" ]; do
		i=$((i - 1))
		[ "$i" -gt 0 ] || break
		nap 0.1
	done
	ports1=$(port_names)
	log "  entries and ports back to the baseline $((($(date +%s%N) - t1) / 1000000)) ms after the last deletion"
	assert_eq "ports after the tap-cN ports went" "$(echo "$ports0" | tr '\n' ' ')" "$(echo "$ports1" | tr '\n' ' ')"
	assert_route "$VM1_IP4/32" tap-vm1 "$VM1_MAC" neighbour
}

# sync under valgrind memcheck through port and route churn: no errors,
# no definite leaks, and a clean exit on SIGTERM.
case_valgrind_sync() {
	local rc=0
	command -v valgrind >/dev/null || lab_skip "no valgrind"
	# make sanitize runs this with an ASan build, which valgrind cannot run.
	# (its runtime linked in: the binary holds __asan_init).
	! grep -qa __asan_init "$FP" ||
		lab_skip "$FP is an ASan build: valgrind runs the plain one"
	SYNC_WRAP="valgrind -q --num-callers=30 --error-exitcode=3 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$ROOT/selftests/valgrind.supp"
	case_interface_churn 20
	kill -TERM "$SYNC_PID"
	wait "$SYNC_PID" || rc=$?
	[ "$rc" -eq 0 ] || { sync_log; lab_fail "sync under valgrind: expected exit 0, saw $rc (3: memcheck errors)"; }
}

# The same churn through a tiny event buffer (FASTPATH_SYNC_RCVBUF): the
# socket overflows (ENOBUFS), sync says so, re-dumps and converges all the
# same.
case_overflow() {
	export FASTPATH_SYNC_RCVBUF=4096
	case_churn_while_stopped
	grep -q 'events lost' "$LAB_DIR/sync.log" ||
		lab_fail "sync's log: expected 'events lost' (an overflow), saw: $(grep -v '^libbpf' "$LAB_DIR/sync.log" | tail -n 3)"
}

# sync_sockets_read: nothing waits in sync's netlink sockets (libnl's port
# ids are the pid in their low 22 bits): sync has read every event so far.
# shellcheck disable=SC2016 # awk fields, not shell expansions
sync_sockets_read() {
	ip netns exec "$NS_HOST" awk -v pid="$SYNC_PID" \
		'NR > 1 && $2 == 0 && $3 % 4194304 == pid && $5 != 0 { busy = 1 }
		END { exit busy }' /proc/net/netlink
}

# The operational state, which the kernel sets just before it tells.
oper_state_is() { hns -o link show dev "$1" | grep -q " state $2 "; }

# Link events queued before an event overflow are older than the re-dump
# that follows it: read after the re-dump, they would undo it. A port
# loses its carrier while sync is stopped, so many link events follow that
# the socket overflows, and the carrier's return is lost with the rest.
# After SIGCONT sync must show the port as the kernel has it: up, with its
# entries (not as the stale event left it: down, its entries removed).
case_overflow_stale_links() {
	local i f=$LAB_DIR/fill.batch
	local behind host mac
	behind=$(port_behind 1) host=$(port_host 1 2) mac=$(port_mac 1)
	export FASTPATH_SYNC_RCVBUF=65536
	sync_setup
	vm1_neighbours
	sync_start
	wait_for "neighbour entry $VM1_IP6/128 from sync" 50 has_route "$VM1_IP6/128"
	hns link add tap-c1 type veth peer name pc-1 address "$mac"
	hns link set pc-1 up
	hns link set tap-c1 up
	hns addr add "$(port_host 1 1)/30" dev tap-c1
	hns neigh replace "$host" lladdr "$mac" dev tap-c1 nud permanent
	hns route add "$behind" via "$host" dev tap-c1
	wait_for "route entry $behind from sync" 50 has_route "$behind"
	wait_for "neighbour entry $host/32 from sync" 50 has_route "$host/32"
	# A link kept down (no addresses, no routes) whose MTU changes 1,000
	# times: events enough to overflow the 128 KiB socket many times over.
	hns link add fill0 type veth peer name fill1
	for i in $(seq 1 1000); do echo "link set fill0 mtu $((1400 + i % 2))"; done >"$f"

	kill -STOP "$SYNC_PID"
	wait_for "sync stopped" 50 is_stopped "$SYNC_PID"
	hns link set pc-1 down
	wait_for "tap-c1 without carrier" 50 oper_state_is tap-c1 LOWERLAYERDOWN
	hns -batch "$f" || { kill -CONT "$SYNC_PID"; lab_fail "ip -batch of 1,000 MTU changes: expected exit 0"; }
	hns link set pc-1 up
	wait_for "tap-c1 with carrier again" 50 oper_state_is tap-c1 UP
	kill -CONT "$SYNC_PID"
	# Every queued event read (or dropped); then a marker through the
	# route socket: sync has reconciled what it read before it.
	wait_for "sync reading its event sockets" 100 sync_sockets_read
	mark 1 tap-vm1 "$VM1_IP4"
	grep -q 'events lost' "$LAB_DIR/sync.log" ||
		lab_fail "sync's log: expected 'events lost' (an overflow), saw: $(grep -v '^libbpf' "$LAB_DIR/sync.log" | tail -n 3)"
	assert_route "$behind" tap-c1 "$mac" route
	assert_route "$host/32" tap-c1 "$mac" neighbour
	assert_explain "$(port_host 1 2)" fastpath
}

not_programmed_is() { [ "$(sync_counter not_programmed)" = "$1" ]; }

# A full route map: what cannot be programmed is counted and goes to the
# gateway, and a fast prefix whose more specific shadow was refused is
# withdrawn rather than left to answer for it with the wrong port. Room
# again: sync programs it all.
case_map_full() {
	local p=198.19.200.0/24 q=198.19.200.128/25 r=198.19.201.0/24
	# Two entries per route map (FASTPATH_ROUTE_CAPACITY) for every
	# command of this case, the maps included.
	export FASTPATH_ROUTE_CAPACITY=2
	sync_setup
	vm1_neighbours
	sync_start
	wait_for "neighbour entry $VM1_IP4/32 from sync" 50 has_route "$VM1_IP4/32"
	hns route add "$p" via "$VM1_IP4" dev tap-vm1
	hns route add "$r" via "$VM1_IP4" dev tap-vm1
	wait_for "route entry $p" 50 has_route "$p"
	wait_for "route entry $r" 50 has_route "$r"
	assert_explain 198.19.200.10 fastpath
	assert_eq "not programmed with room" 0 "$(sync_counter not_programmed)"

	# The gateway's more specific /25 inside p: no room for its shadow.
	hns route add "$q" via 198.18.1.2 dev gw0
	wait_for "sync counting the refused shadow" 50 not_programmed_is 2
	assert_eq "withdrawn fast prefixes" 1 "$(sync_counter withdrawn)"
	assert_no_route "$q"
	assert_no_route "$p"
	assert_explain 198.19.200.130 gateway
	assert_explain 198.19.200.10 gateway
	assert_explain 198.19.201.10 fastpath
	grep -q "$q: .*full" "$LAB_DIR/sync.log" ||
		lab_fail "sync's log: expected a warning naming $q and the full map, saw: $(grep -v '^libbpf' "$LAB_DIR/sync.log" | tail -n 3)"

	# Room again (r goes): sync retries and programs q and p, by the
	# retry a failed pass takes too (its first wait, 100 ms).
	hns route del "$r"
	wait_for "shadow entry $q once there is room" 50 has_route "$q"
	wait_for "not programmed back to 0" 50 not_programmed_is 0
	assert_eq "room retries in sync's log" "100" \
		"$(sed -n 's/^sync: entries left a full map: trying again in \([0-9]*\) ms$/\1/p' "$LAB_DIR/sync.log" | tr '\n' ' ' | sed 's/ $//')"
	assert_explain 198.19.200.130 gateway
	assert_explain 198.19.200.10 fastpath
}

# Room that no event announces: a static entry (`fastpath route del`)
# leaves a full map that refused a route. Sync, which keeps looking for
# room while entries stay refused (every FASTPATH_SYNC_POLL_MS, 30 s by
# default), programs the route; before, it waited for the next route to
# leave the kernel's table.
case_static_room() {
	local s=198.19.210.0/24
	export FASTPATH_ROUTE_CAPACITY=2 FASTPATH_SYNC_POLL_MS=500
	sync_setup
	vm1_neighbours
	sync_start
	hns route add "$BEHIND1" via "$VM1_IP4" dev tap-vm1
	wait_for "route entry $BEHIND1" 50 has_route "$BEHIND1"
	assert_ok "static route into the last place" fp route add "$s" dev tap-vm1 lladdr "$VM1_MAC"
	hns route add "$BEHIND2" via "$VM1_IP4" dev tap-vm1
	wait_for "sync counting the refused $BEHIND2" 50 not_programmed_is 1
	assert_no_route "$BEHIND2"
	assert_explain "$BEHIND2_IP" gateway
	assert_ok "static route deleted" fp route del "$s"
	wait_for "route entry $BEHIND2 once sync finds the room" 50 has_route "$BEHIND2"
	wait_for "not programmed back to 0" 50 not_programmed_is 0
	assert_explain "$BEHIND2_IP" fastpath
	assert_match "sync's log: looking for room" \
		"^sync: entries a full map refused: looking for room again in 500 ms$" \
		"$(grep 'looking for room' "$LAB_DIR/sync.log")"
}

# A full host map in one cold reconcile (sync --once): host routes go to
# their hash in batched updates, and what the map refuses midway is
# counted and named as one write at a time would have it.
case_hosts_full() {
	local n
	export FASTPATH_ROUTE_CAPACITY=2
	sync_setup
	vm1_neighbours
	for n in 1 2 3; do
		hns route add "198.19.202.$n/32" via "$VM1_IP4" dev tap-vm1
	done
	assert_ok "sync --once" fp sync --once --ports 'tap-*'
	# Four host entries (three routes, vm1's neighbour), room for two.
	assert_eq "IPv4 host entries" 2 "$(routes | grep -c '^[0-9.]*/32 ')"
	assert_eq "not programmed" 2 "$(sync_counter not_programmed)"
	assert_eq "withdrawn" 0 "$(sync_counter withdrawn)"
	fp sync --once --ports 'tap-*' >"$LAB_DIR/once.log" 2>&1 ||
		lab_fail "sync --once again: expected exit 0, saw $?"
	assert_eq "warnings naming fp_hosts4" 2 \
		"$(grep -c 'fp_hosts4 is full: not programmed' "$LAB_DIR/once.log")"
}

# A failed pass (FASTPATH_SYNC_FAIL_PASSES: the first N fail) is tried
# again without waiting for an event, after 100 ms, then 200, 400 ...:
# with no event at all, the route is in the map once the fourth pass runs.
case_failed_pass() {
	sync_setup
	vm1_neighbours
	hns route add "$BEHIND1" via "$VM1_IP4" dev tap-vm1
	export FASTPATH_SYNC_FAIL_PASSES=3
	sync_start
	wait_for "$BEHIND1 from sync's retried pass" 50 has_route "$BEHIND1"
	assert_eq "injected failures in sync's log" 3 \
		"$(grep -c 'injected failure' "$LAB_DIR/sync.log")"
	assert_eq "retries in sync's log" "100 200 400" \
		"$(sed -n 's/^sync: the pass failed: trying again in \([0-9]*\) ms$/\1/p' "$LAB_DIR/sync.log" | tr '\n' ' ' | sed 's/ $//')"
	assert_route "$BEHIND1" tap-vm1 "$VM1_MAC" route
}

lab_main lab_up lab_down "$CASES" "$@"
