#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The selftests' own harness. selftests/run.sh: a command job (-c) ends
# with its exit status counted, and TERM to run.sh reaches a command job's
# command, not only the shell running it (a make left going on would
# outlive the run). lib.sh's lab_bpffs: a bpffs hidden by a later mount
# is mounted again. No network namespace, no loader: run.sh runs a script
# of its own here, lab_bpffs a mount namespace of its own.
# Usage: test_runner.sh [CASE...]

# selftest: once (no loader code)

set -eu
# shellcheck source=selftests/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CASES="command_status term_reaches_command bpffs_hidden"

rt_up() {
	RT=$(mktemp -d /tmp/fp-runner.XXXXXX)
	# A script of one case, whose sleep its TERM trap ends.
	cat >"$RT/test_one.sh" <<'SCRIPT'
#!/bin/bash
trap 'kill $s 2>/dev/null; exit 130' TERM
sleep "${ONE_SECS:-0}" &
s=$!
wait $s
echo "PASS: one"
SCRIPT
	# The command's and the script's sleeps, told from any other by
	# their lengths.
	NAP="3000.$$$RANDOM" NAP1="2999.$$$RANDOM"
}

rt_down() {
	pkill -f "^sleep ($NAP|$NAP1)" 2>/dev/null || true
	rm -rf "${RT:?}"
}

# run.sh in place of the (sub)shell calling this: in the background, $!
# is run.sh itself, which TERM must reach.
runner() {
	SELFTEST_TIMES="$RT/times" exec "$ROOT/selftests/run.sh" -j 2 "$@"
}

case_command_status() {
	local out rc=0
	out=$(runner -c 'good true' -c 'bad sh -c "exit 3"' "$RT/test_one.sh" 2>&1) || rc=$?
	assert_eq "run.sh exit with a failed command" 1 "$rc"
	assert_match "the good command" "PASS: good" "$out"
	assert_match "the bad command, its status" "FAIL: bad \\(exit 3\\)" "$out"
	assert_match "the totals" "2 passed, 1 failed, 0 skipped" "$out"
}

case_term_reaches_command() {
	local pid rc=0
	ONE_SECS=$NAP1 runner -c "napper sleep $NAP" "$RT/test_one.sh" \
		>"$RT/out" 2>&1 &
	pid=$!
	wait_for "the command's sleep" 100 pgrep -f "^sleep $NAP"
	wait_for "the script's sleep" 100 pgrep -f "^sleep $NAP1"
	kill -TERM "$pid"
	wait "$pid" || rc=$?
	assert_eq "run.sh exit on TERM" 130 "$rc"
	wait_for "the command gone" 50 sh -c "! pgrep -f '^sleep $NAP'"
	wait_for "the script's sleep gone" 50 sh -c "! pgrep -f '^sleep $NAP1'"
}

case_bpffs_hidden() {
	local seen
	command -v unshare >/dev/null || lab_skip "missing tool: unshare"
	# shellcheck disable=SC2016 # expanded by that bash
	seen=$(unshare -m --propagation private bash -c '
		. "$1/selftests/lib.sh"
		mount -t tmpfs fp-runner /sys/fs/bpf
		lab_bpffs
		stat -f -c %T /sys/fs/bpf' run "$ROOT" 2>&1) ||
		lab_fail "lab_bpffs under a tmpfs: $seen"
	assert_eq "/sys/fs/bpf after lab_bpffs, a tmpfs over the bpffs" bpf_fs "$seen"
}

lab_main rt_up rt_down "$CASES" "$@"
