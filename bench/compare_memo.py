#!/usr/bin/env python3
"""Interleaved CPU-time comparison of two memo binaries on bench/programs/*.memo.

    python3 bench/compare_memo.py OLD_BINARY NEW_BINARY [RUNS]

Each round runs every program with the old binary, then the new one
(`run --no-disk-cache`); the table shows the medians of user + sys time and
the geometric mean of new / old. Outputs must agree (a differing one is
reported). Used for the no-regression checks of the architecture and speed
work (bench/classic/results-speed.md)."""
import glob
import math
import os
import statistics
import sys
import tempfile

if len(sys.argv) < 3:
    sys.exit(__doc__)
bins = {'old': sys.argv[1], 'new': sys.argv[2]}
runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
here = os.path.dirname(os.path.abspath(__file__))
progs = sorted(glob.glob(os.path.join(here, 'programs', '*.memo')))
res = {p: {b: [] for b in bins} for p in progs}
outs = {}
out_path = os.path.join(tempfile.mkdtemp(), 'out.txt')


def cpu(cmd, cwd):
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        fd = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.execv(cmd[0], cmd)
    _, _, ru = os.wait4(pid, 0)
    with open(out_path) as f:
        return ru.ru_utime + ru.ru_stime, f.read()


for r in range(runs):
    for p in progs:
        for b, path in bins.items():
            t, out = cpu([path, 'run', '--no-disk-cache', os.path.basename(p)], os.path.dirname(p))
            res[p][b].append(t)
            if b == 'new' and outs.get((p, 'old')) not in (None, out):
                print('OUTPUT DIFFERS', p)
            outs[(p, b)] = out
print('| program | old s | new s | new / old |')
print('|---|---:|---:|---:|')
ratios = []
for p in progs:
    a, b = statistics.median(res[p]['old']), statistics.median(res[p]['new'])
    ratios.append(b / a)
    print(f'| {os.path.basename(p)[:-5]} | {a:.3f} | {b:.3f} | {b / a:.2f} |')
print(f'| **geometric mean** | | | **{math.exp(sum(map(math.log, ratios)) / len(ratios)):.2f}** |')
