#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every selftests/test_*.sh (or the scripts given), show their per-case
# PASS/FAIL/SKIP lines, and end with one line "N passed, N failed, N skipped".
# Exit 1 if any case failed.
#
# Usage: run.sh [-j N] [-V 'NAME VAR=VALUE...']... [-c 'NAME COMMAND']...
#               [SCRIPT...]
#
#   -j N   run up to N scripts at once (default 1, or $SELFTEST_JOBS). Each
#          lab has its own namespaces and pin path, so scripts do not see
#          each other; with N > 1 a script's output is kept until it ends
#          and then printed whole. A script whose header has the line
#          "# selftest: serial" (timing-sensitive) runs with nothing else
#          running: these run first, one at a time.
#   -V     a variant: every script runs once more with the variables given
#          (no spaces inside a value), labelled NAME, e.g.
#          -V 'san FP=build/san/fastpath'. Without -V, each runs once as is.
#          A script whose header has "# selftest: once" runs in the first
#          variant only (its later ones would add nothing but time).
#          Totals count every variant's cases.
#   -c     a command run as one more job beside the scripts (once, not per
#          variant), e.g. -c 'unit make unit': it counts as one case,
#          "PASS: NAME" when it exits 0, "FAIL: NAME (exit N)" otherwise.
#          Like a script's, its output is kept and printed whole when
#          it ends (with -j 1, as it comes).
#
# Each script's line "took N s (CPU M s)" gives its wall time and the CPU
# time it used (user + system, `times` of what it waited for: commands,
# daemons, QEMU). The longest scripts start first (least total time with
# N slots): each
# run's times are kept in build/selftest-times ($SELFTEST_TIMES); a script
# not timed yet is guessed at one second per 100 bytes of it.

set -eu
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
times=${SELFTEST_TIMES:-$dir/../build/selftest-times}
jobs=${SELFTEST_JOBS:-1}
variants=() commands=()

usage() {
	echo "usage: $0 [-j N] [-V 'NAME VAR=VALUE...']... [-c 'NAME COMMAND']... [SCRIPT...]" >&2
	exit 2
}

while getopts 'j:V:c:h' o; do
	case $o in
	j) jobs=$OPTARG ;;
	V) variants+=("$OPTARG") ;;
	c) commands+=("$OPTARG") ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $jobs =~ ^[1-9][0-9]*$ ]] || {
	echo "run.sh: -j $jobs: expected a number of scripts at once, 1 or more" >&2
	exit 2
}
for v in "${variants[@]}"; do
	read -ra vw <<<"$v"
	[ ${#vw[@]} -gt 0 ] && [[ ! ${vw[0]} =~ = ]] || {
		echo "run.sh: -V '$v': expected a name, then VAR=VALUE words" >&2
		exit 2
	}
	for a in "${vw[@]:1}"; do
		[[ $a =~ ^[A-Za-z_][A-Za-z0-9_]*= ]] || {
			echo "run.sh: -V '$v': '$a' is not VAR=VALUE" >&2
			exit 2
		}
	done
done
for c in "${commands[@]}"; do
	[[ $c =~ ^[A-Za-z0-9_.-]+\ +[^\ ] ]] || {
		echo "run.sh: -c '$c': expected a name, then the command" >&2
		exit 2
	}
done
[ ${#variants[@]} -gt 0 ] || variants=("")
if [ $# -eq 0 ]; then
	set -- "$dir"/test_*.sh
fi
for t in "$@"; do
	[ -f "$t" ] || {
		echo "run.sh: $t: no such script" >&2
		exit 2
	}
done

tmp=$(mktemp -d /tmp/fp-selftest.XXXXXX)
declare -A pid_job=()

# On INT or TERM, pass TERM on to the running scripts (a background job of
# a non-interactive shell ignores INT), let their traps take their labs
# down, and stop.
stop() {
	local p
	trap '' INT TERM
	for p in "${!pid_job[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${!pid_job[@]}"; do wait "$p" 2>/dev/null || true; done
	exit 130
}
trap 'rm -rf "$tmp"' EXIT
trap stop INT TERM

pass=0 fail=0 skip=0 cpu_all=0

# label JOB: the script's (or command's) name and, for a variant, its name.
label() {
	local v=${job_var[$1]%% *}
	printf '%s%s' "${job_name[$1]}" "${v:+ ($v)}"
}

# key JOB: the job's line in the times file, without its seconds.
key() {
	local v=${job_var[$1]%% *}
	printf '%s%s' "${job_name[$1]}" "${v:+ $v}"
}

# Jobs: one per script and variant, and one per command (run as a script
# of one line), with a weight (expected seconds): the last run's, else a
# guess.
job_script=() job_name=() job_var=() job_weight=() job_serial=() job_cmd=()
# add_job SCRIPT NAME VARIANT GUESS [cmd]: a job; "cmd" for a -c command.
add_job() {
	local n=${#job_script[@]} w
	job_script[n]=$1 job_name[n]=$2 job_var[n]=$3
	w=$(awk -v k="$(key "$n")" '{ s = $NF; $NF = ""; sub(/ +$/, "") }
		$0 == k { w = s } END { print w }' "$times" 2>/dev/null || true)
	job_weight[n]=${w:-$4}
	job_serial[n]=0 job_cmd[n]=0
	[ "${5:-}" != cmd ] || job_cmd[n]=1
	if grep -q '^# selftest: serial' "$1"; then job_serial[n]=1; fi
}
for t in "$@"; do
	for v in "${variants[@]}"; do
		# A script not timed yet: a second per 100 bytes of it.
		add_job "$t" "$(basename "$t")" "$v" $(($(stat -c %s "$t") / 100))
		if grep -q '^# selftest: once' "$t"; then break; fi
	done
done
# A script's first lines: run %s in the background and wait for it,
# passing TERM on (a command's script, and $timed for a script). In the
# foreground, TERM would end the shell and leave the command (a make and
# what it runs) going on without it. The command's status ends in rc.
# shellcheck disable=SC2016 # expanded by that bash
pass_term='trap "kill -TERM \$c 2>/dev/null" TERM
%s &
c=$!
while :; do
	wait "$c"
	rc=$?
	kill -0 "$c" 2>/dev/null || break
done
'
for c in "${commands[@]}"; do
	read -r name cmd <<<"$c"
	# shellcheck disable=SC2059 # the format is ours, the command its %s
	{
		printf "$pass_term" "$cmd"
		# shellcheck disable=SC2016 # expanded by that bash
		echo 'exit "$rc"'
	} >"$tmp/cmd-${#job_script[@]}.sh"
	# Not timed yet: first after the serial scripts (nothing in a
	# command waits, so three at once leave no CPU idle).
	add_job "$tmp/cmd-${#job_script[@]}.sh" "$name" "" 999 cmd
done

# Serial jobs first in the order given, then the rest, longest first.
order=$(for i in "${!job_script[@]}"; do
	echo "$((1 - job_serial[i])) $((job_serial[i] ? i : -job_weight[i])) $i"
done | sort -n -k1,1 -k2,2 | awk '{ print $3 }')

# finish JOB RC SECS: print the job's output (when kept) and add its counts.
finish() {
	local j=$1 rc=$2 secs=$3 log=$tmp/$1.log name p f s cpu
	name=$(label "$j")
	if [ "$jobs" -gt 1 ]; then
		echo "# $name"
		cat "$log"
	fi
	p=0 f=0 s=0
	# A command's own output names no cases (its exit code is the one).
	if [ "${job_cmd[j]}" -eq 0 ]; then
		p=$(grep -c '^PASS: ' "$log" || true)
		f=$(grep -c '^FAIL: ' "$log" || true)
		s=$(grep -c '^SKIP: ' "$log" || true)
	fi
	# A command is one case; a script that died without naming a
	# failing case still failed.
	if [ "${job_cmd[j]}" -eq 1 ] && [ "$rc" -eq 0 ]; then
		echo "PASS: $name"
		p=1
	elif [ "$rc" -eq 4 ] && [ $((p + f + s)) -eq 0 ] && [ "${job_cmd[j]}" -eq 0 ]; then
		echo "SKIP: $name"
		s=1
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "FAIL: $name (exit $rc)"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	cpu=$(cat "$tmp/$j.cpu" 2>/dev/null || echo "?")
	echo "# $name took $secs s (CPU $cpu s)"
	cpu_all=$(echo "$cpu_all ${cpu/\?/0}" | awk '{ print $1 + $2 }')
	echo "$(key "$j") $secs" >>"$tmp/times"
}

# The script $1, then the CPU seconds it and what it waited for used
# (user + system, from `times`, which must not run in a subshell: a fork
# starts with no children's times) into the file $2; TERM is passed on.
# shellcheck disable=SC2016,SC2059 # expanded by that bash; our format
timed=$(printf "$pass_term" 'bash "$1"')'
times >"$2.times"
awk "NR == 2 { gsub(/[ms]/, \" \"); print \$1 * 60 + \$2 + \$3 * 60 + \$4 }" "$2.times" >"$2"
exit "$rc"'

# start JOB: the script, with its variant's variables, in the background;
# output to its log (and the terminal too when one runs at a time).
start() {
	local j=$1 w
	read -ra w <<<"${job_var[$j]}"
	if [ "$jobs" -eq 1 ]; then
		echo "# $(label "$j")"
		env "${w[@]:1}" bash -c "$timed" run "${job_script[$j]}" "$tmp/$j.cpu" \
			> >(tee "$tmp/$j.log") 2>&1 &
	else
		echo "# $(label "$j"): started"
		env "${w[@]:1}" bash -c "$timed" run "${job_script[$j]}" "$tmp/$j.cpu" \
			>"$tmp/$j.log" 2>&1 &
	fi
	pid_job[$!]=$j
	echo "$SECONDS" >"$tmp/$j.t0"
}

# reap: wait for one running job to end and finish it.
reap() {
	local p rc=0 j
	wait -n -p p "${!pid_job[@]}" || rc=$?
	j=${pid_job[$p]}
	unset "pid_job[$p]"
	# tee may still be writing the last lines of the log.
	[ "$jobs" -gt 1 ] || wait
	finish "$j" "$rc" $((SECONDS - $(cat "$tmp/$j.t0")))
}

t_all=$SECONDS
for j in $order; do
	if [ "${job_serial[j]}" -eq 1 ]; then
		while [ ${#pid_job[@]} -gt 0 ]; do reap; done
		start "$j"
		reap
		continue
	fi
	while [ ${#pid_job[@]} -ge "$jobs" ]; do reap; done
	start "$j"
done
while [ ${#pid_job[@]} -gt 0 ]; do reap; done

# Keep the newest time of every script and variant for the next ordering.
if [ -f "$tmp/times" ] && mkdir -p "$(dirname "$times")" 2>/dev/null; then
	cat "$times" "$tmp/times" 2>/dev/null |
		awk '{ s = $NF; $NF = ""; sub(/ +$/, ""); t[$0] = s } END { for (k in t) print k, t[k] }' |
		LC_ALL=C sort >"$tmp/times.new" && mv "$tmp/times.new" "$times" || true
fi
echo "$pass passed, $fail failed, $skip skipped ($((SECONDS - t_all)) s, CPU $cpu_all s)"
[ "$fail" -eq 0 ]
