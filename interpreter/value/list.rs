//! The elements of a list, in order.
//!
//! A list is built flat: a `Vec`, which `push`, `map`, `filter`, `list(r)`,
//! `split` and literals fill at a few instructions per element, and which is
//! indexed and iterated without a tree walk. imbl's RRB vector costs ~65
//! instructions per `push_back` and a tree descent per index.
//!
//! What a flat vector cannot do is share structure. Every operation that
//! would copy a long flat list, where the persistent tree copies only a path
//! (copy-on-write of a shared list, slicing, `insert`/`remove` in the
//! middle), goes through the tree form instead: a copy of a long flat list is
//! a tree, and a long flat list that is itself shared builds its tree once,
//! kept beside it (`shadow`), so any number of copies and slices of it cost
//! what they cost on a tree. Its next edit turns the list itself into that
//! tree (`settle`), so a list that is copied and edited in turn keeps
//! sharing with its copies instead of rebuilding the tree. So no operation
//! is slower, in O() terms, than on imbl's vector alone, and a flat list
//! pays its one conversion at most once, which its building already paid
//! for.
//!
//! Which form a list has is invisible: iteration, equality, order, hashing,
//! printing and the cache codec see the same elements.

use super::Value;
use std::ops::Range;
use std::ptr::null_mut;
use std::sync::atomic::{AtomicPtr, Ordering};

/// Lists up to this long are copied flat; longer ones go through the tree.
pub const SMALL: usize = 128;

type Tree = imbl::Vector<Value>;

/// A list's elements. Its form is private (see the module comment): only
/// this module's methods touch it.
pub struct ListItems(Repr);

const _: () = assert!(std::mem::size_of::<ListItems>() == 32);

/// A flat list's tree, built at most once (see `ListItems::tree`): one
/// pointer, where a `OnceLock<Box<Tree>>` takes two words (and every list
/// allocation carries it).
struct Shadow(AtomicPtr<Tree>);

impl Shadow {
    const fn new() -> Shadow {
        Shadow(AtomicPtr::new(null_mut()))
    }

    fn get(&self) -> Option<&Tree> {
        // SAFETY: a non-null pointer is a leaked `Box<Tree>` that lives
        // until `take` (which needs `&mut self`) or the drop.
        unsafe { self.0.load(Ordering::Acquire).as_ref() }
    }

    /// The tree, built by `f` unless it exists; of two threads building it
    /// at once, the first to store wins and the other's is freed.
    fn get_or_init(&self, f: impl FnOnce() -> Tree) -> &Tree {
        if let Some(t) = self.get() {
            return t;
        }
        let new = Box::into_raw(Box::new(f()));
        match self.0.compare_exchange(null_mut(), new, Ordering::AcqRel, Ordering::Acquire) {
            // SAFETY: stored; it lives as long as `self` (see `get`).
            Ok(_) => unsafe { &*new },
            Err(old) => {
                // SAFETY: `new` was never shared.
                drop(unsafe { Box::from_raw(new) });
                // SAFETY: `old` is the stored tree (see `get`).
                unsafe { &*old }
            }
        }
    }

    fn take(&mut self) -> Option<Box<Tree>> {
        let p = std::mem::replace(self.0.get_mut(), null_mut());
        // SAFETY: a non-null pointer came from `Box::into_raw`, and it is
        // no longer stored.
        (!p.is_null()).then(|| unsafe { Box::from_raw(p) })
    }
}

impl Drop for Shadow {
    fn drop(&mut self) {
        drop(self.take());
    }
}

enum Repr {
    /// `shadow`, once built, holds the same elements as `v`; every `&mut`
    /// method first turns a flat list with a shadow into that tree.
    Flat { v: Vec<Value>, shadow: Shadow },
    /// Boxed: a flat list (the common form) is then 32 bytes, not 64,
    /// and so is every `ListObj` allocation.
    Tree(Box<Tree>),
}

impl Default for ListItems {
    fn default() -> Self {
        ListItems::from(Vec::new())
    }
}

impl From<Vec<Value>> for ListItems {
    #[inline]
    fn from(v: Vec<Value>) -> Self {
        ListItems(Repr::Flat { v, shadow: Shadow::new() })
    }
}

impl From<Tree> for ListItems {
    fn from(t: Tree) -> Self {
        ListItems(Repr::Tree(Box::new(t)))
    }
}

impl FromIterator<Value> for ListItems {
    fn from_iter<I: IntoIterator<Item = Value>>(iter: I) -> Self {
        ListItems::from(iter.into_iter().collect::<Vec<_>>())
    }
}

impl Clone for ListItems {
    /// A copy, to be changed (copy-on-write): a short flat list is copied
    /// flat, a long one becomes (a share of) its tree.
    fn clone(&self) -> Self {
        match &self.0 {
            Repr::Flat { v, .. } if v.len() <= SMALL => ListItems::from(copy_values(v)),
            Repr::Flat { .. } => ListItems(Repr::Tree(Box::new(self.tree().clone()))),
            Repr::Tree(t) => ListItems(Repr::Tree(t.clone())),
        }
    }
}

/// A copy of `src`'s elements, in one `memcpy` when they are all scalars
/// (`Vec::clone` clones them one by one, a tag dispatch each).
fn copy_values(src: &[Value]) -> Vec<Value> {
    let mut out = Vec::with_capacity(src.len());
    if src.iter().all(Value::is_scalar) {
        // SAFETY: `out` has room for `src.len()` elements; scalars own
        // nothing, so a bitwise copy is a clone.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), out.as_mut_ptr(), src.len());
            out.set_len(src.len());
        }
    } else {
        out.extend(src.iter().map(Value::clone_fast));
    }
    out
}

impl ListItems {
    pub fn new() -> ListItems {
        ListItems::default()
    }

    pub fn with_capacity(n: usize) -> ListItems {
        ListItems::from(Vec::with_capacity(n))
    }

    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Flat { v, .. } => v.len(),
            Repr::Tree(t) => t.len(),
        }
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The elements, when this list owns each of them by itself (the flat
    /// form; a tree shares its nodes with other lists): the collector
    /// counts them as references.
    pub(crate) fn owned(&self) -> Option<&[Value]> {
        match &self.0 {
            Repr::Flat { v, .. } => Some(v),
            Repr::Tree(_) => None,
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> Option<&Value> {
        match &self.0 {
            Repr::Flat { v, .. } => v.get(i),
            Repr::Tree(t) => t.get(i),
        }
    }

    /// Before any edit: a flat list whose tree was built (it was copied or
    /// sliced while long) becomes that tree, so that it keeps sharing with
    /// its copies. Discarding the tree instead would rebuild it, O(n), at
    /// every copy of a list that is copied and edited in turn (a snapshot
    /// taken in a loop that keeps pushing).
    #[inline]
    fn settle(&mut self) {
        if let Repr::Flat { shadow, .. } = &mut self.0 {
            if let Some(t) = shadow.take() {
                self.0 = Repr::Tree(t);
            }
        }
    }

    #[inline]
    pub fn get_mut(&mut self, i: usize) -> Option<&mut Value> {
        self.settle();
        match &mut self.0 {
            Repr::Flat { v, .. } => v.get_mut(i),
            Repr::Tree(t) => t.get_mut(i),
        }
    }

    #[inline]
    pub fn push_back(&mut self, x: Value) {
        self.settle();
        match &mut self.0 {
            Repr::Flat { v, .. } => v.push(x),
            Repr::Tree(t) => t.push_back(x),
        }
    }

    pub fn pop_back(&mut self) -> Option<Value> {
        self.settle();
        match &mut self.0 {
            Repr::Flat { v, .. } => v.pop(),
            Repr::Tree(t) => t.pop_back(),
        }
    }

    /// Reverses the elements where they are (a flat list; a tree is
    /// rebuilt reversed).
    pub fn reverse(&mut self) {
        self.settle();
        match &mut self.0 {
            Repr::Flat { v, .. } => v.reverse(),
            Repr::Tree(t) => **t = t.iter().rev().cloned().collect(),
        }
    }

    /// Inserts `x` before index `i` (`i <= len`).
    pub fn insert(&mut self, i: usize, x: Value) {
        self.treeify_if_long();
        match &mut self.0 {
            Repr::Flat { v, .. } => v.insert(i, x),
            Repr::Tree(t) => t.insert(i, x),
        }
    }

    /// Removes and returns the element at `i` (`i < len`).
    pub fn remove(&mut self, i: usize) -> Value {
        self.treeify_if_long();
        match &mut self.0 {
            Repr::Flat { v, .. } => v.remove(i),
            Repr::Tree(t) => t.remove(i),
        }
    }

    /// Appends copies of `other`'s elements.
    pub fn append(&mut self, other: &ListItems) {
        self.settle();
        match (&mut self.0, other) {
            (Repr::Flat { v, .. }, _) if v.len() + other.len() <= SMALL || other.len() <= SMALL => {
                v.reserve(other.len());
                v.extend(other.iter().cloned());
            }
            _ => {
                let mut t = self.take_tree();
                t.append(other.tree().clone());
                *self = ListItems(Repr::Tree(Box::new(t)));
            }
        }
    }

    /// Replaces the elements `r.start` up to `r.end` (within bounds) with
    /// copies of `with`'s (`xs[a..b] = ys`): in place for a short list, by
    /// splitting and joining the tree of a long one.
    pub fn splice(&mut self, r: Range<usize>, with: &ListItems) {
        self.treeify_if_long();
        match &mut self.0 {
            Repr::Flat { v, .. } if v.len() - r.len() + with.len() <= SMALL => {
                v.splice(r, with.iter().cloned());
            }
            _ => {
                let mut t = self.take_tree();
                let right = t.split_off(r.end);
                t.truncate(r.start);
                t.append(with.tree().clone());
                t.append(right);
                *self = ListItems(Repr::Tree(Box::new(t)));
            }
        }
    }

    /// `splice` with elements of its own: moved in, not copied.
    pub fn splice_owned(&mut self, r: Range<usize>, with: ListItems) {
        match (&mut self.0, with.0) {
            (Repr::Flat { v, shadow }, Repr::Flat { v: mut w, .. })
                if shadow.get().is_none() && v.len() <= SMALL && v.len() - r.len() + w.len() <= SMALL =>
            {
                if r.len() == w.len() {
                    // As long as what it replaces (the commonest slice
                    // assignment): the elements moved into place, in one
                    // copy when those replaced own nothing.
                    let dst = &mut v[r];
                    if dst.iter().all(Value::is_scalar) {
                        // SAFETY: the lengths are equal; the replaced
                        // elements are scalars (nothing to drop), and `w`
                        // forgets the ones moved out of it.
                        unsafe {
                            std::ptr::copy_nonoverlapping(w.as_ptr(), dst.as_mut_ptr(), dst.len());
                            w.set_len(0);
                        }
                    } else {
                        for (d, src) in dst.iter_mut().zip(w) {
                            let old = std::mem::replace(d, src);
                            if old.is_scalar() {
                                std::mem::forget(old);
                            }
                        }
                    }
                } else {
                    v.splice(r, w);
                }
            }
            (_, w) => self.splice(r, &ListItems(w)),
        }
    }

    /// The elements `r.start` up to `r.end` (within bounds).
    pub fn slice(&self, r: Range<usize>) -> ListItems {
        match &self.0 {
            Repr::Flat { v, .. } if r.len() <= SMALL => ListItems::from(copy_values(&v[r])),
            _ => ListItems(Repr::Tree(Box::new(self.tree().clone().slice(r)))),
        }
    }

    /// The elements in order, a contiguous run at a time.
    #[inline]
    pub fn chunks(&self) -> Chunks<'_> {
        match &self.0 {
            Repr::Flat { v, .. } => Chunks::Flat(Some(v)),
            Repr::Tree(t) => Chunks::Tree(t.leaves()),
        }
    }

    /// The elements in order.
    #[inline]
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Value> + '_ {
        Iter { chunks: self.chunks(), front: [].iter(), back: [].iter() }
    }

    /// The tree form of these elements: the list itself, or a flat list's
    /// shadow (built on first use).
    fn tree(&self) -> &Tree {
        match &self.0 {
            Repr::Flat { v, shadow } => shadow.get_or_init(|| v.iter().cloned().collect()),
            Repr::Tree(t) => t,
        }
    }

    /// Takes the elements out as a tree (self is left empty).
    fn take_tree(&mut self) -> Tree {
        match std::mem::take(self).0 {
            Repr::Flat { v, mut shadow } => match shadow.take() {
                Some(t) => *t,
                None => v.into_iter().collect(),
            },
            Repr::Tree(t) => *t,
        }
    }

    /// A long flat list becomes a tree before an O(n) edit in the middle.
    fn treeify_if_long(&mut self) {
        self.settle();
        if let Repr::Flat { v, .. } = &mut self.0 {
            if v.len() > SMALL {
                self.0 = Repr::Tree(Box::new(std::mem::take(v).into_iter().collect()));
            }
        }
    }

    /// Called when the list is dropped: forgets the scalar elements of a
    /// flat list (they own nothing) instead of running the drop glue, a call
    /// per element, on each; the others drop as usual.
    /// Frees the elements of a list being freed (inside the count of nested
    /// drops, see `value/drop.rs`): forgets its scalars (they own nothing;
    /// skipping their drop glue saves a call each), and with `out` moves
    /// (or, from a tree, shares) its other elements there instead, so that
    /// freeing the list recurses into nothing. A flat list's shadow tree
    /// (which shares the elements) is freed with the list.
    pub(crate) fn release(&mut self, out: Option<&mut Vec<Value>>) {
        match (&mut self.0, out) {
            (Repr::Flat { v, shadow }, None) => {
                // All scalars (nothing to drop): cut off at once.
                if !super::lend::truncate_scalars(v, 0) {
                    for x in v.drain(..) {
                        if x.is_scalar() {
                            std::mem::forget(x);
                        }
                    }
                }
                drop(shadow.take());
            }
            (Repr::Flat { v, shadow }, Some(out)) => {
                for x in v.drain(..) {
                    if x.is_scalar() {
                        std::mem::forget(x);
                    } else {
                        out.push(x);
                    }
                }
                drop(shadow.take());
            }
            (Repr::Tree(t), out) => {
                if let Some(out) = out {
                    out.extend(t.iter().filter(|x| !x.is_scalar()).cloned());
                }
                // Freed here, inside the count of nested drops.
                **t = Tree::new();
            }
        }
    }

    #[cfg(test)]
    fn is_flat(&self) -> bool {
        matches!(self.0, Repr::Flat { .. })
    }
}

impl std::ops::Index<usize> for ListItems {
    type Output = Value;
    #[inline]
    fn index(&self, i: usize) -> &Value {
        match &self.0 {
            Repr::Flat { v, .. } => &v[i],
            Repr::Tree(t) => &t[i],
        }
    }
}

/// The contiguous runs of a list's elements, in order.
pub enum Chunks<'a> {
    Flat(Option<&'a [Value]>),
    Tree(imbl::vector::Chunks<'a, Value, imbl::shared_ptr::DefaultSharedPtr>),
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [Value];
    #[inline]
    fn next(&mut self) -> Option<&'a [Value]> {
        match self {
            Chunks::Flat(v) => v.take(),
            Chunks::Tree(c) => c.next(),
        }
    }
}

impl DoubleEndedIterator for Chunks<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        match self {
            Chunks::Flat(v) => v.take(),
            Chunks::Tree(c) => c.next_back(),
        }
    }
}

/// `chunks().flatten()`, double-ended.
struct Iter<'a> {
    chunks: Chunks<'a>,
    front: std::slice::Iter<'a, Value>,
    back: std::slice::Iter<'a, Value>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a Value;
    #[inline]
    fn next(&mut self) -> Option<&'a Value> {
        loop {
            if let Some(x) = self.front.next() {
                return Some(x);
            }
            match self.chunks.next() {
                Some(c) => self.front = c.iter(),
                None => return self.back.next(),
            }
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    #[inline]
    fn next_back(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(x) = self.back.next_back() {
                return Some(x);
            }
            match self.chunks.next_back() {
                Some(c) => self.back = c.iter(),
                None => return self.front.next_back(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(l: &ListItems) -> Vec<i64> {
        l.iter()
            .map(|v| match v {
                Value::Int(i) => *i,
                _ => panic!("not an int"),
            })
            .collect()
    }

    fn flat(n: i64) -> ListItems {
        (0..n).map(Value::Int).collect()
    }

    #[test]
    fn reverse_flat_and_tree() {
        let mut f = flat(5);
        f.reverse();
        assert_eq!(ints(&f), [4, 3, 2, 1, 0]);
        let mut t = flat(1000).clone();
        assert!(!t.is_flat());
        t.reverse();
        assert_eq!(ints(&t), (0..1000).rev().collect::<Vec<_>>());
    }

    #[test]
    fn copies_of_long_lists_are_trees_and_short_ones_flat() {
        assert!(flat(SMALL as i64).clone().is_flat());
        let long = flat(1000);
        let copy = long.clone();
        assert!(!copy.is_flat());
        assert!(long.is_flat());
        assert_eq!(ints(&copy), ints(&long));
    }

    #[test]
    fn edits_clear_the_shadow() {
        let mut l = flat(1000);
        let _ = l.clone(); // builds the shadow
        l.push_back(Value::Int(1000));
        *l.get_mut(0).unwrap() = Value::Int(-1);
        let copy = l.clone();
        assert_eq!(copy.len(), 1001);
        assert_eq!(ints(&copy)[0], -1);
        assert_eq!(ints(&copy)[1000], 1000);
        assert_eq!(l.pop_back().map(|v| matches!(v, Value::Int(1000))), Some(true));
        assert_eq!(l.clone().len(), 1000);
    }

    /// Every edit of a long flat list whose shadow was built (by a copy)
    /// leaves the next copy equal to the list.
    #[test]
    fn every_edit_after_a_copy_reaches_the_next_copy() {
        type Edit = fn(&mut ListItems);
        let edits: [(&str, Edit); 8] = [
            ("push_back", |l| l.push_back(Value::Int(-1))),
            ("reverse", |l| l.reverse()),
            ("pop_back", |l| {
                l.pop_back();
            }),
            ("get_mut", |l| *l.get_mut(3).expect("in bounds") = Value::Int(-3)),
            ("insert", |l| l.insert(7, Value::Int(-7))),
            ("remove", |l| {
                l.remove(9);
            }),
            ("append short", |l| l.append(&flat(3))),
            ("append long", |l| l.append(&flat(500))),
        ];
        for (name, edit) in edits {
            let mut l = flat(1000);
            let _ = l.clone(); // builds the shadow
            edit(&mut l);
            let want = ints(&l);
            assert_eq!(ints(&l.clone()), want, "{name}: a copy");
            assert_eq!(ints(&l.slice(0..l.len())), want, "{name}: a slice");
            let mut joined = flat(0);
            joined.append(&l);
            assert_eq!(ints(&joined), want, "{name}: appended");
        }
    }

    /// A long list that was copied becomes its tree at its next edit and
    /// stays one: a snapshot taken in a loop that keeps editing the list
    /// shares structure instead of rebuilding the tree at every copy.
    #[test]
    fn a_copied_list_settles_into_its_tree() {
        let mut l = flat(1000);
        let snap = l.clone();
        assert!(l.is_flat() && !snap.is_flat());
        l.push_back(Value::Int(1000));
        assert!(!l.is_flat());
        assert_eq!(ints(&l), (0..1001).collect::<Vec<_>>());
        assert_eq!(ints(&snap), (0..1000).collect::<Vec<_>>());
        let mut short = flat(10);
        let _ = short.clone();
        short.push_back(Value::Int(10));
        assert!(short.is_flat(), "short lists are copied flat and never build a tree");
    }

    #[test]
    fn long_edits_in_the_middle_use_the_tree() {
        let mut l = flat(1000);
        l.insert(500, Value::Int(-1));
        assert!(!l.is_flat());
        assert_eq!(ints(&l)[499..502], [499, -1, 500]);
        assert!(matches!(l.remove(500), Value::Int(-1)));
        assert_eq!(ints(&l), (0..1000).collect::<Vec<_>>());
        let mut s = flat(3);
        s.insert(0, Value::Int(9));
        assert!(s.is_flat());
        assert_eq!(ints(&s), [9, 0, 1, 2]);
    }

    #[test]
    fn slices_and_appends_in_every_form() {
        let long = flat(1000);
        assert_eq!(ints(&long.slice(10..20)), (10..20).collect::<Vec<_>>());
        assert!(long.slice(10..20).is_flat());
        let big = long.slice(0..900);
        assert!(!big.is_flat());
        assert_eq!(ints(&big), (0..900).collect::<Vec<_>>());
        let mut a = flat(5);
        a.append(&flat(3));
        assert_eq!(ints(&a), [0, 1, 2, 3, 4, 0, 1, 2]);
        let mut t = big.clone();
        t.append(&flat(2));
        assert_eq!(t.len(), 902);
        let mut f = flat(200);
        f.append(&long);
        assert_eq!(f.len(), 1200);
        assert_eq!(ints(&f)[200..], ints(&long)[..]);
    }

    #[test]
    fn iterates_both_ways_across_chunks() {
        let t = flat(1000).clone();
        assert!(!t.is_flat());
        let fwd = ints(&t);
        let mut rev: Vec<i64> = t.iter().rev().map(|v| if let Value::Int(i) = v { *i } else { 0 }).collect();
        rev.reverse();
        assert_eq!(fwd, rev);
        assert_eq!(fwd, (0..1000).collect::<Vec<_>>());
        assert_eq!(t[999].clone().to_string(), "999");
    }

    /// Random operations on lists of every form (and on copies that share
    /// them, which build and must never see a stale shadow), checked against
    /// a plain `Vec` model after every step.
    #[test]
    fn random_operations_agree_with_a_vec_model() {
        let mut next = super::super::test_rng(0x9e37_79b9_7f4a_7c15);
        let mut lists: Vec<(ListItems, Vec<i64>)> = vec![(ListItems::new(), vec![])];
        for step in 0..3000 {
            let which = next(lists.len());
            let x = step as i64;
            let (l, m) = &mut lists[which];
            match next(12) {
                0..=4 => {
                    for k in 0..next(300) {
                        l.push_back(Value::Int(x + k as i64));
                        m.push(x + k as i64);
                    }
                }
                5 if !m.is_empty() => {
                    l.pop_back();
                    m.pop();
                }
                6 => {
                    let i = next(m.len() + 1);
                    l.insert(i, Value::Int(-x));
                    m.insert(i, -x);
                }
                7 if !m.is_empty() => {
                    let i = next(m.len());
                    l.remove(i);
                    m.remove(i);
                }
                8 if !m.is_empty() => {
                    let i = next(m.len());
                    *l.get_mut(i).expect("in bounds") = Value::Int(x * 7);
                    m[i] = x * 7;
                }
                9 => {
                    // A copy (as copy-on-write makes), kept as a new list.
                    let copy = (l.clone(), m.clone());
                    lists.push(copy);
                }
                10 => {
                    let a = next(m.len() + 1);
                    let b = a + next(m.len() + 1 - a);
                    let piece = (l.slice(a..b), m[a..b].to_vec());
                    lists.push(piece);
                }
                _ => {
                    let other = next(lists.len());
                    let (ol, om) = (lists[other].0.clone(), lists[other].1.clone());
                    let (l, m) = &mut lists[which];
                    l.append(&ol);
                    m.extend(om);
                }
            }
            // The list changed, and every list now and then (copies share).
            let (l, m) = &lists[which];
            assert_eq!(&ints(l), m, "step {step}");
            // A copy now goes through the shadow of a long flat list, which
            // must hold exactly what the list holds.
            assert_eq!(&ints(&l.clone()), m, "step {step}: a copy");
            if step % 50 == 0 {
                for (l, m) in &lists {
                    assert_eq!(l.len(), m.len());
                    assert_eq!(&ints(l), m, "step {step}");
                }
            }
            lists.retain(|(_, m)| m.len() < 5000);
            if lists.is_empty() {
                lists.push((ListItems::new(), vec![]));
            }
            if lists.len() > 12 {
                lists.remove(next(lists.len()));
            }
        }
    }
}
