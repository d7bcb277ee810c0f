#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / uninstall into a scratch prefix: the files land with their
# modes, the systemd units verify, the man page renders without warnings,
# bash completion completes, and uninstall takes it all back (keeping the
# settings and config files), the units are hardened, and the sync unit
# refuses to start until an uplink is configured. Only example_config and
# no_uplink_refused make a namespace, with veth interfaces of their own.
# Usage: test_install.sh [CASE...]

# selftest: once (install and uninstall run no loader code that the
# other scripts' sanitized runs do not)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="install_tree example_config units_verify units_hardened no_uplink_refused man_page completion uninstall"

inst_up() {
	INST=$(mktemp -d /tmp/fp-install.XXXXXX)
	make -s -C "$ROOT" install PREFIX="$INST/usr" SYSCONFDIR="$INST/etc" \
		>"$INST.log" 2>&1 || lab_fail "make install: expected success, saw: $(tail -3 "$INST.log")"
}

inst_down() {
	rm -rf "${INST:?}" "$INST.log"
}

mode_of() { stat -c '%a' "$1" 2>/dev/null || echo missing; }

case_install_tree() {
	assert_eq "sbin/fastpath" 755 "$(mode_of "$INST/usr/sbin/fastpath")"
	assert_eq "lib/bpf/fastpath.bpf.o" 644 "$(mode_of "$INST/usr/lib/bpf/fastpath.bpf.o")"
	assert_eq "man8/fastpath.8" 644 "$(mode_of "$INST/usr/share/man/man8/fastpath.8")"
	assert_eq "completion" 644 "$(mode_of "$INST/usr/share/bash-completion/completions/fastpath")"
	assert_eq "fastpath-sync.service" 644 "$(mode_of "$INST/usr/lib/systemd/system/fastpath-sync.service")"
	assert_eq "fastpath-metrics.service" 644 "$(mode_of "$INST/usr/lib/systemd/system/fastpath-metrics.service")"
	assert_eq "etc/default/fastpath" 644 "$(mode_of "$INST/etc/default/fastpath")"
	assert_eq "etc/fastpath/fastpath.conf" 644 "$(mode_of "$INST/etc/fastpath/fastpath.conf")"
	assert_match "unit names the installed binary" "ExecStart=$INST/usr/sbin/fastpath sync" \
		"$(cat "$INST/usr/lib/systemd/system/fastpath-sync.service")"
	"$INST/usr/sbin/fastpath" --help | grep -q '^usage: fastpath' ||
		lab_fail "installed fastpath --help: expected a usage line"
	# A second install keeps the operator's settings.
	echo "FASTPATH_UPLINK=mine0" >"$INST/etc/default/fastpath"
	make -s -C "$ROOT" install PREFIX="$INST/usr" SYSCONFDIR="$INST/etc" >/dev/null 2>&1
	assert_eq "settings after a second install" "FASTPATH_UPLINK=mine0" "$(cat "$INST/etc/default/fastpath")"
	echo "# mine" >"$INST/etc/fastpath/fastpath.conf"
	make -s -C "$ROOT" install PREFIX="$INST/usr" SYSCONFDIR="$INST/etc" >/dev/null 2>&1
	assert_eq "config after a second install" "# mine" "$(cat "$INST/etc/fastpath/fastpath.conf")"
}

# The example config is valid where its interfaces exist.
case_example_config() {
	local ns=fp-inst-$$ out i
	[ "$(id -u)" -eq 0 ] || lab_skip "needs root"
	ip netns add "$ns" || lab_fail "ip netns add $ns: expected success"
	# shellcheck disable=SC2064 # the name is fixed now
	trap "ip netns del $ns 2>/dev/null; inst_down" EXIT
	for i in uplink0 tap-vm1 veth-vm2; do
		ip -n "$ns" link add "$i" type veth peer name "p-$i"
	done
	out=$("$INST/usr/sbin/fastpath" -n "$ns" --state-dir "$INST/state" apply \
		--config "$ROOT/scripts/dist/fastpath.conf" --check 2>&1) ||
		lab_fail "apply --check of the example config: expected exit 0, saw: $out"
	assert_match "apply --check of the example config" "valid \(0 warning\(s\)\)" "$out"
	assert_match "its plan" "\+ connection hub-amsterdam: vnet hub - circuit er-amsterdam: fastpath ipv4 ipv6" "$out"
	assert_match "its plan: the spoke is IPv4 only" \
		"\+ connection hub-amsterdam: vnet spoke - circuit er-amsterdam: via peering, fastpath ipv4$" "$out"
	[ ! -e "$INST/state" ] || lab_fail "apply --check: expected no state directory, saw one"
	# Offline, where the interfaces are not: the root namespace.
	out=$("$INST/usr/sbin/fastpath" --state-dir "$INST/state" apply \
		--config "$ROOT/scripts/dist/fastpath.conf" --check --offline 2>&1) ||
		lab_fail "apply --check --offline of the example config: expected exit 0, saw: $out"
	assert_match "apply --check --offline of the example config" \
		"valid offline \(0 warning\(s\), 3 check\(s\) skipped" "$out"
}

case_units_verify() {
	local u out
	command -v systemd-analyze >/dev/null || lab_skip "no systemd-analyze"
	for u in fastpath-sync fastpath-metrics; do
		out=$(MANPATH="$INST/usr/share/man" systemd-analyze verify \
			"$INST/usr/lib/systemd/system/$u.service" 2>&1) ||
			lab_fail "systemd-analyze verify $u.service: expected no findings, saw: $out"
	done
}

# directive UNIT KEY: the values of KEY= in UNIT, one line each.
directive() { sed -n "s/^$2=//p" "$1"; }

# The hardening each unit carries (README "Security"), and, where
# systemd-analyze can rate a unit file, its exposure below a bound.
case_units_hardened() {
	local u f d score max
	for u in fastpath-sync:2.5 fastpath-metrics:1.0; do
		max=${u#*:} u=${u%%:*}
		f=$INST/usr/lib/systemd/system/$u.service
		for d in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
			PrivateDevices=yes ProtectKernelTunables=yes RestrictNamespaces=yes \
			SystemCallArchitectures=native; do
			assert_eq "$u.service: ${d%%=*}" "${d#*=}" "$(directive "$f" "${d%%=*}")"
		done
		assert_match "$u.service: RestartSec" '^[0-9]+s?$' "$(directive "$f" RestartSec)"
		if command -v systemd-analyze >/dev/null &&
			score=$(systemd-analyze security --offline=yes "$f" 2>/dev/null | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p') &&
			[ -n "$score" ]; then
			awk -v s="$score" -v m="$max" 'BEGIN { exit !(s <= m) }' ||
				lab_fail "$u.service: expected an exposure of at most $max (systemd-analyze security), saw $score"
			log "  $u.service: exposure $score"
		else
			log "  $u.service: no systemd-analyze security --offline here: exposure not rated"
		fi
	done
	f=$INST/usr/lib/systemd/system/fastpath-sync.service
	assert_eq "fastpath-sync.service: CapabilityBoundingSet" "CAP_BPF CAP_NET_ADMIN CAP_SYS_ADMIN" \
		"$(directive "$f" CapabilityBoundingSet)"
	assert_eq "fastpath-sync.service: ReadWritePaths (the pins)" /sys/fs/bpf "$(directive "$f" ReadWritePaths)"
	assert_eq "fastpath-sync.service: StateDirectory" fastpath "$(directive "$f" StateDirectory)"
	f=$INST/usr/lib/systemd/system/fastpath-metrics.service
	assert_eq "fastpath-metrics.service: CapabilityBoundingSet" CAP_BPF "$(directive "$f" CapabilityBoundingSet)"
	assert_eq "fastpath-metrics.service: PrivateNetwork" yes "$(directive "$f" PrivateNetwork)"
}

# unit_pre UNIT SETTINGS NS [VAR=VALUE...]: UNIT's ExecStartPre= commands
# run as systemd runs them, with its Environment= and SETTINGS for its
# EnvironmentFile= (VAR=VALUE on top), each inside `ip netns exec NS` (a
# namespace and mounts of its own: nothing lands on this host's
# interfaces or pins); stops at the first that fails, with its exit code.
unit_pre() {
	python3 - "$@" <<'PY'
import os, re, shlex, subprocess, sys
unit, settings, ns = sys.argv[1:4]
env, pre = {"PATH": os.environ["PATH"]}, []
def assign(text):
    k, _, v = text.partition("=")
    env[k] = v
for line in open(unit):
    key, _, value = line.strip().partition("=")
    if key == "Environment":
        assign(value)
    elif key == "EnvironmentFile":
        for l in open(settings):
            l = l.strip()
            if l and not l.startswith("#") and "=" in l:
                assign(l)
    elif key == "ExecStartPre":
        pre.append(value)
for a in sys.argv[4:]:
    assign(a)
def expand(word):
    # systemd: $VAR alone is split into words, ${VAR} is one, $$ is $.
    m = re.fullmatch(r"\$([A-Za-z_]\w*)", word)
    if m:
        return env.get(m.group(1), "").split()
    word = re.sub(r"\$\{([A-Za-z_]\w*)\}", lambda m: env.get(m.group(1), ""),
                  word.replace("$$", "\0"))
    return [word.replace("\0", "$")]
for cmd in pre:
    argv = [w for word in shlex.split(cmd.lstrip("-+!@:")) for w in expand(word)]
    r = subprocess.run(["ip", "netns", "exec", ns] + argv, env=env)
    if r.returncode:
        sys.exit(r.returncode)
PY
}

# Installed as shipped, fastpath-sync.service names no uplink and refuses
# to start, saying what to set; with one set, it loads onto it.
case_no_uplink_refused() {
	local ns=fp-inst-$$ f=$INST/usr/lib/systemd/system/fastpath-sync.service out rc=0
	[ "$(id -u)" -eq 0 ] || lab_skip "needs root"
	command -v python3 >/dev/null || lab_skip "missing tool: python3"
	assert_eq "FASTPATH_UPLINK as installed" "FASTPATH_UPLINK=" \
		"$(grep '^FASTPATH_UPLINK' "$INST/etc/default/fastpath")"
	ip netns add "$ns" || lab_fail "ip netns add $ns: expected success"
	# shellcheck disable=SC2064 # the name is fixed now
	trap "ip netns del $ns 2>/dev/null; inst_down" EXIT
	ip -n "$ns" link add uplink0 type veth peer name op0
	ip -n "$ns" link add eth0 type veth peer name eth0p
	out=$(unit_pre "$f" "$INST/etc/default/fastpath" "$ns" 2>&1) || rc=$?
	assert_eq "fastpath-sync.service as installed, starting: exit code" 1 "$rc"
	assert_eq "fastpath-sync.service as installed, starting" \
		"fastpath-sync: no uplink configured: set FASTPATH_UPLINK in /etc/default/fastpath to the interface facing on-premises" "$out"
	for i in uplink0 eth0; do
		if ip -n "$ns" link show dev "$i" | grep -q xdp; then
			lab_fail "$i after the refused start: expected no XDP program, saw one"
		fi
	done
	rc=0
	out=$(unit_pre "$f" "$INST/etc/default/fastpath" "$ns" FASTPATH_UPLINK=uplink0 2>&1) || rc=$?
	assert_eq "fastpath-sync.service with FASTPATH_UPLINK=uplink0, starting: exit code ($out)" 0 "$rc"
	ip -n "$ns" link show dev uplink0 | grep -q xdp ||
		lab_fail "uplink0 after a start with FASTPATH_UPLINK=uplink0: expected an XDP program, saw none"
}

case_man_page() {
	local out
	command -v groff >/dev/null || lab_skip "no groff"
	out=$(groff -man -ww -z "$INST/usr/share/man/man8/fastpath.8" 2>&1)
	assert_eq "groff warnings for fastpath.8" "" "$out"
	out=$(MANWIDTH=80 man -l "$INST/usr/share/man/man8/fastpath.8" 2>/dev/null | col -b)
	assert_match "man page lists explain" "explain ADDRESS" "$out"
	assert_match "man page lists unload --all" "unload --all" "$out"
}

# complete WORDS...: what the installed completion offers for the last word.
complete_words() {
	bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_fastpath fastpath "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' _ "$INST/usr/share/bash-completion/completions/fastpath" "$@"
}

case_completion() {
	[ -f /usr/share/bash-completion/bash_completion ] || lab_skip "no bash-completion"
	bash -n "$INST/usr/share/bash-completion/completions/fastpath" ||
		lab_fail "completion: expected valid bash"
	assert_eq "complete 'fastpath rou'" route "$(complete_words fastpath rou)"
	assert_eq "complete 'fastpath route '" "add del list" "$(complete_words fastpath route '' | xargs)"
	assert_eq "complete 'fastpath exclude add P --class pri'" private-link \
		"$(complete_words fastpath exclude add 198.19.0.0/24 --class pri)"
	assert_eq "complete 'fastpath load --mode '" "native skb" "$(complete_words fastpath load --mode '' | xargs)"
	assert_eq "complete 'fastpath authorization '" "create revoke list" \
		"$(complete_words fastpath authorization '' | xargs)"
	assert_eq "complete 'fastpath unload --a'" --all "$(complete_words fastpath unload --a)"
}

case_uninstall() {
	make -s -C "$ROOT" uninstall PREFIX="$INST/usr" SYSCONFDIR="$INST/etc" >/dev/null 2>&1 ||
		lab_fail "make uninstall: expected success"
	assert_eq "files left after uninstall" "$INST/etc/default/fastpath $INST/etc/fastpath/fastpath.conf" \
		"$(find "$INST" -type f | sort | xargs)"
}

lab_main inst_up inst_down "$CASES" "$@"
