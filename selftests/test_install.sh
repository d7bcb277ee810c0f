#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make install / uninstall into a scratch prefix: the files land with their
# modes, the systemd units verify, the man page renders without warnings,
# bash completion completes, and uninstall takes it all back (keeping the
# settings and config files). Only example_config makes a namespace, with
# veth interfaces named as in the example.
# Usage: test_install.sh [CASE...]

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="install_tree example_config units_verify man_page completion uninstall"

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
