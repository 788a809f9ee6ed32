#!/usr/bin/env python3
# Interleaved CPU-time comparison of two memo binaries on bench/programs/*.memo
# (usage: compare_base.py NEW_BINARY [RUNS]; the old one is /work/bin/memo-base).
# Written for results-speed.md's last table; checks that outputs agree.
import os, sys, subprocess, statistics, glob, resource
progs = sorted(p for p in glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'programs', '*.memo')))
bins = {'base': '/work/bin/memo-base', 'speed': sys.argv[1]}
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
res = {p: {b: [] for b in bins} for p in progs}
outs = {}
def cpu(cmd, cwd):
    pid = os.fork()
    if pid == 0:
        os.chdir(cwd)
        fd = os.open('/tmp/cmp_out.txt', os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(fd, 1); os.dup2(fd, 2)
        os.execv(cmd[0], cmd)
    _, status, ru = os.wait4(pid, 0)
    return ru.ru_utime + ru.ru_stime, open('/tmp/cmp_out.txt').read()
for r in range(runs):
    for p in progs:
        for b, path in bins.items():
            t, out = cpu([path, 'run', '--no-disk-cache', os.path.basename(p)], os.path.dirname(p))
            res[p][b].append(t)
            if (p, 'base') in outs and b == 'speed' and outs[(p, 'base')] != out:
                print('OUTPUT DIFFERS', p)
            outs[(p, b)] = out
print('| program | memo-base s | speed s | speed / base |')
print('|---|---:|---:|---:|')
import math
ratios = []
for p in progs:
    a, b = statistics.median(res[p]['base']), statistics.median(res[p]['speed'])
    ratios.append(b / a)
    print(f'| {os.path.basename(p)[:-5]} | {a:.3f} | {b:.3f} | {b/a:.2f} |')
print(f'| **geometric mean** | | | **{math.exp(sum(map(math.log, ratios))/len(ratios)):.2f}** |')
