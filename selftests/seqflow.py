#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Sequence-numbered UDP flow for the soak selftest.

  seqflow.py send ADDR PORT RATE SECONDS   paced sender, prints packets sent
  seqflow.py recv PORT SECONDS OUTFILE     receiver, writes a JSON summary

The receiver reports how many distinct sequence numbers arrived, the gaps
(numbers missing below the highest seen), duplicates and reorderings.
"""
import json
import socket
import struct
import sys
import time


def send(addr, port, rate, seconds):
    family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    s = socket.socket(family, socket.SOCK_DGRAM)
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
        s.sendto(struct.pack("!Q", seq) + pad, (addr, port))
        seq += 1
    print(seq)


def recv(port, seconds, outfile):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.bind(("::", port))
    s.settimeout(0.5)
    seen = set()
    dups = reorders = 0
    highest = -1
    end = time.monotonic() + seconds
    while time.monotonic() < end:
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
    with open(outfile, "w") as f:
        json.dump({"received": len(seen), "highest": highest, "gaps": gaps,
                   "duplicates": dups, "reordered": reorders}, f)


def main():
    if len(sys.argv) == 6 and sys.argv[1] == "send":
        send(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]),
             float(sys.argv[5]))
    elif len(sys.argv) == 5 and sys.argv[1] == "recv":
        recv(int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
