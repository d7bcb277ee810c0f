#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Install every Debian package the build, tests and demo need.
# Idempotent: quiet and quick when everything is already there.
set -eu

pkgs=(
	make gcc clang llvm pkg-config
	libbpf-dev libxdp-dev libelf-dev zlib1g-dev
	libnl-3-dev libnl-route-3-dev libjson-c-dev libinih-dev libcmocka-dev libpcap-dev
	bpftool xdp-tools iproute2 ethtool iputils-ping
	netcat-openbsd socat iperf3 util-linux python3 tcpdump
	clang-format clang-tidy cppcheck shellcheck bash-completion groff-base
	bird2 valgrind
	gnuplot-nox
	libclang-rt-14-dev
	qemu-system-x86 linux-image-amd64 busybox-static cpio
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
		grep -q '^install ok installed$' || missing+=("$p")
done
((${#missing[@]} == 0)) && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages (${missing[*]}); run as root: scripts/deps.sh" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
