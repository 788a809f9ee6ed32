"""CPython's side of the table benchmark: parse the CSV into the same rows
memo's read_csv makes (a list of dicts; ints, floats, strings, None for
empty fields), pickle them, and time pickle.load and the parse.
Prints one JSON object."""
import csv, io, json, pickle, sys, time

def field(s):
    t = s.strip()
    if not t:
        return None
    try:
        return int(t)
    except ValueError:
        pass
    if any(c.isdigit() for c in t):
        try:
            return float(t)
        except ValueError:
            pass
    return s

def parse(path):
    with open(path, newline="") as f:
        return [{k: field(v) for k, v in row.items()} for row in csv.DictReader(f)]

def best(f, n):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return min(ts)

def main(path, runs):
    rows = parse(path)
    data = pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL)
    with open(path + ".pickle", "wb") as f:
        f.write(data)
    def load():
        with open(path + ".pickle", "rb") as f:
            pickle.load(f)
    print(json.dumps({
        "rows": len(rows),
        "pickle_bytes": len(data),
        "pickle_load_s": best(load, runs),
        "parse_csv_s": best(lambda: parse(path), max(1, runs // 2)),
    }))

if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5)
