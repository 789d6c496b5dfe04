#!/usr/bin/env python3
"""Raw clients of poold's status socket, for t_ctl_clients.sh.

ctl_clients.py SOCKET N idle OUT: opens N connections that never send a
byte, writes "connected N" to OUT once every connect() returned, and holds
them until it is killed.

ctl_clients.py SOCKET N wait OUT: opens N connections, sends "wait" on each,
writes "sent N" to OUT, then reads every reply to its end and appends one
line per reply kind with its count ("waited 1 failed 0: 266"); exits 0 only
if every reply begins with "waited ".
"""
import collections
import signal
import socket
import sys


def main():
    path, n, mode, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        if mode == "wait":
            s.sendall(b"wait\n")
        socks.append(s)
    with open(out, "w") as f:
        f.write(("connected %d\n" if mode == "idle" else "sent %d\n") % n)
    if mode == "idle":
        while True:
            signal.pause()
    kinds = collections.Counter()
    for s in socks:
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        kinds[data.split(b"\n", 1)[0].decode(errors="replace")] += 1
        s.close()
    with open(out, "a") as f:
        for k, c in sorted(kinds.items()):
            f.write("%s: %d\n" % (k, c))
    sys.exit(0 if all(k.startswith("waited ") for k in kinds) else 1)


main()
