#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run cmocka test binaries, show their output, and sum their results into
# one last line "N passed, N failed". Exits non-zero when a test failed or
# a binary crashed (a crash counts as one failed test: its own tests never
# reported).
set -eu

if [ $# -eq 0 ]; then
	echo "usage: $0 TEST-BINARY..." >&2
	exit 2
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Sum the N of every cmocka summary line matching the sed pattern.
count() {
	sed -n "$1" "$log" | awk '{ n += $1 } END { print n + 0 }'
}

passed=0
failed=0
for bin in "$@"; do
	rc=0
	"$bin" >"$log" 2>&1 </dev/null || rc=$?
	cat "$log"
	p=$(count 's/^\[  PASSED  \] \([0-9][0-9]*\) test(s)\.$/\1/p')
	f=$(count 's/^\[  FAILED  \] \([0-9][0-9]*\) test(s), listed below:$/\1/p')
	groups=$(grep -c '^\[  PASSED  \] ' "$log" || true)
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		if [ "$rc" -gt 128 ]; then
			echo "run-unit: $bin: killed by signal $((rc - 128))"
		elif grep -q '^\[  FAILED  \] GROUP \(SETUP\|TEARDOWN\)' "$log"; then
			echo "run-unit: $bin: group setup or teardown failed (exit $rc)"
		elif [ "$groups" -eq 0 ]; then
			echo "run-unit: $bin: exited $rc without a cmocka summary"
		else
			echo "run-unit: $bin: exited $rc, yet no test reported failing"
		fi
		f=1
	elif [ "$rc" -eq 0 ] && [ "$groups" -eq 0 ]; then
		echo "run-unit: $bin: exited 0 without a cmocka summary"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
