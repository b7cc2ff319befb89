"""Summarise a py-spy raw (collapsed) profile: the share of samples in which each function appears (inclusive)
and where samples end (self). Usage: .venv/bin/python bench/profsum.py PROFILE.txt [TOP]"""
import collections
import re
import sys

incl, self_, total = collections.Counter(), collections.Counter(), 0
for line in open(sys.argv[1]):
    stack, _, n = line.rstrip().rpartition(" ")
    n = int(n)
    total += n
    frames = [re.sub(r" \((.*/)?([^/]+)\)$", r" (\2)", f) for f in stack.split(";")]
    for f in set(frames):
        incl[f] += n
    self_[frames[-1]] += n
top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
print(f"{total} samples\n-- inclusive --")
for f, n in incl.most_common(top):
    print(f"{100 * n / total:5.1f}%  {f}")
print("-- self --")
for f, n in self_.most_common(top):
    print(f"{100 * n / total:5.1f}%  {f}")
