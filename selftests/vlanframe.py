#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""VLAN-tagged frames for the trunk selftest (selftests/test_trunk.sh).

This kernel has no 8021q module, so no VLAN device can make tagged frames:
this helper writes them to an AF_PACKET socket, and reads an interface
the same way. Standard library only; every loop is bounded in count and time.

  vlanframe.py send --iface IF --dst MAC --saddr A... --daddr B...
               [--vlan VID[/VID[/VID]]] [--tpid TPID] [--proto icmp|udp]
               [--ttl N] [--count N] [--id N] [--interval S] [--src MAC]
      N frames to each --daddr in turn, from the --saddr of its family
      (ICMP or ICMPv6 echo requests, seq 1..N, or UDP from port ID to
      port 9). --vlan 100: one 802.1Q tag; --vlan 300/400: an outer
      tag with TPID 0x88a8 and an inner 802.1Q tag; a third VID adds a
      third 802.1Q tag; --tpid sets the outermost tag's TPID; --vlan 0 is
      a priority tag; no --vlan: untagged.

  vlanframe.py sniff --iface IF [--timeout S] [--count N] [--id N]...
               [--ready FILE] [--stop FILE [--grace S]]
      Prints one line per IP frame seen on IF (with --id, only echo or
      UDP frames whose echo identifier / UDP source port is one of the
      IDs; without it, non-IP frames too) until N lines (default 10000) or S seconds
      (default 10), or --grace seconds (default 0.5) after the --stop
      file appears, whichever comes first. The --ready file is created
      once the socket is listening. A line:
        DIR dst=MAC src=MAC tags=T type=0xXXXX ttl=N PROTO KIND id=N seq=N SRC>DST
      DIR: in or out (sent by this host); T: none, or TPID:VID[,TPID:VID]
      outermost first, including a tag the kernel took off into the
      packet's metadata (PACKET_AUXDATA), which libpcap also shows.
"""

import argparse
import ipaddress
import os
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
ETH_P_8021Q = 0x8100
ETH_P_8021AD = 0x88A8
SOL_PACKET = 263
PACKET_AUXDATA = 8
TP_STATUS_VLAN_VALID = 1 << 4
TP_STATUS_VLAN_TPID_VALID = 1 << 6
PACKET_OUTGOING = 4
MAX_COUNT = 10000
MAX_TIMEOUT = 60.0
PAYLOAD = b"fastpath-trunk-selftest-payload!"  # 32 bytes


def mac_bytes(s):
    b = bytes.fromhex(s.replace(":", ""))
    if len(b) != 6:
        raise ValueError(f"not a MAC: {s}")
    return b


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def parse_vlan(s):
    vids = [int(v, 10) for v in s.split("/")]
    if not 1 <= len(vids) <= 3 or any(not 0 <= v <= 4095 for v in vids):
        raise ValueError(f"--vlan {s}: expected 1 to 3 VIDs 0..4095")
    return vids


def build(a, daddr, seq):
    dst = ipaddress.ip_address(daddr)
    src = [s for s in map(ipaddress.ip_address, a.saddr) if s.version == dst.version]
    if not src:
        raise ValueError(f"--daddr {daddr}: no --saddr of its family")
    src = src[0]
    v6 = dst.version == 6
    if a.proto == "udp":
        l4p = 17
        l4 = struct.pack("!HHHH", a.id, 9, 8 + len(PAYLOAD), 0) + PAYLOAD
    else:
        l4p = 58 if v6 else 1
        l4 = struct.pack("!BBHHH", 128 if v6 else 8, 0, 0, a.id, seq) + PAYLOAD
    if v6:
        pseudo = src.packed + dst.packed + struct.pack("!IxxxB", len(l4), l4p)
    else:
        pseudo = src.packed + dst.packed + struct.pack("!xBH", l4p, len(l4))
    if l4p != 1:
        c = csum(pseudo + l4) or 0xFFFF
    else:
        c = csum(l4)
    off = 6 if l4p == 17 else 2
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    if v6:
        l3 = struct.pack("!IHBB", 6 << 28, len(l4), l4p, a.ttl) + src.packed + dst.packed
        etype = ETH_P_IPV6
    else:
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), seq, 0,
                          a.ttl, l4p, 0, src.packed, dst.packed)
        l3 = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        etype = ETH_P_IP
    tags = b""
    if a.vlan is not None:
        vids = parse_vlan(a.vlan)
        for i, vid in enumerate(vids):
            tpid = ETH_P_8021Q
            if i == 0 and a.tpid is not None:
                tpid = a.tpid
            elif i == 0 and len(vids) > 1:
                tpid = ETH_P_8021AD
            tags += struct.pack("!HH", tpid, vid)
    return a.dst + a.src + tags + struct.pack("!H", etype) + l3 + l4


def iface_mac(name):
    with open(f"/sys/class/net/{name}/address") as f:
        return mac_bytes(f.read().strip())


def send(a):
    a.dst = mac_bytes(a.dst)
    a.src = mac_bytes(a.src) if a.src else iface_mac(a.iface)
    frames = [build(a, d, seq) for d in a.daddr for seq in range(1, a.count + 1)]
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as s:
        s.bind((a.iface, 0))
        for f in frames:
            s.send(f)
            if a.interval:
                time.sleep(a.interval)
    return 0


def describe(frame, aux, outgoing, want_id):
    """One line for a frame, or None when --id filters it out."""
    if len(frame) < 14:
        return None if want_id is not None else f"{'out' if outgoing else 'in'} runt len={len(frame)}"
    dst, src = mac_str(frame[0:6]), mac_str(frame[6:12])
    tags = []
    if aux is not None:
        status, _, _, _, _, tci, tpid = struct.unpack("=IIIHHHH", aux[:20])
        if status & TP_STATUS_VLAN_VALID:
            if not status & TP_STATUS_VLAN_TPID_VALID:
                tpid = ETH_P_8021Q
            tags.append((tpid, tci & 0xFFF))
    pos = 12
    (etype,) = struct.unpack("!H", frame[pos:pos + 2])
    while etype in (ETH_P_8021Q, ETH_P_8021AD) and len(frame) >= pos + 6 and len(tags) < 8:
        tci, nxt = struct.unpack("!HH", frame[pos + 2:pos + 6])
        tags.append((etype, tci & 0xFFF))
        pos += 4
        etype = nxt
    pos += 2
    tagstr = ",".join(f"{t:04x}:{v}" for t, v in tags) or "none"
    head = f"{'out' if outgoing else 'in'} dst={dst} src={src} tags={tagstr} type=0x{etype:04x}"
    rest, fid = "", None
    ip = frame[pos:]
    if etype == ETH_P_IP and len(ip) >= 20:
        ihl = (ip[0] & 0xF) * 4
        ttl, proto = ip[8], ip[9]
        sa, da = socket.inet_ntop(socket.AF_INET, ip[12:16]), socket.inet_ntop(socket.AF_INET, ip[16:20])
        l4, kinds = ip[ihl:], {8: "request", 0: "reply"}
        icmp = proto == 1
    elif etype == ETH_P_IPV6 and len(ip) >= 40:
        ttl, proto = ip[7], ip[6]
        sa, da = socket.inet_ntop(socket.AF_INET6, ip[8:24]), socket.inet_ntop(socket.AF_INET6, ip[24:40])
        l4, kinds = ip[40:], {128: "request", 129: "reply"}
        icmp = proto == 58
    else:
        return None if want_id is not None else head
    if icmp and len(l4) >= 8:
        typ, _, _, fid, seq = struct.unpack("!BBHHH", l4[:8])
        rest = f" ttl={ttl} icmp {kinds.get(typ, f'type{typ}')} id={fid} seq={seq} {sa}>{da}"
    elif proto == 17 and len(l4) >= 8:
        fid, dport = struct.unpack("!HH", l4[:4])
        rest = f" ttl={ttl} udp dport={dport} id={fid} seq=0 {sa}>{da}"
    else:
        rest = f" ttl={ttl} proto={proto} {sa}>{da}"
    if want_id is not None and fid not in want_id:
        return None
    return head + rest


def sniff(a):
    deadline = time.monotonic() + a.timeout
    n = 0
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as s:
        s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
        s.bind((a.iface, ETH_P_ALL))
        if a.ready:
            with open(a.ready, "w") as f:
                f.write("ready\n")
        while n < a.count:
            now = time.monotonic()
            if a.stop and deadline - now > a.grace and os.path.exists(a.stop):
                deadline = now + a.grace
            left = deadline - now
            if left <= 0:
                break
            # Look at the stop file every 0.1 s.
            s.settimeout(min(left, 0.1) if a.stop else left)
            try:
                frame, anc, _, addr = s.recvmsg(65536, socket.CMSG_SPACE(32))
            except socket.timeout:
                continue
            aux = None
            for level, typ, data in anc:
                if level == SOL_PACKET and typ == PACKET_AUXDATA and len(data) >= 20:
                    aux = data
            line = describe(frame, aux, addr[2] == PACKET_OUTGOING, a.id)
            if line is not None:
                print(line, flush=True)
                n += 1
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    ps = sub.add_parser("send")
    ps.add_argument("--iface", required=True)
    ps.add_argument("--dst", required=True)
    ps.add_argument("--src")
    ps.add_argument("--vlan")
    ps.add_argument("--tpid", type=lambda x: int(x, 0))
    ps.add_argument("--proto", choices=("icmp", "udp"), default="icmp")
    ps.add_argument("--saddr", required=True, action="append")
    ps.add_argument("--daddr", required=True, action="append")
    ps.add_argument("--ttl", type=int, default=64)
    ps.add_argument("--count", type=int, default=1)
    ps.add_argument("--id", type=int, default=os.getpid() & 0xFFFF)
    ps.add_argument("--interval", type=float, default=0.01)
    pn = sub.add_parser("sniff")
    pn.add_argument("--iface", required=True)
    pn.add_argument("--timeout", type=float, default=10.0)
    pn.add_argument("--stop")
    pn.add_argument("--grace", type=float, default=0.5)
    pn.add_argument("--count", type=int, default=MAX_COUNT)
    pn.add_argument("--id", type=int, action="append")
    pn.add_argument("--ready")
    a = p.parse_args()
    if not 1 <= a.count <= MAX_COUNT:
        p.error(f"--count: 1 to {MAX_COUNT}")
    if a.cmd == "send":
        if not 0 <= a.id <= 0xFFFF or not 0 <= a.ttl <= 255 or not 0 <= a.interval <= 1:
            p.error("--id 0..65535, --ttl 0..255, --interval 0..1 s")
        return send(a)
    if not 0 < a.timeout <= MAX_TIMEOUT or not 0 <= a.grace <= a.timeout:
        p.error(f"--timeout: more than 0, at most {MAX_TIMEOUT:g} s; --grace: at most --timeout")
    return sniff(a)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (OSError, ValueError) as e:
        print(f"vlanframe.py: {e}", file=sys.stderr)
        sys.exit(1)
