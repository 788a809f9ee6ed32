//! Mutable objects (`mut struct` instances, cells) and the cycle collector:
//! cycles are freed (counted by the interpreter's registry of live
//! objects), nothing reachable is freed, and objects that went to the
//! cache or to another thread stay sound: shared ones are used under their
//! lock and never collected, one owned by another interpreter cannot be
//! read at all.

use memo::{Cache, Engine, Interp, Value};
use std::sync::{Arc, Mutex};

fn interp() -> Interp {
    let mut i = memo::new_interp(Cache::memory());
    i.out = Box::new(std::io::sink());
    i
}

fn run(i: &mut Interp, src: &str) -> Value {
    match i.run_source("t.memo", src) {
        Ok(v) => v,
        Err(e) => panic!("{}: {}", e.kind, e.message),
    }
}

fn live(i: &Interp) -> usize {
    i.object_counts().0
}

#[test]
fn cycles_made_and_dropped_in_a_loop_are_freed() {
    let mut i = interp();
    run(
        &mut i,
        r#"
        mut struct Node { value, next, prev }
        fn pair(k) {
          let a = Node(k, none, none)
          let b = Node(k, a, a)
          a.next = b
          a.prev = [b, fn() { a }]     // through a list and a closure
          let c = cell(none)
          c.set({"self": c, "node": a})  // a cell holding itself, and a
        }
        for k in 0..50000 { pair(k) }
        let kept = Node(1, none, none)
        kept.next = Node(2, kept, none)
        "#,
    );
    // The run ended with a collection: only the two kept nodes are alive.
    let (alive, collections, freed) = i.object_counts();
    assert_eq!(alive, 2, "objects still alive");
    assert!(collections >= 1);
    assert!(freed >= 150_000, "freed {freed}");
    // Dropping the last reference to the kept cycle, then collecting.
    run(&mut i, "kept = none");
    i.collect();
    assert_eq!(live(&i), 0);
}

#[test]
fn nothing_reachable_is_freed() {
    let mut i = interp();
    // Every way an object can be held: a global, a local of a running
    // frame, a closure's capture, a long (tree-form) list, a map, an
    // immutable struct, a cell; each in a cycle, checked after more than
    // one collection ran in the middle of the run.
    let v = run(
        &mut i,
        r#"
        mut struct Node { value, next }
        struct Holder { node }
        fn ring(v) {
          let n = Node(v, none)
          n.next = Node(v + 1, n)
          n
        }
        let g = ring(1)
        let long = []
        for k in 0..300 { long = push(long, ring(k)) }
        let copy = long
        copy[0] = none                    // long is now shared with a tree copy
        let m = {"a": ring(10)}
        let h = Holder(ring(20))
        let c = cell(ring(30))
        fn keeper() {
          let local = ring(40)
          let f = fn() { local.value }
          for k in 0..30000 { ring(k) }   // garbage: several collections
          [local.next.next.value, f()]
        }
        let seen = keeper()
        let ok = g.next.next.value == 1 and long[299].next.next.value == 299 and copy[1].next.value == 2
        ok = ok and m["a"].next.next.value == 10 and h.node.next.next.value == 20
        ok = ok and c.get().next.next.value == 30 and seen == [40, 40]
        ok
        "#,
    );
    assert!(matches!(v, Value::Bool(b) if b.get()), "{v:?}");
    let before = live(&i);
    i.collect();
    assert_eq!(live(&i), before, "a collection freed reachable objects");
    // Two tree-form lists sharing their nodes: one held by a garbage
    // cycle, the other by a global. Their elements are reachable through
    // the global's list only, which the collector never sees.
    run(
        &mut i,
        r#"
        mut struct Bag { items, me }
        let big = []
        for k in 0..300 { big = push(big, ring(k)) }
        let t1 = big
        t1[0] = 0
        let t2 = t1
        t2[1] = 0
        let x = Bag(t1, none)
        x.me = x
        x = none
        t1 = none
        big = none
        "#,
    );
    i.collect();
    let v = run(&mut i, "t2[150].next.next.value == 150 and t2[299].next.value == 300");
    assert!(matches!(v, Value::Bool(b) if b.get()), "{v:?}");
    let still = run(&mut i, "g.next.next == g and long[5].next.next == long[5] and h.node.next.value == 21");
    assert!(matches!(still, Value::Bool(b) if b.get()));
}

#[test]
fn shared_objects_are_used_from_other_threads_and_never_collected() {
    // A cached fn returns an object: the entry shares it. Interpreters on
    // other threads get the same object from the cache, change it under
    // its lock, and collect their own garbage meanwhile.
    let cache = Cache::memory();
    let setup = r#"
        mut struct Counter { n, me }
        cached fn counter() {
          let c = Counter(0, none)
          c.me = c                       // a cycle, in the cache
          c
        }
    "#;
    let mut first = memo::new_interp(cache.clone());
    first.out = Box::new(std::io::sink());
    first.err = Box::new(std::io::sink());
    run(&mut first, setup);
    run(&mut first, "let c = counter()\nc.n += 1");
    std::thread::scope(|s| {
        for _ in 0..4 {
            let cache = cache.clone();
            s.spawn(move || {
                memo::stack::run_with_stack(64 << 20, move || {
                    let mut i = memo::new_interp(cache);
                    i.out = Box::new(std::io::sink());
                    i.err = Box::new(std::io::sink());
                    run(&mut i, setup);
                    run(
                        &mut i,
                        r#"
                        mut struct Junk { me }
                        for k in 0..1000 {
                          let c = counter()
                          c.n += 1
                          let j = Junk(none)
                          j.me = j
                        }
                        "#,
                    );
                    i.collect();
                })
            });
        }
    });
    let n = run(&mut first, "counter().me.n");
    assert_eq!(memo::value::repr(&n), "4001");
    first.collect();
    assert_eq!(memo::value::repr(&run(&mut first, "counter().me.me.n")), "4001");
}

#[test]
fn an_object_owned_by_another_interpreter_cannot_be_read() {
    // A host native that keeps a value behind the engine's back: what it
    // kept was shared when it was handed over, so another engine can use it.
    let kept: Arc<Mutex<Option<Value>>> = Arc::default();
    let mut a = Engine::builder().output(std::io::sink()).build();
    let k = kept.clone();
    a.register_native(
        "keep",
        Arc::new(move |_: &mut Interp, args: &mut [Value]| {
            *k.lock().unwrap() = Some(args[0].clone());
            Ok(Value::None)
        }),
    );
    a.run("mut struct Box { v }\nlet b = Box(1)\nkeep(b)").unwrap();
    let mut b = Engine::builder().output(std::io::sink()).build();
    b.set("other", kept.lock().unwrap().clone().unwrap());
    assert_eq!(b.eval::<i64>("other.v = 5\nother.v").unwrap(), 5);
    assert_eq!(a.eval::<i64>("b.v").unwrap(), 5);

    // A native that calls back into memo gets what the call returns as it
    // is (owned by its interpreter): kept and handed to another
    // interpreter, it is refused there, with an error, never a data race.
    let grabbed: Arc<Mutex<Option<Value>>> = Arc::default();
    let mut c = interp();
    let g = grabbed.clone();
    c.register_native(
        "grab",
        Arc::new(move |i: &mut Interp, args: &mut [Value]| {
            let f = args[0].clone();
            *g.lock().unwrap() = Some(i.call_value(&f, &mut [], None)?);
            Ok(Value::None)
        }),
    );
    run(&mut c, "mut struct Box { v }\nlet mine = [none]\ngrab(fn() { mine = [Box(1)]\nmine[0] })");
    let smuggled = grabbed.lock().unwrap().clone().unwrap();
    let mut d = interp();
    d.set_global("stolen", smuggled);
    let e = d.run_source("t.memo", "stolen.v").unwrap_err();
    assert_eq!(e.kind, "ValueError", "{}", e.message);
    assert!(e.message.contains("another interpreter"), "{}", e.message);
    let caught = d.run_source("t.memo", "try { stolen.v = 2 } catch e { e[\"kind\"] }").unwrap();
    assert_eq!(memo::value::repr(&caught), "\"ValueError\"");
    assert_eq!(memo::value::repr(&d.run_source("t.memo", "repr(stolen)").unwrap()), "\"<Box object of another interpreter>\"");
    // The owner still reads it, unchanged.
    assert_eq!(memo::value::repr(&run(&mut c, "mine[0].v")), "1");
}
