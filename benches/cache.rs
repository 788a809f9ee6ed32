//! Criterion micro-benchmarks of the hot paths of caching, through the
//! public library API (`memo::Interp`, `memo::Cache`, `memo::DiskStore`,
//! `memo::Value`).
//!
//! - `memory_hit/two_ints`: a memory-tier hit of `cached fn f(a, b)` with two
//!   small ints (target: ≤ 150 ns, see bench/README.md).
//! - `memory_hit/list_1m`: a hit whose argument is a 1,000,000-element list
//!   whose hash was computed once already (target: ≤ 2 µs: O(1), no re-hash).
//! - `key_chain50/*`: the cache key of a cached fn that calls a chain of 50
//!   plain fns: memoized (nothing changed), revalidated (an unrelated global
//!   changed: scan of the 50 recorded versions), full walk (a callee's global
//!   was reassigned: the transitive code hash is recomputed over 50 fns).
//! - `disk_hit_10mb/*`: a local-tier hit of a big value (a list of
//!   1,100,000 ints, ~10 MB in memory): a fresh memory tier in front of the
//!   same directory per iteration, so every call reads, checks and decodes
//!   the entry; and the tier's `get` alone (the database's bytes). The
//!   database stays in the OS page cache, so this is read + checksum +
//!   decode, not device I/O.
//!
//! - `table_200k/*`: the table of `bench/table/` (200,000 rows, 4 columns,
//!   ~6.5 MB of CSV): a hit from the local tier with a fresh memory tier
//!   (read, check, decode), and `read_csv` of the file for comparison.
//!
//! Run: `cargo bench --bench cache` (about 1-2 minutes). Each group keeps its
//! sample count and measurement time short; raise them for a steadier number.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use memo::cache::tier::{Got, Tier};
use memo::{Cache, DiskStore, Interp, Value};
use std::hint::black_box;
use std::time::Duration;

fn interp(cache: Cache) -> Interp {
    let mut i = memo::new_interp(cache);
    i.out = Box::new(std::io::sink());
    i.err = Box::new(std::io::sink());
    i
}

fn run(i: &mut Interp, src: &str) {
    if let Err(e) = i.run_source("bench.memo", src) {
        panic!("bench script failed: {}", e.message);
    }
}

fn global(i: &Interp, name: &str) -> Value {
    i.get_global(name).unwrap_or_else(|| panic!("no global `{name}`"))
}

fn memory_hits(c: &mut Criterion) {
    let mut g = c.benchmark_group("memory_hit");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));

    // (a) two small ints.
    let mut i = interp(Cache::memory());
    run(&mut i, "cached fn f(a, b) { a * 1000 + b }\nf(3, 4)");
    let f = global(&i, "f");
    let first = i.call_value(&f, &mut [Value::Int(3), Value::Int(4)], None).unwrap();
    assert!(matches!(first, Value::Int(3004)));
    g.bench_function("two_ints", |b| b.iter(|| black_box(i.call_value(&f, &mut [Value::Int(3), Value::Int(4)], None).unwrap())));

    // (b) a 1,000,000-element list, hashed once by the first call.
    let mut i = interp(Cache::memory());
    run(&mut i, "cached fn total(xs) { sum(xs) }\nlet xs = list(0..1_000_000)\ntotal(xs)");
    let total = global(&i, "total");
    let xs = global(&i, "xs");
    g.bench_function("list_1m", |b| b.iter(|| black_box(i.call_value(&total, &mut [xs.clone()], None).unwrap())));
    g.finish();
}

fn key_chain(c: &mut Criterion) {
    let mut g = c.benchmark_group("key_chain50");
    g.sample_size(20).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));

    let mut src = String::new();
    for k in 0..49 {
        src.push_str(&format!("fn g{k}(x) {{ g{}(x) + {k} }}\n", k + 1));
    }
    src.push_str("fn g49(x) { x }\n");
    src.push_str("let unrelated = 0\n");
    src.push_str("cached fn top(x) { g0(x) }\ntop(1)\n");
    let mut i = interp(Cache::memory());
    run(&mut i, &src);
    let top = global(&i, "top");
    let Value::Func(clo) = top.clone() else { panic!("top is not a fn") };
    let cf = clo.cached.clone().expect("top is a cached fn");
    let g49 = global(&i, "g49");
    let key = memo::cache::key::compute(&mut i, &clo, &cf, &[Value::Int(1)]).unwrap();

    // Nothing changed since the last call: the memoized code hash.
    g.bench_function("memoized", |b| {
        b.iter(|| black_box(memo::cache::key::compute(&mut i, &clo, &cf, &[Value::Int(1)]).unwrap()))
    });
    // A global the function does not use changed: the recorded versions of
    // the 50 callees are scanned, the hash is kept.
    let mut n = 0;
    g.bench_function("revalidate", |b| {
        b.iter(|| {
            n += 1;
            i.set_global("unrelated", Value::Int(n));
            black_box(memo::cache::key::compute(&mut i, &clo, &cf, &[Value::Int(1)]).unwrap())
        })
    });
    // The last callee was reassigned (same function): the transitive code
    // hash is recomputed over the whole chain.
    g.bench_function("full_walk", |b| {
        b.iter(|| {
            i.set_global("g49", g49.clone());
            black_box(memo::cache::key::compute(&mut i, &clo, &cf, &[Value::Int(1)]).unwrap())
        })
    });
    assert_eq!(memo::cache::key::compute(&mut i, &clo, &cf, &[Value::Int(1)]).unwrap(), key);
    // The same through a full cached call (hit) after a reassignment.
    g.bench_function("full_walk_call", |b| {
        b.iter(|| {
            i.set_global("g49", g49.clone());
            black_box(i.call_value(&top, &mut [Value::Int(1)], None).unwrap())
        })
    });
    g.finish();
}

fn disk_hits(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let open = || DiskStore::open(dir.path(), 1 << 30).expect("open the disk store");
    let n = Value::Int(1_100_000);
    let mut i = interp(Cache::with_disk(open()));
    run(&mut i, "cached fn big(n) { list(0..n) }");
    let big = global(&i, "big");
    // The miss stores the entry in the local tier.
    i.call_value(&big, &mut [n.clone()], None).unwrap();
    memo::cache::session(&mut i).unwrap().cache.flush();
    let entry_bytes = open().total_bytes().unwrap();
    eprintln!("disk_hit_10mb: entry size {:.1} MB", entry_bytes as f64 / 1e6);
    assert!(entry_bytes > 1_000_000, "the entry should be a few MB, is {entry_bytes} bytes");

    let mut g = c.benchmark_group("disk_hit_10mb");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(4));
    // A fresh memory tier per iteration: the call misses memory and hits disk.
    g.bench_function("call_fresh_memory_tier", |b| {
        b.iter_batched(
            || Cache::with_disk(open()),
            |fresh| {
                let old = std::mem::replace(&mut memo::cache::session(&mut i).unwrap().cache, fresh);
                let v = i.call_value(&big, &mut [n.clone()], None).unwrap();
                (old, v) // dropped outside the measurement
            },
            BatchSize::PerIteration,
        )
    });
    // The disk tier alone: read, check and decode the entry.
    let Value::Func(clo) = big.clone() else { panic!("big is not a fn") };
    let cf = clo.cached.clone().unwrap();
    let key = memo::cache::key::compute(&mut i, &clo, &cf, std::slice::from_ref(&n)).unwrap();
    let mut store = open();
    assert!(matches!(store.get(&key, &cf.name).unwrap(), Got::Bytes(_)), "entry in the database");
    g.bench_function("local_tier_get", |b| {
        b.iter_batched(|| (), |_| store.get(&key, &cf.name).unwrap(), BatchSize::PerIteration)
    });
    g.finish();
}

/// The table of `bench/table/`: `rows` rows of an int id, a name, a float
/// score and one of 8 categories (~6.5 MB for 200,000 rows), written with
/// an mtime an hour ago (a fresh file's stat proves nothing, and its hits
/// would re-read it).
fn write_table(path: &std::path::Path, rows: usize) {
    let cats = ["north", "south", "east", "west", "center", "harbor", "hills", "plains"];
    let mut s = String::from("id,name,score,category\n");
    let mut seed = 15u64;
    for i in 0..rows {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let r = seed >> 11;
        s.push_str(&format!(
            "{i},user_{:06},{:.3},{}\n",
            r % 1_000_000,
            (r % 1_000_000_007) as f64 / 1e6,
            cats[(r % 8) as usize]
        ));
    }
    std::fs::write(path, s).expect("write the table");
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(std::time::SystemTime::now() - Duration::from_secs(3600)).unwrap();
}

fn table_hits(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let csv = dir.path().join("table.csv");
    write_table(&csv, 200_000);
    let cache_dir = dir.path().join("cache");
    let open = || DiskStore::open(&cache_dir, 1 << 30).expect("open the local tier");
    let mut i = interp(Cache::with_disk(open()));
    run(&mut i, "cached fn load(p) { read_csv(p) }");
    let load = global(&i, "load");
    let arg = Value::str(csv.to_str().unwrap());
    i.call_value(&load, &mut [arg.clone()], None).unwrap();
    memo::cache::session(&mut i).unwrap().cache.flush();
    eprintln!("table_200k: entry {:.2} MB", open().total_bytes().unwrap() as f64 / 1e6);

    let mut g = c.benchmark_group("table_200k");
    g.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    g.bench_function("local_hit", |b| {
        b.iter_batched(
            || Cache::with_disk(open()),
            |fresh| {
                let old = std::mem::replace(&mut memo::cache::session(&mut i).unwrap().cache, fresh);
                let v = i.call_value(&load, &mut [arg.clone()], None).unwrap();
                (old, v)
            },
            BatchSize::PerIteration,
        )
    });
    let mut plain = interp(Cache::memory());
    run(&mut plain, "fn parse(p) { read_csv(p) }");
    let parse = global(&plain, "parse");
    g.bench_function("read_csv", |b| {
        b.iter_batched(|| (), |_| plain.call_value(&parse, &mut [arg.clone()], None).unwrap(), BatchSize::PerIteration)
    });
    g.finish();
}

criterion_group!(benches, memory_hits, key_chain, disk_hits, table_hits);
criterion_main!(benches);
