#!/usr/bin/env python3
"""File-level call graph of the daemon, and its call circles.

Reads the object files of daemon/**/*.c with nm(1) (a file in a
subdirectory is named by its path, e.g. sources/fifo): file A calls file B when
A has an undefined symbol that B defines.  Prints the strongly connected
components of that graph (Tarjan) that hold more than one file, one per
line, and with --edges every edge.  With --allow "a b ..." a component
made of exactly those files is allowed (dispatch, dispatch_done <-> pool);
the exit status is 1 if any other circle exists, so a test can fail on a
new one.

usage: callgraph.py [--edges] [--allow "dispatch dispatch_done pool"] OBJDIR
"""
import os
import subprocess
import sys


def symbols(path):
    out = subprocess.run(["nm", path], check=True, capture_output=True, text=True).stdout
    defined, undefined = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            undefined.add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBR":
            defined.add(parts[2])
    return defined, undefined


def graph(objdir):
    files = {}
    for root, _, names in os.walk(objdir):
        for name in sorted(names):
            if name.endswith(".c.o"):
                path = os.path.join(root, name)
                rel = os.path.relpath(path, objdir)
                files[rel[: -len(".c.o")]] = symbols(path)
    owner = {}
    for f, (defined, _) in files.items():
        for s in defined:
            owner[s] = f
    edges = {f: set() for f in files}
    for f, (_, undefined) in files.items():
        for s in undefined:
            if s in owner and owner[s] != f:
                edges[f].add(owner[s])
    return edges


def sccs(edges):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(edges):
        if v not in index:
            visit(v)
    return [c for c in out if len(c) > 1]


def main(argv):
    show_edges = "--edges" in argv
    allowed = []
    if "--allow" in argv:
        allowed.append(set(argv[argv.index("--allow") + 1].split()))
    objdir = argv[-1]
    edges = graph(objdir)
    if not edges:
        print("callgraph: no object files in %s" % objdir, file=sys.stderr)
        return 2
    if show_edges:
        for f in sorted(edges):
            print("%s -> %s" % (f, " ".join(sorted(edges[f]))))
    bad = 0
    comps = sccs(edges)
    for comp in comps:
        ok = set(comp) in allowed
        bad += not ok
        print("circle (%d files)%s: %s" % (len(comp), "" if ok else " NOT ALLOWED", " ".join(comp)))
    if not comps:
        print("no call circle")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
