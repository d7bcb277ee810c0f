#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every selftests/test_*.sh (or the scripts given), show their per-case
# PASS/FAIL/SKIP lines, and end with one line "N passed, N failed, N skipped".
# Exit 1 if any case failed.

set -eu
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
pass=0 fail=0 skip=0
log=$(mktemp /tmp/fp-selftest.XXXXXX)
trap 'rm -f "$log"' EXIT

count() { grep -c "^$1: " "$log" || true; }

if [ $# -eq 0 ]; then
	set -- "$dir"/test_*.sh
fi
t_all=$SECONDS
for t in "$@"; do
	name=$(basename "$t")
	t0=$SECONDS
	echo "# $name"
	set +e
	bash "$t" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	set -e
	p=$(count PASS) f=$(count FAIL) s=$(count SKIP)
	# A script that died without naming a failing case still failed.
	if [ "$rc" -eq 4 ] && [ $((p + f + s)) -eq 0 ]; then
		echo "SKIP: $name"
		s=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (exit $rc)"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	echo "# $name took $((SECONDS - t0)) s"
done
echo "$pass passed, $fail failed, $skip skipped ($((SECONDS - t_all)) s)"
[ "$fail" -eq 0 ]
