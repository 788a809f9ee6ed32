#!/usr/bin/env python3
"""The cache-storage benchmark (issue 15): memo's tiers against CPython's
pickle, interleaved round by round so that a busy machine hurts both alike.

    cargo build --release
    python3 bench/table/run.py --memo target/release/memo [--rounds 5] [--rows 200000]

Measures, per round:

- the 200,000-row, 4-column table (`gen_csv.py`, ~6.5 MB of CSV) loaded by
  `cached fn load(p) { read_csv(p) }`: a miss (fresh cache directory), a hit
  from the local tier (a new process), a hit from Redis in a second cache
  directory (when `redis-server` is installed: one is started on a free
  loopback port), each timed inside the script around the call (`clock()`);
- the entry's size in the local database, against `pickle.dumps` of the
  same rows (protocol 5), and `pickle.load` / parsing the CSV in CPython
  (best of 5 in-process, `py_table.py`);
- the persisted miss overhead: a script with 5,000 trivial misses, run with
  a fresh cache directory and with `--no-disk-cache`, (difference) / 5,000.

Prints a Markdown table of the best and median of the rounds.
"""
import argparse, json, os, re, shutil, socket, sqlite3, statistics, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))

TABLE = """cached fn load(p) { read_csv(p) }
let t0 = clock()
let rows = load(param("csv", "table.csv"))
let t1 = clock()
print(len(rows), "load_us", int((t1 - t0) * 1000000))
"""

MISSES = """cached fn sq(x) { x * x }
let t = 0
for i in 0..5000 { t += sq(i) }
print(t)
"""


def memo_load(memo, work, args):
    out = subprocess.run([memo, "run", "table.memo"] + args, cwd=work, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"memo failed: {out.stderr}")
    m = re.search(r"load_us (\d+)", out.stdout)
    return int(m.group(1)) / 1e6


def wall(cmd, cwd):
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def start_redis():
    if not shutil.which("redis-server"):
        print("redis-server not found: the Redis rows are left out", file=sys.stderr)
        return None, None
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    p = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as c:
                c.sendall(b"PING\r\n")
                if c.recv(7) == b"+PONG\r\n":
                    return p, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)
    p.kill()
    sys.exit("redis-server did not start")


def flush_redis(url):
    port = int(url.split(":")[2].split("/")[0])
    with socket.create_connection(("127.0.0.1", port)) as c:
        c.sendall(b"FLUSHALL\r\n")
        c.recv(16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--memo", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    memo = os.path.abspath(a.memo)
    work = tempfile.mkdtemp(prefix="memo-table-")
    csv_path = os.path.join(work, "table.csv")
    subprocess.run([a.python, os.path.join(HERE, "gen_csv.py"), csv_path, str(a.rows)], check=True)
    # A file written seconds ago proves nothing by its stat (its hits would
    # re-read it to compare contents); real inputs are older.
    old = time.time() - 3600
    os.utime(csv_path, (old, old))
    with open(os.path.join(work, "table.memo"), "w") as f:
        f.write(TABLE)
    with open(os.path.join(work, "misses.memo"), "w") as f:
        f.write(MISSES)
    redis, url = start_redis()
    res = {k: [] for k in ["miss", "local_hit", "redis_hit", "pickle_load", "parse_csv", "miss_us_disk", "miss_us_mem"]}
    sizes = {}
    try:
        for r in range(a.rounds):
            for d in ["a", "b"]:
                shutil.rmtree(os.path.join(work, d), ignore_errors=True)
            if url:
                flush_redis(url)
            remote = ["--cache-url", url] if url else []
            res["miss"].append(memo_load(memo, work, ["--cache-dir", "a"] + remote))
            res["local_hit"].append(memo_load(memo, work, ["--cache-dir", "a"]))
            if url:
                res["redis_hit"].append(memo_load(memo, work, ["--cache-dir", "b"] + remote))
            py = json.loads(subprocess.run([a.python, os.path.join(HERE, "py_table.py"), csv_path, "5"],
                                           capture_output=True, text=True, check=True).stdout)
            res["pickle_load"].append(py["pickle_load_s"])
            res["parse_csv"].append(py["parse_csv_s"])
            sizes["pickle"] = py["pickle_bytes"]
            # The newest format's directory (v3, v4, ...).
            vdir = max((d for d in os.listdir(os.path.join(work, "a")) if re.fullmatch(r"v\d+", d)), key=lambda d: int(d[1:]))
            db = sqlite3.connect(os.path.join(work, "a", vdir, "cache.db"))
            sizes["entry"] = db.execute("SELECT sum(length(bytes)) FROM data").fetchone()[0]
            db.close()
            shutil.rmtree(os.path.join(work, "m"), ignore_errors=True)
            res["miss_us_disk"].append(wall([memo, "run", "misses.memo", "--cache-dir", "m"], work))
            res["miss_us_mem"].append(wall([memo, "run", "misses.memo", "--no-disk-cache"], work))
    finally:
        if redis:
            redis.kill()
    ms = lambda xs: f"{min(xs) * 1e3:.1f} ms | {statistics.median(xs) * 1e3:.1f} ms"
    print(f"\n{a.rows} rows, CSV {os.path.getsize(csv_path) / 1e6:.1f} MB, {a.rounds} rounds "
          f"(load average {os.getloadavg()[0]:.1f})\n")
    print("| measure | best | median |")
    print("|---|---|---|")
    print(f"| memo: miss (read_csv, encode, store) | {ms(res['miss'])} |")
    print(f"| memo: hit from the local tier | {ms(res['local_hit'])} |")
    if res["redis_hit"]:
        print(f"| memo: hit from Redis (second cache dir) | {ms(res['redis_hit'])} |")
    print(f"| CPython: pickle.load | {ms(res['pickle_load'])} |")
    print(f"| CPython: parse the CSV (csv.DictReader) | {ms(res['parse_csv'])} |")
    per = [(d - m) / 5000 * 1e6 for d, m in zip(res["miss_us_disk"], res["miss_us_mem"])]
    print(f"| memo: persisted miss overhead (5,000 misses) | {min(per):.1f} µs | {statistics.median(per):.1f} µs |")
    print(f"\nentry {sizes['entry'] / 1e6:.2f} MB, pickle {sizes['pickle'] / 1e6:.2f} MB: "
          f"{sizes['entry'] / sizes['pickle']:.2f}× pickle")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
