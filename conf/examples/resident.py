#!/usr/bin/python3
"""A resident handler for poold (mode = resident), in Python.

poold starts it once per worker and keeps it: one job per line on stdin
(the placeholder values of the kind's exec template, tab-separated), one
answer per line on stdout: "ok [message]", "fail [message]" or
"retry [message]" (a temporary failure).  Flush after each answer.

[kind.resize]
code = 1101
mode = resident
exec = /usr/bin/python3 /usr/share/doc/poold/examples/resident.py {1:int:16..4096} {2:path:/srv/media}
"""
import os
import sys

for line in sys.stdin:
    size, path = line.rstrip("\n").split("\t")
    if not os.path.exists(path):
        print("fail no such file " + path, flush=True)
    else:
        print("ok %s at %s px" % (path, size), flush=True)
