# A data-processing script: build 200,000 records (dicts), filter, group by
# region/product, aggregate counts and sums, sort the groups, report.
def main():
    regions = ["north", "south", "east", "west", "central", "islands", "overseas"]
    records = []
    for i in range(200_000):
        records.append({
            "id": i,
            "region": regions[i % 7],
            "product": "p" + str((i * 7919) % 50),
            "qty": (i * 31) % 17 + 1,
            "price": (i * 97) % 1000 + 1,
        })
    groups = {}
    kept = 0
    for r in records:
        if r["qty"] < 3:
            continue
        kept += 1
        k = r["region"] + "/" + r["product"]
        revenue = r["qty"] * r["price"]
        g = groups.get(k)
        if g is not None:
            g["count"] += 1
            g["qty"] += r["qty"]
            g["revenue"] += revenue
        else:
            groups[k] = {"count": 1, "qty": r["qty"], "revenue": revenue}
    by_region = {}
    for k, g in groups.items():
        region = k.split("/")[0]
        by_region[region] = by_region.get(region, 0) + g["revenue"]
    ranked = sorted(groups.items(), key=lambda kv: (-kv[1]["revenue"], kv[0]))
    print("records", len(records), "kept", kept, "groups", len(groups))
    for k, g in ranked[:5]:
        print(f"{k} count={g['count']} qty={g['qty']} revenue={g['revenue']} avg={g['revenue'] // g['count']}")
    for region in sorted(by_region):
        print(region, by_region[region])
    print("total", sum(by_region.values()))


main()
