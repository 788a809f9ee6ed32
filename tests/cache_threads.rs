//! One in-memory cache shared by several interpreters on several threads:
//! every thread sees the others' entries, and concurrent misses of the same
//! key compute it once (the other callers wait for the result).

use memo::{Cache, Interp, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const SCRIPT: &str = r#"
cached fn slow_square(x) { computed(x); sleep(0.05); x * x }
let total = 0
for x in 0..5 { total += slow_square(x) }
result(total)
"#;

#[test]
fn threads_share_one_cache_and_compute_each_key_once() {
    let cache = Cache::memory();
    let computed = Arc::new(AtomicUsize::new(0));
    let results = Arc::new(std::sync::Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..8)
        .map(|_| {
            let cache = cache.clone();
            let computed = computed.clone();
            let results = results.clone();
            std::thread::spawn(move || {
                memo::stack::run_with_stack(64 << 20, move || {
                    let mut interp = memo::new_interp(cache);
                    interp.out = Box::new(std::io::sink());
                    let c = computed.clone();
                    interp.register_native(
                        "computed",
                        Arc::new(move |_: &mut Interp, _: &mut [Value]| {
                            c.fetch_add(1, Ordering::SeqCst);
                            Ok(Value::None)
                        }),
                    );
                    let r = results.clone();
                    interp.register_native(
                        "result",
                        Arc::new(move |_: &mut Interp, args: &mut [Value]| {
                            r.lock().unwrap().push(args[0].clone());
                            Ok(Value::None)
                        }),
                    );
                    interp.run_source("threads.memo", SCRIPT).expect("script runs");
                    let f = interp.get_global("slow_square").unwrap();
                    let info = interp.call_value(&interp.get_global("cache_info").unwrap(), &mut [f], None).unwrap();
                    memo::value::repr(&info)
                })
            })
        })
        .collect();
    let infos: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    // Five distinct keys, each computed exactly once across all threads.
    assert_eq!(computed.load(Ordering::SeqCst), 5);
    let results = results.lock().unwrap();
    assert_eq!(results.len(), 8);
    assert!(results.iter().all(|v| memo::value::repr(v) == "30"));
    // Every thread sees the five shared entries.
    for info in &infos {
        assert!(info.contains("\"entries\": 5"), "{info}");
    }
    // Hits and misses add up: 8 threads x 5 calls, 5 of them misses.
    let count = |key: &str| -> i64 {
        infos
            .iter()
            .map(|i| {
                let at = i.find(key).unwrap() + key.len() + 2;
                i[at..].split(|c: char| !c.is_ascii_digit()).next().unwrap().parse::<i64>().unwrap()
            })
            .sum()
    };
    assert_eq!(count("\"misses\""), 5);
    assert_eq!(count("\"hits\""), 35);
}
