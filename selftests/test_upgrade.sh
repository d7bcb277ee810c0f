#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Upgrade over the pins of an older build. Builds the last commit before
# pin sets carried a layout version (OLD_COMMIT, layout 1) in a temporary
# git worktree, loads it onto the lab uplink with a route, then checks that
# this build refuses those pins with one line naming the pin path, both
# layouts and the clearing command, leaves program and maps alone, and
# that the named command clears them so that this build's load works.
# Skips (exit 4) when the old commit cannot be built: no git, a shallow
# clone without that commit, or a build failure.
# Usage: test_upgrade.sh [CASE...]

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="layout1_refused_then_cleared"
OLD_COMMIT=${FP_OLD_COMMIT:-6f2c370}
OLD_DIR=
LAYOUT=$(awk '$2 == "FP_LAYOUT_VERSION" { print $3 }' "$ROOT/maps/fastpath.h")

old_cleanup() {
	[ -n "$OLD_DIR" ] || return 0
	git -C "$ROOT" worktree remove --force "$OLD_DIR/src" >/dev/null 2>&1 || true
	rm -rf "$OLD_DIR"
	git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
	OLD_DIR=
}

# Sets OLD_FP, the old build's loader (its BPF object is built into it).
build_old() {
	local log
	lab_require_fp
	command -v git >/dev/null || lab_skip "no git: cannot build the old loader ($OLD_COMMIT)"
	git -C "$ROOT" rev-parse -q --verify "$OLD_COMMIT^{commit}" >/dev/null ||
		lab_skip "commit $OLD_COMMIT is not in this clone's history (a shallow clone?): cannot build the old loader"
	OLD_DIR=$(mktemp -d /tmp/fp-upgrade.XXXXXX)
	log=$OLD_DIR/build.log
	log "  building $OLD_COMMIT (layout 1) in $OLD_DIR/src"
	git -C "$ROOT" worktree add -q --detach "$OLD_DIR/src" "$OLD_COMMIT" >"$log" 2>&1 ||
		lab_skip "git worktree add $OLD_COMMIT failed: $(tail -n1 "$log")"
	make -C "$OLD_DIR/src" -j"$(nproc)" build/fastpath >>"$log" 2>&1 ||
		lab_skip "cannot build $OLD_COMMIT: $(tail -n3 "$log" | tr '\n' ' ')"
	OLD_FP=$OLD_DIR/src/build/fastpath
	export OLD_FP
}

# The old build's CLI against this lab.
old_fp() { "$OLD_FP" -n "$NS_HOST" --pin-path "$PIN" "$@"; }

# xdp_prog_id: the id of the program attached to uplink0, or 0.
xdp_prog_id() {
	local id
	id=$(ip -n "$NS_HOST" -d link show dev uplink0 | grep -o 'prog/xdp id [0-9]*' |
		awk '{ print $3 }')
	echo "${id:-0}"
}

# expect_exit WHAT CODE CMD...: CMD exits CODE with exactly one stderr
# line, which is printed.
expect_exit() {
	local what=$1 want=$2 rc=0 err
	shift 2
	err=$("$@" 2>&1 >/dev/null) || rc=$?
	assert_eq "$what: exit code (stderr: $err)" "$want" "$rc"
	assert_eq "$what: stderr lines (saw: $err)" 1 "$(printf '%s\n' "$err" | grep -c .)"
	printf '%s\n' "$err"
}

# Pin file names and the old route map's content.
pin_state() {
	ls -A "$PIN"
	bpftool map dump pinned "$PIN/fp_hosts4"
}

case_layout1_refused_then_cleared() {
	local id state err line c cmd
	local -a words

	# The old build: attached, a port, a fast route; traffic fast.
	assert_ok "old load uplink0" old_fp load uplink0
	assert_ok "old port add" old_fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "old route add" old_fp route add "$VM1_IP4/32" dev tap-vm1
	FP=$OLD_FP assert_fast "$VM1_IP4"
	[ ! -e "$PIN/fp_layout" ] || lab_fail "old build's pins: expected no fp_layout, saw one"
	id=$(xdp_prog_id)
	assert_gt "old program id" "$id" 0
	state=$(pin_state)

	# This build refuses them, in one line, and changes nothing.
	err=$(expect_exit "load over layout 1 pins" 1 fp load uplink0)
	assert_match "refusal names the pin path and both layouts" \
		"^$PIN: .*layout 1.*layout $LAYOUT" "$err"
	cmd=$(printf '%s\n' "$err" | sed -n "s/.*run '\(fastpath [^']*\)'.*/\1/p")
	assert_eq "clearing command named in the refusal" \
		"fastpath -n $NS_HOST --pin-path $PIN unload --all" "$cmd"
	for c in "route list" "port list" "status" "stats" "explain $VM1_IP4" \
		"uplink add uplink0" "route add $VM1_IP6/128 dev tap-vm1"; do
		# shellcheck disable=SC2086 # c is words
		line=$(expect_exit "$c over layout 1 pins" 1 fp $c)
		assert_eq "$c over layout 1 pins: the same line as load" "$err" "$line"
	done
	assert_eq "attached program after refusals" "$id" "$(xdp_prog_id)"
	assert_eq "pins and old route map after refusals" "$state" "$(pin_state)"
	FP=$OLD_FP assert_fast "$VM1_IP4"
	log "  refusal: $err"

	# The command it names clears them (run with this build's binary).
	read -ra words <<<"$cmd"
	assert_ok "$cmd" "$FP" "${words[@]:1}"
	assert_eq "attached program after unload --all" 0 "$(xdp_prog_id)"
	[ ! -e "$PIN" ] || [ -z "$(ls -A "$PIN")" ] ||
		lab_fail "pins after unload --all: expected none, saw: $(ls -A "$PIN")"

	# This build's own pin set: load, a route, traffic fast again.
	assert_ok "load uplink0" fp load uplink0
	assert_ok "port add" fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "route add" fp route add "$VM1_IP4/32" dev tap-vm1
	assert_fast "$VM1_IP4"
	assert_match "fp_layout of the new pin set" "\"value\": *$LAYOUT" \
		"$(bpftool --json map dump pinned "$PIN/fp_layout")"
}

upgrade_up() {
	lab_up
}

trap old_cleanup EXIT
trap 'exit 130' INT TERM
build_old
# lab_main sets its own EXIT trap: a subshell keeps old_cleanup ours.
(lab_main upgrade_up lab_down "$CASES" "$@")
