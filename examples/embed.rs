//! Embedding memo: a host registers a native function, runs a script twice
//! against one cache (the second run hits every cached call), reads the
//! statistics, calls a memo function from Rust, and sandboxes a script.
//!
//! Run it with `cargo run --example embed`.

use memo::{Cache, Engine, Limits, OutputBuffer};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SCRIPT: &str = r#"
// `fetch_price` is provided by the host (imagine a slow web service).
cached(suppress_warning: true)
fn price_of(item) {
    print("  (asking the host for", item + ")")
    fetch_price(item)
}

let basket = ["apple", "pear", "apple", "plum"]
let total = 0.0
for item in basket { total += price_of(item) }
print("basket total:", total, "for", param("customer", "nobody"))
total
"#;

fn main() -> Result<(), memo::Error> {
    // One cache for every engine of this process (it is Clone + Send + Sync).
    let cache = Cache::memory();
    let host_calls = Arc::new(AtomicUsize::new(0));

    for (run, customer) in ["ada", "bob"].iter().enumerate() {
        let mut engine = Engine::builder().cache(cache.clone()).param("customer", *customer).build();
        let calls = host_calls.clone();
        engine.register_fn("fetch_price", move |item: String| -> Result<f64, String> {
            calls.fetch_add(1, Ordering::SeqCst);
            match item.as_str() {
                "apple" => Ok(0.5),
                "pear" => Ok(0.75),
                "plum" => Ok(1.25),
                other => Err(format!("no price for {other}")),
            }
        });
        println!("run {}:", run + 1);
        let total: f64 = engine.eval(SCRIPT)?;
        let info = engine.cache_info("price_of")?;
        println!(
            "  -> total {total:?}; price_of: {} hits, {} misses, {} entries; host called {} times so far",
            info.hits,
            info.misses,
            info.entries,
            host_calls.load(Ordering::SeqCst)
        );
        // Call a memo function from Rust (a hit: the cache is shared).
        let pear = engine.call("price_of", ("pear",))?;
        println!("  price_of(\"pear\") from Rust: {pear}");
    }

    // A sandboxed engine: errors come back as values, with their location.
    let out = OutputBuffer::new();
    let mut sandbox = Engine::builder().limits(Limits::sandbox()).max_ops(50_000).output(out.clone()).build();
    for src in ["while true { }", "read_file(\"/etc/hostname\")", "fn f(n) { f(n + 1) }\nf(0)"] {
        let err = sandbox.run_named("untrusted.memo", src).unwrap_err();
        println!("sandbox: {err}");
    }
    Ok(())
}
