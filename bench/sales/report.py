"""The sales report of examples/sales_report.memo in plain CPython: the csv
module and dicts, as a Python programmer would write it without pandas.
It reads the same CSV, computes the same revenue per region and month,
prints the same month x region table (plain text instead of box drawing)
and the per-region totals; it draws no chart (memo's run does).

    python3 bench/sales/report.py target/sales.csv
"""

import csv
import sys
from collections import defaultdict

REGIONS = ["East", "North", "South", "West"]


def monthly_revenue(path):
    revenue = defaultdict(float)
    rows = 0
    with open(path, newline="") as f:
        for r in csv.DictReader(f):
            rows += 1
            revenue[(r["region"], r["date"][:7])] += int(r["units"]) * float(r["price"])
    return rows, revenue


def main():
    path = sys.argv[1]
    rows, revenue = monthly_revenue(path)
    months = sorted({m for (_, m) in revenue})
    by_region = {r: [] for r in REGIONS}
    lines = []
    for m in months:
        line = [m]
        total = 0.0
        for r in REGIONS:
            v = round(revenue.get((r, m), 0.0), 2)
            by_region[r].append(v)
            line.append(f"{v:,.2f}")
            total += v
        line.append(f"{total:,.2f}")
        lines.append(line)
    lines.append(["total"] + [f"{sum(by_region[r]):,.2f}" for r in REGIONS]
                 + [f"{sum(sum(v) for v in by_region.values()):,.2f}"])
    print(f"{path}: {rows:,} sales, {months[0]} to {months[-1]}")
    header = ["month"] + REGIONS + ["total"]
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]
    print(" | ".join([header[0].ljust(widths[0])] + [h.rjust(w) for h, w in zip(header[1:], widths[1:])]))
    for line in lines:
        print(" | ".join([line[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(line[1:], widths[1:])]))
    for r in REGIONS:
        print(f"{r:<6} {sum(by_region[r]):>14,.2f}")


if __name__ == "__main__":
    main()
