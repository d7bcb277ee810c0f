#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Upgrade over the pins of an older build. Builds an older commit in a
# temporary git worktree, loads it onto the lab uplink with a route, then
# checks that this build refuses those pins with one line naming the pin
# path, both layouts and the clearing command, leaves program and maps
# alone, and that the named command clears them so that this build's load
# works. Two older builds: the last commit before pin sets carried a
# layout version (OLD_COMMIT, layout 1), and the last one of layout 4
# (OLD4_COMMIT, before the compressed IPv4 plies of layout 5).
# Skips (exit 4) when an old commit cannot be built: no git, a shallow
# clone without that commit, or a build failure.
# Usage: test_upgrade.sh [CASE...]

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="layout1_refused_then_cleared layout4_refused_then_cleared"
OLD_COMMIT=${FP_OLD_COMMIT:-6f2c370}
OLD4_COMMIT=${FP_OLD4_COMMIT:-5caf88e}
OLD_DIR=
LAYOUT=$(awk '$2 == "FP_LAYOUT_VERSION" { print $3 }' "$ROOT/maps/fastpath.h")

old_cleanup() {
	[ -n "$OLD_DIR" ] || return 0
	git -C "$ROOT" worktree remove --force "$OLD_DIR/src" >/dev/null 2>&1 || true
	git -C "$ROOT" worktree remove --force "$OLD_DIR/src4" >/dev/null 2>&1 || true
	rm -rf "$OLD_DIR"
	git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
	OLD_DIR=
}

# build_one COMMIT LAYOUT DIR: builds COMMIT's loader (its BPF object is
# built into it) in $OLD_DIR/DIR.
build_one() {
	local commit=$1 layout=$2 dir=$OLD_DIR/$3 log=$OLD_DIR/$3.log
	git -C "$ROOT" rev-parse -q --verify "$commit^{commit}" >/dev/null ||
		lab_skip "commit $commit is not in this clone's history (a shallow clone?): cannot build the old loader"
	log "  building $commit (layout $layout) in $dir"
	git -C "$ROOT" worktree add -q --detach "$dir" "$commit" >"$log" 2>&1 ||
		lab_skip "git worktree add $commit failed: $(tail -n1 "$log")"
	make -C "$dir" -j"$(nproc)" build/fastpath >>"$log" 2>&1 ||
		lab_skip "cannot build $commit: $(tail -n3 "$log" | tr '\n' ' ')"
}

# Sets OLD1_FP and OLD4_FP, the old builds' loaders.
build_old() {
	lab_require_fp
	command -v git >/dev/null || lab_skip "no git: cannot build the old loaders"
	OLD_DIR=$(mktemp -d /tmp/fp-upgrade.XXXXXX)
	build_one "$OLD_COMMIT" 1 src
	build_one "$OLD4_COMMIT" 4 src4
	OLD1_FP=$OLD_DIR/src/build/fastpath
	OLD4_FP=$OLD_DIR/src4/build/fastpath
	export OLD1_FP OLD4_FP
}

# The old build's CLI (OLD_FP) against this lab.
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

# refused_then_cleared OLD_LAYOUT: the old build of that layout (OLD_FP).
refused_then_cleared() {
	local old=$1 id state err line c cmd
	local -a words

	# The old build: attached, a port, a fast route; traffic fast.
	assert_ok "old load uplink0" old_fp load uplink0
	assert_ok "old port add" old_fp port add tap-vm1 --peer-mac "$VM1_MAC"
	assert_ok "old route add" old_fp route add "$VM1_IP4/32" dev tap-vm1
	FP=$OLD_FP assert_fast "$VM1_IP4"
	if [ "$old" = 1 ]; then
		[ ! -e "$PIN/fp_layout" ] || lab_fail "old build's pins: expected no fp_layout, saw one"
	else
		assert_match "old build's fp_layout" "\"value\": *$old" \
			"$(bpftool --json map dump pinned "$PIN/fp_layout")"
	fi
	id=$(xdp_prog_id)
	assert_gt "old program id" "$id" 0
	state=$(pin_state)

	# This build refuses them, in one line, and changes nothing.
	err=$(expect_exit "load over layout $old pins" 1 fp load uplink0)
	assert_match "refusal names the pin path and both layouts" \
		"^$PIN: .*layout $old.*layout $LAYOUT" "$err"
	cmd=$(printf '%s\n' "$err" | sed -n "s/.*run '\(fastpath [^']*\)'.*/\1/p")
	assert_eq "clearing command named in the refusal" \
		"fastpath -n $NS_HOST --pin-path $PIN unload --all" "$cmd"
	for c in "route list" "port list" "status" "stats" "explain $VM1_IP4" \
		"uplink add uplink0" "route add $VM1_IP6/128 dev tap-vm1"; do
		# shellcheck disable=SC2086 # c is words
		line=$(expect_exit "$c over layout $old pins" 1 fp $c)
		assert_eq "$c over layout $old pins: the same line as load" "$err" "$line"
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

case_layout1_refused_then_cleared() {
	OLD_FP=$OLD1_FP refused_then_cleared 1
}

case_layout4_refused_then_cleared() {
	OLD_FP=$OLD4_FP refused_then_cleared 4
}

upgrade_up() {
	lab_up
}

trap old_cleanup EXIT
trap 'exit 130' INT TERM
build_old
# lab_main sets its own EXIT trap: a subshell keeps old_cleanup ours.
(lab_main upgrade_up lab_down "$CASES" "$@")
