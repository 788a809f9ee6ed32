"""Times examples/sales_report.memo against bench/sales/report.py (the same
report in plain CPython) on one generated CSV of sales rows.

Three ways, interleaved run by run, median wall time of each:

* memo, a miss: a fresh, empty cache directory every run (the report is
  computed and stored, as on a first run);
* memo, a hit: the cache directory warm and the CSV unchanged (the whole
  run: start, verify the file, print the table, draw the chart);
* CPython: csv.DictReader and dicts.

Both programs must print the same per-region totals; the script checks.

    cargo build --release
    python3 bench/sales/run.py --memo target/release/memo [--rows 200000] [--runs 11]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "sales_report.memo")
REPORT_PY = os.path.join(ROOT, "bench", "sales", "report.py")
REGIONS = ["East", "North", "South", "West"]


def timed(cmd):
    t = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if out.returncode != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{out.stderr}")
    return dt, out.stdout, out.stderr


def region_totals(stdout):
    """The last number of each line that starts with a region name."""
    totals = {}
    for line in stdout.splitlines():
        words = line.split()
        if words and words[0] in REGIONS:
            totals[words[0]] = words[-1]
    return totals


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--memo", default=os.path.join(ROOT, "target", "release", "memo"))
    ap.add_argument("--python", default="python3")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--runs", type=int, default=11)
    args = ap.parse_args()

    work = tempfile.mkdtemp(prefix="memo-sales-")
    try:
        csv_path = os.path.join(work, "sales.csv")
        chart = os.path.join(work, "sales.svg")
        common = ["--set", f"csv={csv_path}", "--set", f"rows={args.rows}", "--set", f"chart={chart}"]
        gen, _, _ = timed([args.memo, "run", "--no-disk-cache", *common, EXAMPLE])
        size = os.path.getsize(csv_path)
        print(f"generated {args.rows:,} rows ({size / 1e6:.1f} MB) in {gen:.2f} s (memo, write_csv)")
        # A file modified within 2 s of being read is compared by content
        # on a hit; wait, as a file that has been sitting there would.
        time.sleep(2.2)
        warm = os.path.join(work, "warm-cache")
        memo_cmd = lambda cache: [args.memo, "run", "--cache-dir", cache, *common, EXAMPLE]
        _, first, _ = timed(memo_cmd(warm))
        _, py_out, _ = timed([args.python, REPORT_PY, csv_path])
        mt, pt = region_totals(first), region_totals(py_out)
        if mt != pt or len(mt) != len(REGIONS):
            sys.exit(f"the reports differ:\nmemo:    {mt}\nCPython: {pt}")
        print(f"same totals: {mt}")

        times = {"miss": [], "hit": [], "python": []}
        for i in range(args.runs):
            cold = os.path.join(work, f"cold-{i}")
            dt, _, err = timed(memo_cmd(cold))
            times["miss"].append(dt)
            shutil.rmtree(cold, ignore_errors=True)
            dt, _, _ = timed(memo_cmd(warm))
            times["hit"].append(dt)
            dt, _, _ = timed([args.python, REPORT_PY, csv_path])
            times["python"].append(dt)
        med = {k: statistics.median(v) for k, v in times.items()}
        pyver = subprocess.run([args.python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True).stdout.strip()
        print()
        print(f"| {args.rows:,} rows, {args.runs} interleaved runs, median | wall time | vs CPython |")
        print("|---|---:|---:|")
        print(f"| memo, miss (empty cache dir) | {med['miss'] * 1000:.0f} ms | {med['miss'] / med['python']:.2f}x |")
        print(f"| memo, hit (warm cache, CSV unchanged) | {med['hit'] * 1000:.1f} ms | {med['hit'] / med['python']:.3f}x |")
        print(f"| CPython {pyver} (csv + dicts) | {med['python'] * 1000:.0f} ms | 1.00x |")
        print()
        print("min/max ms: " + ", ".join(f"{k} {min(v) * 1000:.1f}/{max(v) * 1000:.1f}" for k, v in times.items()))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
