#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make bench`: tier 1 of DESIGN.md "Performance method", the cost per
# packet (tests/bench_pkt.c). Prints a markdown table, writes the raw
# figures to build/bench/tier1.json and, when gnuplot is there, a plot of
# ns/packet against the number of routes to build/bench/tier1.png.
# QUICK=1: 1, 1k and 100k routes only.
set -eu

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=$root/build/bench
bin=$root/build/bench_pkt
mkdir -p "$out"

args=(--out "$out")
if [ "${QUICK:-0}" = 1 ]; then
	args+=(--quick)
fi
"$bin" "${args[@]}"

if ! command -v gnuplot >/dev/null; then
	echo "bench: no gnuplot, no plot (scripts/deps.sh installs it)"
	exit 0
fi
# One panel per family and scenario; blocks in tier1.dat follow that order.
# The fib arm has no exclusion figures: gnuplot's warning about it is noise.
gnuplot 2> >(grep -v 'no valid points' >&2) <<PLOT
set terminal pngcairo size 1600,800 font ",9"
set output "$out/tier1.png"
set multiplot layout 2,4 title "cost per packet (BPF\\\\_PROG\\\\_TEST\\\\_RUN), median ns, 64-byte frames"
set logscale x
set xlabel "routes installed"
set ylabel "ns/packet"
set key top left
set yrange [0:*]
set datafile missing "NaN"
names = "ipv4-host ipv4-prefix ipv4-exclusion ipv4-miss ipv6-host ipv6-prefix ipv6-exclusion ipv6-miss"
do for [i=0:7] {
	set title word(names, i + 1)
	plot "$out/tier1.dat" index i using 1:5 with linespoints title "fastpath", \
	     "" index i using 1:4 with linespoints title "fib", \
	     "" index i using 1:3 with linespoints title "limit", \
	     "" index i using 1:2 with linespoints title "empty (wrapper)"
}
unset multiplot
PLOT
echo "plot: $out/tier1.png"
