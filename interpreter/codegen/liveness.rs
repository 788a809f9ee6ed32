//! Last uses of locals: a backward liveness analysis of a function body,
//! so that a call argument that is a local's last use moves the value into
//! the call instead of copying it. A callee then owns the only reference
//! and can update a list or string in place (`todo = consume(todo, v)`
//! pushing onto `todo` without copying it).
//!
//! A read of local `s` is a last use when no path from it reads `s` again
//! before `s` is assigned or the function returns. The analysis follows the
//! evaluation order of the code `codegen` makes (operands left to right,
//! a call's callee before its arguments, an assignment's value before the
//! store), loops to a fixed point, `break` and `continue` to their loop's
//! exit and head, and a `try`'s handler from anywhere in its body.
//!
//! Never moved: captured values and the function's own slot (they hold
//! lent copies, `value::lend`), boxed variables (reads go through the box),
//! and a local that is the callee of the call the argument belongs to (it
//! is lent to the call, `codegen::call_code`).

use crate::compiler::ir::{Node, PathStep, Place};
use crate::compiler::FnIr;
use std::cell::RefCell;
use std::collections::HashSet;

/// A set of frame slots.
#[derive(Clone, PartialEq, Eq, Default)]
struct Slots(Vec<u64>);

impl Slots {
    fn with_capacity(n: u32) -> Slots {
        Slots(vec![0; (n as usize).div_ceil(64).max(1)])
    }
    fn has(&self, s: u32) -> bool {
        self.0.get(s as usize / 64).is_some_and(|w| w & (1 << (s % 64)) != 0)
    }
    fn add(&mut self, s: u32) {
        let k = s as usize / 64;
        if k >= self.0.len() {
            self.0.resize(k + 1, 0);
        }
        self.0[k] |= 1 << (s % 64);
    }
    fn remove(&mut self, s: u32) {
        if let Some(w) = self.0.get_mut(s as usize / 64) {
            *w &= !(1 << (s % 64));
        }
    }
    fn union(&mut self, o: &Slots) {
        if o.0.len() > self.0.len() {
            self.0.resize(o.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&o.0) {
            *a |= b;
        }
    }
}

struct Cx {
    /// Slots never moved (captures, self, boxes).
    pinned: Slots,
    /// Live at the exit and at the head of each enclosing loop.
    loops: Vec<(Slots, Slots)>,
    /// Live at the entry of each enclosing `try` handler: live anywhere
    /// in its body.
    handlers: Vec<Slots>,
    /// Record last uses (the final pass, once loops are at a fixed point).
    record: bool,
    found: HashSet<usize>,
    /// Analysis steps left: a pathological body gives up (no moves).
    budget: usize,
}

thread_local! {
    static LAST_USES: RefCell<Vec<HashSet<usize>>> = const { RefCell::new(Vec::new()) };
}

/// Runs `f` (lowering the body of `ir`) with the last uses of its locals
/// known to `is_last_use`.
pub(super) fn with_last_uses<T>(ir: &FnIr, f: impl FnOnce() -> T) -> T {
    let found = if super::spec::on() { analyze(ir) } else { HashSet::new() };
    LAST_USES.with(|l| l.borrow_mut().push(found));
    let r = f();
    LAST_USES.with(|l| l.borrow_mut().pop());
    r
}

/// Is this `Node::Local` read the last use of its slot (movable)?
pub(super) fn is_last_use(n: &Node) -> bool {
    let at = n as *const Node as usize;
    LAST_USES.with(|l| l.borrow().last().is_some_and(|s| s.contains(&at)))
}

fn analyze(ir: &FnIr) -> HashSet<usize> {
    let mut pinned = Slots::with_capacity(ir.nslots);
    for &s in &ir.capture_slots {
        pinned.add(s);
    }
    if let Some(s) = ir.self_slot {
        pinned.add(s);
    }
    pin_boxes(&ir.body, &mut pinned);
    let mut cx = Cx { pinned, loops: Vec::new(), handlers: Vec::new(), record: true, found: HashSet::new(), budget: 2_000_000 };
    let mut live = Slots::with_capacity(ir.nslots);
    go(&ir.body, &mut live, &mut cx);
    if cx.budget == 0 {
        return HashSet::new();
    }
    cx.found
}

/// The local at the root of a place: `x`, `x.f.g`, `x[i].f` (`None` for
/// anything else).
fn place_root(n: &Node) -> Option<u32> {
    match n {
        Node::Local(s) => Some(*s),
        Node::Field(inner, _, _) | Node::Index(inner, _, _) => place_root(inner),
        _ => None,
    }
}

/// Boxed slots are never moved.
fn pin_boxes(n: &Node, pinned: &mut Slots) {
    super::visit(n, &mut |m| {
        if let Node::BoxNew(s, _) | Node::BoxWrap(s) | Node::BoxGet(s) | Node::BoxSet(s, _) | Node::BoxCompound(_, s, _, _) = m {
            pinned.add(*s);
        }
        if let Node::SetPath { root: Place::Boxed(s), .. } = m {
            pinned.add(*s);
        }
    });
}

/// Turns the slots live after `n` into those live before it.
fn go(n: &Node, live: &mut Slots, cx: &mut Cx) {
    if cx.budget == 0 {
        return;
    }
    cx.budget -= 1;
    match n {
        Node::Local(s) => {
            if cx.record && !cx.pinned.has(*s) && !live.has(*s) && !cx.handlers.iter().any(|h| h.has(*s)) {
                cx.found.insert(n as *const Node as usize);
            }
            live.add(*s);
        }
        Node::Const(_) | Node::Global(..) | Node::Struct(_) | Node::Import(..) => {}
        Node::SetLocal(s, v) | Node::BoxNew(s, v) => {
            live.remove(*s);
            go(v, live, cx);
        }
        Node::BoxWrap(s) | Node::BoxGet(s) => live.add(*s),
        Node::BoxSet(s, v) | Node::BoxCompound(_, s, v, _) | Node::CompoundLocal(_, s, v, _) => {
            live.add(*s);
            go(v, live, cx);
        }
        Node::DefineGlobal(_, v) | Node::SetGlobal(_, v, _) | Node::CompoundGlobal(_, _, v, _) => go(v, live, cx),
        Node::SetPath { root, path, value, .. } => {
            if let Place::Local(s) | Place::Boxed(s) = root {
                live.add(*s);
            }
            steps(path, live, cx);
            go(value, live, cx);
        }
        Node::SetPathOn { target, path, value, .. } => {
            steps(path, live, cx);
            go(target, live, cx);
            go(value, live, cx);
        }
        Node::Unary(_, a, _) | Node::Field(a, _, _) => go(a, live, cx),
        Node::Binary(_, a, b, _) | Node::Range(a, b, _, _) | Node::Index(a, b, _) => {
            // A local on the left, or at the root of a place there, may be
            // read in place after the right runs (`xs[len(xs) - 1]` and
            // `x.items[k]` index the slot once the index is known): the
            // right never moves it.
            if let Some(s) = place_root(a) {
                live.add(s);
            }
            go(b, live, cx);
            go(a, live, cx);
        }
        Node::And(a, b, _) | Node::Or(a, b, _) => {
            let mut after_b = live.clone();
            go(b, &mut after_b, cx);
            live.union(&after_b);
            go(a, live, cx);
        }
        Node::List(xs, _) | Node::Block(xs) => xs.iter().rev().for_each(|x| go(x, live, cx)),
        Node::Map(kv, _) => kv.iter().rev().for_each(|(k, v)| {
            go(v, live, cx);
            go(k, live, cx);
        }),
        Node::Call(callee, args, _) => {
            // A local callee is lent to the call: not moved by its args.
            let pinned_callee = match &**callee {
                Node::Local(s) if !cx.pinned.has(*s) => Some(*s),
                _ => None,
            };
            if let Some(s) = pinned_callee {
                cx.pinned.add(s);
            }
            // A first argument that is a place (`set(c, v)`, `c.set(v)`,
            // `x.f.set(v)`) may be read in place after the others run
            // (`codegen::place_calls`): they never move its local. The
            // first argument itself is read first, and may be its last use.
            let pinned_first = args.first().and_then(place_root).filter(|s| !cx.pinned.has(*s));
            if let Some(s) = pinned_first {
                cx.pinned.add(s);
            }
            args.iter().skip(1).rev().for_each(|x| go(x, live, cx));
            if let Some(s) = pinned_first {
                cx.pinned.remove(s);
            }
            if let Some(first) = args.first() {
                go(first, live, cx);
            }
            if let Some(s) = pinned_callee {
                cx.pinned.remove(s);
            }
            go(callee, live, cx);
        }
        Node::CallNamed(callee, args, _) => {
            args.iter().rev().for_each(|(_, x)| go(x, live, cx));
            go(callee, live, cx);
        }
        Node::If(c, t, e, _) => {
            let mut in_t = live.clone();
            go(t, &mut in_t, cx);
            if let Some(e) = e {
                go(e, live, cx);
            }
            live.union(&in_t);
            go(c, live, cx);
        }
        Node::While(c, body, _) => {
            let exit = live.clone();
            // The head (before the condition): live at exit, or before the body.
            let mut head = exit.clone();
            let record = std::mem::replace(&mut cx.record, false);
            for _ in 0..64 {
                let mut before_body = head.clone();
                cx.loops.push((exit.clone(), head.clone()));
                go(body, &mut before_body, cx);
                cx.loops.pop();
                let mut new_head = exit.clone();
                new_head.union(&before_body);
                go(c, &mut new_head, cx);
                if new_head == head {
                    break;
                }
                head.union(&new_head);
            }
            cx.record = record;
            let mut before_body = head.clone();
            cx.loops.push((exit.clone(), head.clone()));
            go(body, &mut before_body, cx);
            cx.loops.pop();
            let mut at_head = exit;
            at_head.union(&before_body);
            go(c, &mut at_head, cx);
            *live = at_head;
        }
        Node::For(s, it, body, _) => {
            let exit = live.clone();
            let mut head = exit.clone();
            let record = std::mem::replace(&mut cx.record, false);
            for _ in 0..64 {
                let mut before_body = head.clone();
                cx.loops.push((exit.clone(), head.clone()));
                go(body, &mut before_body, cx);
                cx.loops.pop();
                before_body.remove(*s);
                let mut new_head = exit.clone();
                new_head.union(&before_body);
                if new_head == head {
                    break;
                }
                head.union(&new_head);
            }
            cx.record = record;
            let mut before_body = head.clone();
            cx.loops.push((exit, head.clone()));
            go(body, &mut before_body, cx);
            cx.loops.pop();
            *live = head;
            go(it, live, cx);
        }
        Node::Break => {
            if let Some((exit, _)) = cx.loops.last() {
                *live = exit.clone();
            }
        }
        Node::Continue => {
            if let Some((_, head)) = cx.loops.last() {
                *live = head.clone();
            }
        }
        Node::Return(v) => {
            *live = Slots::default();
            go(v, live, cx);
        }
        Node::Closure(_, caps) => caps.iter().for_each(|s| live.add(*s)),
        Node::CachedClosure(_, caps, opts) => {
            caps.iter().for_each(|s| live.add(*s));
            opts.iter().rev().for_each(|(_, x, _)| go(x, live, cx));
        }
        Node::Try(body, s, handler) => {
            let mut at_handler = live.clone();
            go(handler, &mut at_handler, cx);
            at_handler.remove(*s);
            cx.handlers.push(at_handler.clone());
            go(body, live, cx);
            cx.handlers.pop();
            live.union(&at_handler);
        }
    }
}

fn steps(path: &[PathStep], live: &mut Slots, cx: &mut Cx) {
    for p in path.iter().rev() {
        if let PathStep::Index(i) = p {
            go(i, live, cx);
        }
    }
}
