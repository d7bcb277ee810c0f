# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Selftest lab: the DESIGN.md "Test topology" in namespaces with unique
# names. Source it, then `lab_up` (sets NS_* / *_MAC / PIN / FP) and make
# sure `lab_down` runs (trap lab_down EXIT). Assertions print
# "expected X, saw Y" on stderr and exit 1; lab_skip exits KSFT_SKIP (4),
# the kernel selftests' skip code.
#
#   fp-op-S    op0  198.18.0.2/24 2001:db8::2/64 ── veth ── uplink0 (host)
#   fp-host-S  uplink0 198.18.0.1/24, gw0 198.18.1.1/30, tap-vm1, veth-vm2
#              ip rule iif uplink0 → table 100 → default via gateway
#   fp-gw-S    gw1 198.18.1.2/30: routes VNet prefixes back to the host
#   fp-vm1-S   eth0 (tap, joined to host tap-vm1 by build/tapwire)
#   fp-vm2-S   eth0 (veth peer of host veth-vm2), also 198.19.2.20

KSFT_SKIP=4
LAB_TABLE=100

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
FP=${FP:-$ROOT/build/fastpath}
FP_OBJ=${FP_OBJ:-$ROOT/build/fastpath.bpf.o}
TAPWIRE=${TAPWIRE:-$ROOT/build/tapwire}
NSCTL=${NSCTL:-$ROOT/build/nsctl}
# The interpreter `python3` names, resolved once: through a version
# manager's shim (pyenv on these machines) every call ran a dozen more
# processes, ~100 ms, and test_model alone made 77 calls. The function
# serves the scripts' own calls; `ip netns exec` and the like take
# "$PYTHON".
PYTHON=${PYTHON:-$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null || echo python3)}
python3() { "$PYTHON" "$@"; }

# Addresses (the lab's only ones: 198.18.0.0/15, 2001:db8::/32).
OP_IP4=198.18.0.2 OP_IP6=2001:db8::2
UP_IP4=198.18.0.1 UP_IP6=2001:db8::1
VM1_IP4=198.19.1.10 VM1_IP6=2001:db8:100:1::10
VM2_IP4=198.19.2.10 VM2_IP6=2001:db8:100:2::10
VM2_PL4=198.19.2.20
# The MACs of the far ends (set as lab_up makes them: none is read back).
OP_MAC=02:5e:0f:00:00:02 GW1_MAC=02:5e:0f:00:01:02
VM1_MAC=02:5e:0f:00:11:10 VM2_MAC=02:5e:0f:00:12:10
export OP_MAC GW1_MAC VM1_MAC VM2_MAC
# The on-prem network behind op0 (lab_onprem): the return path's destinations.
ONP_IP4=198.18.5.1 ONP_IP6=2001:db8:5::1
ONP_NET4=198.18.5.0/24 ONP_NET6=2001:db8:5::/64

log() { printf '%s\n' "$*" >&2; }
lab_fail() { log "  fail: $*"; exit 1; }
lab_skip() { log "  skip: $*"; exit "$KSFT_SKIP"; }

# assert_eq WHAT EXPECTED SAW
assert_eq() {
	[ "$2" = "$3" ] || lab_fail "$1: expected $2, saw $3"
}

# assert_gt WHAT SAW LIMIT: SAW must be greater than LIMIT.
assert_gt() {
	[ "$2" -gt "$3" ] || lab_fail "$1: expected > $3, saw $2"
}

# assert_delta WHAT BEFORE AFTER MIN [MAX]: AFTER - BEFORE within [MIN, MAX].
assert_delta() {
	local d=$(($3 - $2))
	[ "$d" -ge "$4" ] || lab_fail "$1: expected an increase of at least $4, saw $d ($2 -> $3)"
	[ $# -lt 5 ] || [ "$d" -le "$5" ] ||
		lab_fail "$1: expected an increase of at most $5, saw $d ($2 -> $3)"
}

# assert_ok WHAT CMD...: the command must exit 0.
assert_ok() {
	local what=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq 0 ] || lab_fail "$what: expected exit 0, saw $rc from '$*': $out"
}

# expect_exit WHAT CODES CMD...: CMD exits with one of CODES ("1" or
# "1 2") and says why in exactly one stderr line, which is printed and
# left in $REJECT_ERR.
expect_exit() {
	local what=$1 codes=$2 rc=0 n
	shift 2
	REJECT_ERR=$("$@" 2>&1 >/dev/null) || rc=$?
	case " $codes " in *" $rc "*) ;; *)
		lab_fail "$what ('$*'): expected exit ${codes// / or }, saw $rc: $REJECT_ERR" ;;
	esac
	n=$(printf '%s' "$REJECT_ERR" | grep -c '')
	assert_eq "$what ('$*'): stderr lines ($REJECT_ERR)" 1 "$n"
	printf '%s\n' "$REJECT_ERR"
}

# expect_reject WHAT CODES ARGS...: expect_exit of fp ARGS, quietly.
expect_reject() {
	local what=$1 codes=$2
	shift 2
	expect_exit "$what" "$codes" fp "$@" >/dev/null
}

# expect_reject_says WHAT CODES PATTERN ARGS...: the same, and the line
# matches PATTERN.
expect_reject_says() {
	local what=$1 codes=$2 pat=$3
	shift 3
	expect_reject "$what" "$codes" "$@"
	assert_match "$what ('$*'): stderr" "$pat" "$REJECT_ERR"
}

# assert_match WHAT REGEX TEXT: some line of TEXT matches (grep -E). One
# line is matched in the shell: hundreds of calls a suite, and a process
# costs ~15-20 ms here.
assert_match() {
	case $3 in
	*$'\n'*) printf '%s\n' "$3" | grep -Eq -- "$2" ;;
	*) [[ $3 =~ $2 ]] ;;
	esac || lab_fail "$1: expected output matching '$2', saw: $3"
}

# fp ARGS...: the CLI against this lab's host namespace and pin path.
fp() { "$FP" -n "$NS_HOST" --pin-path "$PIN" "$@"; }

# json_counter JSON NAME [FIELD]: stats --json counter NAME's FIELD (packets).
json_counter() {
	local j=${1//[$' \n\t']/} obj="\"$2\":\\{[^}]*\\}" field="\"${3:-packets}\":([0-9]+)" v=
	if [[ $j =~ $obj ]] && [[ ${BASH_REMATCH[0]} =~ $field ]]; then
		v=${BASH_REMATCH[1]}
	fi
	[ -n "$v" ] || lab_fail "stats --json: expected counter $2.${3:-packets}, saw: $1"
	printf '%s\n' "$v"
}

# fp_stat NAME [FIELD]: one counter from `fastpath stats --json`.
fp_stat() {
	local j
	j=$(fp stats --json) || lab_fail "fastpath stats --json: expected exit 0, saw $?"
	json_counter "$j" "$@"
}

# fwd4 NS / fwd6 NS: packets the kernel in NS has forwarded.
# shellcheck disable=SC2016 # awk fields, not shell expansions
fwd4() {
	ip netns exec "$1" awk '$1 == "Ip:" {
		if (!h) { for (i = 2; i <= NF; i++) if ($i == "ForwDatagrams") c = i; h = 1 }
		else print $c }' /proc/net/snmp
}
# shellcheck disable=SC2016
fwd6() {
	ip netns exec "$1" awk '$1 == "Ip6OutForwDatagrams" { print $2 }' /proc/net/snmp6
}
# What the gateway carried.
gw_fwd4() { fwd4 "$NS_GW"; }
gw_fwd6() { fwd6 "$NS_GW"; }

# ping_from NS ADDR [COUNT]: quiet ping, bounded; 0 if all replies came.
ping_from() {
	ip netns exec "$1" ping -q -c "${3:-3}" -i 0.2 -W 1 -w 5 "$2" >/dev/null 2>&1
}

# assert_ping ADDR...: every address answers pings from on-prem.
assert_ping() {
	local a
	for a in "$@"; do
		ping_from "$NS_OP" "$a" || lab_fail "ping $a from on-prem: expected 3 replies, saw loss"
	done
}

ns_mac() {
	local l
	l=$(ip -n "$1" -br link show dev "$2") || return 1
	read -r _ _ l _ <<<"$l"
	echo "$l"
}

# lab_bg CMD...: run CMD in the background; lab_down ends it by pid.
lab_bg() {
	"$@" &
	echo $! >>"$LAB_DIR/pids"
}

# nap SECS: sleep without a process (the polls below run thousands of
# times a suite, and a process costs ~15-20 ms of CPU here): read's
# timeout on a pipe nobody writes to, opened once by whoever sources this.
exec {NAP_FD}<> <(:)
nap() { read -rt "$1" -u "$NAP_FD" _ || true; }

# wait_for WHAT TENTHS CMD...: poll CMD every 0.1 s, at most TENTHS times.
wait_for() {
	local what=$1 n=$2
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || lab_fail "$what: expected within timeout, saw nothing"
		nap 0.1
	done
}

# capctl FIELD: a field of the fp_capctl slot, as bpftool prints it.
capctl() {
	bpftool -j map lookup pinned "$PIN/fp_capctl" key 0 0 0 0 |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["formatted"]["value"][sys.argv[1]])' "$1"
}

# The capture whose pid is $CAP_PID has switched sampling on.
capture_on() { [ "$(capctl owner)" = "$CAP_PID" ] && [ "$(capctl deadline_ns)" != 0 ]; }

# cap_bg [--json] ARGS...: `fastpath [--json] capture ARGS` in the
# background, output in $LAB_DIR/cap.{out,err}, the binary itself (not a
# subshell) as $CAP_PID so that signals reach it; returns once sampling is on.
cap_bg() {
	local g=()
	if [ "${1:-}" = --json ]; then
		g=(--json)
		shift
	fi
	"$FP" -n "$NS_HOST" --pin-path "$PIN" "${g[@]}" capture "$@" \
		>"$LAB_DIR/cap.out" 2>"$LAB_DIR/cap.err" </dev/null &
	CAP_PID=$!
	echo "$CAP_PID" >>"$LAB_DIR/pids"
	wait_for "fp_capctl switched on by capture ${g[*]} $*" 50 capture_on
}

# cap_wait WHAT: wait (10 s at most) for the capture to exit; sets CAP_RC.
# shellcheck disable=SC2034 # CAP_RC is the callers' to read
cap_wait() {
	wait_for "$1: capture to exit" 100 sh -c "! kill -0 $CAP_PID"
	CAP_RC=0
	# Quiet: the shell reports a job killed by SIGKILL on stderr.
	wait "$CAP_PID" 2>/dev/null || CAP_RC=$?
}

# tcp_src MB: the path of a file of MB random MiB under the lab (made once).
tcp_src() {
	local src=$LAB_DIR/tcp-src
	if [ "$(stat -c %s "$src" 2>/dev/null)" != $(($1 << 20)) ]; then
		head -c $(($1 << 20)) /dev/urandom >"$src"
	fi
	printf '%s\n' "$src"
}

# tcp_flow FROM_NS TO_NS ADDR MB [SRC]: MB megabytes over TCP from FROM_NS
# (from address SRC) to a listener in TO_NS on ADDR, compared by sha256
# on both ends.
tcp_flow() {
	local from=$1 to=$2 addr=$3 mb=$4 port=5201 src dst lis con pid bind=
	src=$(tcp_src "$mb") dst=$LAB_DIR/tcp-dst.$(printf %s "$addr" | tr :. __)
	lis=TCP4-LISTEN:$port,reuseaddr con=TCP4:$addr:$port
	case $addr in *:*) lis=TCP6-LISTEN:$port,reuseaddr con=TCP6:[$addr]:$port ;; esac
	case ${5:-} in
	'') ;;
	*:*) bind=,bind=[$5] ;;
	*) bind=,bind=$5 ;;
	esac
	rm -f "$dst"
	ip netns exec "$to" timeout 20 socat -u "$lis" "CREATE:$dst" &
	pid=$!
	echo "$pid" >>"$LAB_DIR/pids"
	wait_for "listener on $addr:$port" 50 sh -c \
		"ip netns exec '$to' ss -Hltn 'sport = :$port' | grep -q ."
	ip netns exec "$from" timeout 20 socat -u "FILE:$src" "$con$bind" ||
		lab_fail "TCP $from -> $addr: expected the sender to finish, saw exit $?"
	wait "$pid" || lab_fail "TCP $from -> $addr: expected the receiver to finish, saw exit $?"
	assert_eq "sha256 of $mb MB over TCP $from -> $addr" \
		"$(sha256sum <"$src" | cut -d' ' -f1)" "$(sha256sum <"$dst" | cut -d' ' -f1)"
}

# tcp_check NS ADDR MBYTES: stream MBYTES MB from on-prem to ADDR in NS
# over TCP, compare sha256 on both ends.
tcp_check() { tcp_flow "$NS_OP" "$1" "$2" "$3"; }

# Make sure /sys/fs/bpf is a bpffs in this mount namespace (read in the
# shell: a process costs ~15-20 ms on these machines, every lab does this).
# The last mount on the path or above it is what the path shows: a bpffs
# that a later mount hides (a tmpfs over it, /sys mounted again) is none.
lab_bpffs() {
	local _dev mnt type _rest top=
	while read -r _dev mnt type _rest; do
		case $mnt in
		/sys/fs/bpf) top=$type ;;
		/sys/fs | /sys) top= ;;
		esac
	done </proc/mounts
	[ "$top" = bpf ] && return 0
	mount -t bpf bpf /sys/fs/bpf || lab_skip "cannot mount bpffs at /sys/fs/bpf"
}

# lab_require_fp: skip unless the CLI and BPF object are built.
lab_require_fp() {
	[ -x "$FP" ] || lab_skip "$FP not built"
	[ -f "$FP_OBJ" ] || lab_skip "$FP_OBJ not built"
}

lab_require() {
	local t
	[ "$EUID" -eq 0 ] || lab_skip "needs root"
	for t in ip ethtool ping socat ss sysctl timeout; do
		command -v "$t" >/dev/null || lab_skip "missing tool: $t"
	done
	[ -c /dev/net/tun ] || lab_skip "no /dev/net/tun"
	lab_helper "$TAPWIRE" tapwire
	lab_helper "$NSCTL" nsctl
}

# lab_helper BIN NAME: build BIN from selftests/NAME.c when missing or older.
lab_helper() {
	if [ ! -x "$1" ] || [ "$ROOT/selftests/$2.c" -nt "$1" ]; then
		mkdir -p "$(dirname "$1")"
		"${CC:-cc}" -O2 -Wall -Wextra -Werror -o "$1" \
			"$ROOT/selftests/$2.c" || lab_fail "cannot build $1"
	fi
}

# Every process costs ~15-20 ms of CPU on these machines, and a subshell's
# fork a few: a lab is made with about twenty, most of them `ip -batch`
# runs of the lines collected in LAB_CMDS. lab_cmd LINE... adds lines;
# lab_batch NS [WHAT] runs them in NS (WHAT names them in a failure) and
# empties the list.
LAB_CMDS=
lab_cmd() {
	local l
	for l in "$@"; do LAB_CMDS+=$l$'\n'; done
}

lab_batch() {
	local cmds=$LAB_CMDS
	LAB_CMDS=
	ip -n "$1" -batch - <<<"$cmds" || lab_fail "${2:-ip -batch} in $1: expected success"
}

# lab_addr_cmds DEV ADDR...: the lines giving DEV its addresses (IPv6 ones
# without DAD) and setting it up.
lab_addr_cmds() {
	local dev=$1 a
	shift
	for a in "$@"; do
		case $a in
		*:*) lab_cmd "addr add $a dev $dev nodad" ;;
		*) lab_cmd "addr add $a dev $dev" ;;
		esac
	done
	lab_cmd "link set $dev up"
}

# lab_addr NS DEV ADDR...: the same, done (NS made by lab_ns: rp_filter
# is already off for every interface).
lab_addr() {
	local ns=$1
	shift
	lab_addr_cmds "$@"
	lab_batch "$ns" "addresses of $1"
}

# Every lab namespace's settings, made before any interface exists so
# that new interfaces inherit them (no per-interface rp_filter after).
LAB_NS_SYSCTLS="net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.default.send_redirects=0"

# lab_nses 'NS [SYSCTL...]'...: new namespaces with those settings and
# their own: two processes for all (ip -batch, build/nsctl). Loopback
# stays down: the first batch in each namespace sets it up (lab_ns does it
# at once).
lab_nses() {
	local spec w add='' sys=()
	for spec in "$@"; do
		read -ra w <<<"$spec"
		echo "${w[0]}" >>"$LAB_DIR/netns"
		add+="netns add ${w[0]}"$'\n'
		# shellcheck disable=SC2206 # the settings are words
		sys+=(${sys[0]+--} "${w[0]}" $LAB_NS_SYSCTLS "${w[@]:1}")
	done
	ip -batch - <<<"$add" || lab_fail "ip netns add ${*%% *}: expected success"
	"$NSCTL" "${sys[@]}" || lab_fail "sysctls of the namespaces ${*%% *}: expected success"
}

# lab_ns NS [SYSCTL...]: one more namespace, loopback up.
lab_ns() {
	lab_nses "$*"
	ip -n "$1" link set lo up
}

lab_up() {
	local id i
	LAB_ID=${LAB_ID:-$$-$RANDOM}
	id=$LAB_ID
	NS_OP=fp-op-$id NS_HOST=fp-host-$id NS_GW=fp-gw-$id
	NS_VM1=fp-vm1-$id NS_VM2=fp-vm2-$id
	PIN=/sys/fs/bpf/fastpath-test-$id
	LAB_DIR=$(mktemp -d "/tmp/fp-lab-$id.XXXXXX")
	export LAB_ID NS_OP NS_HOST NS_GW NS_VM1 NS_VM2 PIN LAB_DIR FP

	lab_require
	lab_bpffs
	lab_nses "$NS_OP" "$NS_HOST net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1" \
		"$NS_GW net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1" "$NS_VM1" "$NS_VM2"

	# vm1: a real tap on the host, wired to a tap in the VM namespace.
	# Its output goes to a file: it may outlive us (KEEP=1) and must not
	# hold a caller's pipe open. It starts now and the rest is set up
	# while it comes up.
	lab_bg ip netns exec "$NS_HOST" "$TAPWIRE" tap-vm1 "/run/netns/$NS_VM1" eth0 \
		"$LAB_DIR/tapwire.ready" </dev/null >"$LAB_DIR/tapwire.log" 2>&1

	# The host: on-prem ── uplink0, gw0 ── gateway, veth-vm2 ── vm2; the
	# policy routing that sends what comes in from on-prem to the gateway.
	# The far ends get the lab's MACs as they are made.
	lab_cmd "link set lo up" \
		"link add uplink0 type veth peer name op0 address $OP_MAC netns $NS_OP" \
		"link add gw0 type veth peer name gw1 address $GW1_MAC netns $NS_GW" \
		"link add veth-vm2 type veth peer name eth0 address $VM2_MAC netns $NS_VM2"
	lab_addr_cmds uplink0 "$UP_IP4/24" "$UP_IP6/64"
	lab_addr_cmds gw0 198.18.1.1/30 2001:db8:1::1/64
	lab_addr_cmds veth-vm2 198.19.2.1/24 2001:db8:100:2::1/64
	lab_cmd "rule add iif uplink0 lookup $LAB_TABLE pref 100" \
		"route add default via 198.18.1.2 dev gw0 table $LAB_TABLE" \
		"route add default via 2001:db8:1::2 dev gw0 table $LAB_TABLE"
	lab_batch "$NS_HOST"
	ip -n "$NS_HOST" -6 rule add iif uplink0 lookup "$LAB_TABLE" pref 100
	lab_cmd "link set lo up"
	lab_addr_cmds op0 "$OP_IP4/24" "$OP_IP6/64"
	lab_cmd "route add default via $UP_IP4" "route add default via $UP_IP6"
	lab_batch "$NS_OP"
	lab_cmd "link set lo up"
	lab_addr_cmds gw1 198.18.1.2/30 2001:db8:1::2/64
	lab_cmd "route add 198.19.0.0/16 via 198.18.1.1" \
		"route add 198.18.0.0/24 via 198.18.1.1" \
		"route add 2001:db8:100::/48 via 2001:db8:1::1" \
		"route add 2001:db8::/64 via 2001:db8:1::1"
	lab_batch "$NS_GW"
	lab_cmd "link set lo up"
	lab_addr_cmds eth0 "$VM2_IP4/24" "$VM2_PL4/24" "$VM2_IP6/64"
	lab_cmd "route add default via 198.19.2.1" "route add default via 2001:db8:100:2::1"
	lab_batch "$NS_VM2"
	# XDP redirect drops checksum-partial/GSO metadata; a wire carries
	# full checksums, so make the on-prem side send finished frames. A
	# veth only takes redirected frames while its peer runs NAPI (GRO on).
	ip -batch - >/dev/null <<-EOF || lab_fail "ethtool -K in the lab: expected success"
		netns exec $NS_OP ethtool -K op0 tx off tso off gso off
		netns exec $NS_GW ethtool -K gw1 gro on
		netns exec $NS_VM2 ethtool -K eth0 gro on
	EOF

	i=50
	while [ ! -e "$LAB_DIR/tapwire.ready" ]; do
		i=$((i - 1))
		[ "$i" -gt 0 ] || lab_fail "tapwire: expected ready within 5 s, saw: $(cat "$LAB_DIR/tapwire.log")"
		nap 0.1
	done
	lab_addr "$NS_HOST" tap-vm1 198.19.1.1/24 2001:db8:100:1::1/64
	lab_cmd "link set lo up" "link set eth0 address $VM1_MAC"
	lab_addr_cmds eth0 "$VM1_IP4/24" "$VM1_IP6/64"
	lab_cmd "route add default via 198.19.1.1" "route add default via 2001:db8:100:1::1"
	lab_batch "$NS_VM1"
}

# pids_end FILE TENTHS: signal every pid listed in FILE and give each up to
# TENTHS tenths of a second to go; they need not be our children (no wait).
pids_end() {
	local p n
	while read -r p; do kill "$p" 2>/dev/null || true; done <"$1"
	while read -r p; do
		n=$2
		while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do
			nap 0.1
			n=$((n - 1))
		done
	done <"$1"
}

# lab_reap ID: end what labs whose LAB_ID starts with ID left behind (for a
# runner whose per-case subshells were killed before their trap ran).
lab_reap() {
	local d ns
	# An empty ID would match every lab on the machine, others' too.
	[ -n "$1" ] || {
		log "lab_reap: expected a lab ID prefix, saw none"
		return 1
	}
	for d in /tmp/fp-lab-"$1"*; do
		[ -f "$d/pids" ] || continue
		pids_end "$d/pids" 10
	done
	for ns in $(ip netns list | awk '{ print $1 }'); do
		case $ns in fp-*-"$1"*) ip netns del "$ns" 2>/dev/null || true ;; esac
	done
	rm -rf /sys/fs/bpf/fastpath-test-"$1"* /tmp/fp-lab-"$1"*
}

# Idempotent; safe after a partial lab_up.
lab_down() {
	local p
	[ -n "${LAB_DIR:-}" ] && [ -d "$LAB_DIR" ] || return 0
	if [ -f "$LAB_DIR/pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null || true; done <"$LAB_DIR/pids"
		while read -r p; do wait "$p" 2>/dev/null || true; done <"$LAB_DIR/pids"
	fi
	if [ -f "$LAB_DIR/netns" ]; then
		# One process for all (one failed line, a namespace already
		# gone, does not stop the rest).
		local ns dels=''
		while read -r ns; do dels+="netns del $ns"$'\n'; done <"$LAB_DIR/netns"
		ip -force -batch - <<<"$dels" 2>/dev/null || true
	fi
	case ${PIN:-} in
	/sys/fs/bpf/fastpath-test-*) rm -rf "$PIN" "$LAB_DIR" ;;
	*) rm -rf "$LAB_DIR" ;;
	esac
	LAB_DIR=
}

# ---- helpers of the sync, soak and BGP selftests ------------------------

hns() { ip -n "$NS_HOST" "$@"; }

# xdp_on DEV: the host's DEV has an XDP program attached (the return path
# on a VM port, as `port add` and `sync --ports` attach it).
xdp_on() { hns -d link show dev "$1" | grep -q 'prog/xdp id'; }

# lab_op_neigh: the host's neighbours for on-prem's op0 (OP_MAC),
# permanent (no ARP or ND while frames are counted; the return path's next
# hop resolved).
lab_op_neigh() {
	hns neigh replace "$OP_IP4" lladdr "$OP_MAC" dev uplink0 nud permanent
	hns -6 neigh replace "$OP_IP6" lladdr "$OP_MAC" dev uplink0 nud permanent
	export OP_MAC
}

# lab_onprem: an on-prem network behind op0 (ONP_IP4/ONP_IP6 on its
# loopback), the host's routes to it via op0 out of uplink0 (what `sync`
# mirrors, or `fastpath onprem add` by hand), the next hop resolved.
# After lab_up; the fast path's own entries are the caller's.
lab_onprem() {
	ip -n "$NS_OP" addr add "$ONP_IP4/32" dev lo
	ip -n "$NS_OP" -6 addr add "$ONP_IP6/128" dev lo nodad
	# A veth takes redirected frames only while its peer runs NAPI.
	ip netns exec "$NS_OP" ethtool -K op0 gro on >/dev/null
	hns route add "$ONP_NET4" via "$OP_IP4" dev uplink0
	hns -6 route add "$ONP_NET6" via "$OP_IP6" dev uplink0
	lab_op_neigh
}

# What the host itself forwarded (the return path's slow path).
host_fwd4() { fwd4 "$NS_HOST"; }
host_fwd6() { fwd6 "$NS_HOST"; }

# assert_flat WHAT CMD...: CMD moves neither the host's nor the gateway's
# forwarding counters, IPv4 and IPv6.
assert_flat() {
	local what=$1 h4 h6 g4 g6
	shift
	h4=$(host_fwd4) h6=$(host_fwd6) g4=$(gw_fwd4) g6=$(gw_fwd6)
	"$@"
	assert_delta "host IPv4 forwards during $what" "$h4" "$(host_fwd4)" 0 0
	assert_delta "host IPv6 forwards during $what" "$h6" "$(host_fwd6)" 0 0
	assert_delta "gateway IPv4 forwards during $what" "$g4" "$(gw_fwd4)" 0 0
	assert_delta "gateway IPv6 forwards during $what" "$g6" "$(gw_fwd6)" 0 0
}

# rp_stat NAME: the return path's counter NAME (packets), from the
# "return" section of `fastpath stats --json`.
rp_stat() {
	local j
	j=$(fp stats --json) || lab_fail "fastpath stats --json: expected exit 0, saw $?"
	printf '%s' "$j" | python3 -c '
import json, sys
print(json.load(sys.stdin)["return"][sys.argv[1]]["packets"])' "$1" ||
		lab_fail "stats --json: expected return.$1, saw: $j"
}

# rp_total: every frame the return path counted, whatever its verdict.
rp_total() {
	local j
	j=$(fp stats --json) || lab_fail "fastpath stats --json: expected exit 0, saw $?"
	printf '%s' "$j" | python3 -c '
import json, sys
print(sum(c["packets"] for c in json.load(sys.stdin)["return"].values()))' ||
		lab_fail "stats --json: expected a return section, saw: $j"
}

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

# Routes that prove sync has read everything up to the point they were added.
MARK=198.19.254.0/24

# mark N DEV VIA: add route MARK.N via VIA dev DEV and wait until sync shows
# it. Netlink events come in order, so sync has then seen every earlier one.
mark() {
	local p=${MARK%.0/24}.$1/32
	hns route add "$p" via "$3" dev "$2"
	wait_for "marker route $p from sync" 50 has_route "$p"
}

# sync_counter NAME: one of sync's status counters, from `status --json`.
sync_counter() {
	fp --json status | python3 -c 'import json, sys; print(json.load(sys.stdin)["sync"][sys.argv[1]])' "$1"
}

# routes: `route list --json` as lines "PREFIX PORT IFINDEX LLADDR ORIGIN"
# (PORT and LLADDR "null" for a shadow), sorted.
routes() {
	local j
	j=$(fp --json route list) || lab_fail "route list --json: expected exit 0, saw $?"
	# One line per entry: prefix port ifindex lladdr origin (null for none).
	printf '%s' "$j" | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    print(*("null" if e[k] is None else e[k]
            for k in ("prefix", "port", "ifindex", "lladdr", "origin")))
' | LC_ALL=C sort || true
}

route_line() { routes | awk -v p="$1" '$1 == p'; }

has_route() { [ -n "$(route_line "$1")" ]; }

no_route() { [ -z "$(route_line "$1")" ]; }

# assert_route PREFIX PORT LLADDR ORIGIN
assert_route() {
	local l
	l=$(route_line "$1" | awk '{ print $1, $2, $4, $5 }')
	assert_eq "route list --json entry for $1" "$1 $2 $3 $4" "$l"
}

assert_no_route() {
	assert_eq "route list --json entry for $1" "" "$(route_line "$1")"
}

assert_explain() {
	local j
	j=$(fp explain "$1" --json | tr -d ' \n')
	assert_match "explain $1 verdict" "\"verdict\":\"$2\"" "$j"
}

# assert_fast ADDR...: pings to ADDR are fast-pathed: the gateway forwards
# nothing and fastpath.packets grows by at least the echo requests sent.
assert_fast() {
	local g4 g6 f0 g4b g6b f1
	g4=$(gw_fwd4) g6=$(gw_fwd6) f0=$(fp_stat fastpath)
	assert_ping "$@"
	g4b=$(gw_fwd4) g6b=$(gw_fwd6) f1=$(fp_stat fastpath)
	assert_delta "gateway IPv4 forwards while pinging $*" "$g4" "$g4b" 0 0
	assert_delta "gateway IPv6 forwards while pinging $*" "$g6" "$g6b" 0 0
	assert_delta "stats fastpath.packets while pinging $*" "$f0" "$f1" $((3 * $#))
}


# lab_main SETUP TEARDOWN "CASES" [CASE...]: run case_NAME for each named case
# (default: all of CASES), each in a subshell with SETUP run first and
# TEARDOWN trapped on exit; print "PASS: / FAIL: / SKIP: name" per case and
# fail if any case failed. CASE_N and LAB_ID are unique per case.
lab_main() {
	local setup=$1 teardown=$2 all=$3 c rc t0 failed=0
	shift 3
	local cases=${*:-$all}
	for c in $cases; do
		declare -F "case_$c" >/dev/null ||
			{ echo "unknown case: $c (cases: $all)" >&2; exit 2; }
	done
	trap 'lab_reap "$$-"' EXIT
	trap 'exit 130' INT TERM
	CASE_N=0
	for c in $cases; do
		CASE_N=$((CASE_N + 1))
		echo "== $c"
		t0=$SECONDS
		set +e
		(
			set -eu
			trap '$teardown' EXIT
			trap 'exit 130' INT TERM
			LAB_ID=$$-$CASE_N
			"$setup"
			"case_$c"
		)
		rc=$?
		set -e
		echo "# $c: $((SECONDS - t0)) s"
		case $rc in
		0) echo "PASS: $c" ;;
		"$KSFT_SKIP") echo "SKIP: $c" ;;
		*)
			echo "FAIL: $c"
			failed=$((failed + 1))
			;;
		esac
	done
	[ "$failed" -eq 0 ]
}
