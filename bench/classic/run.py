#!/usr/bin/env python3
"""Run the classic benchmark programs with memo, CPython and Lua 5.4, side by side.

usage: run.py --memo PATH/TO/memo [--runs 5] [--only nbody,richards]
              [--python PATH] [--lua PATH] [--out FILE.md] [--json FILE.json]
              [--timeout SECONDS] [--note TEXT]...
       run.py --from-json FILE.json [--out FILE.md] [--note TEXT]...

Every program in this directory is NAME.memo, NAME.py and NAME.lua, printing
the same checksum. The runner:

- does one untimed warm-up run of every program with every interpreter,
  which also checks that they print the same thing;
- then runs them interleaved: for each round, for each program, memo, CPython
  and Lua once each, so a burst of load from elsewhere on the (shared)
  machine hits every interpreter and program alike;
- checks that every run of every interpreter printed exactly the same stdout
  as memo's first run (a mismatch is reported loudly and the exit code is 1);
- reports, per program and interpreter, the median and the best (minimum)
  user+sys CPU time (from wait4) and the median wall time, the ratios
  memo / CPython and memo / Lua, and their geometric means over the
  programs. On a shared machine the CPU times are the steadier measure.

memo runs as `memo run --no-disk-cache NAME.memo`. CPython is the faster of
`python3` on PATH and /usr/bin/python3 when they are different builds (the
best of 7 interleaved runs of ../compare.py's probe decides; this script uses
compare.py's helpers); --python forces one. Lua is `lua5.4` on PATH unless --lua is given.

The markdown report goes to --out (and to stdout when --out is not given),
the raw results (every run's wall and CPU time) to --json (default: the --out
path with .json). --from-json re-renders the report of a saved run, and
--note adds a paragraph to the report (the state of the machine, say).
Progress goes to stderr.
"""
import argparse
import datetime
import difflib
import json
import math
import os
import shutil
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ beside compare.py in the checkout
sys.path.insert(0, os.path.dirname(HERE))
from compare import PY_PROBE, loadavg, machine, run_once, sh, version_of  # noqa: E402

WHO = ['memo', 'python3', 'lua5.4']


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def programs():
    names = []
    for f in sorted(os.listdir(HERE)):
        if f.endswith('.memo'):
            n = f[:-5]
            missing = [e for e in ('py', 'lua') if not os.path.exists(os.path.join(HERE, f'{n}.{e}'))]
            if missing:
                log(f'warning: {n}.memo has no {" / ".join(n + "." + e for e in missing)}: skipped')
                continue
            names.append(n)
    return names


def pick_python(found, probes=7):
    """The faster CPython build of `python3` on PATH and /usr/bin/python3
    (pyenv builds without PGO/LTO are up to 2x slower than the
    distribution's). Like compare.py's probe, but interleaved and taking the
    best of `probes` runs each, so a burst of load on a shared machine does
    not pick the slower build. Returns (path, note for the report)."""
    cands = []
    for c in (found, '/usr/bin/python3'):
        if c and os.path.exists(c) and os.path.realpath(c) not in {os.path.realpath(x) for x in cands}:
            cands.append(c)
    if len(cands) < 2:
        return found, ''
    best = {}
    for _ in range(probes):
        for c in cands:
            try:
                t = float(sh([c, '-c', PY_PROBE]).splitlines()[-1])
            except (ValueError, IndexError):
                continue
            best[c] = min(t, best.get(c, t))
    if not best:
        return found, ''
    pick = min(best, key=best.get)
    others = ', '.join(f'{c} {best[c] * 1e3:.0f} ms' for c in best if c != pick)
    note = (f'python3 is {pick} ({sh([pick, "--version"]).replace("Python ", "")}), the faster CPython build '
            f'found: best of {probes} probes {best[pick] * 1e3:.0f} ms; {others}')
    return pick, note


def geomean(xs):
    xs = [x for x in xs if x and x > 0]
    return math.exp(sum(math.log(x) for x in xs) / len(xs)) if xs else None


def fmt_s(x):
    return '-' if x is None else f'{x:.3f}'


def fmt_r(x):
    return '-' if x is None else f'{x:.2f}'


class Runs:
    """Every run of one interpreter on one program."""

    def __init__(self, argv):
        self.argv = argv
        self.walls, self.cpus = [], []
        self.error = None
        self.outputs = []  # stdout of every run, the warm-up first

    def add(self, timeout, timed=True):
        if self.error:
            return
        wall, cpu, _rss, code, out, err = run_once(self.argv, HERE, timeout)
        if code != 0:
            tail = ' / '.join(err.strip().splitlines()[-3:])[-300:]
            self.error = f'exit {code}: {tail}'
            return
        self.outputs.append(out)
        if timed:
            self.walls.append(wall)
            if cpu is not None:
                self.cpus.append(cpu)

    def median(self, cpu=False):
        xs = self.cpus if cpu else self.walls
        return statistics.median(xs) if xs and not self.error else None

    def to_json(self):
        return {'argv': self.argv, 'walls': self.walls, 'cpus': self.cpus, 'error': self.error,
                'median_wall': self.median(), 'median_cpu': self.median(cpu=True)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--memo', help='the memo binary (required unless --from-json)')
    ap.add_argument('--runs', type=int, default=5, help='timed runs per interpreter and program (default 5)')
    ap.add_argument('--only', default='', help='comma-separated program names')
    ap.add_argument('--python', help='the CPython binary (default: the fastest build found)')
    ap.add_argument('--lua', help='the Lua 5.4 binary (default: lua5.4 on PATH)')
    ap.add_argument('--out', help='write the markdown report here (default: stdout)')
    ap.add_argument('--json', help='write the raw results here (default: --out with .json)')
    ap.add_argument('--timeout', type=float, default=300, help='seconds before a run is killed (default 300)')
    ap.add_argument('--note', action='append', default=[],
                    help='a paragraph for the report, e.g. the state of the machine (repeatable)')
    ap.add_argument('--from-json', metavar='FILE',
                    help='no runs: render the report of a saved run (its JSON); --note adds paragraphs')
    a = ap.parse_args()

    if a.from_json:
        with open(a.from_json) as f:
            data = json.load(f)
        data['notes'] = (data.get('notes') or []) + a.note
        emit(data, a)
        return 1 if data['problems'] else 0

    if not a.memo:
        ap.error('--memo is required')
    memo = os.path.abspath(a.memo)
    if not os.path.exists(memo):
        ap.error(f'no memo binary at {memo}')
    py_note = ''
    if a.python:
        python = a.python
    else:
        found = shutil.which('python3')
        if not found:
            ap.error('no python3 on PATH (give --python)')
        python, py_note = pick_python(found)
    lua = a.lua or shutil.which('lua5.4')
    if not lua:
        ap.error('no lua5.4 on PATH (give --lua)')
    binaries = {'memo': memo, 'python3': python, 'lua5.4': lua}

    names = programs()
    if a.only:
        only = a.only.split(',')
        unknown = sorted(set(only) - set(names))
        if unknown:
            ap.error(f'unknown program(s): {", ".join(unknown)}')
        names = [n for n in names if n in only]

    started = datetime.datetime.now(datetime.timezone.utc)
    versions = {w: version_of(w, binaries[w]) for w in WHO}
    load_before = loadavg()
    if py_note:
        log(py_note)
    log(f'{len(names)} programs, {a.runs} runs each; memo {memo}, python3 {python}, lua5.4 {lua}')

    results = {}
    for n in names:
        results[n] = {
            'memo': Runs([memo, 'run', '--no-disk-cache', f'{n}.memo']),
            'python3': Runs([python, f'{n}.py']),
            'lua5.4': Runs([lua, f'{n}.lua']),
        }

    # Warm-up: every program once with every interpreter (not timed).
    t0 = time.perf_counter()
    for n in names:
        for w in WHO:
            results[n][w].add(a.timeout, timed=False)
    log(f'warm-up done [{time.perf_counter() - t0:.0f} s]')

    # Timed runs, interleaved: round -> program -> interpreter.
    for k in range(a.runs):
        t0 = time.perf_counter()
        for n in names:
            for w in WHO:
                results[n][w].add(a.timeout)
        log(f'round {k + 1}/{a.runs} [{time.perf_counter() - t0:.0f} s]')

    # Output check: every run of every interpreter prints memo's first output.
    problems = []
    for n in names:
        row = results[n]
        for w in WHO:
            if row[w].error:
                problems.append(f'{n}: {w} failed ({row[w].error})')
        ref = row['memo'].outputs[0] if row['memo'].outputs else None
        if ref is None:
            continue
        for w in WHO:
            for i, out in enumerate(row[w].outputs):
                if out != ref:
                    diff = '\n'.join(difflib.unified_diff(ref.splitlines(), out.splitlines(), 'memo', w,
                                                          lineterm='', n=0))
                    problems.append(f'{n}: {w} run {i} printed something else than memo:\n{diff}')
                    break

    data = {
        'machine': machine(), 'date': started.isoformat(), 'versions': versions, 'binaries': binaries,
        'runs': a.runs, 'load_before': load_before, 'load_after': loadavg(), 'python_choice': py_note,
        'notes': a.note,
        'programs': {n: {w: results[n][w].to_json() for w in WHO} for n in names},
        'problems': problems,
    }
    data.update(summary(data))
    emit(data, a)
    if problems:
        log('')
        log('!' * 72)
        log('OUTPUT CHECK FAILED:')
        for q in problems:
            log(q)
        log('!' * 72)
        return 1
    return 0


# Statistics of a program's runs: (label, key of the runs list, reducer).
STATS = [('wall', 'walls', statistics.median), ('cpu', 'cpus', statistics.median), ('cpu_min', 'cpus', min)]


def stat(data, n, w, which):
    r = data['programs'][n][w]
    _, key, f = next(s for s in STATS if s[0] == which)
    xs = r.get(key) or []
    return f(xs) if xs and not r.get('error') else None


def ratio(data, n, w, which):
    m, t = stat(data, n, 'memo', which), stat(data, n, w, which)
    return m / t if m and t else None


def summary(data):
    """The ratios and their geometric means, for the JSON."""
    names = list(data['programs'])
    return {
        'ratios': {n: {f'memo/{w}': {s[0]: ratio(data, n, w, s[0]) for s in STATS} for w in WHO[1:]}
                   for n in names},
        'geomean': {f'memo/{w}': {s[0]: geomean([ratio(data, n, w, s[0]) for n in names]) for s in STATS}
                    for w in WHO[1:]},
    }


def render(data):
    """The markdown report of a run (also from a saved JSON: --from-json)."""
    names = list(data['programs'])
    started = datetime.datetime.fromisoformat(data['date'])
    out = []
    p = out.append
    p('# Classic benchmarks: memo against CPython and Lua 5.4')
    p('')
    p(f'- machine: {data["machine"]}')
    after = f', after: {data["load_after"]}' if data.get('load_after') else ''
    p(f'- date: {started.strftime("%Y-%m-%d %H:%M UTC")}; load average before: {data["load_before"]}{after}')
    p('- versions: ' + '; '.join(f'{w}: {data["versions"][w]}' for w in WHO))
    p('- binaries: ' + '; '.join(f'{w}: `{data["binaries"][w]}`' for w in WHO))
    if data.get('python_choice'):
        p(f'- {data["python_choice"]}')
    p(f'- {data["runs"]} timed runs of every program and interpreter, interleaved (round by round, program by '
      'program, interpreter by interpreter), after one untimed warm-up run each. '
      'memo runs `run --no-disk-cache`. Ratio = memo / peer (below 1.0: memo is faster).')
    for note in data.get('notes') or []:
        p('')
        p(note)
    if data['problems']:
        p('')
        p('**OUTPUT CHECK FAILED: the versions disagree, see the end of this report.**')
    p('')
    tables = [
        ('cpu', 'CPU time (user + sys), median of the runs'),
        ('cpu_min', 'CPU time (user + sys), best of the runs'),
        ('wall', 'Wall time, median of the runs'),
    ]
    for which, title in tables:
        p(f'## {title}')
        p('')
        p('| program | memo s | CPython s | Lua 5.4 s | memo / CPython | memo / Lua |')
        p('|---|---:|---:|---:|---:|---:|')
        for n in names:
            p(f'| {n} | {fmt_s(stat(data, n, "memo", which))} | {fmt_s(stat(data, n, "python3", which))} | '
              f'{fmt_s(stat(data, n, "lua5.4", which))} | {fmt_r(ratio(data, n, "python3", which))} | '
              f'{fmt_r(ratio(data, n, "lua5.4", which))} |')
        gp = geomean([ratio(data, n, 'python3', which) for n in names])
        gl = geomean([ratio(data, n, 'lua5.4', which) for n in names])
        p(f'| **geometric mean** | | | | **{fmt_r(gp)}** | **{fmt_r(gl)}** |')
        p('')
    p('## Output check')
    p('')
    if data['problems']:
        p('**FAILED**:')
        p('')
        for q in data['problems']:
            p('```')
            p(q)
            p('```')
    else:
        p('Every run of every interpreter printed exactly the same output as memo, on every program.')
    return '\n'.join(out) + '\n'


def emit(data, a):
    """Writes the report (to --out or stdout) and, for a new run, the JSON."""
    report = render(data)
    if a.out:
        with open(a.out, 'w') as f:
            f.write(report)
        log(f'report written to {a.out}')
    else:
        sys.stdout.write(report)
    json_path = a.json or (os.path.splitext(a.out)[0] + '.json' if a.out else None)
    if json_path and not a.from_json:
        with open(json_path, 'w') as f:
            json.dump(data, f, indent=1)
        log(f'raw results written to {json_path}')

if __name__ == '__main__':
    sys.exit(main())
