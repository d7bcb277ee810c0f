#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sequence-numbered UDP flow for the soak, model and churn selftests.

  seqflow.py send ADDR[,ADDR...] PORT RATE SECONDS
                                         paced sender, prints packets sent;
                                         sequence number N goes to ADDR
                                         number N % (number of ADDRs)
  seqflow.py recv PORT SECONDS OUTFILE   receiver, writes a JSON summary
                                         after SECONDS, or sooner on SIGTERM
  seqflow.py sniff IFACE PORT SECONDS OUTFILE
                                         counts the frames of such a flow
                                         (UDP to PORT, IPv4 or IPv6) that
                                         reach IFACE, whoever they are for
                                         (also ends early on SIGTERM)

The receiver reports how many distinct sequence numbers arrived, the gaps
(numbers missing below the highest seen), the first missing ones,
duplicates and reorderings.
"""
import json
import signal
import socket
import struct
import sys
import time


STOP = []


def stop_on_sigterm():
    """SIGTERM ends the receiving loop, which then writes its summary."""
    signal.signal(signal.SIGTERM, lambda signum, frame: STOP.append(signum))


def send(addrs, port, rate, seconds):
    dests = []
    for addr in addrs.split(","):
        family = socket.AF_INET6 if ":" in addr else socket.AF_INET
        dests.append((socket.socket(family, socket.SOCK_DGRAM), addr))
    interval = 1.0 / rate
    start = time.monotonic()
    seq = 0
    pad = bytes(56)
    while True:
        due = start + seq * interval
        now = time.monotonic()
        if now - start >= seconds:
            break
        if due > now:
            time.sleep(due - now)
        s, addr = dests[seq % len(dests)]
        s.sendto(struct.pack("!Q", seq) + pad, (addr, port))
        seq += 1
    print(seq)


def recv(port, seconds, outfile):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::", port))
    s.settimeout(0.2)
    stop_on_sigterm()
    seen = set()
    dups = reorders = 0
    highest = -1
    end = time.monotonic() + seconds
    while time.monotonic() < end and not STOP:
        try:
            data = s.recv(2048)
        except socket.timeout:
            continue
        if len(data) < 8:
            continue
        (seq,) = struct.unpack("!Q", data[:8])
        if seq in seen:
            dups += 1
            continue
        if seq < highest:
            reorders += 1
        highest = max(highest, seq)
        seen.add(seq)
    gaps = (highest + 1 - len(seen)) if highest >= 0 else 0
    missing = []
    for seq in range(highest + 1):
        if len(missing) >= 20:
            break
        if seq not in seen:
            missing.append(seq)
    with open(outfile, "w") as f:
        json.dump({"received": len(seen), "highest": highest, "gaps": gaps,
                   "missing": missing, "duplicates": dups,
                   "reordered": reorders}, f)


def flow_seq(frame, port):
    """The sequence number of a flow frame (Ethernet), else None."""
    if len(frame) < 14:
        return None
    (ethertype,) = struct.unpack("!H", frame[12:14])
    ip = frame[14:]
    if ethertype == 0x0800 and len(ip) >= 20 and ip[9] == 17:
        udp = ip[(ip[0] & 0x0F) * 4:]
    elif ethertype == 0x86DD and len(ip) >= 40 and ip[6] == 17:
        udp = ip[40:]
    else:
        return None
    if len(udp) < 16 or struct.unpack("!H", udp[2:4])[0] != port:
        return None
    return struct.unpack("!Q", udp[8:16])[0]


def sniff(iface, port, seconds, outfile):
    eth_p_all = 0x0003
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                      socket.htons(eth_p_all))
    s.bind((iface, 0))
    s.settimeout(0.2)
    stop_on_sigterm()
    frames = 0
    seqs = []
    end = time.monotonic() + seconds
    while time.monotonic() < end and not STOP:
        try:
            frame, meta = s.recvfrom(2048)
        except socket.timeout:
            continue
        if meta[2] == socket.PACKET_OUTGOING:
            continue
        seq = flow_seq(frame, port)
        if seq is None:
            continue
        frames += 1
        if len(seqs) < 20:
            seqs.append(seq)
    with open(outfile, "w") as f:
        json.dump({"frames": frames, "seqs": seqs}, f)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
             float(sys.argv[5]))
    elif len(sys.argv) == 5 and sys.argv[1] == "recv":
        recv(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    elif len(sys.argv) == 6 and sys.argv[1] == "sniff":
        sniff(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), sys.argv[5])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
