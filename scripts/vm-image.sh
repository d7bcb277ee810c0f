#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the selftests' QEMU guest from installed Debian packages (nothing
# prebuilt, nothing downloaded): the kernel of linux-image-amd64, and an
# initramfs of busybox-static, that kernel's virtio-net modules and a small
# init. Output in DIR (default build/vm): vmlinuz, initrd.cpio.gz, kver.
#
# Usage: scripts/vm-image.sh [DIR]
# FASTPATH_VM_KVER=VERSION picks another installed kernel (/boot/vmlinuz-V
# with /lib/modules/V); by default the one linux-image-amd64 depends on.
#
# The guest reads its network settings from the kernel command line:
#   fp.ip4=ADDR/LEN fp.gw4=ADDR fp.ip6=ADDR/LEN fp.gw6=ADDR [fp.mtu=N]
# configures eth0 (virtio-net, offloads left at their defaults), prints
#   FASTPATH-VM-READY mac=MAC kernel=KVER
# on ttyS0 (the console), and runs commands that arrive on ttyS1 as lines
# "ID COMMAND", answering "FPCTL-BEGIN ID", the output, "FPCTL-END ID RC".
# Ping answers by itself; busybox nc serves byte-exact TCP transfers.
set -eu

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${1:-$root/build/vm}
# Loaded in this order (dependencies first); a module that is built in or
# absent from this kernel (virtio_pci_legacy_dev on some) is skipped.
mods="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net"
# Those that must be there, as a module or built in.
need="virtio_ring virtio virtio_pci failover net_failover virtio_net"

die() {
	echo "vm-image: $*" >&2
	exit 1
}

kver=${FASTPATH_VM_KVER:-}
if [ -z "$kver" ]; then
	kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
		grep -o 'linux-image-[^ ,]*' | head -n1 | sed 's/^linux-image-//') ||
		true
fi
[ -n "$kver" ] || die "no kernel: linux-image-amd64 is not installed (run scripts/deps.sh as root)"
kernel=/boot/vmlinuz-$kver moddir=/lib/modules/$kver
[ -r "$kernel" ] || die "$kernel: not readable (linux-image-$kver installed? root?)"
[ -f "$moddir/modules.dep" ] || die "$moddir/modules.dep: missing"
busybox=$(command -v busybox || true)
[ -n "$busybox" ] || die "no busybox (install busybox-static)"
if LC_ALL=C ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is dynamically linked: install busybox-static"
fi
command -v cpio >/dev/null || die "no cpio"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/fp-vm-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
r=$tmp/root
mkdir -p "$r"/bin "$r"/sbin "$r"/usr/bin "$r"/usr/sbin "$r"/etc "$r"/proc \
	"$r"/sys "$r"/dev "$r"/tmp "$r"/run "$r"/lib/modules
cp "$busybox" "$r/bin/busybox"

# modpath NAME: the module's path relative to $moddir, from modules.dep
# (file names may spell _ as -).
modpath() {
	local re
	re=$(printf '%s' "$1" | sed 's/[_-]/[_-]/g')
	sed -n "s|^\([^:]*/$re\.ko\(\.[a-z]*\)\{0,1\}\):.*|\1|p" "$moddir/modules.dep" | head -n1
}
builtin() {
	local re
	re=$(printf '%s' "$1" | sed 's/[_-]/[_-]/g')
	grep -q "/$re\.ko\$" "$moddir/modules.builtin" 2>/dev/null
}

: >"$r/etc/fp-modules"
for m in $mods; do
	p=$(modpath "$m")
	if [ -z "$p" ]; then
		case " $need " in
		*" $m "*) builtin "$m" || die "$m: neither a module of $kver nor built in" ;;
		esac
		continue
	fi
	case $p in
	*.ko) cp "$moddir/$p" "$r/lib/modules/$m.ko" ;;
	*.ko.xz) xz -dc "$moddir/$p" >"$r/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/$p" >"$r/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$moddir/$p" >"$r/lib/modules/$m.ko" ;;
	*) die "$p: unknown module compression" ;;
	esac
	echo "$m" >>"$r/etc/fp-modules"
done

cat >"$r/init" <<'EOF'
#!/bin/busybox sh
# PID 1 is busybox init (it reaps orphans and runs /etc/fp-rc, then fp-ctl).
/bin/busybox --install -s
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
exec 0<>/dev/console 1>&0 2>&0
exec /bin/busybox init
EOF

cat >"$r/etc/inittab" <<'EOF'
::sysinit:/etc/fp-rc
::respawn:/etc/fp-ctl
EOF

cat >"$r/etc/fp-rc" <<'EOF'
#!/bin/sh
say() { echo "fp-rc: $*" >/dev/console; }
for a in $(cat /proc/cmdline); do
	case $a in fp.*=*) ;; *) continue ;; esac
	k=${a%%=*} k=${k#fp.} v=${a#*=}
	case $k in *[!a-z0-9]*) continue ;; esac
	echo "$v" >"/run/fp.$k"
done
arg() { cat "/run/fp.$1" 2>/dev/null; }
# Before eth0 exists, so it inherits them: no DAD and no RAs; announce a
# MAC change (gratuitous ARP, unsolicited NA) like a migrating VM;
# keep IPv6 addresses over a link down.
for c in all default; do
	echo 0 >/proc/sys/net/ipv6/conf/$c/accept_dad
	echo 0 >/proc/sys/net/ipv6/conf/$c/accept_ra
	echo 1 >/proc/sys/net/ipv6/conf/$c/ndisc_notify
	echo 1 >/proc/sys/net/ipv6/conf/$c/keep_addr_on_down
	echo 1 >/proc/sys/net/ipv4/conf/$c/arp_notify
done
for m in $(cat /etc/fp-modules); do
	insmod "/lib/modules/$m.ko" || say "FASTPATH-VM-ERROR insmod $m"
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 100 ]; do
	usleep 100000
	i=$((i + 1))
done
[ -e /sys/class/net/eth0 ] || say "FASTPATH-VM-ERROR no eth0"
ip link set lo up
[ -z "$(arg mtu)" ] || ip link set eth0 mtu "$(arg mtu)"
ip link set eth0 up
[ -z "$(arg ip4)" ] || ip addr add "$(arg ip4)" dev eth0
[ -z "$(arg gw4)" ] || ip route add default via "$(arg gw4)"
[ -z "$(arg ip6)" ] || ip -6 addr add "$(arg ip6)" dev eth0
[ -z "$(arg gw6)" ] || ip -6 route add default via "$(arg gw6)"
EOF

cat >"$r/etc/fp-ctl" <<'EOF'
#!/bin/sh
# Commands from the host on ttyS1: "ID COMMAND" per line.
exec 3<>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo
echo "FASTPATH-VM-READY mac=$(cat /sys/class/net/eth0/address) kernel=$(uname -r)" >/dev/console
while IFS= read -r line <&3; do
	id=${line%% *} cmd=${line#* }
	echo "FPCTL-BEGIN $id" >&3
	sh -c "$cmd" </dev/null >&3 2>&3 3>&-
	echo "FPCTL-END $id $?" >&3
done
EOF
chmod 755 "$r/init" "$r/etc/fp-rc" "$r/etc/fp-ctl"

mkdir -p "$out"
(cd "$r" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --quiet -R 0:0) | gzip -6 >"$tmp/initrd.cpio.gz"
cp "$kernel" "$tmp/vmlinuz"
echo "$kver" >"$tmp/kver"
for f in vmlinuz initrd.cpio.gz kver; do
	mv -f "$tmp/$f" "$out/$f"
done
echo "vm-image: $out (kernel $kver, modules: $(tr '\n' ' ' <"$r/etc/fp-modules"))"
